import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import type { FeatureGroupConfig } from '../lib/config';
import { ManagedPolicyRole } from './managed-policy-role';
import { SecureBucket } from './secure-bucket';

const FEATURE_TYPE = { string: 'String', integral: 'Integral', fractional: 'Fractional' } as const;

/** Glue database SageMaker registers offline-store tables in. */
export const FEATURE_STORE_GLUE_DATABASE = 'sagemaker_featurestore';

export interface FeatureStoreProps {
  readonly groups: readonly FeatureGroupConfig[];
  /** The environment's data key: online store, offline store and the offline bucket. */
  readonly dataKey: kms.IKey;
  readonly accessLogs: s3.IBucket;
}

/**
 * The feature store of one environment: one SageMaker feature group per
 * config entry, the online store encrypted with the data key, the offline
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
    const { partition, region, account } = Stack.of(this);
    this.offlineBucket = new SecureBucket(this, 'OfflineStore', {
      encryptionKey: props.dataKey,
      serverAccessLogsBucket: props.accessLogs,
      noncurrentVersionExpiration: Duration.days(90),
    });
    acknowledgeNoReplication(
      this.offlineBucket,
      'Offline features are derived data, re-ingested from the systems of record; versioning keeps earlier values for point-in-time joins, and S3 stores them across three or more AZs.',
    );
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': account } } }),
      description: 'SageMaker Feature Store: writes the offline store of this environment',
    });
    const objects = this.offlineBucket.arnForObjects('offline-store/*');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOfflineStore', actions: ['s3:PutObject', 's3:GetObject', 's3:PutObjectAcl'], resources: [objects] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadOfflineBucket', actions: ['s3:GetBucketAcl', 's3:ListBucket'], resources: [this.offlineBucket.bucketArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UseDataKey', actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'], resources: [props.dataKey.keyArn] }));
    const tables = `arn:${partition}:glue:${region}:${account}:table/${FEATURE_STORE_GLUE_DATABASE}/*`;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RegisterOfflineTables',
        actions: ['glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable', 'glue:GetDatabase'],
        resources: [`arn:${partition}:glue:${region}:${account}:catalog`, `arn:${partition}:glue:${region}:${account}:database/${FEATURE_STORE_GLUE_DATABASE}`, tables],
      }),
    );
    acknowledgeResourceWildcards(this.role.permissionsPolicy!, [objects, tables], 'Offline-store objects and tables are created by SageMaker as records arrive; the grant is limited to the offline-store prefix of this bucket and the feature store database.');

    for (const group of props.groups) {
      this.groups[group.name] = new sagemaker.CfnFeatureGroup(this, group.name, {
        featureGroupName: group.name,
        description: group.description,
        recordIdentifierFeatureName: group.recordIdentifier,
        eventTimeFeatureName: group.eventTime,
        featureDefinitions: group.features.map((f) => ({ featureName: f.name, featureType: FEATURE_TYPE[f.type] })),
        // These two properties are plain JSON in the L1: CloudFormation's own (Pascal) case.
        onlineStoreConfig: group.online ? { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: props.dataKey.keyArn } } : undefined,
        offlineStoreConfig: group.offline
          ? {
              S3StorageConfig: { S3Uri: this.offlineBucket.s3UrlForObject('offline-store'), KmsKeyId: props.dataKey.keyArn },
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
