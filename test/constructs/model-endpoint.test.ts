/**
 * ModelEndpoint on its own props (no config, no estate synth): what each source of a variant's model is served as
 * and what the execution role may then read, the volume key and its acknowledgement on NVMe types, the capture, the
 * rollout and the alarms that roll it back, autoscaling, the metric...() methods, the monitoring choice and its names,
 * and the props it refuses, all problems in one error.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ModelEndpoint,
  ModelEndpointProps,
  ProductionVariant,
  ROLLBACK_THRESHOLDS,
} from '../../constructs/model-endpoint';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fraud/model:1.0`;
const DATA = `s3://model-artifacts-${ACCOUNT}-${REGION}/models/fraud-score/1.0/model.tar.gz`;
const REGISTRY = { account: '222222222222', region: REGION };
const TRAINING_IMAGE = `222222222222.dkr.ecr.${REGION}.amazonaws.com/fraud/train:2.1`;

const variant = (name: string, over: Partial<ProductionVariant> = {}): ProductionVariant => ({
  name,
  image: IMAGE,
  modelData: DATA,
  instanceType: 'ml.m5.xlarge',
  instanceCount: 2,
  weight: 1,
  autoscaling: { minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 500 },
  ...over,
});

function build(props: Partial<ModelEndpointProps> = {}) {
  const stack = new Stack(new App(), 'Probe', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const mlKey = new kms.Key(stack, 'Ml');
  const e = new ModelEndpoint(stack, 'Endpoint', {
    endpointName: 'prod-fraud-score',
    modelId: 'fraud-score',
    riskTier: 'high',
    problemType: 'binary_classification',
    variants: [variant('champion')],
    monitoring: { dataQuality: false, modelQuality: false },
    monitoringThresholds: { psi: 0.25, minDisparateImpact: 0.8 },
    subnets: vpc.isolatedSubnets,
    securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
    mlKey,
    logsKey: new kms.Key(stack, 'Logs'),
    captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', `inference-capture-${ACCOUNT}-${REGION}`),
    alarmTopic: new sns.Topic(stack, 'Topic'),
    ...props,
  });
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const ofType = (type: string) =>
    Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
  const statements = ofType('AWS::IAM::ManagedPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const sid = (id: string) => statements.find((s: any) => s.Sid === id);
  return {
    e,
    stack,
    template,
    json,
    ofType,
    statements,
    sid,
    mlKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(mlKey.node.defaultChild as kms.CfnKey), 'Arn'] },
  };
}

const onlyConfig = (b: ReturnType<typeof build>) => b.ofType('AWS::SageMaker::EndpointConfig')[0][1].Properties;
const modelOf = (b: ReturnType<typeof build>, variantName: string) =>
  b
    .ofType('AWS::SageMaker::Model')
    .find(([, m]) => m.Properties.Tags.some((t: any) => t.Key === 'model:variant' && t.Value === variantName))![1]
    .Properties;

describe('what a variant serves, and what the role may read for it', () => {
  test('an image and model data: network-isolated in the isolated subnets; the role pulls that repository and reads that object only', () => {
    const b = build();
    const model = modelOf(b, 'champion');
    expect(model.EnableNetworkIsolation).toBe(true);
    expect(model.VpcConfig.Subnets).toHaveLength(2);
    expect(model.PrimaryContainer).toEqual({
      Image: IMAGE,
      ModelDataUrl: DATA,
      Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
    });
    expect(b.sid('PullImages').Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:${REGION}:${ACCOUNT}:repository/fraud/model`]],
    });
    expect(b.sid('ReadModelData').Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:s3:::model-artifacts-${ACCOUNT}-${REGION}/models/fraud-score/1.0/model.tar.gz`,
        ],
      ],
    });
    for (const none of ['ReadApprovedArtifacts', 'ReadPinnedModelData', 'DecryptApprovedArtifacts'])
      expect([none, b.sid(none)]).toEqual([none, undefined]);
  });

  test('a package version: the model names the package of the registry; the role reads only objects the registry account owns, decrypted through S3', () => {
    const b = build({
      variants: [variant('champion', { image: undefined, modelData: undefined, modelPackageVersion: 7 })],
      packageRegistry: REGISTRY,
    });
    expect(Object.keys(modelOf(b, 'champion').PrimaryContainer)).toEqual(['ModelPackageName']);
    expect(JSON.stringify(modelOf(b, 'champion').PrimaryContainer.ModelPackageName)).toContain(
      `:sagemaker:${REGION}:222222222222:model-package/fraud-score/7`,
    );
    expect(b.sid('ReadApprovedArtifacts').Condition).toEqual({
      StringEquals: { 's3:ResourceAccount': '222222222222' },
    });
    expect(b.sid('DecryptApprovedArtifacts').Condition).toEqual({
      StringLike: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
    });
    expect(b.sid('ReadModelData')).toBeUndefined();
  });

  test("pinned copies: the package's image with the locked copy of its model data, tagged with the package; the role reads only this model's copies", () => {
    const b = build({
      variants: [variant('champion', { image: undefined, modelData: undefined, modelPackageVersion: 7 })],
      packageRegistry: {
        ...REGISTRY,
        pinnedCopies: { bucketName: 'approved-models-222222222222-eu-west-1', image: TRAINING_IMAGE },
      },
    });
    const model = modelOf(b, 'champion');
    expect(model.PrimaryContainer).toEqual({
      Image: TRAINING_IMAGE,
      ModelDataUrl: 's3://approved-models-222222222222-eu-west-1/models/fraud-score/7/0/model.tar.gz',
      Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
    });
    expect(JSON.stringify(model.Tags.find((t: any) => t.Key === 'model:package').Value)).toContain(
      'model-package/fraud-score/7',
    );
    expect(b.sid('ReadPinnedModelData').Resource).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':s3:::approved-models-222222222222-eu-west-1/models/fraud-score/*'],
      ],
    });
    expect(b.sid('ReadApprovedArtifacts')).toBeUndefined();
  });
});

describe('the endpoint config', () => {
  test('the ML key on volumes and captures, everything captured by default, input and output', () => {
    const b = build();
    const config = onlyConfig(b);
    expect(config.KmsKeyId).toEqual(b.mlKeyArn);
    expect(config.DataCaptureConfig).toMatchObject({
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      KmsKeyId: b.mlKeyArn,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    });
    expect(onlyConfig(build({ captureSamplingPercent: 20 })).DataCaptureConfig.InitialSamplingPercentage).toBe(20);
  });

  test('an NVMe instance type: no volume key (SageMaker refuses one), the key findings acknowledged naming the type', () => {
    const b = build({ variants: [variant('champion', { instanceType: 'ml.g5.xlarge' })] });
    expect(onlyConfig(b).KmsKeyId).toBeUndefined();
    const acks = b.e.endpointConfig.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.map(([k]) => k.replace(/^Annotation::/, '')).sort()).toEqual([
      'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured',
      'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured',
      'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured',
    ]);
    for (const [, reason] of acks) expect(reason).toMatch(/ml\.g5\.xlarge have local NVMe storage/);
    expect(
      build().e.endpointConfig.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
    ).toEqual([]);
  });

  test('a shadow sees its sampling share of the requests', () => {
    const b = build({
      shadow: {
        name: 'shadow',
        image: IMAGE,
        modelData: DATA,
        instanceType: 'ml.m5.xlarge',
        instanceCount: 1,
        samplingPercent: 50,
      },
    });
    expect(onlyConfig(b).ShadowProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'shadow', InitialVariantWeight: 0.5 }),
    ]);
  });
});

describe('rollout, rollback and autoscaling', () => {
  test("a canary of 10% by default; the production variants' 5XX and latency alarms roll it back, never the 4XX or the shadow's", () => {
    const b = build({
      variants: [variant('a', { weight: 0.5 }), variant('b', { weight: 0.5 })],
      shadow: {
        name: 'shadow',
        image: IMAGE,
        modelData: DATA,
        instanceType: 'ml.m5.xlarge',
        instanceCount: 1,
        samplingPercent: 10,
      },
    });
    const policy = b.ofType('AWS::SageMaker::Endpoint')[0][1].Properties.DeploymentConfig;
    expect(policy.BlueGreenUpdatePolicy.TrafficRoutingConfiguration).toEqual({
      Type: 'CANARY',
      CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
      WaitIntervalInSeconds: 600,
    });
    // Each rollback alarm is named by a reference to the alarm resource: read its name there.
    expect(
      policy.AutoRollbackConfiguration.Alarms.map(
        (a: any) => b.json.Resources[a.AlarmName.Ref].Properties.AlarmName,
      ).sort(),
    ).toEqual([
      'prod-fraud-score-a-errors-5xx',
      'prod-fraud-score-a-latency-p99',
      'prod-fraud-score-b-errors-5xx',
      'prod-fraud-score-b-latency-p99',
    ]);
    const names = b
      .ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties.AlarmName)
      .sort();
    expect(names).toEqual(
      [
        'a-errors-4xx',
        'a-errors-5xx',
        'a-latency-p99',
        'b-errors-4xx',
        'b-errors-5xx',
        'b-latency-p99',
        'shadow-errors-5xx',
        'shadow-latency-p99',
      ].map((n) => `prod-fraud-score-${n}`),
    );
    const latency = b
      .ofType('AWS::CloudWatch::Alarm')
      .find(([, a]) => a.Properties.AlarmName === 'prod-fraud-score-a-latency-p99')![1].Properties;
    expect(latency).toMatchObject({
      ExtendedStatistic: 'p99',
      Threshold: ROLLBACK_THRESHOLDS.p99LatencyMicros,
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    expect(b.e.rollbackAlarms).toHaveLength(4);
  });

  test('linear steps and a bake of its own', () => {
    const b = build({ rollout: { strategy: 'linear', stepPercent: 25, bakeMinutes: 5 } });
    const policy = b.ofType('AWS::SageMaker::Endpoint')[0][1].Properties.DeploymentConfig.BlueGreenUpdatePolicy;
    expect(policy.TrafficRoutingConfiguration).toEqual({
      Type: 'LINEAR',
      LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
      WaitIntervalInSeconds: 300,
    });
    // Four steps and two more waits: 6 x 300 s.
    expect(policy.MaximumExecutionTimeoutInSeconds).toBe(1800);
  });

  test('target tracking per production variant, within its bounds, through the SageMaker endpoint autoscaling service-linked role', () => {
    const b = build();
    expect(b.ofType('AWS::ApplicationAutoScaling::ScalableTarget').map(([, t]) => t.Properties)).toEqual([
      expect.objectContaining({
        ResourceId: 'endpoint/prod-fraud-score/variant/champion',
        MinCapacity: 2,
        MaxCapacity: 4,
        RoleARN: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              `:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
            ],
          ],
        },
      }),
    ]);
    b.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 500 },
    });
  });
});

describe('metric...() methods', () => {
  test('per endpoint and variant, one-minute periods, the statistic each alarm uses; options override', () => {
    const { e, stack } = build();
    const dims = { EndpointName: 'prod-fraud-score', VariantName: 'champion' };
    const of = (m: cloudwatch.Metric) => ({
      namespace: m.namespace,
      metricName: m.metricName,
      statistic: m.statistic,
      period: m.period.toSeconds(),
      dimensions: stack.resolve(m.dimensions),
    });
    expect(of(e.metricModelLatency('champion'))).toEqual({
      namespace: 'AWS/SageMaker',
      metricName: 'ModelLatency',
      statistic: 'p99',
      period: 60,
      dimensions: dims,
    });
    expect(of(e.metricInvocation5XXErrors('champion'))).toMatchObject({
      metricName: 'Invocation5XXErrors',
      statistic: 'Sum',
    });
    expect(of(e.metricInvocation4XXErrors('champion'))).toMatchObject({
      metricName: 'Invocation4XXErrors',
      statistic: 'Sum',
    });
    expect(of(e.metricInvocations('champion'))).toMatchObject({ metricName: 'Invocations', statistic: 'Sum' });
    expect(of(e.metricCpuUtilization('champion'))).toMatchObject({
      namespace: '/aws/sagemaker/Endpoints',
      metricName: 'CPUUtilization',
      statistic: 'Average',
    });
    expect(of(e.metricGpuUtilization('champion'))).toMatchObject({
      namespace: '/aws/sagemaker/Endpoints',
      metricName: 'GPUUtilization',
    });
    expect(of(e.metricModelLatency('champion', { statistic: 'p50', period: Duration.minutes(5) }))).toMatchObject({
      statistic: 'p50',
      period: 300,
    });
    // The dimensions are the endpoint's own, whatever the options say.
    expect(
      of(e.metric('OverheadLatency', 'champion', { dimensionsMap: { EndpointName: 'other' } })).dimensions,
    ).toEqual(dims);
  });
});

describe('monitoring', () => {
  test("by default the estate's monitoring, its schedules named as given; Model Monitor by choice, with the names given", () => {
    const names = { hourly: 'h-name', daily: 'd-name', dataQuality: 'dq-name', modelQuality: 'mq-name' };
    const estate = build({ monitoring: undefined, monitoringNames: names });
    expect(estate.e.monitoring).toBeDefined();
    expect(
      estate
        .ofType('AWS::Scheduler::Schedule')
        .map(([, s]) => s.Properties.Name)
        .sort(),
    ).toEqual(['d-name', 'h-name']);
    const mm = build({
      monitoring: undefined,
      monitoringService: 'model-monitor',
      monitoringNames: names,
      qualityThreshold: { metric: 'auc', value: 0.7 },
    });
    expect(mm.e.monitoring).toBeUndefined();
    expect(
      mm
        .ofType('AWS::SageMaker::MonitoringSchedule')
        .map(([, s]) => s.Properties.MonitoringScheduleName)
        .sort(),
    ).toEqual(['dq-name', 'mq-name']);
    expect(mm.e.retrainingAlarms).toEqual([mm.e.qualityAlarm]);
    expect(mm.e.alarms).toContain(mm.e.qualityAlarm);
  });

  test('off: no monitoring resource and no retraining alarm', () => {
    const b = build();
    expect(b.e.monitoring).toBeUndefined();
    expect(b.e.retrainingAlarms).toEqual([]);
    expect(
      b.ofType('AWS::StepFunctions::StateMachine').length + b.ofType('AWS::SageMaker::MonitoringSchedule').length,
    ).toBe(0);
  });

  test('the dashboard shows every alarm the endpoint has', () => {
    const b = build({ monitoring: undefined });
    const body = JSON.stringify(b.ofType('AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardBody);
    expect(b.e.alarms.length).toBeGreaterThan(3);
    for (const a of b.e.alarms) expect(body).toContain(b.stack.resolve(a.alarmArn)['Fn::GetAtt'][0]);
  });
});

describe('refused, every problem in one error, nothing built', () => {
  test('sources, names, registry and sampling', () => {
    let message = '';
    try {
      build({
        endpointName: 'prod_fraud',
        variants: [
          variant('a', { modelPackageVersion: 3 }),
          variant('a', { image: undefined }),
          variant('c', { image: undefined, modelData: undefined, modelPackageVersion: 4 }),
        ],
        captureSamplingPercent: 101,
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n').map((l) => l.trim())).toEqual([
      'Probe/Endpoint: 7 problem(s):',
      'endpointName prod_fraud: must be 1-63 letters, digits or hyphens (CreateEndpoint EndpointName)',
      'variants[0]: give modelPackageVersion or image and modelData, not both',
      'variants[0].modelPackageVersion 3: needs packageRegistry, the registry that holds the approved versions',
      'variants[1].name a: another variant has this name',
      'variants[1]: give modelPackageVersion, or both image and modelData',
      'variants[2].modelPackageVersion 4: needs packageRegistry, the registry that holds the approved versions',
      'captureSamplingPercent 101: must be a whole number from 0 to 100',
    ]);
  });

  test('no variant, more than ten, and a Model Monitor name longer than SageMaker takes', () => {
    expect(() => build({ variants: [] })).toThrow('variants: 0 given; an endpoint has 1-10 production variants');
    expect(() =>
      build({ variants: Array.from({ length: 11 }, (_, i) => variant(`v${i}`, { weight: 1 / 11 })) }),
    ).toThrow('variants: 11 given');
    const long = { hourly: 'h', daily: 'd', dataQuality: 'x'.repeat(64), modelQuality: 'mq' };
    expect(() => build({ monitoring: undefined, monitoringService: 'model-monitor', monitoringNames: long })).toThrow(
      `monitoringNames.dataQuality ${'x'.repeat(64)}: 64 characters; Model Monitor takes at most 63`,
    );
    // The same name is no problem where Model Monitor is not used.
    expect(() => build({ monitoring: undefined, monitoringNames: long })).not.toThrow();
  });
});
