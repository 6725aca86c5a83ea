/**
 * DeadLetterQueue: customer key, TLS only, 14 days, and its own lack of a
 * dead-letter queue acknowledged with the caller's reason, one finding per
 * acknowledgement; a short reason is refused.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DEAD_LETTER_QUEUE_FINDINGS, DeadLetterQueue, DeadLetterQueueProps } from '../../constructs/dead-letter-queue';

const REASON = 'This queue is itself the dead-letter queue of the probe rules; undelivered events rest here.';

function build(props: Partial<DeadLetterQueueProps> = {}) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const queue = new DeadLetterQueue(stack, 'Undelivered', { encryptionKey: key, reason: REASON, ...props });
  return {
    stack,
    queue,
    template: Template.fromStack(stack),
    keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey),
  };
}

/** The acknowledgements recorded on the queue's resource, where cdk's Validations store them. */
const acknowledgements = (queue: DeadLetterQueue) =>
  queue.node
    .defaultChild!.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map((m) => JSON.stringify(m.data));

describe('DeadLetterQueue', () => {
  test('encrypted with the given customer key, kept 14 days, plain HTTP denied', () => {
    const { template, keyId } = build();
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
  });

  test('a retention of its own', () => {
    build({ retentionPeriod: Duration.days(4) }).template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
  });

  test('acknowledges exactly the findings of being a dead-letter queue, each with the reason', () => {
    const all = acknowledgements(build().queue).join('\n');
    for (const id of DEAD_LETTER_QUEUE_FINDINGS) expect(all).toContain(id);
    expect(all).toContain(REASON);
    const one = acknowledgements(build({ acknowledgedFindings: ['Serverless-SQSRedrivePolicy'] }).queue).join('\n');
    expect(one).toContain('Serverless-SQSRedrivePolicy');
    expect(one).not.toContain('AwsSolutions-SQS3');
  });

  test('a reason a reviewer cannot check is refused', () => {
    expect(() => build({ reason: 'dead letters' })).toThrow(/under 20 characters/);
  });
});
