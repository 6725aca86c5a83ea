/**
 * The deployment gate requires a latency alarm of the serving variant, OK for the whole bake period, and has no other
 * view of latency (5XX errors it counts itself; latency it takes from the alarm alone). It checks what the alarm
 * watches (namespace, metric, dimensions, a rising comparison) but not whether it can ever fire within the bake:
 * - a threshold no latency reaches (ModelLatency is in microseconds; 1e15 us is 31 years);
 * - a Unit other than the one SageMaker publishes ModelLatency in (Microseconds): CloudWatch matches no datapoint
 *   (CloudWatch API Reference, PutMetricAlarm, Unit: an alarm with a unit evaluates only datapoints published in that
 *   unit), and with missing data not breaching it reads OK;
 * - an evaluation window (Period x EvaluationPeriods) far longer than the bake, so it cannot reach ALARM in the bake;
 * - a statistic that a regression does not move (Minimum: the fastest request of the period).
 * Each is OK forever whatever the variant does, so "OK for the whole bake" shows nothing. The safe outcome: the
 * latency check fails, naming the alarm and why it cannot show a regression, and the promotion does not pass. Before
 * the gate judged how an alarm evaluates, each of these promotions passed. The same for the 5XX alarm, and for
 * missing data kept as the last state (`ignore`). Read from moto's DescribeAlarms, as the gate reads AWS.
 */
import { PutMetricAlarmCommand, PutMetricAlarmCommandInput, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { deploymentGate, DeploymentGateDeps, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld } from './world';

const BAKE = GATE_CONFIG.deployment.stagingBakeMinutes;
let w: ApprovalWorld;
let deps: DeploymentGateDeps;

beforeAll(async () => {
  w = await approvalWorld('hostile4-alarms');
  deps = deploymentDeps(w, { now: () => new Date(Date.now() + (BAKE + 1) * 60_000) });
}, 60_000);
afterAll(async () => w?.stop());

const LATENCY = "serving variant's latency alarm";

/** A staging endpoint serving an approved challenger with traffic, a sound 5XX alarm, and the latency alarm given. */
async function servedWithLatencyAlarm(
  endpoint: string,
  latency: Partial<PutMetricAlarmCommandInput>,
  errors: Partial<PutMetricAlarmCommandInput> = {},
) {
  const challenger = await version(w, 'fraud-score', { auc: 0.99 });
  await stagingEndpoint(w.sagemaker, endpoint, { AllTraffic: challenger }, true, {}, { alarmedVariants: [] });
  await traffic(w.cloudwatch, endpoint, 'AllTraffic', 500, -30);
  const Dimensions = [
    { Name: 'EndpointName', Value: endpoint },
    { Name: 'VariantName', Value: 'AllTraffic' },
  ];
  const alarms: PutMetricAlarmCommandInput[] = [
    {
      AlarmName: `${endpoint}-AllTraffic-errors-5xx`,
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum',
      Threshold: 5,
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      ...errors,
    } as PutMetricAlarmCommandInput,
    {
      AlarmName: `${endpoint}-AllTraffic-latency-p99`,
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000_000,
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ...latency,
    } as PutMetricAlarmCommandInput,
  ];
  for (const a of alarms) {
    await w.cloudwatch.send(
      new PutMetricAlarmCommand({
        Namespace: 'AWS/SageMaker',
        Dimensions,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...a,
      }),
    );
    await w.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: a.AlarmName, StateValue: 'OK', StateReason: 'test' }),
    );
  }
  return challenger;
}

