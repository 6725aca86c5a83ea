import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { retentionDays } from '../policies/regulatory-floors';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { AccessLogBucket } from './access-log-bucket';
import { ManagedPolicyRole } from './managed-policy-role';
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
  return {
    region,
    bucketName: `audit-replica-${account}-${region}`,
    keyAliasName: `alias/${aliasPrefix}/audit-replica`,
  };
}

/**
 * Sets a locked bucket's default retention in calendar years, as S3 Object
 * Lock counts them (`Years`), rather than aws-cdk-lib's 365-day multiples,
 * which end a day or two early once the period spans leap years.
 */
export function lockForCalendarYears(bucket: s3.Bucket, years: number): void {
  const cfn = bucket.node.defaultChild as s3.CfnBucket;
  cfn.addPropertyDeletionOverride('ObjectLockConfiguration.Rule.DefaultRetention.Days');
  cfn.addPropertyOverride('ObjectLockConfiguration.Rule.DefaultRetention.Years', years);
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
    const retention = Duration.days(retentionDays(props.retentionYears));
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
      auditRecords: true,
    });
    lockForCalendarYears(this.bucket, props.retentionYears);
    acknowledgeNoReplication(
      this.bucket,
      'This bucket is itself the cross-region replica of the audit bucket; copying the copy would add cost, not a control.',
    );
  }
}

/**
 * Replicates every object version of `bucket`, with its Object Lock retention,
 * to the account's audit replica in another region, re-encrypted there with
 * the replica key. Used for the audit trail and for gate decision records;
 * their keys (AWSLogs/..., approval/...) do not collide.
 */
export function replicateToAuditReplica(
  bucket: s3.Bucket,
  sourceKey: kms.IKey,
  replica: AuditReplicaLocation,
): ManagedPolicyRole {
  const { account, region, partition } = Stack.of(bucket);
  const replicaBucketArn = `arn:${partition}:s3:::${replica.bucketName}`;
  const replicaAliasArn = `arn:${partition}:kms:${replica.region}:${account}:${replica.keyAliasName}`;
  const replicaKeys = `arn:${partition}:kms:${replica.region}:${account}:key/*`;

  const role = new ManagedPolicyRole(bucket, 'ReplicationRole', {
    assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
    description: `Replicates ${bucket.node.path} to ${replica.bucketName} in ${replica.region}`,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadReplicationConfiguration',
      actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      resources: [bucket.bucketArn],
    }),
  );
  const sourceObjects = bucket.arnForObjects('*');
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadSourceVersions',
      actions: [
        's3:GetObjectVersionForReplication',
        's3:GetObjectVersionAcl',
        's3:GetObjectVersionTagging',
        's3:GetObjectRetention',
        's3:GetObjectLegalHold',
      ],
      resources: [sourceObjects],
    }),
  );
  const replicaObjects = `${replicaBucketArn}/*`;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteReplicas',
      actions: ['s3:ReplicateObject', 's3:ReplicateTags'],
      resources: [replicaObjects],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptSourceThroughS3',
      actions: ['kms:Decrypt'],
      resources: [sourceKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
    }),
  );
  // The replica key lives in another region and stack, so its ID is not known
  // here: the grant names the region and account, and the alias narrows it.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'EncryptReplicasWithReplicaKey',
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [replicaKeys],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': replica.keyAliasName },
        StringEquals: { 'kms:ViaService': `s3.${replica.region}.amazonaws.com` },
      },
    }),
  );
  acknowledgeResourceWildcards(
    role.permissionsPolicy!,
    [sourceObjects, replicaObjects, replicaKeys],
    'S3 replication must read and write every object version of the source bucket and its replica; the replica key is narrowed by its alias and by kms:ViaService.',
  );

  (bucket.node.defaultChild as s3.CfnBucket).replicationConfiguration = {
    role: role.roleArn,
    rules: [
      {
        id: 'to-audit-replica',
        status: 'Enabled',
        priority: 1,
        filter: { prefix: '' },
        deleteMarkerReplication: { status: 'Disabled' },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        destination: { bucket: replicaBucketArn, encryptionConfiguration: { replicaKmsKeyId: replicaAliasArn } },
      },
    ],
  };
  return role;
}
