/**
 * The registry's rules on their own: a package status change of the given groups (or of every group) reaching a
 * status, and CloudTrail's UpdateModelPackage calls, each sent to a function with its retries and dead-letter queue.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PackageStatusCallRule, PackageStatusRule } from '../../constructs/model-package-rules';

describe('PackageStatusRule and PackageStatusCallRule', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const fn = lambda.Function.fromFunctionArn(stack, 'Gate', 'arn:aws:lambda:eu-west-1:123456789012:function:gate');
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetters');
  const target = { function: fn, deadLetterQueue };
  new PackageStatusRule(stack, 'Listed', {
    description: 'listed groups',
    packageGroups: ['fraud-score', 'credit-default'],
    approvalStatus: 'PendingManualApproval',
    ...target,
  });
  new PackageStatusRule(stack, 'Every', { description: 'every group', approvalStatus: 'Approved', ...target });
  new PackageStatusCallRule(stack, 'Calls', target);
  const template = Template.fromStack(stack);
  const rule = (description: RegExp) =>
    (Object.values(template.findResources('AWS::Events::Rule')) as any[]).find((r) =>
      description.test(r.Properties.Description),
    ).Properties;

  test('a status change of the listed groups reaching the status: four retries within six hours, then the queue', () => {
    const listed = rule(/^listed groups$/);
    expect(listed.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      detail: {
        ModelPackageGroupName: ['fraud-score', 'credit-default'],
        ModelApprovalStatus: ['PendingManualApproval'],
      },
    });
    expect(listed.Targets).toEqual([
      expect.objectContaining({
        Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:gate',
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 6 * 3600 },
        DeadLetterConfig: expect.anything(),
      }),
    ]);
  });

  test('without groups, every group of the account', () => {
    expect(rule(/^every group$/).EventPattern.detail).toEqual({ ModelApprovalStatus: ['Approved'] });
  });

  test("CloudTrail's UpdateModelPackage calls: eight retries within a day, then the queue", () => {
    const calls = rule(/overwritten by the approval gate is restored/);
    expect(calls.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
    });
    expect(calls.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
    });
    expect(calls.Targets[0].DeadLetterConfig).toBeDefined();
  });
});
