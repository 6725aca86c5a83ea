import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { retentionDays } from '../policies/regulatory-floors';
import { AccessLogBucket } from './access-log-bucket';
import { AuditReplicaLocation, lockForCalendarYears, replicateToAuditReplica } from './audit-replica';
import { EncryptedLogGroup } from './encrypted-log-group';
import { ManagedPolicyRole } from './managed-policy-role';
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
      throw new Error(
        `AuditTrail ${id}: retentionYears must be a whole number of at least 1, got ${props.retentionYears}`,
      );
    }
    const { account, region, partition } = Stack.of(this);
    this.trailArn = `arn:${partition}:cloudtrail:${region}:${account}:trail/${props.trailName}`;
    const retention = Duration.days(retentionDays(props.retentionYears));

    this.accessLogBucket = new AccessLogBucket(this, 'AccessLogBucket', { retention });
    this.bucket = new SecureBucket(this, 'Bucket', {
      encryptionKey: props.auditKey,
      serverAccessLogsBucket: this.accessLogBucket,
      complianceRetention: retention,
      auditRecords: true,
    });
    lockForCalendarYears(this.bucket, props.retentionYears);
    if (props.replica) {
      replicateToAuditReplica(this.bucket, props.auditKey, props.replica);
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
          {
            Field: 'resources.ARN',
            NotStartsWith: [`${this.bucket.bucketArn}/`, `${this.accessLogBucket.bucketArn}/`],
          },
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
          StringLike: {
            'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${partition}:cloudtrail:*:${account}:trail/*`,
          },
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
}
