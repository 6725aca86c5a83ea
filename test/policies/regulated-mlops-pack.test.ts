/** The RegulatedMLOps pack: every rule on a minimal compliant and non-compliant resource; the rule list pinned. */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { REGULATED_MLOPS_RULES, RegulatedMLOpsChecks } from '../../policies/regulated-mlops-pack';

type Props = Record<string, unknown>;
const tag = (env: string, extra: Record<string, string> = {}) => [
  { Key: 'estate:environment-type', Value: env },
  ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
];
const MODEL_TAGS = { 'model:id': 'fraud-score', 'model:risk-tier': 'medium', 'data-classification': 'restricted' };

/** Rule IDs the pack reports for a stack made of `resources`. */
function findings(resources: Record<string, { type: string; properties: Props }>): string[] {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  for (const [id, r] of Object.entries(resources)) new CfnResource(stack, id, r);
  return new RegulatedMLOpsChecks()
    .validateScope(stack)
    .violations.map((v) => v.ruleName.replace('RegulatedMLOps-', ''));
}

const hardenedJob = {
  NetworkConfig: { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true },
  JobResources: {
    ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20, VolumeKmsKeyId: 'key' },
  },
  DataQualityJobOutputConfig: { KmsKeyId: 'key', MonitoringOutputs: [] },
};
/**
 * A state machine whose task starts a processing job over an endpoint's captures (the estate's monitoring), as CDK
 * renders it: an Fn::Join with tokens.
 */
const isolatedJob = {
  EnableNetworkIsolation: true,
  EnableInterContainerTrafficEncryption: true,
  VpcConfig: { Subnets: ['TOKEN_SUBNET'], SecurityGroupIds: ['sg'] },
};
const monitoringMachine = (endpoint: string, network: unknown = isolatedJob, volumeKey = true) => {
  const definition = JSON.stringify({
    QueryLanguage: 'JSONata',
    StartAt: 'Analyse',
    States: {
      Analyse: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync',
        Arguments: {
          ProcessingInputs: `{% [{"S3Input": {"S3Uri": "s3://b/capture/${endpoint}/" & $capturePath}}] %}`,
          NetworkConfig: network,
          ProcessingResources: { ClusterConfig: volumeKey ? { VolumeKmsKeyId: 'TOKEN_KEY' } : {} },
          ProcessingOutputConfig: { KmsKeyId: 'TOKEN_KEY' },
        },
        End: true,
      },
    },
  });
  const [head, ...rest] = definition.split('TOKEN_KEY');
  return {
    type: 'AWS::StepFunctions::StateMachine',
    properties: {
      RoleArn: 'r',
      DefinitionString: {
        'Fn::Join': ['', [head, ...rest.flatMap((part) => [{ 'Fn::GetAtt': ['Key', 'Arn'] }, part])]],
      },
    },
  };
};
/**
 * A monitoring machine whose job computes one critical segment, and that segment's alarms (test/segments has the rest).
 */
