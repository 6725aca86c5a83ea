/**
 * FeatureStore on its own: groups from props (no estate config), every store
 * encrypted with the given key, the role scoped to the offline prefix and the
 * feature store's Glue database, and bad groups refused all at once.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  FEATURE_STORE_GLUE_DATABASE,
  FeatureGroupSpec,
  FeatureStore,
  FeatureStoreProps,
} from '../../constructs/feature-store';

const customers: FeatureGroupSpec = {
  name: 'customers',
  recordIdentifier: 'customer_id',
  eventTime: 'event_time',
  features: [
    { name: 'customer_id', type: 'string' },
    { name: 'event_time', type: 'fractional' },
    { name: 'income', type: 'fractional' },
  ],
};

function build(groups: readonly FeatureGroupSpec[], extra: Partial<FeatureStoreProps> = {}) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const dataKey = new kms.Key(stack, 'DataKey');
  const accessLogs = new s3.Bucket(stack, 'AccessLogs');
  const store = new FeatureStore(stack, 'FeatureStore', { groups, dataKey, accessLogs, ...extra });
  return {
    stack,
    store,
    template: Template.fromStack(stack),
    keyId: stack.getLogicalId(dataKey.node.defaultChild as kms.CfnKey),
  };
}

describe('FeatureStore', () => {
  test('a group with both stores by default: online and offline encrypted with the data key, Iceberg offline, the role it is written with', () => {
    // GIVEN a group that names neither store
    const { template, keyId, store } = build([customers]);
    // THEN both stores exist, each with the data key
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'customers',
      RecordIdentifierFeatureName: 'customer_id',
      EventTimeFeatureName: 'event_time',
      FeatureDefinitions: [
        { FeatureName: 'customer_id', FeatureType: 'String' },
        { FeatureName: 'event_time', FeatureType: 'Fractional' },
        { FeatureName: 'income', FeatureType: 'Fractional' },
      ],
      OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
      OfflineStoreConfig: { S3StorageConfig: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } }, TableFormat: 'Iceberg' },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FeatureStoreRole'), 'Arn'] },
    });
    expect(Object.keys(store.groups)).toEqual(['customers']);
  });

  test('the offline bucket is KMS-encrypted with the data key and versioned, replaced versions kept 90 days unless told otherwise', () => {
    const { template, keyId } = build([customers]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]),
      },
    });
    build([customers], { noncurrentVersionExpiration: Duration.days(400) }).template.hasResourceProperties(
      'AWS::S3::Bucket',
      {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 400 } })]),
        },
      },
    );
  });

  test('online: false leaves out the online store; offline: false the offline store', () => {
    const { template } = build([
      { ...customers, name: 'offline-only', online: false },
      { ...customers, name: 'online-only', offline: false },
    ]);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'offline-only',
      OnlineStoreConfig: Match.absent(),
      OfflineStoreConfig: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'online-only',
      OfflineStoreConfig: Match.absent(),
      OnlineStoreConfig: Match.anyValue(),
    });
  });

  test('the role is assumed only by SageMaker for this account, and may write only the offline prefix and the feature store database', () => {
    const { template } = build([customers]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      },
    });
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const write = statements.find((s: any) => s.Sid === 'WriteOfflineStore');
    expect(JSON.stringify(write.Resource)).toContain('/offline-store/*');
    const glue = statements.find((s: any) => s.Sid === 'RegisterOfflineTables');
    expect(JSON.stringify(glue.Resource)).toContain(`table/${FEATURE_STORE_GLUE_DATABASE}/*`);
    // Nothing of the role reaches beyond: no '*' resource on its own.
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
  });

  test('bad groups are refused, every problem in one error, nothing built', () => {
    const bad: FeatureGroupSpec[] = [
      { ...customers, recordIdentifier: 'customer' },
      {
        ...customers,
        name: 'events',
        eventTime: 'seq',
        features: [...customers.features, { name: 'seq', type: 'integral' }],
      },
      { ...customers, name: 'nowhere', online: false, offline: false },
      { ...customers },
    ];
    expect(() => build(bad)).toThrow(
      'FeatureStore Probe/FeatureStore: groups[0] (customers): recordIdentifier customer is not one of its features; ' +
        'groups[1] (events): eventTime seq must be a fractional or string feature (seconds or ISO-8601); ' +
        'groups[2] (nowhere): online and offline cannot both be false (a group needs a store); ' +
        'groups[3] (customers): the name is already used by another group',
    );
    expect(() => build([{ ...customers, eventTime: 'missing' }])).toThrow(
      /eventTime missing is not one of its features/,
    );
  });

  test('no groups: the bucket and role only', () => {
    const { template } = build([]);
    template.resourceCountIs('AWS::SageMaker::FeatureGroup', 0);
    template.resourceCountIs('AWS::IAM::Role', 1);
  });
});
