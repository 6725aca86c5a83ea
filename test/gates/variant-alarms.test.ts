/** The serving variant's alarm checks as a pure function: what counts as the variant's own 5XX or latency alarm. */
import { AlarmView, decideDeployment, servingVariantAlarmChecks } from '../../lambdas/deployment-gate/policy';
import { CLASSIFIER, evaluation, GATE_CONFIG, okReport } from './fixtures';

const NOW = new Date('2026-11-23T12:00:00Z');
const ago = (m: number) => new Date(NOW.getTime() - m * 60_000);
const dims = (endpoint: string, variant: string) => [
  { name: 'EndpointName', value: endpoint },
  { name: 'VariantName', value: variant },
];
const alarm = (
  name: string,
  metricName: string,
  patch: Partial<AlarmView> = {},
  watch: Partial<NonNullable<AlarmView['watches']>> = {},
): AlarmView => ({
  name,
  state: 'OK',
  stateUpdated: ago(600),
  ...patch,
  watches: {
    namespace: 'AWS/SageMaker',
    metricName,
    dimensions: dims('stg-fraud', 'champion'),
    math: false,
    comparison: 'GreaterThanThreshold',
    ...asTheEstateMakesIt(metricName),
    ...watch,
  },
});
/**
 * How constructs/model-endpoint/alarms.ts makes the variant's alarms evaluate (one-minute periods, missing data not
 * breaching).
 */
function asTheEstateMakesIt(metricName: string): Partial<NonNullable<AlarmView['watches']>> {
  return metricName === 'ModelLatency'
    ? {
        extendedStatistic: 'p99',
        threshold: 1_000_000,
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: 'notBreaching',
      }
    : {
        statistic: 'Sum',
        threshold: 5,
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: 'notBreaching',
      };
}
const OWN = [
  alarm('stg-fraud-champion-errors-5xx', 'Invocation5XXErrors'),
  alarm('stg-fraud-champion-latency-p99', 'ModelLatency'),
];
const judged = (alarms: AlarmView[]) => servingVariantAlarmChecks('stg-fraud', 'champion', alarms, 60, NOW);

describe("the serving variant's own alarms", () => {
  test('both present, OK for the bake: two passing checks', () => {
    expect(judged(OWN).map((c) => [c.name, c.passed])).toEqual([
      ["serving variant's 5XX errors alarm", true],
      ["serving variant's latency alarm", true],
    ]);
  });

  test.each<[string, AlarmView, RegExp]>([
    [
      'a metric-math alarm (no single metric)',
      alarm(
        'stg-fraud-champion-errors-5xx',
        'Invocation5XXErrors',
        {},
        { math: true, metricName: undefined, namespace: undefined, dimensions: [] },
      ),
      /^no 5XX errors alarm watches the serving variant champion of stg-fraud/,
    ],
    [
      'EndpointName given twice, no VariantName',
      alarm(
        'stg-fraud-x',
        'Invocation5XXErrors',
        {},
        {
          dimensions: [
            { name: 'EndpointName', value: 'stg-fraud' },
            { name: 'EndpointName', value: 'stg-fraud' },
          ],
        },
      ),
      /found instead: stg-fraud-x watches AWS\/SageMaker Invocation5XXErrors \{EndpointName=stg-fraud, EndpointName=stg-fraud\}/,
    ],
    [
      'another namespace (the estate monitoring namespace)',
      alarm('stg-fraud-y', 'Invocation5XXErrors', {}, { namespace: 'Estate/ModelMonitoring' }),
      /^no 5XX errors alarm watches the serving variant champion of stg-fraud \(AWS\/SageMaker Invocation5XXErrors \{EndpointName=stg-fraud, VariantName=champion\}, firing when it rises\)$/,
    ],
    [
      'the right dimensions with another variant name (case differs)',
      alarm('stg-fraud-z', 'Invocation5XXErrors', {}, { dimensions: dims('stg-fraud', 'Champion') }),
      /found instead: stg-fraud-z watches .*VariantName=Champion/,
    ],
    [
      'firing',
      alarm('stg-fraud-champion-errors-5xx', 'Invocation5XXErrors', { state: 'ALARM' }),
      /stg-fraud-champion-errors-5xx is ALARM$/,
    ],
    [
      'no state reported',
      alarm('stg-fraud-champion-errors-5xx', 'Invocation5XXErrors', { state: undefined }),
      /is in an unknown state$/,
    ],
    [
      'OK since an unknown time',
      alarm('stg-fraud-champion-errors-5xx', 'Invocation5XXErrors', { stateUpdated: undefined }),
      /is OK since an unknown time$/,
    ],
  ])('the 5XX check fails: %s', (_name, replacement, reason) => {
    const [fiveXx, latency] = judged([replacement, OWN[1]]);
    expect(fiveXx).toMatchObject({ passed: false, severity: 'block', detail: expect.stringMatching(reason) });
    expect(latency.passed).toBe(true);
  });

  test('one of two 5XX alarms OK is enough for the variant check; the firing one still fails the promotion', () => {
    const firing = alarm('stg-fraud-champion-errors-5xx-strict', 'Invocation5XXErrors', { state: 'ALARM' });
    expect(judged([...OWN, firing]).every((c) => c.passed)).toBe(true);
    const decision = decideDeployment(GATE_CONFIG.deployment, {
      model: CLASSIFIER,
      approvalStatus: 'Approved',
      alarms: [...OWN, firing],
      challengerEvaluation: okReport(evaluation(0.9)),
      champions: [],
      serving: { ok: true, variant: 'champion', detail: 'serves', liveSince: ago(120) },
      artifacts: [],
      invocations: { count: 500 },
      stagingEndpoint: 'stg-fraud',
      now: NOW,
    });
    expect(decision).toMatchObject({ pass: false, reasons: ['stg-fraud-champion-errors-5xx-strict is ALARM, not OK'] });
  });

  test('the decision runs the check whenever the endpoint is named and the variant is known; not when serving already failed', () => {
    const base = {
      model: CLASSIFIER,
      approvalStatus: 'Approved',
      alarms: [OWN[0]],
      challengerEvaluation: okReport(evaluation(0.9)),
      champions: [],
      artifacts: [],
      invocations: { count: 500 },
      stagingEndpoint: 'stg-fraud',
      now: NOW,
    };
    const served = decideDeployment(GATE_CONFIG.deployment, {
      ...base,
      serving: { ok: true, variant: 'champion', detail: 'serves', liveSince: ago(120) },
    });
    expect(served.reasons).toEqual([
      expect.stringMatching(/^no latency alarm watches the serving variant champion of stg-fraud/),
    ]);
    const notServed = decideDeployment(GATE_CONFIG.deployment, {
      ...base,
      serving: { ok: false, reason: 'does not serve it' },
    });
    expect(notServed.reasons).toEqual(['does not serve it']);
  });
});
