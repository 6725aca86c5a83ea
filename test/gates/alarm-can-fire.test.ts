/**
 * "OK for the whole bake" shows health only if the alarm could have fired within the bake. The serving variant's
 * 5XX-errors and latency alarms are judged by how they evaluate (statistic, unit, threshold, period, evaluation
 * periods, datapoints to alarm, missing data), against the estate's own alarms as constructs/model-endpoint/ makes
 * them: those pass (read from a real synthesized ModelEndpoint), and each way of making an alarm that stays OK forever
 * fails, naming the alarm and the property.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelEndpoint, ROLLBACK_THRESHOLDS } from '../../constructs/model-endpoint';
import {
  AlarmMetric,
  AlarmView,
  alarmCannotFire,
  ESTATE_ALARM_CEILINGS,
  servingVariantAlarmChecks,
} from '../../lambdas/deployment-gate/policy';
import { modelEndpointProps, monitoringThresholds } from '../../lib/props/endpoints';
import { cdkJsonContext, defaultEstateConfig } from '../support/estate';

const NOW = new Date('2026-11-23T12:00:00Z');
const BAKE = 60;
const LATENCY = "serving variant's latency alarm";
const ERRORS = "serving variant's 5XX errors alarm";
const dims = [
  { name: 'EndpointName', value: 'stg-fraud' },
  { name: 'VariantName', value: 'champion' },
];
const base = {
  namespace: 'AWS/SageMaker',
  dimensions: dims,
  math: false,
  comparison: 'GreaterThanThreshold',
  period: 60,
  evaluationPeriods: 3,
  treatMissingData: 'notBreaching',
};
const ESTATE_LATENCY: AlarmMetric = {
  ...base,
  metricName: 'ModelLatency',
  extendedStatistic: 'p99',
  threshold: 1_000_000,
  datapointsToAlarm: 3,
};
const ESTATE_5XX: AlarmMetric = {
  ...base,
  metricName: 'Invocation5XXErrors',
  statistic: 'Sum',
  threshold: 5,
  datapointsToAlarm: 2,
};
const view = (name: string, watches: AlarmMetric): AlarmView => ({
  name,
  state: 'OK',
  stateUpdated: new Date(NOW.getTime() - 600 * 60_000),
  watches,
});
const judged = (latency: AlarmMetric, errors: AlarmMetric = ESTATE_5XX, extra: AlarmView[] = []) =>
  Object.fromEntries(
    servingVariantAlarmChecks(
      'stg-fraud',
      'champion',
      [view('stg-fraud-champion-errors-5xx', errors), view('stg-fraud-champion-latency-p99', latency), ...extra],
      BAKE,
      NOW,
    ).map((c) => [c.name, c]),
  );

test("the ceilings are the estate's own rollback thresholds", () => {
  expect(ESTATE_ALARM_CEILINGS).toEqual({
    latencyMicros: ROLLBACK_THRESHOLDS.p99LatencyMicros,
    errors5xxPerMinute: ROLLBACK_THRESHOLDS.errors5xxPerMinute,
  });
});

describe("the estate's own alarms could fire within the bake", () => {
  const config = defaultEstateConfig();
  const staging = config.environments.find((e) => e.type === 'staging')!;
  // Every model with a staging endpoint (credit-default's has a shadow variant, alarmed on its own dimensions).
  const cases = config.models.filter((m) => m.endpoints[staging.name]).map((m) => [m.id, m] as const);
  test.each(cases)(
    '%s: every variant alarm of a synthesized staging ModelEndpoint passes, within the configured bake',
    (_id, model) => {
      const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
        env: { account: '222222222222', region: staging.region },
      });
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
      const e = new ModelEndpoint(
        stack,
        'Endpoint',
        modelEndpointProps({
          environment: staging,
          model,
          endpoint: model.endpoints[staging.name]!,
          subnets: vpc.isolatedSubnets,
          securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
          mlKey: new kms.Key(stack, 'Ml'),
          logsKey: new kms.Key(stack, 'Logs'),
          captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', 'inference-capture-222222222222-eu-west-1'),
          alarmTopic: new sns.Topic(stack, 'Topic'),
          packageRegistry: { account: '222222222222', region: staging.region },
          monitoringThresholds: monitoringThresholds(config, model),
        }),
      );
      const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map(
        (r) => r.Properties as Record<string, unknown>,
      );
      const asView = (p: Record<string, unknown>): AlarmView =>
        view(p.AlarmName as string, {
          namespace: p.Namespace as string,
          metricName: p.MetricName as string,
          dimensions: ((p.Dimensions as Array<{ Name: string; Value: string }>) ?? []).map((d) => ({
            name: d.Name,
            value: d.Value,
          })),
          math: p.Metrics !== undefined,
          comparison: p.ComparisonOperator as string,
          statistic: p.Statistic as string | undefined,
          extendedStatistic: p.ExtendedStatistic as string | undefined,
          unit: p.Unit as string | undefined,
          threshold: p.Threshold as number,
          period: p.Period as number,
          evaluationPeriods: p.EvaluationPeriods as number,
          datapointsToAlarm: p.DatapointsToAlarm as number | undefined,
          treatMissingData: p.TreatMissingData as string | undefined,
        });
      const views = alarms.filter((p) => p.Namespace === 'AWS/SageMaker').map(asView);
      const spec = model.endpoints[staging.name]!;
      const variants = [...spec.variants.map((v) => v.name), ...(spec.shadow ? [spec.shadow.name] : [])];
      for (const variant of variants) {
        const checks = servingVariantAlarmChecks(
          e.endpointName,
          variant,
          views,
          config.modelRisk.deployment.stagingBakeMinutes,
          NOW,
        );
        expect(checks.map((c) => [c.name, c.passed, c.detail])).toEqual([
          [ERRORS, true, expect.stringContaining('could fire within the bake')],
          [LATENCY, true, expect.stringContaining('could fire within the bake')],
        ]);
      }
      // The two alarms per variant were read, not skipped.
      expect(views.filter((v) => ['ModelLatency', 'Invocation5XXErrors'].includes(v.watches!.metricName!)).length).toBe(
        2 * variants.length,
      );
    },
  );
});

describe('an alarm that cannot fire within the bake does not stand for the variant', () => {
  test('control: the estate alarms pass', () => {
    const checks = judged(ESTATE_LATENCY);
    expect([checks[ERRORS].passed, checks[LATENCY].passed]).toEqual([true, true]);
  });

  test.each<[string, Partial<AlarmMetric>, RegExp]>([
    [
      'a threshold of 1e15 microseconds',
      { threshold: 1e15 },
      /Threshold 1000000000000000 microseconds is above the estate's 1000000 \(1000 ms\)/,
    ],
    ['one microsecond above the ceiling', { threshold: 1_000_001 }, /Threshold 1000001 microseconds is above/],
    ['no threshold reported', { threshold: undefined }, /Threshold not reported is not a finite number/],
    ['an infinite threshold', { threshold: Infinity }, /Threshold Infinity is not a finite number/],
    [
      'Unit Seconds',
      { unit: 'Seconds' },
      /Unit Seconds matches no datapoint \(SageMaker publishes ModelLatency in Microseconds\)/,
    ],
    ['Unit Milliseconds', { unit: 'Milliseconds' }, /Unit Milliseconds matches no datapoint/],
    [
      'a 1-day period over 7 periods',
      { period: 86_400, evaluationPeriods: 7, datapointsToAlarm: 7 },
      /Period 86400 s x EvaluationPeriods 7 is 10080 minutes, longer than the 60-minute bake/,
    ],
    [
      '61 one-minute periods in a 60-minute bake',
      { evaluationPeriods: 61, datapointsToAlarm: 61 },
      /EvaluationPeriods 61 is 61 minutes, longer than the 60-minute bake/,
    ],
    [
      'a 10-second (high-resolution) period on a one-minute metric',
      { period: 10 },
      /Period 10 is not a whole number of minutes/,
    ],
    ['a 90-second period', { period: 90 }, /Period 90 is not a whole number of minutes/],
    [
      'DatapointsToAlarm above EvaluationPeriods',
      { datapointsToAlarm: 4 },
      /DatapointsToAlarm 4 is not between 1 and EvaluationPeriods 3/,
    ],
    [
      'EvaluationPeriods 0',
      { evaluationPeriods: 0, datapointsToAlarm: undefined },
      /EvaluationPeriods 0 is not a whole number of at least 1/,
    ],
    [
      'the Minimum statistic',
      { extendedStatistic: undefined, statistic: 'Minimum' },
      /statistic Minimum is not one a latency regression moves/,
    ],
    [
      'the SampleCount statistic',
      { extendedStatistic: undefined, statistic: 'SampleCount' },
      /statistic SampleCount is not one/,
    ],
    [
      'the Sum statistic (grows with traffic, not with latency)',
      { extendedStatistic: undefined, statistic: 'Sum' },
      /statistic Sum is not one/,
    ],
    ['the p10 percentile', { extendedStatistic: 'p10' }, /statistic p10 is not one/],
    ['a trimmed mean', { extendedStatistic: 'tm99' }, /statistic tm99 is not one/],
    ['no statistic reported', { extendedStatistic: undefined }, /statistic not reported is not one/],
    ['TreatMissingData ignore', { treatMissingData: 'ignore' }, /TreatMissingData ignore keeps the alarm's last state/],
  ])('latency: %s fails, naming the alarm and the property', (_label, patch, reason) => {
    const checks = judged({ ...ESTATE_LATENCY, ...patch });
    expect(checks[LATENCY]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        /^no latency alarm of variant champion could fire within the 60-minute bake, so its quiet shows nothing: stg-fraud-champion-latency-p99: /,
      ),
    });
    expect(checks[LATENCY].detail).toMatch(reason);
    expect(checks[ERRORS].passed).toBe(true);
  });

  test.each<[string, Partial<AlarmMetric>, RegExp]>([
    [
      'a threshold of 1e9 errors a minute',
      { threshold: 1e9 },
      /Threshold 1000000000 5XX errors per 60-second period is above the estate's 5 per minute \(5\)/,
    ],
    ['6 errors a minute', { threshold: 6 }, /Threshold 6 5XX errors per 60-second period is above/],
    [
      '26 errors per 5-minute period',
      { threshold: 26, period: 300, evaluationPeriods: 3 },
      /Threshold 26 5XX errors per 300-second period is above the estate's 5 per minute \(25\)/,
    ],
    [
      'the Average (a share) with a threshold of 1',
      { statistic: 'Average', threshold: 1 },
      /Threshold 1 on the Average \(a share of requests, at most 1\) is never exceeded/,
    ],
    ['the Maximum statistic', { statistic: 'Maximum' }, /statistic Maximum is not Sum/],
    ['a percentile', { statistic: undefined, extendedStatistic: 'p99' }, /statistic p99 is not Sum/],
    [
      'Unit Count (SageMaker publishes None)',
      { unit: 'Count' },
      /Unit Count matches no datapoint \(SageMaker publishes Invocation5XXErrors in None\)/,
    ],
    [
      'a 2-hour window in a 1-hour bake',
      { period: 3600, evaluationPeriods: 2, threshold: 5 },
      /is 120 minutes, longer than the 60-minute bake/,
    ],
    ['TreatMissingData ignore', { treatMissingData: 'ignore' }, /TreatMissingData ignore/],
  ])('5XX errors: %s fails', (_label, patch, reason) => {
    const checks = judged(ESTATE_LATENCY, { ...ESTATE_5XX, ...patch });
    expect(checks[ERRORS]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/^no 5XX errors alarm of variant champion could fire within the 60-minute bake/),
    });
    expect(checks[ERRORS].detail).toMatch(reason);
    expect(checks[LATENCY].passed).toBe(true);
  });

  test('every failing property is named, not only the first', () => {
    const why = alarmCannotFire(
      'ModelLatency',
      {
        ...ESTATE_LATENCY,
        threshold: 1e15,
        unit: 'Seconds',
        statistic: 'Minimum',
        extendedStatistic: undefined,
        treatMissingData: 'ignore',
      },
      BAKE,
    );
    expect(why).toHaveLength(4);
  });

  test.each<[string, Partial<AlarmMetric>]>([
    ['the threshold at the ceiling', { threshold: 1_000_000 }],
    ['a tighter threshold (200 ms)', { threshold: 200_000 }],
    ['p50', { extendedStatistic: 'p50' }],
    ['p99.9', { extendedStatistic: 'p99.9' }],
    ['Average', { extendedStatistic: undefined, statistic: 'Average' }],
    ['Maximum', { extendedStatistic: undefined, statistic: 'Maximum' }],
    ['Unit Microseconds, as published', { unit: 'Microseconds' }],
    ['twelve 5-minute periods in a 60-minute bake', { period: 300, evaluationPeriods: 12, datapointsToAlarm: 6 }],
    ['missing data breaching (stricter)', { treatMissingData: 'breaching' }],
    ['missing data as the default (not reported by DescribeAlarms)', { treatMissingData: undefined }],
    ['GreaterThanOrEqualToThreshold', { comparison: 'GreaterThanOrEqualToThreshold' }],
  ])('latency, stricter or equal to the estate: %s passes', (_label, patch) => {
    expect(alarmCannotFire('ModelLatency', { ...ESTATE_LATENCY, ...patch }, BAKE)).toEqual([]);
    expect(judged({ ...ESTATE_LATENCY, ...patch })[LATENCY].passed).toBe(true);
  });

  test.each<[string, Partial<AlarmMetric>]>([
    ['1 error a minute', { threshold: 1 }],
    ['25 per 5-minute period', { threshold: 25, period: 300 }],
    ['the Average (share) above 1%', { statistic: 'Average', threshold: 0.01 }],
    ['Unit None, as published', { unit: 'None' }],
  ])('5XX errors, stricter or equal to the estate: %s passes', (_label, patch) => {
    expect(alarmCannotFire('Invocation5XXErrors', { ...ESTATE_5XX, ...patch }, BAKE)).toEqual([]);
  });

  test('an alarm that cannot fire beside one that can: the one that can counts', () => {
    const checks = judged(ESTATE_LATENCY, ESTATE_5XX, [
      view('stg-fraud-champion-latency-lax', { ...ESTATE_LATENCY, threshold: 1e15 }),
    ]);
    expect(checks[LATENCY]).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/^stg-fraud-champion-latency-p99 watches/),
    });
  });

  test('an alarm that can fire, firing, beside a quiet one that cannot: fails on the firing one, the quiet one never counts', () => {
    const firing: AlarmView = { ...view('stg-fraud-champion-latency-p99', ESTATE_LATENCY), state: 'ALARM' };
    const checks = Object.fromEntries(
      servingVariantAlarmChecks(
        'stg-fraud',
        'champion',
        [
          view('stg-fraud-champion-errors-5xx', ESTATE_5XX),
          firing,
          view('stg-fraud-champion-latency-never', { ...ESTATE_LATENCY, unit: 'Seconds' }),
        ],
        BAKE,
        NOW,
      ).map((c) => [c.name, c]),
    );
    expect(checks[LATENCY]).toMatchObject({
      passed: false,
      detail:
        'no latency alarm of variant champion has been OK for the whole 60-minute bake period: stg-fraud-champion-latency-p99 is ALARM',
    });
  });

  test('the bake bounds the window: the estate alarm fails a bake shorter than its 3 minutes', () => {
    expect(alarmCannotFire('ModelLatency', ESTATE_LATENCY, 2)).toEqual([
      'Period 60 s x EvaluationPeriods 3 is 3 minutes, longer than the 2-minute bake',
    ]);
  });
});
