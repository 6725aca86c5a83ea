import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVIDENCE_PREFIX } from '../lambdas/model-approval-gate/evidence';
import { APPROVED_TAG } from '../lambdas/model-pinner/approved-tag';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { baselineReadStatements } from './baseline-copy';
import { retentionDays } from '../policies/regulatory-floors';
import { GateBaseProps, GateFunction } from './gate-function';

/** Every way to write, overwrite, re-tag or delete an object of the evidence prefix. */
export const EVIDENCE_WRITE_ACTIONS = [
  's3:PutObject',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:RestoreObject',
  // How S3 replication writes: a replication rule of another bucket, under a role off the path, would land here.
  's3:ReplicateObject',
  's3:ReplicateDelete',
  's3:ReplicateTags',
];

export interface ModelPinnerProps extends GateBaseProps {
  /** Key of the function's configuration and dead-letter queue, and of the model data and its pinned copies. */
  readonly encryptionKey: kms.IKey;
  /** Key of the decision records (the pin records). */
  readonly recordsKey: kms.IKey;
  /** Bucket of the training pipelines' reports and model data (the evidence prefix). */
  readonly artifacts: s3.IBucket;
  /** Object Lock bucket of the decision records: reads `approval/` and `pins/`, writes `pins/`. */
  readonly decisionRecords: s3.IBucket;
  /** Where the locked copies go (`models/`): an ApprovedModelsBucket. */
  readonly approvedModels: s3.IBucket;
  /** COMPLIANCE retention of each pinned copy, in years (365 days each): the environment's audit-log retention. */
  readonly retentionYears: number;
  /** The governed model packages (one ARN pattern per package group): read only. */
  readonly packageArns: readonly string[];
  /**
   * Roles that write the evidence prefix (the training pipelines', by their path), as an IAM ARN pattern.
   * Everyone else is denied every write there, the pinner included but for its approval mark.
   */
  readonly evidenceWriters: string;
  /**
   * Accounts whose models read the pinned copies (prod), and nothing else of the bucket.
   * @default - none
   */
  readonly readerAccounts?: readonly string[];
  /**
   * The baseline copiers of prod's monitored endpoints, each reading its model's pinned baselines by its exact role
   * ARN.
   * @default - none
   */
  readonly baselineReaders?: BaselineReaders;
}

/** Who copies pinned baselines out (constructs/baseline-copy). */
export type BaselineReaders = Parameters<typeof baselineReadStatements>[1];

/**
 * What was approved is what is served: once a package is Approved, the pinner
 * (lambdas/model-pinner) copies the model data version the approval record
 * kept into the approved-models bucket (S3 computes its SHA-256), locks it in
 * COMPLIANCE mode and marks the source version approved. Asynchronous: model
 * data runs to gigabytes. Its role reaches exactly what the handler calls.
 *
 * It also holds the buckets to it: only the training pipelines' roles write
 * the evidence prefix (the reports the approval gate accepts come from a
 * pipeline run, not a person); only the pinner sets the approval mark or tags
 * anything in the artifact bucket; only the pinner writes the approved-models
 * bucket, each key once and never again, by anyone, and nobody deletes there.
 */
