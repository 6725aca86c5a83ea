/** The RegulatedMLOps pack: every rule on a minimal compliant and non-compliant resource; the rule list pinned. */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { REGULATED_MLOPS_RULES, RegulatedMLOpsChecks } from '../../policies/regulated-mlops-pack';

type Props = Record<string, unknown>;
const tag = (env: string, extra: Record<string, string> = {}) => [{ Key: 'estate:environment-type', Value: env }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))];
const MODEL_TAGS = { 'model:id': 'fraud-score', 'model:risk-tier': 'medium', 'data-classification': 'restricted' };

/** Rule IDs the pack reports for a stack made of `resources`. */
function findings(resources: Record<string, { type: string; properties: Props }>): string[] {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  for (const [id, r] of Object.entries(resources)) new CfnResource(stack, id, r);
  return new RegulatedMLOpsChecks().validateScope(stack).violations.map((v) => v.ruleName.replace('RegulatedMLOps-', ''));
}

const hardenedJob = {
  NetworkConfig: { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true },
  JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20, VolumeKmsKeyId: 'key' } },
  DataQualityJobOutputConfig: { KmsKeyId: 'key', MonitoringOutputs: [] },
};
const capture = (pct: number) => ({ EnableCapture: true, InitialSamplingPercentage: pct, KmsKeyId: 'key', DestinationS3Uri: 's3://b/c', CaptureOptions: [] });
const variant = (count: number, instanceType = 'ml.m5.xlarge') => ({ VariantName: 'champion', ModelName: 'm', InitialInstanceCount: count, InstanceType: instanceType });
const trail = (selectors: unknown) => ({ IsLogging: true, S3BucketName: 'b', IsMultiRegionTrail: true, EnableLogFileValidation: true, KMSKeyId: 'k', AdvancedEventSelectors: selectors });
const s3DataEvents = [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }];
const locked = (days: number, mode = 'COMPLIANCE') => ({ ObjectLockEnabled: true, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } } });
const gate = { Role: 'r', Code: { ZipFile: 'x' }, ReservedConcurrentExecutions: 5, VpcConfig: { SubnetIds: ['s'], SecurityGroupIds: ['g'] }, DeadLetterConfig: { TargetArn: 'q' }, Tags: [{ Key: 'estate:component', Value: 'validation-gate' }] };

