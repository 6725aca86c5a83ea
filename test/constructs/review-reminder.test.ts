/**
 * ReviewReminder on its own: one at a time, reads packages and publishes to
 * the given topic, nothing else; its schedule per review period.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ReviewReminder, ReviewSchedule, reviewSchedule } from '../../constructs/review-reminder';
import { cdkJsonContext } from '../support/estate';

describe('ReviewReminder', () => {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const reminder = new ReviewReminder(stack, 'ReviewReminder', {
    vpc,
    encryptionKey: new kms.Key(stack, 'MlKey'),
    logsKey: new kms.Key(stack, 'LogsKey'),
    config: {},
    notifications: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:decisions'),
    packageArns: ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/*'],
  });
  new ReviewSchedule(stack, 'ReviewHighRisk', { reminder, tier: 'high', everyMonths: 3 });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );

  test('one at a time; reads packages and publishes to the topic, nothing else', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:decisions' } },
    });
    const granted = statements.filter((s: any) =>
      ['FindApprovedPackages', 'ReadGovernedPackages', 'Notify', 'EncryptNotifications'].includes(s.Sid),
    );
    expect(granted.map((s: any) => [s.Sid, s.Action, s.Resource])).toEqual([
      ['FindApprovedPackages', 'sagemaker:ListModelPackages', '*'],
      [
        'ReadGovernedPackages',
        'sagemaker:DescribeModelPackage',
        'arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/*',
      ],
      ['Notify', 'sns:Publish', 'arn:aws:sns:eu-west-1:123456789012:decisions'],
      ['EncryptNotifications', ['kms:Decrypt', 'kms:GenerateDataKey'], expect.anything()],
    ]);
    const all = statements.flatMap((s: any) => [s.Action].flat());
    expect(all.filter((a: string) => /^(s3|sagemaker:(Update|Create|Delete))/.test(a))).toEqual([]);
  });

  test("a rule's target carries the tier, retries four times, then the dead-letter queue", () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as any[];
    expect(rule.Properties.ScheduleExpression).toBe('cron(0 8 1 1,4,7,10 ? *)');
    expect(rule.Properties.Description).toBe('Periodic review of high-risk models, every 3 month(s)');
    expect(rule.Properties.Targets[0]).toMatchObject({
      Input: '{"tier":"high"}',
      RetryPolicy: { MaximumRetryAttempts: 4 },
    });
    expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
  });

  test.each([
    [1, 'cron(0 8 1 1,2,3,4,5,6,7,8,9,10,11,12 ? *)'],
    [6, 'cron(0 8 1 1,7 ? *)'],
    [12, 'cron(0 8 1 1 ? *)'],
    [5, 'cron(0 8 1 * ? *)'],
  ])('every %p month(s): %s', (months, expression) => {
    expect(reviewSchedule(months).expressionString).toBe(expression);
  });

  test.each([0, -3, 2.5])('a period of %p months is refused', (months) => {
    expect(() => reviewSchedule(months)).toThrow(/months must be a whole number of months, at least 1/);
  });
});
