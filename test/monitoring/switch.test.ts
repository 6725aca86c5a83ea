/**
 * Who monitors an endpoint, on a lone ModelEndpoint (fast, no estate synth): the
 * estate's monitoring by default, SageMaker Model Monitor only where the config
 * chooses it, nothing where monitoring is off; and the limits the construct
 * refuses with a clear error.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelEndpoint } from '../../constructs/model-endpoint';
import { modelEndpointProps, monitoringThresholds } from '../../lib/props/endpoints';
import { cdkJsonContext, defaultEstateConfig } from '../support/estate';

const config = defaultEstateConfig();
const prod = config.environments.find((e) => e.type === 'prod')!;
const fraud = config.models.find((m) => m.id === 'fraud-score')!;

function endpoint(
  options: {
    service?: 'estate' | 'model-monitor';
    monitoring?: { dataQuality: boolean; modelQuality: boolean; groundTruth?: string };
    variants?: number;
    region?: string;
  } = {},
) {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '333333333333', region: options.region ?? 'eu-west-1' },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const spec = fraud.endpoints.prod;
  const variants = Array.from({ length: options.variants ?? 1 }, (_, i) => ({
    ...spec.variants[0],
    name: `v${i}`,
    weight: 1 / (options.variants ?? 1),
  }));
  const e = new ModelEndpoint(
    stack,
    'Endpoint',
    modelEndpointProps({
      environment: prod,
      model: fraud,
      endpoint: { ...spec, variants, monitoring: options.monitoring },
      subnets: vpc.isolatedSubnets,
      securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
      mlKey: new kms.Key(stack, 'Ml'),
      logsKey: new kms.Key(stack, 'Logs'),
      captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', 'inference-capture-333333333333-eu-west-1'),
      alarmTopic: new sns.Topic(stack, 'Topic'),
      packageRegistry: { account: '222222222222', region: 'eu-west-1' },
      monitoringService: options.service,
      monitoringThresholds: monitoringThresholds(config, fraud),
      qualityThreshold: { metric: 'auc', value: 0.7 },
    }),
  );
  return { e, template: Template.fromStack(stack) };
}

const nameOf = (a: cloudwatch.IAlarm) => ((a as cloudwatch.Alarm).node.defaultChild as cloudwatch.CfnAlarm).alarmName;
const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;

test("default: the estate's monitoring, no Model Monitor resource; retraining listens to quality and drift", () => {
  const { e, template } = endpoint();
  expect(count(template, 'AWS::StepFunctions::StateMachine')).toBe(1);
  expect(count(template, 'AWS::Scheduler::Schedule')).toBe(2);
  for (const type of [
    'AWS::SageMaker::MonitoringSchedule',
    'AWS::SageMaker::DataQualityJobDefinition',
    'AWS::SageMaker::ModelQualityJobDefinition',
  ])
    expect(count(template, type)).toBe(0);
  // Then the critical segments' drift, score drift and quality (test/segments/wiring.test.ts).
  expect(e.retrainingAlarms.map(nameOf).slice(0, 3)).toEqual([
    'prod-fraud-score-model-quality',
    'prod-fraud-score-feature-drift',
    'prod-fraud-score-score-drift',
  ]);
  expect(
    e.retrainingAlarms
      .map(nameOf)
      .slice(3)
      .every((n) => n?.startsWith('prod-fraud-score-segment-')),
  ).toBe(true);
  expect(e.retrainingAlarms.length).toBeGreaterThan(3);
  expect(e.retrainingAlarms[0]).toBe(e.qualityAlarm);
  expect(e.monitoring).toBeDefined();
});

test('model-monitor, by choice: Model Monitor schedules as before, no state machine; retraining listens to its quality alarm', () => {
  const { e, template } = endpoint({ service: 'model-monitor' });
  expect(count(template, 'AWS::SageMaker::MonitoringSchedule')).toBe(2);
  expect(count(template, 'AWS::StepFunctions::StateMachine')).toBe(0);
  expect(count(template, 'AWS::Scheduler::Schedule')).toBe(0);
  expect(e.retrainingAlarms).toEqual([e.qualityAlarm]);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'aws/sagemaker/Endpoints/model-metrics',
    MetricName: 'auc',
  });
});

test('monitoring off: neither, and no retraining alarm', () => {
  const { e, template } = endpoint({ monitoring: { dataQuality: false, modelQuality: false } });
  expect(
    count(template, 'AWS::StepFunctions::StateMachine') +
      count(template, 'AWS::SageMaker::MonitoringSchedule') +
      count(template, 'AWS::Scheduler::Schedule'),
  ).toBe(0);
  expect(e.retrainingAlarms).toEqual([]);
});

test('model quality only: the daily run alone, with the quality alarms; data quality only: the hourly run, no quality alarm', () => {
  const daily = endpoint({ monitoring: { dataQuality: false, modelQuality: true } });
  daily.template.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 6 * * ? *)' }, 1);
  expect(count(daily.template, 'AWS::Scheduler::Schedule')).toBe(1);
  expect(daily.e.qualityAlarm).toBeDefined();
  const hourly = endpoint({ monitoring: { dataQuality: true, modelQuality: false } });
  expect(count(hourly.template, 'AWS::Scheduler::Schedule')).toBe(1);
  expect(hourly.e.qualityAlarm).toBeUndefined();
});

test('labels elsewhere: the job may read (and the runner list) only that prefix of that bucket', () => {
  const { template } = endpoint({
    monitoring: { dataQuality: true, modelQuality: true, groundTruth: 's3://labels-bucket/fraud/labels/' },
  });
  const policies = JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toContain('arn:aws:s3:::labels-bucket/fraud/labels/*');
  expect(policies).toContain(
    '"s3:prefix":["capture/prod-fraud-score/*","monitoring/prod-fraud-score/baseline/*","fraud/labels/*"]',
  );
  expect(policies).not.toContain('arn:aws:s3:::labels-bucket/*"');
});

test('refused with a clear error: more production variants than a job has inputs for, or a region without a known scikit-learn image', () => {
  expect(() => endpoint({ variants: 7 })).toThrow(
    /prod-fraud-score has 7 production variants; the estate's monitoring reads at most 6 \(a processing job takes 10 inputs\)/,
  );
  expect(() => endpoint({ region: 'mars-north-1' })).toThrow(
    /no scikit-learn processing image is known for mars-north-1; add its registry to SKLEARN_PROCESSING_REGISTRY/,
  );
});
