import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ROUND_IN_FLIGHT_MS,
  SWEEP_EVENT,
  SWEEP_EVERY_MINUTES,
  WAITING_MARGIN_MS,
  WAITING_METRIC,
} from '../lambdas/model-approval-gate/sweep-contract';
import { firstOccurrenceAlarm } from './first-occurrence-alarm';

export interface ApprovalWaitSweepProps {
  /** The approval gate's function. */
  readonly function: lambda.IFunction;
  /** Where an undeliverable sweep invocation rests (the gate's dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** The environment's topic: the alarm and its recovery are announced there. */
  readonly alarmTopic: sns.ITopic;
  /** The environment's name: the metric's dimension, as the gate publishes it. */
  readonly environment: string;
}

/**
 * Keeps the approval gate's judgement of a person's call live. A call judged `wait` (or a restoration that failed)
 * is retried by Lambda only twice, about three minutes in all, while a wait can last up to the round's time in flight
 * (lambdas/model-approval-gate/sweep-contract.ts). A rule invokes the gate every few minutes with a constant input; the
 * gate judges again each pending call its index holds and publishes how many stay pending too long. An alarm on the
 * environment's topic fires when any does, or when the sweep stops publishing (missing data is breaching).
 */
export class ApprovalWaitSweep extends Construct {
  readonly rule: events.Rule;
  readonly alarm: cloudwatch.Alarm;
  /** Fires while the gate's dead-letter queue holds an event (a call never judged). */
  readonly undeliveredAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ApprovalWaitSweepProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Schedule', {
      description:
        "Has the approval gate judge again the person calls it could not judge yet (Lambda's own retries end after about three minutes)",
      schedule: events.Schedule.rate(Duration.minutes(SWEEP_EVERY_MINUTES)),
      targets: [
        new targets.LambdaFunction(props.function, {
          event: events.RuleTargetInput.fromObject(SWEEP_EVENT),
          // A sweep not delivered in time is replaced by the next one.
          maxEventAge: Duration.minutes(SWEEP_EVERY_MINUTES),
          retryAttempts: 2,
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
    const waitedMinutes = (ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS) / 60_000;
    this.alarm = firstOccurrenceAlarm(this, 'PendingTooLong', {
      description: `A person's call on a model package has been pending in the approval gate for more than ${waitedMinutes} minutes, or a pending call's record cannot be read, or the sweep has stopped: the package is not promoted meanwhile; see the gate's sweep report in its logs and the approval/_waiting/ index of the decision records`,
      metric: new cloudwatch.Metric({
        namespace: WAITING_METRIC.namespace,
        metricName: WAITING_METRIC.metricName,
        dimensionsMap: { [WAITING_METRIC.dimension]: props.environment },
        statistic: 'Maximum',
        period: Duration.minutes(2 * SWEEP_EVERY_MINUTES),
      }),
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      topic: props.alarmTopic,
      announceRecovery: true,
    });
    // An event the gate could not take (its two async retries spent, or the rule could not deliver it) rests in the
    // dead-letter queue with nothing recorded: a person's call not yet judged. Announced at once, so a person redrives
    // it.
    this.undeliveredAlarm = firstOccurrenceAlarm(this, 'Undelivered', {
      description: `An event the approval gate could not take rests in its dead-letter queue: a registration or a person's call on a model package is not judged until it is redriven (the deployment gate refuses a package whose person call is not recorded meanwhile)`,
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      topic: props.alarmTopic,
    });
  }
}
