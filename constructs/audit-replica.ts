import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { AccessLogBucket } from './access-log-bucket';
import { SecureBucket } from './secure-bucket';

/** Where an account's audit-log replica lives: found by name from the source region. */
export interface AuditReplicaLocation {
  readonly region: string;
  readonly bucketName: string;
  /** Alias of the replica's customer key, e.g. `alias/examplebank-prod/audit-replica`. */
  readonly keyAliasName: string;
}

/** The replica bucket of an account in a region: one per account and region, so the name is unique. */
export function auditReplicaLocation(account: string, region: string, aliasPrefix: string): AuditReplicaLocation {
  return { region, bucketName: `audit-replica-${account}-${region}`, keyAliasName: `alias/${aliasPrefix}/audit-replica` };
}

export interface AuditReplicaProps {
  readonly location: AuditReplicaLocation;
  /** Object Lock (COMPLIANCE) retention of replicated log files, in years: the same as the source. */
  readonly retentionYears: number;
}

/**
 * The second-region copy of the audit logs: a bucket under Object Lock
 * COMPLIANCE encrypted with its own customer key, that S3 replication fills
 * from the audit bucket. Losing a region, or the source bucket's key, does
 * not lose the record.
 */
export class AuditReplica extends Construct {
  readonly key: kms.Key;
  readonly bucket: SecureBucket;
  readonly accessLogBucket: AccessLogBucket;

  constructor(scope: Construct, id: string, props: AuditReplicaProps) {
    super(scope, id);
    const { location } = props;
    if (Stack.of(this).region !== location.region) {
      throw new Error(`AuditReplica ${id}: belongs in ${location.region}, not in ${Stack.of(this).region}`);
    }
    const retention = Duration.days(365 * props.retentionYears);
    this.key = new kms.Key(this, 'Key', {
      description: 'Replicated CloudTrail log files in the audit replica bucket',
      alias: location.keyAliasName,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      pendingWindow: Duration.days(30),
    });
    this.accessLogBucket = new AccessLogBucket(this, 'AccessLogBucket', { retention });
    this.bucket = new SecureBucket(this, 'Bucket', {
      bucketName: location.bucketName,
      encryptionKey: this.key,
      serverAccessLogsBucket: this.accessLogBucket,
      complianceRetention: retention,
    });
    acknowledgeFindings(
      this.bucket,
      ['NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
      'This bucket is itself the cross-region replica of the audit bucket; copying the copy would add cost, not a control.',
    );
  }
}