const cases: Array<[string, Record<string, { type: string; properties: Props }>, Record<string, { type: string; properties: Props }>]> = [
  [
    'SageMakerModelIsolated',
    { M: { type: 'AWS::SageMaker::Model', properties: { ExecutionRoleArn: 'r', EnableNetworkIsolation: true, VpcConfig: { Subnets: ['s'], SecurityGroupIds: ['g'] } } } },
    { M: { type: 'AWS::SageMaker::Model', properties: { ExecutionRoleArn: 'r', VpcConfig: { Subnets: ['s'], SecurityGroupIds: ['g'] } } } },
  ],
  [
    'SageMakerEndpointDataCapture',
    { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { KmsKeyId: 'k', ProductionVariants: [variant(2)], DataCaptureConfig: capture(100), Tags: tag('prod') } } },
    { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { KmsKeyId: 'k', ProductionVariants: [variant(2)], DataCaptureConfig: capture(20), Tags: tag('prod') } } },
  ],
  [
    'SageMakerProdVariantCapacity',
    { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2), variant(3)], Tags: tag('prod') } } },
    { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2), variant(1)], Tags: tag('prod') } } },
  ],
  [
    'SageMakerFeatureGroupEncrypted',
    { F: { type: 'AWS::SageMaker::FeatureGroup', properties: { OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'k' } }, OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b', KmsKeyId: 'k' } } } } },
    { F: { type: 'AWS::SageMaker::FeatureGroup', properties: { OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'k' } }, OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b' } } } } },
  ],
  [
    'SageMakerMonitoringJobHardened',
    { J: { type: 'AWS::SageMaker::DataQualityJobDefinition', properties: hardenedJob } },
    { J: { type: 'AWS::SageMaker::DataQualityJobDefinition', properties: { ...hardenedJob, NetworkConfig: { EnableInterContainerTrafficEncryption: true } } } },
  ],
  [
    'SageMakerProdEndpointMonitored',
    {
      E: { type: 'AWS::SageMaker::Endpoint', properties: { EndpointConfigName: 'c', Tags: tag('prod') } },
      A: { type: 'AWS::CloudWatch::Alarm', properties: { Dimensions: [{ Name: 'EndpointName', Value: { 'Fn::GetAtt': ['E', 'EndpointName'] } }], Threshold: 1 } },
    },
    { E: { type: 'AWS::SageMaker::Endpoint', properties: { EndpointConfigName: 'c', Tags: tag('prod') } } },
  ],
  [
    'SageMakerModelPackageNotApproved',
    { P: { type: 'AWS::SageMaker::ModelPackage', properties: { ModelPackageGroupName: 'g', ModelApprovalStatus: 'PendingManualApproval' } } },
    { P: { type: 'AWS::SageMaker::ModelPackage', properties: { ModelPackageGroupName: 'g', ModelApprovalStatus: 'Approved' } } },
  ],
  ['CloudTrailAuditGrade', { T: { type: 'AWS::CloudTrail::Trail', properties: trail(s3DataEvents) } }, { T: { type: 'AWS::CloudTrail::Trail', properties: trail(undefined) } }],
  [
    'AuditBucketLocked',
    { B: { type: 'AWS::S3::Bucket', properties: { ...locked(2555), Tags: tag('prod', { 'estate:records': 'audit' }) } } },
    { B: { type: 'AWS::S3::Bucket', properties: { ...locked(365), Tags: tag('prod', { 'estate:records': 'audit' }) } } },
  ],
  [
    'LogGroupRetainedEncrypted',
    { L: { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 365, KmsKeyId: 'k' } } },
    { L: { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 90, KmsKeyId: 'k' } } },
  ],
  [
    'KMSKeyPolicyNoOpenPrincipal',
    { K: { type: 'AWS::KMS::Key', properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }] } } } },
    { K: { type: 'AWS::KMS::Key', properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }] } } } },
  ],
  [
    'GateFunctionHardened',
    { G: { type: 'AWS::Lambda::Function', properties: gate } },
    { G: { type: 'AWS::Lambda::Function', properties: gate }, U: { type: 'AWS::Lambda::Url', properties: { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['G', 'Arn'] } } } },
  ],
  [
    'MLResourceTagged',
    { R: { type: 'AWS::SageMaker::ModelPackageGroup', properties: { ModelPackageGroupName: 'g', Tags: tag('dev', MODEL_TAGS) } } },
    { R: { type: 'AWS::SageMaker::ModelPackageGroup', properties: { ModelPackageGroupName: 'g', Tags: tag('dev', { 'model:id': 'x' }) } } },
  ],
];