const segmentMachine = () => {
  const m = monitoringMachine('prod-x') as any;
  const args = `{% ["monitor", "--endpoint", "prod-x", "--segment", ${JSON.stringify(JSON.stringify({ name: 'high-value', feature: 'amount', range: { min: 10000 }, minSupport: 200, critical: true }))}] %}`;
  m.properties.DefinitionString['Fn::Join'][1][0] = m.properties.DefinitionString['Fn::Join'][1][0].replace(
    '"Arguments":{',
    `"Arguments":{"AppSpecification":{"ContainerArguments":${JSON.stringify(args)}},`,
  );
  return m;
};
const segmentAlarm = (metric: string) => ({
  type: 'AWS::CloudWatch::Alarm',
  properties: {
    Namespace: 'Estate/ModelMonitoring',
    MetricName: metric,
    Dimensions: [
      { Name: 'Endpoint', Value: 'prod-x' },
      { Name: 'Segment', Value: 'high-value' },
    ],
    AlarmActions: ['topic'],
    Threshold: 0.25,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanThreshold',
  },
});
const schedule = (machine: string, state = 'ENABLED') => ({
  type: 'AWS::Scheduler::Schedule',
  properties: {
    State: state,
    ScheduleExpression: 'cron(15 * * * ? *)',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: { Ref: machine }, RoleArn: 'r' },
  },
});
const prodEndpoint = {
  type: 'AWS::SageMaker::Endpoint',
  properties: { EndpointName: 'prod-x', EndpointConfigName: 'c', Tags: tag('prod') },
};
const capture = (pct: number) => ({
  EnableCapture: true,
  InitialSamplingPercentage: pct,
  KmsKeyId: 'key',
  DestinationS3Uri: 's3://b/c',
  CaptureOptions: [],
});
const variant = (count: number, instanceType = 'ml.m5.xlarge') => ({
  VariantName: 'champion',
  ModelName: 'm',
  InitialInstanceCount: count,
  InstanceType: instanceType,
});
const trail = (selectors: unknown) => ({
  IsLogging: true,
  S3BucketName: 'b',
  IsMultiRegionTrail: true,
  EnableLogFileValidation: true,
  KMSKeyId: 'k',
  AdvancedEventSelectors: selectors,
});
const s3DataEvents = [
  {
    FieldSelectors: [
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
    ],
  },
];
const locked = (days: number, mode = 'COMPLIANCE') => ({
  ObjectLockEnabled: true,
  ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } },
});
const gate = {
  Role: 'r',
  Code: { ZipFile: 'x' },
  ReservedConcurrentExecutions: 5,
  VpcConfig: { SubnetIds: ['s'], SecurityGroupIds: ['g'] },
  DeadLetterConfig: { TargetArn: 'q' },
  Tags: [{ Key: 'estate:component', Value: 'validation-gate' }],
};

const cases: Array<
  [string, Record<string, { type: string; properties: Props }>, Record<string, { type: string; properties: Props }>]