describe('a latency alarm that cannot fire does not stand for the serving variant', () => {
  const cases: Array<[string, Partial<PutMetricAlarmCommandInput>, RegExp]> = [
    [
      'a threshold of 1e15 microseconds (31 years)',
      { Threshold: 1e15 },
      /Threshold 1000000000000000 microseconds is above the estate's 1000000/,
    ],
    [
      'a Unit of Seconds (SageMaker publishes ModelLatency in Microseconds: no datapoint matches)',
      { Unit: 'Seconds' },
      /Unit Seconds matches no datapoint/,
    ],
    [
      'a 1-day period over 7 periods (a week) for a 60-minute bake',
      { Period: 86_400, EvaluationPeriods: 7, DatapointsToAlarm: 7 },
      /is 10080 minutes, longer than the 60-minute bake/,
    ],
    [
      'the Minimum statistic (the fastest request) instead of a percentile',
      { ExtendedStatistic: undefined, Statistic: 'Minimum' },
      /statistic Minimum is not one a latency regression moves/,
    ],
    [
      'a 10-second period on a metric published once a minute',
      { Period: 10 },
      /Period 10 is not a whole number of minutes/,
    ],
    [
      'missing data ignored (the last state kept)',
      { TreatMissingData: 'ignore' },
      /TreatMissingData ignore keeps the alarm's last state/,
    ],
  ];
  test.each(cases)('%s: the latency check fails and the promotion does not pass', async (label, latency, reason) => {
    const endpoint = `h4-lat-${cases.findIndex(([l]) => l === label)}`;
    const challenger = await servedWithLatencyAlarm(endpoint, latency);
    const result = await deploymentGate(deps)({
      requestId: `h4-${endpoint}`,
      modelPackageArn: challenger,
      stagingEndpointName: endpoint,
    });
    const record = (await w.json(result.record!)) as unknown as DeploymentRecord;
    const check = record.checks.find((c) => c.name === LATENCY);
    expect(check).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        new RegExp(
          `^no latency alarm of variant AllTraffic could fire within the ${BAKE}-minute bake, so its quiet shows nothing: ${endpoint}-AllTraffic-latency-p99: `,
        ),
      ),
    });
    expect(check!.detail).toMatch(reason);
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([check!.detail]);
    // The record keeps how the alarm evaluates, so a threshold raised later is a changed input.
    const seen = (record.inputs.alarms as Array<{ name: string; evaluates?: Record<string, unknown> }>).find(
      (a) => a.name === `${endpoint}-AllTraffic-latency-p99`,
    );
    expect(seen?.evaluates).toMatchObject({ threshold: latency.Threshold ?? 1_000_000, period: latency.Period ?? 60 });
  });

  test('a 5XX alarm of 1e9 errors a minute does not stand for the variant either', async () => {
    const challenger = await servedWithLatencyAlarm('h4-5xx-lax', {}, { Threshold: 1e9 });
    const result = await deploymentGate(deps)({
      requestId: 'h4-5xx-lax',
      modelPackageArn: challenger,
      stagingEndpointName: 'h4-5xx-lax',
    });
    expect(result).toMatchObject({
      pass: false,
      reasons: [
        expect.stringMatching(
          /^no 5XX errors alarm of variant AllTraffic could fire .*Threshold 1000000000 5XX errors per 60-second period is above the estate's 5 per minute/,
        ),
      ],
    });
  });

  test('the threshold raised after a pass: the same request decides again (a new answer) and fails', async () => {
    const challenger = await servedWithLatencyAlarm('h4-lat-raised', {});
    const gate = deploymentGate(deps);
    const first = await gate({
      requestId: 'h4-lat-raised',
      modelPackageArn: challenger,
      stagingEndpointName: 'h4-lat-raised',
    });
    expect(first).toMatchObject({ pass: true, answer: 1 });
    const Dimensions = [
      { Name: 'EndpointName', Value: 'h4-lat-raised' },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    await w.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'h4-lat-raised-AllTraffic-latency-p99',
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        Dimensions,
        ExtendedStatistic: 'p99',
        Threshold: 60_000_000,
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    const again = await gate({
      requestId: 'h4-lat-raised',
      modelPackageArn: challenger,
      stagingEndpointName: 'h4-lat-raised',
    });
    expect(again).toMatchObject({ pass: false, answer: 2, replayed: false });
    expect(again.reasons.join(' ')).toMatch(/Threshold 60000000 microseconds is above/);
  });

  test("control: the estate's own p99 alarm (1 s over three 1-minute periods) still passes", async () => {
    const challenger = await servedWithLatencyAlarm('h4-lat-ok', {});
    const result = await deploymentGate(deps)({
      requestId: 'h4-lat-ok',
      modelPackageArn: challenger,
      stagingEndpointName: 'h4-lat-ok',
    });
    expect(result).toMatchObject({ pass: true });
    expect(result.checks.find((c) => c.name === LATENCY)).toMatchObject({
      passed: true,
      detail: expect.stringContaining(
        'h4-lat-ok-AllTraffic-latency-p99 watches AWS/SageMaker ModelLatency {EndpointName=h4-lat-ok, VariantName=AllTraffic}, could fire within the bake',
      ),
    });
  });
});