describe('RegulatedMLOps pack', () => {
  test('lists exactly these rules, each naming the controls it serves', () => {
    expect(REGULATED_MLOPS_RULES.map((r) => r.rule.name)).toEqual(cases.map(([name]) => name));
    for (const spec of REGULATED_MLOPS_RULES) expect(spec.info).toMatch(/\(Controls: .+\)\.$/);
  });

  test.each(cases)('%s: passes the compliant resource, reports the non-compliant one', (rule, compliant, nonCompliant) => {
    expect(findings(compliant)).not.toContain(rule);
    expect(findings(nonCompliant)).toContain(rule);
  });

  test.each<[string, Record<string, { type: string; properties: Props }>, string]>([
    ['a dev endpoint config may sample less than 100%', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { KmsKeyId: 'k', ProductionVariants: [variant(1)], DataCaptureConfig: capture(20), Tags: tag('dev') } } }, 'SageMakerEndpointDataCapture'],
    ['a dev variant may run one instance', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(1)], Tags: tag('dev') } } }, 'SageMakerProdVariantCapacity'],
    ['a dev endpoint need not be monitored', { E: { type: 'AWS::SageMaker::Endpoint', properties: { EndpointConfigName: 'c', Tags: tag('dev') } } }, 'SageMakerProdEndpointMonitored'],
    ['a dev audit bucket needs one year, not seven', { B: { type: 'AWS::S3::Bucket', properties: { ...locked(365), Tags: tag('dev', { 'estate:records': 'audit' }) } } }, 'AuditBucketLocked'],
    ['a log group that never expires', { L: { type: 'AWS::Logs::LogGroup', properties: { KmsKeyId: 'k' } } }, 'LogGroupRetainedEncrypted'],
    ['a wildcard principal with a condition', { K: { type: 'AWS::KMS::Key', properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': '123456789012' } } }] } } } }, 'KMSKeyPolicyNoOpenPrincipal'],
    ['a GPU endpoint config without a volume key: its local NVMe storage is hardware-encrypted and SageMaker refuses a key', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2, 'ml.g5.xlarge')], DataCaptureConfig: capture(100) } } }, 'SageMakerEndpointDataCapture'],
    ['a function that is not a gate', { F: { type: 'AWS::Lambda::Function', properties: { Role: 'r', Code: { ZipFile: 'x' } } } }, 'GateFunctionHardened'],
  ])('does not apply or passes: %s', (_name, resources, rule) => {
    expect(findings(resources)).not.toContain(rule);
  });

  test.each<[string, Record<string, { type: string; properties: Props }>, string]>([
    ['GOVERNANCE mode is not COMPLIANCE', { B: { type: 'AWS::S3::Bucket', properties: { ...locked(3000, 'GOVERNANCE'), Tags: tag('prod', { 'estate:records': 'audit' }) } } }, 'AuditBucketLocked'],
    ['a trail target without any Object Lock', { B: { type: 'AWS::S3::Bucket', properties: {} }, T: { type: 'AWS::CloudTrail::Trail', properties: { ...trail(s3DataEvents), S3BucketName: { Ref: 'B' } } } }, 'AuditBucketLocked'],
    ['a gate without reserved concurrency', { G: { type: 'AWS::Lambda::Function', properties: { ...gate, ReservedConcurrentExecutions: undefined } } }, 'GateFunctionHardened'],
    ['a gate outside a VPC', { G: { type: 'AWS::Lambda::Function', properties: { ...gate, VpcConfig: undefined } } }, 'GateFunctionHardened'],
    ['a gate that loses failed events', { G: { type: 'AWS::Lambda::Function', properties: { ...gate, DeadLetterConfig: undefined } } }, 'GateFunctionHardened'],
    ['a model package registered Approved by a template', { P: { type: 'AWS::SageMaker::ModelPackage', properties: { ModelApprovalStatus: 'Approved' } } }, 'SageMakerModelPackageNotApproved'],
    ['a feature group without stores', { F: { type: 'AWS::SageMaker::FeatureGroup', properties: {} } }, 'SageMakerFeatureGroupEncrypted'],
    ['an endpoint config without its own key', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2)], DataCaptureConfig: capture(100) } } }, 'SageMakerEndpointDataCapture'],
    ['an Inferentia endpoint config without a volume key (inf2 has no local storage)', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2, 'ml.inf2.xlarge')], DataCaptureConfig: capture(100) } } }, 'SageMakerEndpointDataCapture'],
    ['a GPU endpoint config whose capture has no customer key', { C: { type: 'AWS::SageMaker::EndpointConfig', properties: { ProductionVariants: [variant(2, 'ml.g5.xlarge')], DataCaptureConfig: { ...capture(100), KmsKeyId: undefined } } } }, 'SageMakerEndpointDataCapture'],
  ])('reports: %s', (_name, resources, rule) => {
    expect(findings(resources)).toContain(rule);
  });
});
