import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AccessLogBucket } from './access-log-bucket';
import { AuditReplicaLocation } from './audit-replica';
import { EncryptedLogGroup } from './encrypted-log-group';
import { ManagedPolicyRole } from './managed-policy-role';
import { acknowledgeFindings } from '../policies/acknowledge';
import { SecureBucket } from './secure-bucket';

export interface AuditTrailProps {
  /**
   * Name of the trail. Fixed, because the key policy and bucket policy must
   * name the trail before it exists, and guardrails refer to it by name.
   */
  readonly trailName: string;
  /** Key for CloudTrail log files and the audit bucket. */
  readonly auditKey: kms.Key;
  /** Key for the CloudWatch Logs copy of the trail. */
  readonly logsKey: kms.IKey;
  /** Object Lock (COMPLIANCE) retention of delivered log files, in years. */
  readonly retentionYears: number;
  /**
   * Retention of the CloudWatch Logs copy.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logGroupRetention?: logs.RetentionDays;
  /**
   * Second-region bucket that S3 replication copies every log file into
   * (see `AuditReplica`; it must be deployed first).
   * @default - no replica
   */
  readonly replica?: AuditReplicaLocation;
}

/**
 * The immutable audit trail of an account: a multi-region CloudTrail trail with
 * log file validation, encrypted with a customer key, copied to CloudWatch
 * Logs, recording management events and S3 object-level data events, and
 * delivered to a bucket under Object Lock in COMPLIANCE mode (no one, root
 * included, can shorten retention or delete a log file early).
 */
export class AuditTrail extends Construct {
  readonly trail: cloudtrail.Trail;
  readonly bucket: SecureBucket;
  readonly accessLogBucket: AccessLogBucket;
  readonly logGroup: EncryptedLogGroup;
  readonly trailArn: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionYears) || props.retentionYears < 1) {
      throw new Error(`AuditTrail ${id}: retentionYears must be a whole number of at least 1, got ${props.retentionYears}`);
    }
    const { account, region, partition } = Stack.of(this);
    this.trailArn = `arn:${partition}:cloudtrail:${region}:${account}:trail/${props.trailName}`;
    const retention = Duration.days(365 * props.retentionYears);

    this.accessLogBucket = new AccessLogBucket(this, 'AccessLogBucket', { retention });
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey: props.auditKey,
      serverAccessLogsBucket: this.accessLogBucket,
      complianceRetention: retention,
    });
    if (props.replica) {
      this.replicateTo(props.replica, props.auditKey);
    }
    this.logGroup = new EncryptedLogGroup(this, 'LogGroup', {
      encryptionKey: props.logsKey,
      retention: props.logGroupRetention,
    });

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: props.trailName,
      bucket: this.bucket,
      encryptionKey: props.auditKey,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableFileValidation: true,
    });
    this.trail.node.addDependency(this.bucket.policy!);
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;

    // The CloudWatch Logs copy is wired here rather than by the Trail construct,
    // so that the delivery role holds a managed policy, not an inline one.
    const deliveryRole = new ManagedPolicyRole(this, 'LogDeliveryRole', {
      assumedBy: new iam.ServicePrincipal('cloudtrail.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } },
      }),
      description: 'Delivers the audit trail to its CloudWatch Logs group',
    });
    deliveryRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    cfnTrail.cloudWatchLogsLogGroupArn = this.logGroup.logGroupArn;
    cfnTrail.cloudWatchLogsRoleArn = deliveryRole.roleArn;
    this.trail.node.addDependency(deliveryRole.permissionsPolicy!);

    // Management events, plus every S3 object-level data event in the account
    // except on the two buckets this trail itself writes to (that would loop).
    // CloudFormation accepts either basic or advanced selectors, never both.
    cfnTrail.addPropertyDeletionOverride('EventSelectors');
    cfnTrail.addPropertyOverride('AdvancedEventSelectors', [
      { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      {
        Name: 'S3 object data events outside the audit buckets',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'resources.ARN', NotStartsWith: [`${this.bucket.bucketArn}/`, `${this.accessLogBucket.bucketArn}/`] },
        ],
      },
    ]);

    // CloudTrail may write only for this trail (no confused deputy through another account's trail).
    const cloudTrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeliveryFromOtherTrails',
        effect: iam.Effect.DENY,
        principals: [cloudTrailPrincipal],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 'aws:SourceArn': this.trailArn } },
      }),
    );

    props.auditKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToEncryptForThisTrail',
        principals: [cloudTrailPrincipal],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceArn': this.trailArn },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*` },
        },
      }),
    );
    props.auditKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailToDescribeKey',
        principals: [cloudTrailPrincipal],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceArn': this.trailArn } },
      }),
    );
  }

  /**
   * Replicates every log file version, with its Object Lock retention, to the
   * replica bucket in another region, re-encrypted there with the replica key.
   */
  private replicateTo(replica: AuditReplicaLocation, auditKey: kms.IKey): void {
    const { account, region, partition } = Stack.of(this);
    const replicaBucketArn = `arn:${partition}:s3:::${replica.bucketName}`;
    const replicaAliasArn = `arn:${partition}:kms:${replica.region}:${account}:${replica.keyAliasName}`;

    const role = new ManagedPolicyRole(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }),
      description: `Replicates audit log files to ${replica.bucketName} in ${replica.region}`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadReplicationConfiguration',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
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
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteReplicas',
        actions: ['s3:ReplicateObject', 's3:ReplicateTags'],
        resources: [`${replicaBucketArn}/*`],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptSourceThroughS3',
        actions: ['kms:Decrypt'],
        resources: [auditKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
    // The replica key lives in another region and stack, so its ID is not known
    // here: the grant names the region and account, and the alias narrows it.
    const replicaKeys = `arn:${partition}:kms:${replica.region}:${account}:key/*`;
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
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    const bucketLogicalId = Stack.of(this).resolve(cfnBucket.logicalId);
    acknowledgeFindings(
      role.permissionsPolicy!,
      [
        `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/*]`,
        `AwsSolutions-IAM5[Resource::${replicaBucketArn}/*]`,
        `AwsSolutions-IAM5[Resource::${Stack.of(this).resolve(replicaKeys)}]`,
      ],
      'S3 replication must read and write every object version of the audit bucket and its replica; the replica key is narrowed by its alias and by kms:ViaService.',
    );

    cfnBucket.replicationConfiguration = {
      role: role.roleArn,
      rules: [
        {
          id: 'audit-logs-to-second-region',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: replicaBucketArn,
            encryptionConfiguration: { replicaKmsKeyId: replicaAliasArn },
          },
        },
      ],
    };
  }
}
