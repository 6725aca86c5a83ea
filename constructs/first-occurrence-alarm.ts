import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface FirstOccurrenceAlarmProps {
  /** What happened and what a person does about it: the alarm's description. */
  readonly description: string;
  /** A count (or a maximum of one) over one period: a single occurrence fires the alarm. */
  readonly metric: cloudwatch.IMetric;
  /** Whether no data means trouble (a publisher that stopped) or nothing happened. */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** Where the alarm is announced. */
  readonly topic: sns.ITopic;
  /**
   * Whether the return to OK is announced too.
   * @default false
   */
  readonly announceRecovery?: boolean;
}

/**
 * An alarm that fires on the first occurrence of what its metric counts (1 or more in one period), announced on a
 * topic.
 */
export function firstOccurrenceAlarm(scope: Construct, id: string, props: FirstOccurrenceAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: props.treatMissingData,
  });
  alarm.addAlarmAction(new actions.SnsAction(props.topic));
  if (props.announceRecovery) alarm.addOkAction(new actions.SnsAction(props.topic));
  return alarm;
}
