import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { SecureBucket } from './secure-bucket';

export interface TrainingDataBucketProps {
  /** Physical name: the training pipelines read and the lineage manifests point here by name. */
  readonly bucketName: string;
  /** The environment's data key. */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
}

/**
 * Where retraining reads: versioned under the data key, every version kept, so each model version's lineage manifest
 * stays readable. Not replicated: its contents are copies of the systems of record, kept in the environment's region.
 * A SecureBucket.
 */
export class TrainingDataBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: TrainingDataBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
    });
    acknowledgeNoReplication(
      this,
      "Training data is a copy of the systems of record and stays in the environment's region (data residency); every object version is kept, so each model version's lineage manifest stays readable.",
    );
  }
}
