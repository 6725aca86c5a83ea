/**
 * ModelDecisionsTopic on its own: encrypted with the given key, SSL only; the key lets CloudWatch alarms of this
 * account and EventBridge publish to it, nobody else.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ModelDecisionsTopic } from '../../constructs/model-decisions-topic';

describe('ModelDecisionsTopic', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'MlKey');
  new ModelDecisionsTopic(stack, 'ModelDecisions', { environment: 'staging', encryptionKey: key });
  const template = Template.fromStack(stack);
  const keyStatements = (Object.values(template.findResources('AWS::KMS::Key'))[0] as any).Properties.KeyPolicy
    .Statement;

  test('encrypted with the given key, named for its environment, SSL only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'staging model decisions, endpoint alarms and training failures',
      KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as any[];
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    );
  });

  test('CloudWatch publishes for this account only; EventBridge, which sends KMS no source, without a condition', () => {
    const bySid = Object.fromEntries(keyStatements.map((s: any) => [s.Sid, s]));
    expect(bySid.AlarmsPublishToTheModelTopic).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    expect(bySid.EventsPublishToTheModelTopic).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    });
    expect(bySid.EventsPublishToTheModelTopic.Condition).toBeUndefined();
  });
});
