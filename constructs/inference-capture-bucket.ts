import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { retentionDays } from '../policies/regulatory-floors';
import { lockForCalendarYears } from './audit-replica';
import { SecureBucket } from './secure-bucket';

export interface InferenceCaptureBucketProps {
  /** Physical name: endpoint shards find the bucket by name, without a cross-stack export per grant. */
  readonly bucketName: string;
  /** Customer key of the captured requests and responses and of the Model Monitor reports. */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** Object Lock (COMPLIANCE) retention, in calendar years: the environment's audit-log retention. */
  readonly retentionYears: number;
}

/**
 * Where an environment's endpoints capture what the models saw and said, and
 * where Model Monitor writes its reports: locked in COMPLIANCE mode for as
 * long as the audit logs, as evidence of each decision. A SecureBucket; kept
 * in the region (customer data), which the acknowledgement records.
 */
export class InferenceCaptureBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: InferenceCaptureBucketProps) {
    if (!Number.isInteger(props.retentionYears) || props.retentionYears < 1) {
      throw new Error(
        `InferenceCaptureBucket ${id}: retentionYears must be a whole number of years, at least 1 (got ${props.retentionYears})`,
      );
    }
    super(scope, id, {
      bucketName: props.bucketName,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      complianceRetention: Duration.days(retentionDays(props.retentionYears)),
    });
    lockForCalendarYears(this, props.retentionYears);
    acknowledgeNoReplication(
      this,
      "Captured inference requests hold customer data that stays in the environment's region (data residency); they are locked under COMPLIANCE retention, and the decisions made on them are replicated with the decision records.",
    );
  }
}
