import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { retentionDays } from '../policies/regulatory-floors';
import { AuditReplicaLocation, lockForCalendarYears, replicateToAuditReplica } from './audit-replica';
import { SecureBucket } from './secure-bucket';

export interface DecisionRecordsBucketProps {
  /** Key of the records (the audit key). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** COMPLIANCE retention of every record, in calendar years: the environment's audit-log retention. */
  readonly retentionYears: number;
  /**
   * Second-region replica the records are copied to.
   * @default - not replicated
   */
  readonly replica?: AuditReplicaLocation;
}

/**
 * Every gate decision (approval, pin and deployment records), kept unalterable for as long as the audit logs: Object
 * Lock in COMPLIANCE mode by default for the retention in calendar years, and, given a replica, copied to the second
 * region. A SecureBucket for audit records.
 */
export class DecisionRecordsBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: DecisionRecordsBucketProps) {
    super(scope, id, {
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      complianceRetention: Duration.days(retentionDays(props.retentionYears)),
      auditRecords: true,
    });
    lockForCalendarYears(this, props.retentionYears);
    if (props.replica) replicateToAuditReplica(this, props.encryptionKey, props.replica);
  }
}
