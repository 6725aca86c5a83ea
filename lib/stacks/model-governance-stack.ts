import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { approvalGateRoleName, approvedModelsBucketName, approverRoleName, DEPLOYMENT_GATE_STEP_ROLE, deploymentGateFunctionName, inferenceCaptureBucketName, modelArtifactsBucketName, TRAINING_ROLE_PATH, trainingPipelineName } from '../delivery/names';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { AuditReplicaLocation, lockForCalendarYears, replicateToAuditReplica } from '../../constructs/audit-replica';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { ApprovalGate } from '../../constructs/approval-gate';
import { DeploymentGate } from '../../constructs/deployment-gate';
import { ReviewReminder, reviewSchedule } from '../../constructs/review-reminder';
import { GateFunction } from '../../constructs/gate-function';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { PersonaRoles } from '../../constructs/persona-roles';
import { personaPrincipals } from '../config/access';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { acknowledgeResourceWildcards } from '../../policies/acknowledge-wildcards';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { gateConfigDigest, gateConfigFor } from '../config/gate-config';
import { EstateConfig, promotionSource, RISK_TIERS, servesPinnedCopy, servingAccounts } from '../config';
import { governedGroupArns, governedGroupFilter, governedPackageArns } from '../ml/registry-scope';
import { EVIDENCE_PREFIX } from '../../lambdas/model-approval-gate/evidence';
import { ApprovalWaitSweep } from '../../constructs/approval-wait-sweep';
import { APPROVED_TAG } from '../../lambdas/model-pinner/approved-tag';
import { baselineReadStatements } from '../../constructs/baseline-copy';
import { baselineCopiesFrom } from '../delivery/baseline-copies';
import { prodChampionsOf, prodImagesOf, prodServesPackages } from '../config/prod-serving';
import { EstateStack, EstateStackProps } from './estate-stack';

// What prod serves is a question about the config; the promotion tests take it from here with the stack.
export { prodChampionsOf, prodImagesOf } from '../config/prod-serving';

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


const LAMBDAS = path.resolve(__dirname, '..', '..', 'lambdas');

export interface ModelGovernanceStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  readonly keys: EncryptionKeys;
  readonly network: IsolatedNetwork;
  /** Second-region replica the decision records are copied to. */
  readonly auditReplica?: AuditReplicaLocation;

}

/**
 * Model governance of one environment: the model registry, the artifact
 * bucket reports are read from, the append-only decision records, and the
 * model approval gate wired to registry events.
 */
export class ModelGovernanceStack extends EstateStack {
  readonly artifacts: SecureBucket;
  readonly decisionRecords: SecureBucket;
  readonly notifications: sns.Topic;
  readonly approvalGate: ApprovalGate;
  /** Pins approved model data into `approvedModels` (lambdas/model-pinner). */
  readonly modelPinner: GateFunction;
  /** Object Lock copies of approved model data, each version locked in COMPLIANCE mode by the pinner. */
  readonly approvedModels: SecureBucket;
  readonly deploymentGate: DeploymentGate;
  readonly reviewReminder: ReviewReminder;
  readonly personas: PersonaRoles;

