/**
 * TrainingPipeline on its own: names, role path and definition come from
 * props (no estate config); each configured trigger, and only those, starts
 * this pipeline through a role that can start nothing else, with retries and
 * a KMS dead-letter queue; the role registers pending versions only.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  RetrainingSpec,
  TRIGGER_PARAMETER,
  TrainingPipeline,
  TrainingPipelineProps,
  TrainingPipelineTargets,
} from '../../constructs/training-pipeline';

const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/credit-train:1.0';
const PROCESSING = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/credit-process@sha256:' + 'a'.repeat(64);

function build(
  training: Partial<RetrainingSpec> = {},
  extra: (stack: Stack) => Partial<TrainingPipelineProps> = () => ({}),
) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const mlKey = new kms.Key(stack, 'MlKey');
  let targets: TrainingPipelineTargets | undefined;
  const pipeline = new TrainingPipeline(stack, 'Training', {
    environmentName: 'staging',
    model: { id: 'credit-default', riskTier: 'high' },
    training: { image: IMAGE, processingImage: PROCESSING, onAlarm: false, onMarketEvent: false, ...training },
    pipelineName: 'staging-credit-default-training',
    rolePath: '/estate-training/',
    definition: (t) => {
      targets = t;
      return { Version: '2020-12-01', Steps: [] };
    },
    subnets: vpc.isolatedSubnets,
    securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
    dataBucketName: 'training-data-123456789012-eu-west-1',
    dataKey: new kms.Key(stack, 'DataKey'),
    mlKey,
    artifactBucket: new s3.Bucket(stack, 'Artifacts'),
    guardFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:guard',
    notifications: new sns.Topic(stack, 'Topic'),
    ...extra(stack),
  });
  return {
    stack,
    vpc,
    pipeline,
    template: Template.fromStack(stack),
    targets: targets!,
    mlKeyId: stack.getLogicalId(mlKey.node.defaultChild as kms.CfnKey),
  };
}

const rulesStarting = (template: Template) =>
  Object.values(template.findResources('AWS::Events::Rule')).filter(
    (r: any) => r.Properties.Targets?.[0]?.SageMakerPipelineParameters,
  );

describe('TrainingPipeline', () => {
  test('the pipeline takes its name and role path from props, and its definition is built from where it runs', () => {
    const { template, targets, pipeline, vpc } = build({ schedule: 'rate(7 days)' });
    template.hasResourceProperties('AWS::SageMaker::Pipeline', {
      PipelineName: 'staging-credit-default-training',
      ParallelismConfiguration: { MaxParallelExecutionSteps: 1 },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/estate-training/',
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
      },
    });
    expect(pipeline.pipelineName).toBe('staging-credit-default-training');
    expect(targets.pipelineName).toBe('staging-credit-default-training');
    expect(targets.dataBucket).toBe('training-data-123456789012-eu-west-1');
    expect(targets.guardFunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:guard');
    expect(targets.subnets).toEqual(vpc.isolatedSubnets.map((s) => s.subnetId));
  });

  test('no trigger configured: no rule starts the pipeline', () => {
    const { template, pipeline } = build();
    expect(rulesStarting(template)).toHaveLength(0);
    expect(pipeline.triggers).toEqual({ schedule: undefined, alarm: undefined, 'market-event': undefined });
  });

  test('each configured trigger starts this pipeline, named in the trigger parameter, with retries and the dead-letter queue', () => {
    // The market trigger needs a bus, the alarm trigger alarms: without them neither is created.
    expect(
      rulesStarting(build({ schedule: 'cron(0 2 * * ? *)', onMarketEvent: true, onAlarm: true }).template),
    ).toHaveLength(1);
    const { template } = build({ schedule: 'cron(0 2 * * ? *)', onAlarm: true, onMarketEvent: true }, (stack) => ({
      marketEventBus: new events.EventBus(stack, 'Market'),
      retrainingAlarms: [
        new cloudwatch.Alarm(stack, 'Quality', {
          metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }),
          threshold: 1,
          evaluationPeriods: 1,
        }),
      ],
    }));
    const rules = rulesStarting(template) as any[];
    expect(
      rules
        .map((r) => r.Properties.Targets[0].SageMakerPipelineParameters.PipelineParameterList[0])
        .sort((a, b) => a.Value.localeCompare(b.Value)),
    ).toEqual([
      { Name: TRIGGER_PARAMETER, Value: 'alarm' },
      { Name: TRIGGER_PARAMETER, Value: 'market-event' },
      { Name: TRIGGER_PARAMETER, Value: 'schedule' },
    ]);
    for (const r of rules) {
      expect(r.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 });
      expect(r.Properties.Targets[0].DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/UndeliveredTriggers/), 'Arn'],
      });
    }
  });

  test('the trigger role may start this pipeline and nothing else', () => {
    const { template } = build({ schedule: 'rate(1 day)' });
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Sid === 'StartThisPipeline');
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('sagemaker:StartPipelineExecution');
    expect(JSON.stringify(statements[0].Resource)).toContain(':pipeline/staging-credit-default-training');
  });

  test('the role registers versions only as PendingManualApproval, and only in its own model package group', () => {
    const { template } = build({ schedule: 'rate(1 day)' });
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (p: any) => p.Properties.PolicyDocument.Statement,
    );
    const register = statements.find((s: any) => s.Sid === 'RegisterPendingVersions');
    expect(register.Condition).toEqual({ StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } });
    expect(JSON.stringify(register.Resource)).toContain('model-package/credit-default/*');
    expect(JSON.stringify(register.Resource)).not.toContain('model-package/*');
  });

  test('the dead-letter queue is encrypted with the ML key and refuses plain HTTP', () => {
    const { template, mlKeyId } = build({ schedule: 'rate(1 day)' });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [mlKeyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