> = [
  [
    'SageMakerModelIsolated',
    {
      M: {
        type: 'AWS::SageMaker::Model',
        properties: {
          ExecutionRoleArn: 'r',
          EnableNetworkIsolation: true,
          VpcConfig: { Subnets: ['s'], SecurityGroupIds: ['g'] },
        },
      },
    },
    {
      M: {
        type: 'AWS::SageMaker::Model',
        properties: { ExecutionRoleArn: 'r', VpcConfig: { Subnets: ['s'], SecurityGroupIds: ['g'] } },
      },
    },
  ],
  [
    'SageMakerEndpointDataCapture',
    {
      C: {
        type: 'AWS::SageMaker::EndpointConfig',
        properties: {
          KmsKeyId: 'k',
          ProductionVariants: [variant(2)],
          DataCaptureConfig: capture(100),
          Tags: tag('prod'),
        },
      },
    },
    {
      C: {
        type: 'AWS::SageMaker::EndpointConfig',
        properties: {
          KmsKeyId: 'k',
          ProductionVariants: [variant(2)],
          DataCaptureConfig: capture(20),
          Tags: tag('prod'),
        },
      },
    },
  ],
  [
    'SageMakerProdVariantCapacity',
    {
      C: {
        type: 'AWS::SageMaker::EndpointConfig',
        properties: { ProductionVariants: [variant(2), variant(3)], Tags: tag('prod') },
      },
    },
    {
      C: {
        type: 'AWS::SageMaker::EndpointConfig',
        properties: { ProductionVariants: [variant(2), variant(1)], Tags: tag('prod') },
      },
    },
  ],
  [
    'SageMakerFeatureGroupEncrypted',
    {
      F: {
        type: 'AWS::SageMaker::FeatureGroup',
        properties: {
          OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'k' } },
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b', KmsKeyId: 'k' } },
        },
      },
    },
    {
      F: {
        type: 'AWS::SageMaker::FeatureGroup',
        properties: {
          OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'k' } },
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b' } },
        },
      },
    },
  ],
  [
    'SageMakerMonitoringJobHardened',
    {
      J: { type: 'AWS::SageMaker::DataQualityJobDefinition', properties: hardenedJob },
      M: monitoringMachine('prod-x'),
    },
    {
      J: {
        type: 'AWS::SageMaker::DataQualityJobDefinition',
        properties: { ...hardenedJob, NetworkConfig: { EnableInterContainerTrafficEncryption: true } },
      },
    },
  ],
  [
    'SageMakerProdEndpointMonitored',
    { E: prodEndpoint, M: monitoringMachine('prod-x'), S: schedule('M') },
    // An alarm on the endpoint's errors is not monitoring of the model.
    {
      E: prodEndpoint,
      A: {
        type: 'AWS::CloudWatch::Alarm',
        properties: {
          Dimensions: [{ Name: 'EndpointName', Value: { 'Fn::GetAtt': ['E', 'EndpointName'] } }],
          Threshold: 1,
        },
      },
    },
  ],
  [
    'SageMakerProdSegmentsAlarmed',
    {
      E: prodEndpoint,
      M: segmentMachine(),
      S: schedule('M'),
      D: segmentAlarm('MaxFeaturePsi'),
      P: segmentAlarm('ScorePsi'),
    },
    { E: prodEndpoint, M: segmentMachine(), S: schedule('M'), D: segmentAlarm('MaxFeaturePsi') },
  ],
  [
    'SageMakerModelPackageNotApproved',
    {
      P: {
        type: 'AWS::SageMaker::ModelPackage',
        properties: { ModelPackageGroupName: 'g', ModelApprovalStatus: 'PendingManualApproval' },
      },
    },
    {
      P: {
        type: 'AWS::SageMaker::ModelPackage',
        properties: { ModelPackageGroupName: 'g', ModelApprovalStatus: 'Approved' },
      },
    },
  ],
  [
    'CloudTrailAuditGrade',
    { T: { type: 'AWS::CloudTrail::Trail', properties: trail(s3DataEvents) } },
    { T: { type: 'AWS::CloudTrail::Trail', properties: trail(undefined) } },
  ],
  [
    'AuditBucketLocked',
    {
      B: { type: 'AWS::S3::Bucket', properties: { ...locked(2555), Tags: tag('prod', { 'estate:records': 'audit' }) } },
    },
    {
      B: { type: 'AWS::S3::Bucket', properties: { ...locked(365), Tags: tag('prod', { 'estate:records': 'audit' }) } },
    },
  ],
  [
    'LogGroupRetainedEncrypted',
    { L: { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 365, KmsKeyId: 'k' } } },
    { L: { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 90, KmsKeyId: 'k' } } },
  ],
  [
    'KMSKeyPolicyNoOpenPrincipal',
    {
      K: {
        type: 'AWS::KMS::Key',
        properties: {
          KeyPolicy: {
            Statement: [
              { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' },
            ],
          },
        },
      },
    },
    {
      K: {
        type: 'AWS::KMS::Key',
        properties: {
          KeyPolicy: {
            Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }],
          },
        },
      },
    },
  ],
  [
    'GateFunctionHardened',
    { G: { type: 'AWS::Lambda::Function', properties: gate } },
    {
      G: { type: 'AWS::Lambda::Function', properties: gate },
      U: {
        type: 'AWS::Lambda::Url',
        properties: { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': ['G', 'Arn'] } },
      },
    },
  ],
  [
    'MLResourceTagged',
    {
      R: {
        type: 'AWS::SageMaker::ModelPackageGroup',
        properties: { ModelPackageGroupName: 'g', Tags: tag('dev', MODEL_TAGS) },
      },
    },
    {
      R: {
        type: 'AWS::SageMaker::ModelPackageGroup',
        properties: { ModelPackageGroupName: 'g', Tags: tag('dev', { 'model:id': 'x' }) },
      },
    },
  ],
];