export class ModelPinner extends GateFunction {
  constructor(scope: Construct, id: string, props: ModelPinnerProps) {
    super(scope, id, {
      entry: path.join(__dirname, '..', 'lambdas', 'model-pinner', 'handler.ts'),
      description:
        'Pins the model data of an approved package: locked copy with SHA-256, source version marked approved',
      vpc: props.vpc,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: props.config,
      // One server-side CopyObject of up to 5 GiB per container.
      timeout: Duration.minutes(10),
      environment: {
        RECORD_BUCKET: props.decisionRecords.bucketName,
        ARTIFACT_BUCKET: props.artifacts.bucketName,
        APPROVED_BUCKET: props.approvedModels.bucketName,
        RETAIN_DAYS: String(retentionDays(props.retentionYears)),
        ACCOUNT_ID: Stack.of(scope).account,
        PARTITION: Stack.of(scope).partition,
      },
    });
    const { artifacts, decisionRecords, approvedModels } = props;
    const packages = [...props.packageArns];
    const pinnerRole = this.role;
    const approvals = decisionRecords.arnForObjects('approval/*');
    const pins = decisionRecords.arnForObjects('pins/*');
    const pinned = approvedModels.arnForObjects('models/*');
    const modelData = artifacts.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`);
    const allowPin = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      pinnerRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    allowPin('ReadApprovedPackages', ['sagemaker:DescribeModelPackage'], packages);
    allowPin('ReadApprovalAndPinRecords', ['s3:GetObject'], [approvals, pins]);
    allowPin('ListApprovalAndPinRecords', ['s3:ListBucket'], [decisionRecords.bucketArn], {
      StringLike: { 's3:prefix': ['approval/*', 'pins/*'] },
    });
    allowPin('WritePinRecords', ['s3:PutObject'], [pins]);
    allowPin('EncryptPinRecords', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.recordsKey.keyArn]);
    // UploadPartCopy of a given source version needs s3:GetObjectVersion on the source (as do the pinner's own range
    // reads of it) and s3:PutObject on the target, as do CreateMultipartUpload and CompleteMultipartUpload.
    // Whether an approved version is gone is read from the key's version listing (a GetObject of a missing version
    // answers 403 without s3:ListBucket, Amazon S3 API Reference, GetObject, Permissions), so a deleted version is a
    // recorded refusal, not a retry into the dead-letter queue. Scoped to the model data prefixes it reads.
    allowPin('ListModelDataVersions', ['s3:ListBucket', 's3:ListBucketVersions'], [artifacts.bucketArn], {
      StringLike: { 's3:prefix': [`${EVIDENCE_PREFIX}*/*/model/*`] },
    });
    allowPin(
      'CopyApprovedVersion',
      ['s3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'],
      [modelData],
    );
    allowPin(
      'WriteAndLockPinnedCopy',
      ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject', 's3:GetObjectVersion', 's3:AbortMultipartUpload'],
      [pinned],
    );
    allowPin('CopyUnderTheMlKey', ['kms:Decrypt', 'kms:GenerateDataKey'], [props.encryptionKey.keyArn]);
    // The version's drift baseline goes with it: read at the recorded (or decision-time) version of the run's reports,
    // written once to baselines/ and locked (lambdas/model-pinner, pinBaselines).
    const baselineSources = `${EVIDENCE_PREFIX}*/*/reports/baseline-*`;
    const baselineSourceObjects = artifacts.arnForObjects(baselineSources);
    const pinnedBaselines = approvedModels.arnForObjects('baselines/*');
    allowPin('ListBaselineVersions', ['s3:ListBucket', 's3:ListBucketVersions'], [artifacts.bucketArn], {
      StringLike: { 's3:prefix': [baselineSources] },
    });
    allowPin('ReadApprovedBaselines', ['s3:GetObjectVersion'], [baselineSourceObjects]);
    allowPin(
      'WriteAndLockPinnedBaselines',
      ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject', 's3:GetObjectVersion'],
      [pinnedBaselines],
    );
    acknowledgeResourceWildcards(
      pinnerRole.permissionsPolicy!,
      [approvals, pins, modelData, pinned, baselineSourceObjects, pinnedBaselines, ...packages],
      'Record keys, model data of training runs and package versions are created after deployment; each grant is limited to one bucket prefix or one governed package group.',
    );
    this.guardArtifacts(artifacts, props.evidenceWriters);
    this.guardPinnedCopies(approvedModels, props.readerAccounts ?? [], props.baselineReaders ?? []);
  }

  private guardArtifacts(artifacts: s3.IBucket, evidenceWriters: string): void {
    const pinnerArn = this.role.roleArn;
    const deny = (sid: string, actions: string[], resources: string[], conditions: Record<string, unknown>) =>
      artifacts.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions,
          resources,
          conditions,
        }),
      );
    // The evidence prefix: only the training pipelines' roles write or delete there (personas and break-glass
    // included in the deny), so the reports the approval gate accepts come from a pipeline run, not a person. The
    // pinner is exempt only to mark versions approved (its own policy grants it nothing else there).
    deny(
      'EvidenceWrittenOnlyByTrainingPipelines',
      EVIDENCE_WRITE_ACTIONS,
      [artifacts.arnForObjects(`${EVIDENCE_PREFIX}*`)],
      { ArnNotLike: { 'aws:PrincipalArn': [evidenceWriters, pinnerArn] } },
    );
    // Nobody but the pinner sets the approval mark (prod's read depends on it), training roles included.
    deny(
      'OnlyThePinnerMarksApproved',
      ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      [artifacts.arnForObjects('*')],
      {
        'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': [APPROVED_TAG] },
        ArnNotEquals: { 'aws:PrincipalArn': pinnerArn },
      },
    );
    // A copy carries its source's tags unless told otherwise (CopyObject's tagging directive defaults to COPY), and S3
    // then asks for s3:GetObjectTagging on the source and s3:PutObjectTagging on the target (AWS Knowledge Center,
    // "copy objects between buckets": "You must have s3:GetObjectTagging permission for the source object and
    // s3:PutObjectTagging permission for objects in the destination bucket"); the request names no tag keys, so the
    // statement above cannot see the mark travel. Tagging anything in this bucket is the pinner's alone: a copy of an
    // approved version to another key, by any role however granted, is refused unless it drops the tags.
    deny('OnlyThePinnerTags', ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'], [artifacts.arnForObjects('*')], {
      ArnNotEquals: { 'aws:PrincipalArn': pinnerArn },
    });
  }

  private guardPinnedCopies(
    approvedModels: s3.IBucket,
    readerAccounts: readonly string[],
    baselineReaders: BaselineReaders,
  ): void {
    const pinnerArn = this.role.roleArn;
    // The locked copies: only the pinner writes, locks or tags there; nobody deletes (COMPLIANCE mode holds each
    // version anyway).
    approvedModels.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePinnerWrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...EVIDENCE_WRITE_ACTIONS, 's3:BypassGovernanceRetention'],
        resources: [approvedModels.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
      }),
    );
    // Prod's models read a pinned key, not a version: each key is written once and never again, by anyone. Every
    // creation there carries If-None-Match (the part uploads of a multipart copy are not creations and take no
    // conditional header: Amazon S3 User Guide, "Enforce conditional writes"), none carries If-Match (an overwrite),
    // and nothing there is deleted (a delete without a version id would hide the key behind a delete marker).
    const pinnedKeys = approvedModels.arnForObjects('models/*');
    if (readerAccounts.length > 0) {
      // Prod's models read the pinned copies, and nothing else of this bucket.
      approvedModels.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ProdReadsPinnedModels',
          principals: readerAccounts.map((a) => new iam.AccountPrincipal(a)),
          actions: ['s3:GetObject'],
          resources: [pinnedKeys],
        }),
      );
    }
    // Each monitored prod endpoint's baseline copier reads its model's pinned baselines, by its exact role ARN.
    for (const statement of baselineReadStatements(approvedModels, baselineReaders, Stack.of(this).partition))
      approvedModels.addToResourcePolicy(statement);
    // Baselines are pinned like model data: written once, never overwritten, never deleted.
    const writtenOnce = [pinnedKeys, approvedModels.arnForObjects('baselines/*')];
    const deny = (sid: string, actions: string[], conditions?: Record<string, unknown>) =>
      approvedModels.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions,
          resources: writtenOnce,
          conditions,
        }),
      );
    deny('PinnedKeysWrittenOnce', ['s3:PutObject'], {
      Null: { 's3:if-none-match': 'true' },
      Bool: { 's3:ObjectCreationOperation': 'true' },
    });
    deny('PinnedKeysNeverOverwritten', ['s3:PutObject'], { Null: { 's3:if-match': 'false' } });
    deny('PinnedKeysNeverDeleted', ['s3:DeleteObject', 's3:DeleteObjectVersion']);
  }
}
