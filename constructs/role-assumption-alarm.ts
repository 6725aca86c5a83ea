import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface RoleAssumptionAlarmProps {
  /** The role whose every assumption is announced, by its exact ARN (as STS's callers name it). */
  readonly roleArn: string;
  /** What the role is, for the alarm's description (`the model-risk approver role`). */
  readonly purpose: string;
  /**
   * The CloudWatch Logs copy of the account's multi-region trail: an assumption made through any
   * STS endpoint (the global one is recorded in us-east-1) reaches it, wherever the call was made.
   */
  readonly trailLogGroup: logs.ILogGroup;
  /** Where each assumption is announced. CloudWatch must be able to publish to it (and use its key). */
  readonly alerts: sns.ITopic;
  /** Metric namespace and name the filter counts assumptions under. */
  readonly metricNamespace: string;
  readonly metricName: string;
}

/**
 * Announces every assumption of a role: a metric filter on the trail's log
 * copy counting `AssumeRole` calls naming it, and an alarm that fires on the
 * first one in a minute. For roles a person assumes to take a decision the
 * estate trusts by name (the model-risk approver), so that each session is
 * seen, as break-glass's are.
 */
export class RoleAssumptionAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;
  readonly filter: logs.MetricFilter;

  constructor(scope: Construct, id: string, props: RoleAssumptionAlarmProps) {
    super(scope, id);
    this.filter = new logs.MetricFilter(this, 'Assumed', {
      logGroup: props.trailLogGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.eventName', '=', 'AssumeRole'),
        logs.FilterPattern.stringValue('$.requestParameters.roleArn', '=', props.roleArn),
      ),
      metricNamespace: props.metricNamespace,
      metricName: props.metricName,
      metricValue: '1',
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: `${props.purpose} was assumed (any region or STS endpoint)`,
      metric: this.filter.metric({ statistic: 'Sum', period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new actions.SnsAction(props.alerts));
  }
}