describe('RegulatedMLOps pack', () => {
  test('lists exactly these rules, each naming the controls it serves', () => {
    expect(REGULATED_MLOPS_RULES.map((r) => r.rule.name)).toEqual(cases.map(([name]) => name));
    for (const spec of REGULATED_MLOPS_RULES) expect(spec.info).toMatch(/\(Controls: .+\)\.$/);
  });

  test.each(cases)(
    '%s: passes the compliant resource, reports the non-compliant one',
    (rule, compliant, nonCompliant) => {
      expect(findings(compliant)).not.toContain(rule);
      expect(findings(nonCompliant)).toContain(rule);
    },
  );

  test.each<[string, Record<string, { type: string; properties: Props }>, string]>([
    [
      'a dev endpoint config may sample less than 100%',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: {
            KmsKeyId: 'k',
            ProductionVariants: [variant(1)],
            DataCaptureConfig: capture(20),
            Tags: tag('dev'),
          },
        },
      },
      'SageMakerEndpointDataCapture',
    ],
    [
      'a dev variant may run one instance',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: { ProductionVariants: [variant(1)], Tags: tag('dev') },
        },
      },
      'SageMakerProdVariantCapacity',
    ],
    [
      'a dev endpoint need not be monitored',
      { E: { type: 'AWS::SageMaker::Endpoint', properties: { EndpointConfigName: 'c', Tags: tag('dev') } } },
      'SageMakerProdEndpointMonitored',
    ],
    [
      'a dev audit bucket needs one year, not seven',
      {
        B: { type: 'AWS::S3::Bucket', properties: { ...locked(365), Tags: tag('dev', { 'estate:records': 'audit' }) } },
      },
      'AuditBucketLocked',
    ],
    [
      'a log group that never expires',
      { L: { type: 'AWS::Logs::LogGroup', properties: { KmsKeyId: 'k' } } },
      'LogGroupRetainedEncrypted',
    ],
    [
      'a wildcard principal with a condition',
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: '*',
                  Action: 'kms:Decrypt',
                  Resource: '*',
                  Condition: { StringEquals: { 'kms:CallerAccount': '123456789012' } },
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      'a GPU endpoint config without a volume key: its local NVMe storage is hardware-encrypted and SageMaker refuses a key',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: { ProductionVariants: [variant(2, 'ml.g5.xlarge')], DataCaptureConfig: capture(100) },
        },
      },
      'SageMakerEndpointDataCapture',
    ],
    [
      'a prod endpoint watched by a Model Monitor schedule (where the config chooses it)',
      {
        E: prodEndpoint,
        S: {
          type: 'AWS::SageMaker::MonitoringSchedule',
          properties: { EndpointName: 'prod-x', MonitoringScheduleName: 's', MonitoringScheduleConfig: {} },
        },
      },
      'SageMakerProdEndpointMonitored',
    ],
    [
      'a state machine that starts no processing job',
      {
        M: {
          type: 'AWS::StepFunctions::StateMachine',
          properties: {
            RoleArn: 'r',
            DefinitionString: '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}',
          },
        },
      },
      'SageMakerMonitoringJobHardened',
    ],
    [
      'a service grant that names its source account',
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'cloudwatch.amazonaws.com' },
                  Action: 'kms:Decrypt',
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      'CloudWatch Logs scoped by its encryption context',
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
                  Action: 'kms:Decrypt*',
                  Resource: '*',
                  Condition: {
                    ArnLike: {
                      'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:123456789012:log-group:*',
                    },
                  },
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      'a function that is not a gate',
      { F: { type: 'AWS::Lambda::Function', properties: { Role: 'r', Code: { ZipFile: 'x' } } } },
      'GateFunctionHardened',
    ],
  ])('does not apply or passes: %s', (_name, resources, rule) => {
    expect(findings(resources)).not.toContain(rule);
  });

  test.each<[string, Record<string, { type: string; properties: Props }>, string]>([
    [
      'GOVERNANCE mode is not COMPLIANCE',
      {
        B: {
          type: 'AWS::S3::Bucket',
          properties: { ...locked(3000, 'GOVERNANCE'), Tags: tag('prod', { 'estate:records': 'audit' }) },
        },
      },
      'AuditBucketLocked',
    ],
    [
      'a trail target without any Object Lock',
      {
        B: { type: 'AWS::S3::Bucket', properties: {} },
        T: { type: 'AWS::CloudTrail::Trail', properties: { ...trail(s3DataEvents), S3BucketName: { Ref: 'B' } } },
      },
      'AuditBucketLocked',
    ],
    [
      'a gate without reserved concurrency',
      { G: { type: 'AWS::Lambda::Function', properties: { ...gate, ReservedConcurrentExecutions: undefined } } },
      'GateFunctionHardened',
    ],
    [
      'a gate outside a VPC',
      { G: { type: 'AWS::Lambda::Function', properties: { ...gate, VpcConfig: undefined } } },
      'GateFunctionHardened',
    ],
    [
      'a gate that loses failed events',
      { G: { type: 'AWS::Lambda::Function', properties: { ...gate, DeadLetterConfig: undefined } } },
      'GateFunctionHardened',
    ],
    [
      'a model package registered Approved by a template',
      { P: { type: 'AWS::SageMaker::ModelPackage', properties: { ModelApprovalStatus: 'Approved' } } },
      'SageMakerModelPackageNotApproved',
    ],
    [
      'a feature group without stores',
      { F: { type: 'AWS::SageMaker::FeatureGroup', properties: {} } },
      'SageMakerFeatureGroupEncrypted',
    ],
    [
      'an endpoint config without its own key',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: { ProductionVariants: [variant(2)], DataCaptureConfig: capture(100) },
        },
      },
      'SageMakerEndpointDataCapture',
    ],
    [
      'an Inferentia endpoint config without a volume key (inf2 has no local storage)',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: { ProductionVariants: [variant(2, 'ml.inf2.xlarge')], DataCaptureConfig: capture(100) },
        },
      },
      'SageMakerEndpointDataCapture',
    ],
    [
      "a service grant with no source: any account's CloudWatch alarm could use the key (confused deputy)",
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'cloudwatch.amazonaws.com' },
                  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
                  Resource: '*',
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      "EventBridge's key grant conditioned on a source KMS never receives from it (every event dropped)",
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'events.amazonaws.com' },
                  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      'a service grant whose condition names no source',
      {
        K: {
          type: 'AWS::KMS::Key',
          properties: {
            KeyPolicy: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: ['sns.amazonaws.com'] },
                  Action: 'kms:Decrypt',
                  Resource: '*',
                  Condition: { StringEquals: { 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } },
                },
              ],
            },
          },
        },
      },
      'KMSKeyPolicyNoOpenPrincipal',
    ],
    [
      'a GPU endpoint config whose capture has no customer key',
      {
        C: {
          type: 'AWS::SageMaker::EndpointConfig',
          properties: {
            ProductionVariants: [variant(2, 'ml.g5.xlarge')],
            DataCaptureConfig: { ...capture(100), KmsKeyId: undefined },
          },
        },
      },
      'SageMakerEndpointDataCapture',
    ],
    [
      "the estate's monitoring job without network isolation",
      { M: monitoringMachine('prod-x', { ...isolatedJob, EnableNetworkIsolation: false }) },
      'SageMakerMonitoringJobHardened',
    ],
    [
      "the estate's monitoring job outside a VPC",
      { M: monitoringMachine('prod-x', { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true }) },
      'SageMakerMonitoringJobHardened',
    ],
    [
      "the estate's monitoring job without a volume key",
      { M: monitoringMachine('prod-x', isolatedJob, false) },
      'SageMakerMonitoringJobHardened',
    ],
    [
      'a state machine that starts processing jobs but whose definition cannot be read',
      {
        M: {
          type: 'AWS::StepFunctions::StateMachine',
          properties: {
            RoleArn: 'r',
            DefinitionString: '{"States": {"A": {"Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync"',
          },
        },
      },
      'SageMakerMonitoringJobHardened',
    ],
    [
      'a prod endpoint whose monitoring schedule is disabled',
      { E: prodEndpoint, M: monitoringMachine('prod-x'), S: schedule('M', 'DISABLED') },
      'SageMakerProdEndpointMonitored',
    ],
    [
      "a prod endpoint whose schedule runs another endpoint's monitoring",
      { E: prodEndpoint, M: monitoringMachine('prod-y'), S: schedule('M') },
      'SageMakerProdEndpointMonitored',
    ],
    [
      'a prod endpoint with a monitoring state machine that nothing schedules',
      { E: prodEndpoint, M: monitoringMachine('prod-x') },
      'SageMakerProdEndpointMonitored',
    ],
  ])('reports: %s', (_name, resources, rule) => {
    expect(findings(resources)).toContain(rule);
  });
});
