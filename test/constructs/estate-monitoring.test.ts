/**
 * EstateMonitoring on its own (no ModelEndpoint, no estate synth): the schedules it makes and their names, the
 * dead-letter queue of the schedules (a DeadLetterQueue on the ML key), the runner's grants (isolated jobs under the
 * ML key only), the alarms per signal, and what it refuses: too many variants, an unknown region, a schedule name
 * longer than EventBridge Scheduler takes.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { sklearnProcessingImage, SKLEARN_PROCESSING_REGISTRY } from '../../constructs/aws-facts';
import { DEAD_LETTER_QUEUE_FINDINGS } from '../../constructs/dead-letter-queue';
import {
  EstateMonitoring,
  EstateMonitoringProps,
  MAX_MONITORED_VARIANTS,
  MONITORING_NAMESPACE,
  sklearnProcessingImage as reExported,
} from '../../constructs/estate-monitoring';

const ACCOUNT = '123456789012';

function build(props: Partial<EstateMonitoringProps> = {}, region = 'eu-west-1') {
  const stack = new Stack(new App(), 'Probe', { env: { account: ACCOUNT, region } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const mlKey = new kms.Key(stack, 'Ml');
  const m = new EstateMonitoring(stack, 'Monitoring', {
    endpointName: 'prod-fraud-score',
    modelId: 'fraud-score',
    problemType: 'binary_classification',
    protectedAttributes: ['age_band'],
    variants: ['champion'],
    dataQuality: true,
    modelQuality: true,
    thresholds: { psi: 0.25, minDisparateImpact: 0.8, quality: { metric: 'auc', value: 0.75, minF1: 0.5 } },
    subnets: vpc.isolatedSubnets,
    securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
    mlKey,
    logsKey: new kms.Key(stack, 'Logs'),
    captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', `inference-capture-${ACCOUNT}-${region}`),
    alarmTopic: new sns.Topic(stack, 'Topic'),
    ...props,
  });
  return {
    m,
    stack,
    template: Template.fromStack(stack),
    mlKeyId: stack.getLogicalId(mlKey.node.defaultChild as kms.CfnKey),
  };
}

const schedules = (t: Template) => Object.values(t.findResources('AWS::Scheduler::Schedule')).map((r) => r.Properties);
const alarmNames = (t: Template) =>
  Object.values(t.findResources('AWS::CloudWatch::Alarm'))
    .map((r) => r.Properties.AlarmName as string)
    .sort();

describe('EstateMonitoring', () => {
  test('an hourly and a daily schedule named <endpoint>-hourly and -daily by default, each starting the runner with its scheduled time', () => {
    const { template } = build();
    expect(
      schedules(template)
        .map((s) => [s.Name, s.ScheduleExpression])
        .sort(),
    ).toEqual([
      ['prod-fraud-score-daily', 'cron(30 6 * * ? *)'],
      ['prod-fraud-score-hourly', 'cron(15 * * * ? *)'],
    ]);
    for (const s of schedules(template))
      expect(JSON.parse(s.Target.Input)).toEqual({
        window: expect.stringMatching(/^(hour|day)$/),
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
  });

  test('the names given are the names used; only the schedules asked for exist', () => {
    const { template } = build({ scheduleNames: { hourly: 'a-hourly', daily: 'b-daily' }, modelQuality: false });
    expect(schedules(template).map((s) => s.Name)).toEqual(['a-hourly']);
    expect(schedules(build({ dataQuality: false }).template).map((s) => s.Name)).toEqual(['prod-fraud-score-daily']);
  });

  test('a schedule name over 64 characters (EventBridge Scheduler) is refused, naming it and its length; 64 passes', () => {
    const at = `${'x'.repeat(58)}-daily`;
    expect(at).toHaveLength(64);
    expect(
      schedules(build({ scheduleNames: { hourly: 'ok-hourly', daily: at } }).template).map((s) => s.Name),
    ).toContain(at);
    const over = `${'x'.repeat(59)}-daily`;
    expect(() => build({ scheduleNames: { hourly: 'ok-hourly', daily: over } })).toThrow(
      `Monitoring: schedule names must be at most 64 characters (EventBridge Scheduler); got ${over} (65): pass scheduleNames`,
    );
    // The default from a long endpoint name is refused too, rather than failing at deployment.
    expect(() => build({ endpointName: 'e'.repeat(60) })).toThrow(/schedule names must be at most 64 characters/);
  });

  test('undelivered runs rest in a DeadLetterQueue on the ML key, TLS only, its being one acknowledged with the reason', () => {
    const { template, mlKeyId, m } = build();
    const [queueId] = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(template.toJSON().Resources[queueId].Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [mlKeyId, 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    for (const s of schedules(template))
      expect(s.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    const queue = m.node.findChild('UndeliveredRuns');
    const acks = queue.node
      .defaultChild!.node.metadata.filter((x) => x.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((x) => Object.keys(x.data));
    expect(acks.map((k) => k.replace(/^Annotation::/, '')).sort()).toEqual([...DEAD_LETTER_QUEUE_FINDINGS].sort());
  });

  test('the runner starts only network-isolated, traffic-encrypted jobs under the ML key, and publishes only to the estate namespace', () => {
    const { template, mlKeyId } = build();
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const start = statements.find((s) => s.Sid === 'StartIsolatedJobs');
    expect(start.Condition).toEqual({
      Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
      ArnEquals: {
        'sagemaker:VolumeKmsKeyArn': { 'Fn::GetAtt': [mlKeyId, 'Arn'] },
        'sagemaker:OutputKmsKeyArn': { 'Fn::GetAtt': [mlKeyId, 'Arn'] },
      },
    });
    expect(statements.find((s) => s.Sid === 'PublishMonitoringMetrics').Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': MONITORING_NAMESPACE },
    });
    // Nothing else grants CreateProcessingJob.
    expect(statements.filter((s) => [s.Action].flat().includes('sagemaker:CreateProcessingJob'))).toHaveLength(1);
  });

  test('alarms per signal, named <endpoint>-<kind>; the quality and drift alarms are the retraining alarms', () => {
    const { template, m } = build();
    expect(alarmNames(template)).toEqual(
      [
        'bias-age_band',
        'data-quality',
        'f1',
        'feature-drift',
        'model-quality',
        'monitoring-failed',
        'monitoring-silent',
        'score-drift',
      ]
        .map((k) => `prod-fraud-score-${k}`)
        .sort(),
    );
    expect(m.retrainingAlarms.map((a) => a.node.id)).toEqual([
      'Alarm-model-quality',
      'Alarm-feature-drift',
      'Alarm-score-drift',
    ]);
    expect(m.qualityAlarm).toBe(m.retrainingAlarms[0]);
  });

  test(`more than ${MAX_MONITORED_VARIANTS} variants read (a shadow counts) is refused`, () => {
    const six = Array.from({ length: MAX_MONITORED_VARIANTS }, (_, i) => `v${i}`);
    expect(() => build({ variants: six })).not.toThrow();
    expect(() => build({ variants: six, shadowVariant: 'shadow' })).toThrow(
      `Monitoring: prod-fraud-score has 7 production and shadow variants; the estate's monitoring reads at most 6`,
    );
  });

  test('a region without a known scikit-learn image is refused, saying what to add', () => {
    expect(() => build({}, 'mars-north-1')).toThrow(
      /Monitoring: no scikit-learn processing image is known for mars-north-1; add its registry to SKLEARN_PROCESSING_REGISTRY/,
    );
    expect(reExported).toBe(sklearnProcessingImage);
    expect(sklearnProcessingImage('eu-west-1', 'x')).toBe(
      `${SKLEARN_PROCESSING_REGISTRY['eu-west-1']}.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
    );
  });
});
