import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVIDENCE_PREFIX } from '../lambdas/model-approval-gate/evidence';
import { APPROVED_TAG } from '../lambdas/model-pinner/approved-tag';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { SecureBucket } from './secure-bucket';

export interface ModelArtifactsBucketProps {
  /** Physical name: the endpoint shards (retraining outputs) grant on it by name, without a cross-stack export. */
  readonly bucketName: string;
  /** Key of the reports and model data; the reader accounts may decrypt with it through S3 in this region only. */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Accounts that serve the versions approved here (prod, when this environment is the one prod promotes from):
   * they decrypt the key through S3, for the pinned copies and, with `readersGetApprovedModelData`, for this bucket.
   * @default - none
   */
  readonly readerAccounts?: readonly string[];
  /**
   * Whether the reader accounts read model data here: only versions the model pinner marked approved. Needed by a
   * model that has no pinned copy (no training pipeline, so its package's image is not known at synth).
   * @default false
   */
  readonly readersGetApprovedModelData?: boolean;
}

/**
 * The bucket the training pipelines write their reports and model data to, under the evidence prefix the approval gate
 * reads. Prod reads only object versions the pinner marked approved: a later write to a key is a new, unmarked version,
 * which prod cannot read. Not replicated: its contents are rebuilt from versioned data, and the decisions made on them
 * are replicated with the decision records. A SecureBucket.
 */
export class ModelArtifactsBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: ModelArtifactsBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
    });
    const readers = props.readerAccounts ?? [];
    if (readers.length > 0) {
      const principals = readers.map((a) => new iam.AccountPrincipal(a));
      if (props.readersGetApprovedModelData) {
        this.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'ProdReadsApprovedArtifacts',
            principals,
            actions: ['s3:GetObject'],
            resources: [this.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`)],
            conditions: { StringLike: { [`s3:ExistingObjectTag/${APPROVED_TAG}`]: '?*' } },
          }),
        );
      }
      props.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ProdDecryptsApprovedArtifactsThroughS3',
          principals,
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    acknowledgeNoReplication(
      this,
      'Model artifacts and reports are rebuilt by the training pipelines from versioned data; the decisions made on them are replicated with the decision records.',
    );
  }
}