  constructor(scope: Construct, id: string, props: ModelGovernanceStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const { keys } = props;
    const gateConfig = gateConfigFor(props.estate, env);
    const logRetention = env.logRetentionDays as logs.RetentionDays;

    // Prod serves versions approved in this (staging) registry: the prod accounts read its artifacts
    // (and its package groups, which live with each model in the endpoint shards).
    const readers = promotionSource(props.estate)?.name === env.name ? servingAccounts(props.estate) : [];
    const groups = props.estate.models.map((m) => m.id);

    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket', { retention: Duration.days(365 * env.auditLogRetentionYears) });
    // Named, so that the endpoint shards (retraining outputs) grant on it without a cross-stack export.
    this.artifacts = new SecureBucket(this, 'ModelArtifacts', { bucketName: modelArtifactsBucketName(this.account, this.region), encryptionKey: keys.ml, serverAccessLogsBucket: accessLogs });
    if (readers.length > 0) {
      const principals = readers.map((a) => new iam.AccountPrincipal(a));
      // Prod serves the pinned copies (approvedModels, below). A model without a training pipeline has no pinned path
      // (its package's image is not known at synth), so prod reads its package's model data here, only versions the
      // model pinner marked approved: a later write to the key is a new, unmarked version, which prod cannot read.
      if (props.estate.models.some((m) => !servesPinnedCopy(m, { type: 'prod' }) && prodServesPackages(props.estate, m))) {
        this.artifacts.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'ProdReadsApprovedArtifacts',
            principals,
            actions: ['s3:GetObject'],
            resources: [this.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`)],
            conditions: { StringLike: { [`s3:ExistingObjectTag/${APPROVED_TAG}`]: '?*' } },
          }),
        );
      }
      keys.ml.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ProdDecryptsApprovedArtifactsThroughS3',
          principals,
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${env.region}.amazonaws.com` } },
        }),
      );
    }
    // Every gate decision, kept unalterable for as long as the audit logs.
    this.decisionRecords = new SecureBucket(this, 'DecisionRecords', {
      encryptionKey: keys.audit,
      serverAccessLogsBucket: accessLogs,
      complianceRetention: Duration.days(365 * env.auditLogRetentionYears),
      auditRecords: true,
    });
    lockForCalendarYears(this.decisionRecords, env.auditLogRetentionYears);
    StatefulResourcePolicy.alwaysRetain(this.decisionRecords);
    StatefulResourcePolicy.alwaysRetain(accessLogs);

    this.notifications = new sns.Topic(this, 'ModelDecisions', {
      displayName: `${env.name} model decisions, endpoint alarms and training failures`,
      masterKey: keys.ml,
      enforceSSL: true,
    });
    // Endpoint alarms (CloudWatch) and pipeline events (EventBridge) publish to this KMS topic.
    keys.ml.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    // EventBridge's delivery to an encrypted topic or queue sends KMS no source: the documented statement
    // has no condition (policies/validation/eventbridge-key-use.ts); the topic policy keeps the source.
    keys.ml.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );

    const packages = governedPackageArns(this, groups);
    this.approvalGate = new ApprovalGate(this, 'ApprovalGate', {
      roleName: approvalGateRoleName(props.estate.organization.name, env.name),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      recordsKey: keys.audit,
      logRetention,
      config: gateConfig,
      configDigest: gateConfigDigest(gateConfig),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      notifications: this.notifications,
      packageArns: packages,
      pipelineExecutionArns: trainingExecutionArns(this, props.estate, env.name),
      highRiskGroups: props.estate.models.filter((m) => m.riskTier === 'high').map((m) => m.id),
    });
    const approvals = this.decisionRecords.arnForObjects('approval/*');
    acknowledgeNoReplication(
      this.artifacts,
      'Model artifacts and reports are rebuilt by the training pipelines from versioned data; the decisions made on them are replicated with the decision records.',
    );
    if (props.auditReplica) replicateToAuditReplica(this.decisionRecords, keys.audit, props.auditReplica);

    // What was approved is what is served: once a package is Approved, the pinner copies the model data version the
    // approval record kept into this Object Lock bucket (S3 computes its SHA-256), locks it in COMPLIANCE mode and
    // marks the source version approved. Asynchronous: model data runs to gigabytes (lambdas/model-pinner).
    this.approvedModels = new SecureBucket(this, 'ApprovedModels', { bucketName: approvedModelsBucketName(this.account, this.region), encryptionKey: keys.ml, serverAccessLogsBucket: accessLogs });
    // A pinner run killed part-way leaves an incomplete multipart upload (no object): S3 removes it.
    this.approvedModels.addLifecycleRule({ id: 'AbortIncompletePinCopies', abortIncompleteMultipartUploadAfter: Duration.days(1) });
    const approvedCfn = this.approvedModels.node.defaultChild as s3.CfnBucket;
    approvedCfn.objectLockEnabled = true;
    // Locked per version by the pinner (PutObjectRetention), with no default rule: a default rule would also lock
    // whatever else were written, and every write but the pinner's is denied below.
    approvedCfn.objectLockConfiguration = { objectLockEnabled: 'Enabled' };
    StatefulResourcePolicy.alwaysRetain(this.approvedModels);
    acknowledgeNoReplication(this.approvedModels, 'Approved model data is a locked copy of versioned training outputs; the pin records with its SHA-256 are replicated with the decision records.');
    this.modelPinner = new GateFunction(this, 'ModelPinner', {
      entry: path.join(LAMBDAS, 'model-pinner', 'handler.ts'),
      description: 'Pins the model data of an approved package: locked copy with SHA-256, source version marked approved',
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      logRetention,
      config: gateConfig,
      // One server-side CopyObject of up to 5 GiB per container.
      timeout: Duration.minutes(10),
      environment: {
        RECORD_BUCKET: this.decisionRecords.bucketName,
        ARTIFACT_BUCKET: this.artifacts.bucketName,
        APPROVED_BUCKET: this.approvedModels.bucketName,
        RETAIN_DAYS: String(365 * env.auditLogRetentionYears),
        ACCOUNT_ID: this.account,
        PARTITION: this.partition,
      },
    });
    const pinnerRole = this.modelPinner.role;
    const pins = this.decisionRecords.arnForObjects('pins/*');
    const pinned = this.approvedModels.arnForObjects('models/*');
    const modelData = this.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`);
    const allowPin = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      pinnerRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    allowPin('ReadApprovedPackages', ['sagemaker:DescribeModelPackage'], packages);
    allowPin('ReadApprovalAndPinRecords', ['s3:GetObject'], [approvals, pins]);
    allowPin('ListApprovalAndPinRecords', ['s3:ListBucket'], [this.decisionRecords.bucketArn], { StringLike: { 's3:prefix': ['approval/*', 'pins/*'] } });
    allowPin('WritePinRecords', ['s3:PutObject'], [pins]);
    allowPin('EncryptPinRecords', ['kms:GenerateDataKey', 'kms:Decrypt'], [keys.audit.keyArn]);
    // UploadPartCopy of a given source version needs s3:GetObjectVersion on the source (as do the pinner's own range
    // reads of it) and s3:PutObject on the target, as do CreateMultipartUpload and CompleteMultipartUpload.
    // Whether an approved version is gone is read from the key's version listing (a GetObject of a missing version
    // answers 403 without s3:ListBucket, Amazon S3 API Reference, GetObject, Permissions), so a deleted version is a
    // recorded refusal, not a retry into the dead-letter queue. Scoped to the model data prefixes it reads.
    allowPin('ListModelDataVersions', ['s3:ListBucket', 's3:ListBucketVersions'], [this.artifacts.bucketArn], { StringLike: { 's3:prefix': [`${EVIDENCE_PREFIX}*/*/model/*`] } });
    allowPin('CopyApprovedVersion', ['s3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'], [modelData]);
    allowPin('WriteAndLockPinnedCopy', ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject', 's3:GetObjectVersion', 's3:AbortMultipartUpload'], [pinned]);
    allowPin('CopyUnderTheMlKey', ['kms:Decrypt', 'kms:GenerateDataKey'], [keys.ml.keyArn]);
    // The version's drift baseline goes with it: read at the recorded (or decision-time) version of the run's reports,
    // written once to baselines/ and locked (lambdas/model-pinner, pinBaselines).
    const baselineSources = `${EVIDENCE_PREFIX}*/*/reports/baseline-*`;
    const baselineSourceObjects = this.artifacts.arnForObjects(baselineSources);
    const pinnedBaselines = this.approvedModels.arnForObjects('baselines/*');
    allowPin('ListBaselineVersions', ['s3:ListBucket', 's3:ListBucketVersions'], [this.artifacts.bucketArn], { StringLike: { 's3:prefix': [baselineSources] } });
    allowPin('ReadApprovedBaselines', ['s3:GetObjectVersion'], [baselineSourceObjects]);
    allowPin('WriteAndLockPinnedBaselines', ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject', 's3:GetObjectVersion'], [pinnedBaselines]);
    acknowledgeResourceWildcards(
      pinnerRole.permissionsPolicy!,
      [approvals, pins, modelData, pinned, baselineSourceObjects, pinnedBaselines, ...packages],
      'Record keys, model data of training runs and package versions are created after deployment; each grant is limited to one bucket prefix or one governed package group.',
    );
    const pinnerArn = pinnerRole.roleArn;
    // The evidence prefix: only the training pipelines' roles write or delete there (personas and break-glass
    // included in the deny), so the reports the approval gate accepts come from a pipeline run, not a person. The
    // pinner is exempt only to mark versions approved (its own policy grants it nothing else there).
    this.artifacts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EvidenceWrittenOnlyByTrainingPipelines',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: EVIDENCE_WRITE_ACTIONS,
        resources: [this.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*`)],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': [`arn:${this.partition}:iam::${this.account}:role${TRAINING_ROLE_PATH}*`, pinnerArn] } },
      }),
    );
    // Nobody but the pinner sets the approval mark (prod's read depends on it), training roles included.
    this.artifacts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePinnerMarksApproved',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
        resources: [this.artifacts.arnForObjects('*')],
        conditions: { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': [APPROVED_TAG] }, ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
      }),
    );
    // A copy carries its source's tags unless told otherwise (CopyObject's tagging directive defaults to COPY), and S3
    // then asks for s3:GetObjectTagging on the source and s3:PutObjectTagging on the target (AWS Knowledge Center,
    // "copy objects between buckets": "You must have s3:GetObjectTagging permission for the source object and
    // s3:PutObjectTagging permission for objects in the destination bucket"); the request names no tag keys, so the
    // statement above cannot see the mark travel. Tagging anything in this bucket is the pinner's alone: a copy of an
    // approved version to another key, by any role however granted, is refused unless it drops the tags.
    this.artifacts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePinnerTags',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
        resources: [this.artifacts.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
      }),
    );
    // The locked copies: only the pinner writes, locks or tags there; nobody deletes (COMPLIANCE mode holds each version anyway).
    this.approvedModels.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePinnerWrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...EVIDENCE_WRITE_ACTIONS, 's3:BypassGovernanceRetention'],
        resources: [this.approvedModels.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
      }),
    );
    // Prod's models read a pinned key, not a version: each key is written once and never again, by anyone. Every
    // creation there carries If-None-Match (the part uploads of a multipart copy are not creations and take no
    // conditional header: Amazon S3 User Guide, "Enforce conditional writes"), none carries If-Match (an overwrite), and
    // nothing there is deleted (a delete without a version id would hide the key behind a delete marker).
    const pinnedKeys = this.approvedModels.arnForObjects('models/*');
    if (readers.length > 0) {
      // Prod's models read the pinned copies, and nothing else of this bucket.
      this.approvedModels.addToResourcePolicy(
        new iam.PolicyStatement({ sid: 'ProdReadsPinnedModels', principals: readers.map((a) => new iam.AccountPrincipal(a)), actions: ['s3:GetObject'], resources: [pinnedKeys] }),
      );
    }
    // Each monitored prod endpoint's baseline copier reads its model's pinned baselines, by its exact role ARN.
    for (const statement of baselineReadStatements(this.approvedModels, baselineCopiesFrom(props.estate, env), this.partition)) this.approvedModels.addToResourcePolicy(statement);
    // Baselines are pinned like model data: written once, never overwritten, never deleted.
    const writtenOnce = [pinnedKeys, this.approvedModels.arnForObjects('baselines/*')];
    this.approvedModels.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PinnedKeysWrittenOnce',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: writtenOnce,
        conditions: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
      }),
    );
    this.approvedModels.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PinnedKeysNeverOverwritten',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: writtenOnce,
        conditions: { Null: { 's3:if-match': 'false' } },
      }),
    );
    this.approvedModels.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PinnedKeysNeverDeleted',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: writtenOnce,
      }),
    );
    new events.Rule(this, 'PackageApproved', {
      description: 'A model package of a governed group was approved: pin its model data',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: governedGroupFilter(groups), ModelApprovalStatus: ['Approved'] },
      },
      targets: [new targets.LambdaFunction(this.modelPinner.function, { retryAttempts: 4, maxEventAge: Duration.hours(6), deadLetterQueue: this.modelPinner.deadLetterQueue })],
    });

    // The deployment gate also knows what the committed estate has prod serve: it finds the champion itself.
    const deploymentGateConfig = { ...gateConfig, prodChampions: prodChampionsOf(props.estate, env.name), prodImages: prodImagesOf(props.estate) };
    const org = props.estate.organization.name;
    this.deploymentGate = new DeploymentGate(this, 'DeploymentGate', {
      functionName: deploymentGateFunctionName(org, env.name),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      recordsKey: keys.audit,
      logRetention,
      config: deploymentGateConfig,
      configDigest: gateConfigDigest(deploymentGateConfig),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      approvedModels: this.approvedModels,
      captureBucketName: inferenceCaptureBucketName(this.account, this.region),
      monitoringReportsPrefix: `monitoring/${env.name}-*/reports/`,
      packageArns: packages,
      // The delivery pipeline's pre-prod step, and nothing else in the tooling account, may ask.
      invokerRoleArn: props.estate.delivery && promotionSource(props.estate)?.name === env.name ? `arn:${this.partition}:iam::${props.estate.delivery.account}:role/${DEPLOYMENT_GATE_STEP_ROLE(org)}` : undefined,
    });

    this.reviewReminder = new ReviewReminder(this, 'ReviewReminder', {
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      logRetention,
      config: gateConfig,
      notifications: this.notifications,
      packageArns: packages,
    });
    for (const tier of RISK_TIERS) {
      const months = props.estate.modelRisk.tiers[tier].reviewEveryMonths;
      new events.Rule(this, `Review${tier[0].toUpperCase()}${tier.slice(1)}Risk`, {
        description: `Periodic review of ${tier}-risk models, every ${months} month(s)`,
        schedule: reviewSchedule(months),
        targets: [this.reviewReminder.targetFor(tier)],
      });
    }

    this.personas = new PersonaRoles(this, 'Personas', {
      trustedPrincipals: {
        dataScientist: personaPrincipals(props.estate, env, 'dataScientist'),
        mlEngineer: personaPrincipals(props.estate, env, 'mlEngineer'),
        modelRiskApprover: personaPrincipals(props.estate, env, 'modelRiskApprover'),
        auditor: personaPrincipals(props.estate, env, 'auditor'),
      },
      packageArns: packages,
      packageGroupArns: governedGroupArns(this, groups),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      mlKey: keys.ml,
      auditKey: keys.audit,
      engineersChangeEndpoints: env.type !== 'prod',
      approverRoleName: approverRoleName(props.estate.organization.name, env.name),
    });

    new events.Rule(this, 'PackageRegistered', {
      description: 'A model package of a governed group awaits approval',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: governedGroupFilter(groups),
          ModelApprovalStatus: ['PendingManualApproval'],
        },
      },
      targets: [
        new targets.LambdaFunction(this.approvalGate.function, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.approvalGate.deadLetterQueue,
        }),
      ],
    });
    // SageMaker's UpdateModelPackage has no condition: a person's Approved or Rejected that lands inside the gate's
    // window (after its re-read, before its update) is overwritten. CloudTrail's record of every UpdateModelPackage
    // (who called, when, with what status) lets the gate set such a decision back; the handler ignores its own calls,
    // failed calls and packages it does not govern. Needs a trail recording management events in the account.
    new events.Rule(this, 'PackageStatusCall', {
      description: 'A model package status update recorded by CloudTrail, so that a person\'s decision overwritten by the approval gate is restored',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
      },
      targets: [
        new targets.LambdaFunction(this.approvalGate.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.approvalGate.deadLetterQueue,
        }),
      ],
    });
    new ApprovalWaitSweep(this, 'ApprovalWaitSweep', { function: this.approvalGate.function, deadLetterQueue: this.approvalGate.deadLetterQueue, alarmTopic: this.notifications, environment: env.name });
  }
}

/** Executions of the training pipelines that run in this environment: the only ones whose evidence the gate accepts. */
function trainingExecutionArns(stack: EstateStack, estate: EstateConfig, environment: string): string[] {
  return estate.models
    .filter((m) => m.training?.environments.includes(environment))
    .map((m) => `arn:${stack.partition}:sagemaker:${stack.region}:${stack.account}:pipeline/${trainingPipelineName(environment, m.id).toLowerCase()}/execution/*`);
}
