import * as path from 'node:path';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { GateBaseProps, GateFunction } from './gate-function';

export interface ReviewReminderProps extends GateBaseProps {
  /** Key of the function's configuration and dead-letter queue, and of the notifications topic. */
  readonly encryptionKey: kms.IKey;
  /** The gate's policy (lambdas/shared/gate-config): each risk tier's review period. */
  readonly config: unknown;
  /** Topic the reminders are sent to. */
  readonly notifications: sns.ITopic;
  /** The governed model packages (one ARN pattern per package group): read only. */
  readonly packageArns: readonly string[];
}

/**
 * The periodic model review reminder (lambdas/review-reminder): finds the
 * approved packages of each risk tier that are due for review and says so on
 * the notifications topic. It reads packages and publishes, nothing else; at
 * most one runs at once. `targetFor()` is a schedule rule's target for a tier.
 */
export class ReviewReminder extends GateFunction {
  constructor(scope: Construct, id: string, props: ReviewReminderProps) {
    super(scope, id, {
      entry: path.join(__dirname, '..', 'lambdas', 'review-reminder', 'handler.ts'),
      description: 'Periodic model review reminder, per risk tier',
      vpc: props.vpc,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: props.config,
      reservedConcurrency: 1,
      environment: { TOPIC_ARN: props.notifications.topicArn },
    });
    const role = this.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindApprovedPackages',
        actions: ['sagemaker:ListModelPackages'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadGovernedPackages',
        actions: ['sagemaker:DescribeModelPackage'],
        resources: [...props.packageArns],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'Notify', actions: ['sns:Publish'], resources: [props.notifications.topicArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptNotifications',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
      }),
    );
    acknowledgeResourceWildcards(
      role.permissionsPolicy!,
      [...props.packageArns],
      'Package versions are created after deployment; the grant is limited to the governed package groups.',
    );
  }

  /** The rule's target: the tier the run is for, four retries, then the dead-letter queue. */
  targetFor(tier: string): events.IRuleTarget {
    return new targets.LambdaFunction(this.function, {
      event: events.RuleTargetInput.fromObject({ tier }),
      retryAttempts: 4,
      deadLetterQueue: this.deadLetterQueue,
    });
  }
}

export interface ReviewScheduleProps {
  /** The reminder it runs. */
  readonly reminder: ReviewReminder;
  /** The risk tier whose models it reviews. */
  readonly tier: string;
  /** The tier's review period, in whole months. */
  readonly everyMonths: number;
}

/** The periodic review of one risk tier: runs the reminder for the tier on its schedule (`reviewSchedule`). */
export class ReviewSchedule extends events.Rule {
  constructor(scope: Construct, id: string, props: ReviewScheduleProps) {
    super(scope, id, {
      description: `Periodic review of ${props.tier}-risk models, every ${props.everyMonths} month(s)`,
      schedule: reviewSchedule(props.everyMonths),
      targets: [props.reminder.targetFor(props.tier)],
    });
  }
}

/**
 * 08:00 UTC on the 1st of every `months`-th month from January when it divides
 * the year (quarterly: Jan, Apr, Jul, Oct); monthly otherwise. The reminder
 * itself works out which models are due, so running more often is harmless.
 */
export function reviewSchedule(months: number): events.Schedule {
  if (!Number.isInteger(months) || months < 1)
    throw new Error(`reviewSchedule: months must be a whole number of months, at least 1 (got ${months})`);
  const list =
    12 % months === 0 ? Array.from({ length: 12 / months }, (_, i) => String(1 + i * months)).join(',') : '*';
  return events.Schedule.cron({ minute: '0', hour: '8', day: '1', month: list });
}
