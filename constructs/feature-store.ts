import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { ManagedPolicyRole } from './managed-policy-role';
import { SecureBucket } from './secure-bucket';

const FEATURE_TYPE = { string: 'String', integral: 'Integral', fractional: 'Fractional' } as const;

/** Glue database SageMaker registers offline-store tables in. */
export const FEATURE_STORE_GLUE_DATABASE = 'sagemaker_featurestore';

/** The type of a feature, as SageMaker Feature Store knows it. */
export type FeatureType = keyof typeof FEATURE_TYPE;

/** One feature group: its features, the feature that identifies a record, and the one that holds its event time. */
export interface FeatureGroupSpec {
  /** Name of the feature group (also its construct ID: renaming it replaces the group). */
  readonly name: string;
  /**
   * What the group holds.
   * @default - no description
   */
  readonly description?: string;
  /** The feature that identifies a record; one of `features`. */
  readonly recordIdentifier: string;
  /** The feature that holds the event time (fractional seconds or ISO-8601 string); one of `features`. */
  readonly eventTime: string;
  readonly features: ReadonlyArray<{ readonly name: string; readonly type: FeatureType }>;
  /**
   * An online store (low-latency reads at inference), encrypted with the data key.
   * @default true
   */
  readonly online?: boolean;
  /**
   * An offline store (Iceberg tables in the offline bucket, for training and point-in-time joins).
   * @default true
   */
  readonly offline?: boolean;
}

export interface FeatureStoreProps {
  /** The feature groups of the environment. */
  readonly groups: readonly FeatureGroupSpec[];
  /** The environment's data key: online store, offline store and the offline bucket. */
  readonly dataKey: kms.IKey;
  /** Bucket that receives the offline bucket's server access logs. */
  readonly accessLogs: s3.IBucket;
  /**
   * How long the offline bucket keeps a replaced version of an object.
   * @default Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: Duration;
}

/** Every problem of the groups, so that one error lists them all. */
function groupProblems(groups: readonly FeatureGroupSpec[]): string[] {
  const problems: string[] = [];
  groups.forEach((group, i) => {
    const names = new Set(group.features.map((f) => f.name));
    if (groups.findIndex((g) => g.name === group.name) !== i)
      problems.push(`groups[${i}] (${group.name}): the name is already used by another group`);
    if (!names.has(group.recordIdentifier))
      problems.push(
        `groups[${i}] (${group.name}): recordIdentifier ${group.recordIdentifier} is not one of its features`,
      );
    const eventTime = group.features.find((f) => f.name === group.eventTime);
    if (!eventTime)
      problems.push(`groups[${i}] (${group.name}): eventTime ${group.eventTime} is not one of its features`);
    else if (eventTime.type === 'integral')
      problems.push(
        `groups[${i}] (${group.name}): eventTime ${group.eventTime} must be a fractional or string feature (seconds or ISO-8601)`,
      );
    if (group.online === false && group.offline === false)
      problems.push(`groups[${i}] (${group.name}): online and offline cannot both be false (a group needs a store)`);
  });
  return problems;
}

/**
 * The feature store of one environment: one SageMaker feature group per
 * group given, the online store encrypted with the data key, the offline
 * store in Iceberg format in a versioned KMS bucket (point-in-time joins on
 * each group's event time), and one role SageMaker uses to write the offline
 * store, allowed only that bucket prefix, that key and the Glue tables of the
 * feature store database. The construct ID of a group is its name.
 */
export class FeatureStore extends Construct {
  readonly offlineBucket: SecureBucket;
  readonly role: ManagedPolicyRole;
  readonly groups: Record<string, sagemaker.CfnFeatureGroup> = {};

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const problems = groupProblems(props.groups);
    if (problems.length > 0) throw new Error(`FeatureStore ${this.node.path}: ${problems.join('; ')}`);
    const { partition, region, account } = Stack.of(this);
    this.offlineBucket = new SecureBucket(this, 'OfflineStore', {
      encryptionKey: props.dataKey,
      serverAccessLogsBucket: props.accessLogs,
      noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
    });
    acknowledgeNoReplication(
      this.offlineBucket,
      'Offline features are derived data, re-ingested from the systems of record; versioning keeps earlier values for point-in-time joins, and S3 stores them across three or more AZs.',
    );
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'SageMaker Feature Store: writes the offline store of this environment',
    });
    const objects = this.offlineBucket.arnForObjects('offline-store/*');
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOfflineStore',
        actions: ['s3:PutObject', 's3:GetObject', 's3:PutObjectAcl'],
        resources: [objects],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOfflineBucket',
        actions: ['s3:GetBucketAcl', 's3:ListBucket'],
        resources: [this.offlineBucket.bucketArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseDataKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'],
        resources: [props.dataKey.keyArn],
      }),
    );
    const tables = `arn:${partition}:glue:${region}:${account}:table/${FEATURE_STORE_GLUE_DATABASE}/*`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RegisterOfflineTables',
        actions: ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:GetDatabase'],
        resources: [
          `arn:${partition}:glue:${region}:${account}:catalog`,
          `arn:${partition}:glue:${region}:${account}:database/${FEATURE_STORE_GLUE_DATABASE}`,
          tables,
        ],
      }),
    );
    acknowledgeResourceWildcards(
      this.role.permissionsPolicy!,
      [objects, tables],
      'Offline-store objects and tables are created by SageMaker as records arrive; the grant is limited to the offline-store prefix of this bucket and the feature store database.',
    );

    for (const group of props.groups) {
      this.groups[group.name] = new sagemaker.CfnFeatureGroup(this, group.name, {
        featureGroupName: group.name,
        description: group.description,
        recordIdentifierFeatureName: group.recordIdentifier,
        eventTimeFeatureName: group.eventTime,
        featureDefinitions: group.features.map((f) => ({ featureName: f.name, featureType: FEATURE_TYPE[f.type] })),
        // These two properties are plain JSON in the L1: CloudFormation's own (Pascal) case.
        onlineStoreConfig:
          group.online !== false
            ? { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: props.dataKey.keyArn } }
            : undefined,
        offlineStoreConfig:
          group.offline !== false
            ? {
                S3StorageConfig: {
                  S3Uri: this.offlineBucket.s3UrlForObject('offline-store'),
                  KmsKeyId: props.dataKey.keyArn,
                },
                TableFormat: 'Iceberg',
              }
            : undefined,
        roleArn: this.role.roleArn,
        tags: [{ key: 'feature-group', value: group.name }],
      });
      this.groups[group.name].node.addDependency(this.role);
    }
  }
}
