import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** What each customer-managed key protects. One key per purpose keeps blast radius and grants small. */
export const KEY_PURPOSES = ['data', 'ml', 'logs', 'audit'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

const DESCRIPTIONS: Record<KeyPurpose, string> = {
  data: 'Training and feature data, feature store offline and online stores',
  ml: 'Model artifacts, endpoint volumes, data capture and monitoring outputs',
  logs: 'CloudWatch Logs: VPC flow logs, function logs, CloudTrail log stream',
  audit: 'CloudTrail log files and digests in the Object Lock audit bucket',
};

export interface EncryptionKeysProps {
  /**
   * Prefix of the key aliases: keys are `alias/<aliasPrefix>/<purpose>`.
   */
  readonly aliasPrefix: string;
  /**
   * Days a key waits in PendingDeletion before it is gone. The longest window
   * gives the most time to notice and cancel a mistaken deletion.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * One customer-managed KMS key per purpose (data, ml, logs, audit), each with
 * yearly automatic rotation and an alias.
 *
 * Key policies name principals only: the account root (so IAM policies in this
 * account can be granted use, as AWS recommends) and, on the logs key, the
 * CloudWatch Logs service of this account and region, limited by encryption
 * context to this account's log groups. Consumers add their own narrow
 * statements (the audit trail adds CloudTrail's, for example).
 */
/**
 * A customer-managed key with the estate's defaults: yearly rotation and the
 * longest deletion window. Its policy names the account root only; consumers
 * add their own narrow statements.
 */
export function customerKey(
  scope: Construct,
  id: string,
  props: { description: string; alias?: string; pendingWindow?: Duration },
): kms.Key {
  return new kms.Key(scope, id, {
    description: props.description,
    alias: props.alias,
    enableKeyRotation: true,
    rotationPeriod: Duration.days(365),
    pendingWindow: props.pendingWindow ?? Duration.days(30),
  });
}

/** Lets CloudWatch Logs of this account and region use the key, for this account's log groups only. */
export function allowCloudWatchLogsOfThisAccount(key: kms.Key): void {
  const { region, account, partition } = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
      // No kms:Describe*: DescribeKey carries no encryption context, so under this condition it was never granted.
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*` },
      },
    }),
  );
}

export class EncryptionKeys extends Construct {
  readonly data: kms.Key;
  readonly ml: kms.Key;
  readonly logs: kms.Key;
  readonly audit: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeysProps) {
    super(scope, id);
    const make = (purpose: KeyPurpose) =>
      customerKey(this, `${purpose[0].toUpperCase()}${purpose.slice(1)}Key`, {
        description: `${props.aliasPrefix}: ${DESCRIPTIONS[purpose]}`,
        alias: `alias/${props.aliasPrefix}/${purpose}`,
        pendingWindow: props.pendingWindow,
      });
    this.data = make('data');
    this.ml = make('ml');
    this.logs = make('logs');
    this.audit = make('audit');

    allowCloudWatchLogsOfThisAccount(this.logs);
  }

  /** The keys by purpose, for loops and tests. */
  get all(): Record<KeyPurpose, kms.Key> {
    return { data: this.data, ml: this.ml, logs: this.logs, audit: this.audit };
  }
}
