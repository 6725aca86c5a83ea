import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';

/** The findings a dead-letter queue has by being one: it has no dead-letter queue of its own. */
export const DEAD_LETTER_QUEUE_FINDINGS = ['Serverless-SQSRedrivePolicy', 'AwsSolutions-SQS3'] as const;

export interface DeadLetterQueueProps {
  /** Customer-managed key the messages are encrypted with (whoever sends to the queue needs a grant on it). */
  readonly encryptionKey: kms.IKey;
  /**
   * Why the queue has no dead-letter queue of its own, for the reviewer: what
   * it receives and what happens to a message there.
   */
  readonly reason: string;
  /**
   * The findings the reason acknowledges.
   * @default DEAD_LETTER_QUEUE_FINDINGS
   */
  readonly acknowledgedFindings?: readonly string[];
  /**
   * How long an undelivered message rests for investigation.
   * @default Duration.days(14), SQS's maximum
   */
  readonly retentionPeriod?: Duration;
}

/**
 * Where undelivered events, failed invocations or unsent notifications rest
 * for investigation: KMS-encrypted with a customer key, TLS only, kept 14
 * days, and its being a dead-letter queue itself acknowledged with the reason.
 */
export class DeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
    });
    acknowledgeFindings(this, props.acknowledgedFindings ?? DEAD_LETTER_QUEUE_FINDINGS, props.reason);
  }
}
