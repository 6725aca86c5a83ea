import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Alarm thresholds that roll a deployment back. */
export const ROLLBACK_THRESHOLDS = {
  /** p99 ModelLatency over three consecutive minutes, in microseconds. */
  p99LatencyMicros: 1_000_000,
  /** 5XX responses per minute in two of three minutes. */
  errors5xxPerMinute: 5,
  /** 4XX responses per minute in five of five minutes (callers' errors: alert, no rollback). */
  errors4xxPerMinute: 50,
};

/** What the alarms and the dashboard read of an endpoint: its name and the metrics of its variants. */
export interface EndpointMetrics {
  readonly endpointName: string;
  metricInvocations(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricModelLatency(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricInvocation4XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricInvocation5XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricCpuUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricGpuUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** An alarm under `scope` that notifies the topic when it fires and when it clears; missing data is not a breach. */
export function notifyingAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  props: cloudwatch.AlarmProps,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    ...props,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
  return alarm;
}

export interface VariantAlarmsProps {
  /** The model served (descriptions). */
  readonly modelId: string;
  /** Production variants: 5XX and latency alarms that roll a deployment back, and a 4XX alarm. */
  readonly variants: readonly string[];
  /**
   * The shadow variant: 5XX and latency alarms that notify only.
   * @default - no shadow variant
   */
  readonly shadow?: string;
  readonly alarmTopic: sns.ITopic;
}

/**
 * The alarms of each variant, made under `scope` (construct IDs `<kind>-<variant>`, names
 * `<endpoint>-<variant>-<kind>`): per production variant 5XX errors and p99 latency, which roll a deployment back,
 * and 4XX errors (callers' errors: notify only); the shadow variant gets the same 5XX and latency alarms on its own
 * dimensions: its responses reach no caller, so nothing else shows its failures, and the deployment gate requires
 * them of the variant that serves a promoted version. They notify but do not roll back: a failing shadow harms no
 * caller, and it is judged before promotion. Returns every alarm in the order made, and the rollback alarms.
 */
export function variantAlarms(
  scope: Construct,
  endpoint: EndpointMetrics,
  props: VariantAlarmsProps,
): { readonly all: cloudwatch.Alarm[]; readonly rollback: cloudwatch.Alarm[] } {
  const all: cloudwatch.Alarm[] = [];
  const rollback: cloudwatch.Alarm[] = [];
  const alarm = (
    variant: string,
    kind: string,
    m: cloudwatch.Metric,
    threshold: number,
    evaluationPeriods: number,
    datapointsToAlarm: number,
    description: string,
  ) => {
    const a = notifyingAlarm(scope, `${kind}-${variant}`, props.alarmTopic, {
      alarmName: `${endpoint.endpointName}-${variant}-${kind}`,
      alarmDescription: description,
      metric: m,
      threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    all.push(a);
    return a;
  };
  const { p99LatencyMicros, errors5xxPerMinute, errors4xxPerMinute } = ROLLBACK_THRESHOLDS;
  for (const v of props.variants) {
    rollback.push(
      alarm(
        v,
        'errors-5xx',
        endpoint.metricInvocation5XXErrors(v),
        errors5xxPerMinute,
        3,
        2,
        `${props.modelId} ${v}: 5XX errors; rolls back a deployment`,
      ),
      alarm(
        v,
        'latency-p99',
        endpoint.metricModelLatency(v),
        p99LatencyMicros,
        3,
        3,
        `${props.modelId} ${v}: p99 model latency over ${p99LatencyMicros / 1000} ms; rolls back a deployment`,
      ),
    );
    alarm(
      v,
      'errors-4xx',
      endpoint.metricInvocation4XXErrors(v),
      errors4xxPerMinute,
      5,
      5,
      `${props.modelId} ${v}: callers receive 4XX errors`,
    );
  }
  if (props.shadow) {
    const s = props.shadow;
    alarm(
      s,
      'errors-5xx',
      endpoint.metricInvocation5XXErrors(s),
      errors5xxPerMinute,
      3,
      2,
      `${props.modelId} ${s} (shadow): 5XX errors on the copy of live traffic`,
    );
    alarm(
      s,
      'latency-p99',
      endpoint.metricModelLatency(s),
      p99LatencyMicros,
      3,
      3,
      `${props.modelId} ${s} (shadow): p99 model latency over ${p99LatencyMicros / 1000} ms`,
    );
  }
  return { all, rollback };
}

export interface EndpointDashboardProps {
  /** Every variant shown, production and shadow. */
  readonly variants: readonly string[];
  /** Widgets of the endpoint's monitoring, two to a row. */
  readonly monitoringWidgets: readonly cloudwatch.IWidget[];
  /** Shown in the alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * The endpoint's dashboard (named like the endpoint, three hours by default): latency, invocations, errors and
 * CPU / GPU use per variant, the monitoring's widgets, and the status of every alarm.
 */
export function endpointDashboard(
  scope: Construct,
  id: string,
  endpoint: EndpointMetrics,
  props: EndpointDashboardProps,
): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, id, {
    dashboardName: endpoint.endpointName,
    defaultInterval: Duration.hours(3),
  });
  const variants = props.variants;
  const graph = (title: string, metrics: cloudwatch.IMetric[], left?: cloudwatch.YAxisProps) =>
    new cloudwatch.GraphWidget({ title, left: metrics, width: 12, leftYAxis: left });
  dashboard.addWidgets(
    graph(
      'p99 model latency (µs)',
      variants.map((v) => endpoint.metricModelLatency(v)),
    ),
    graph(
      'Invocations',
      variants.map((v) => endpoint.metricInvocations(v)),
    ),
  );
  dashboard.addWidgets(
    graph(
      '4XX / 5XX errors',
      variants.flatMap((v) => [endpoint.metricInvocation4XXErrors(v), endpoint.metricInvocation5XXErrors(v)]),
    ),
    graph(
      'CPU / GPU use (%)',
      variants.flatMap((v) => [endpoint.metricCpuUtilization(v), endpoint.metricGpuUtilization(v)]),
    ),
  );
  const live = props.monitoringWidgets;
  for (let i = 0; i < live.length; i += 2) dashboard.addWidgets(...live.slice(i, i + 2));
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }));
  return dashboard;
}
