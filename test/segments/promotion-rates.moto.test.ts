/**
 * Segment figures that contradict themselves, and promotion on each kind of error, against moto's server: final package
 * status, record and reason.
 *
 * - F1, precision and recall follow from the confusion counts: a report stating others is not evidence, and the floors
 *   judge the recomputed values.
 * - At promotion, missed positives (1 - recall) and false alarms are compared separately, each among the rows it can
 *   happen to, each with its own one-sided Newcombe interval; a challenger passes a critical segment only when shown no
 *   worse than the champion beyond the tolerance (the upper bound); an inconclusive comparison does not pass.
 * - A regressor's squared error must agree with its RMSE, and its variance cannot exceed what n non-negative values of
 *   that mean can have.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { deploymentGate, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import type { GateConfig, GovernedModel } from '../../lambdas/shared/gate-config';
import type { SegmentationPolicy } from '../../lambdas/shared/segments';
import { deploymentDeps, version } from '../gates/promotion';
import { endpointAlarm, stagingEndpoint, traffic } from '../gates/staging';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from '../gates/world';
import { FRAUD_SEGMENTS, fraudCells, good, SEGMENTED_CONFIG, segmentedEvaluation } from './fixtures';

let w: ApprovalWorld;
let cloudwatch: CloudWatchClient;
beforeAll(async () => {
  w = await approvalWorld('segment-rates');
  cloudwatch = new CloudWatchClient(w.moto.clientConfig);
}, 60_000);
afterAll(async () => w?.stop());

const afterBake = () => new Date(Date.now() + (SEGMENTED_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
const deploy = (config: GateConfig = SEGMENTED_CONFIG) =>
  deploymentGate(deploymentDeps(w, { cloudwatch, config, now: afterBake }));
async function staged(endpoint: string, champion: string, challenger: string) {
  await endpointAlarm(cloudwatch, endpoint);
  await stagingEndpoint(w.sagemaker, endpoint, { champion, challenger });
  await traffic(cloudwatch, endpoint, 'challenger', 500, -30);
}
const registered = (group: string, evaluation: unknown) => version(w, group, { reports: { ...GOOD, evaluation } });
const checksOf = async (key: string) => ((await w.json(key)) as unknown as DeploymentRecord).checks;

describe('approval: a segment whose metrics contradict its counts', () => {
  test('a critical segment that catches no fraud (TP 0, FN 200) but states F1 0.85 is rejected, the contradiction recorded', async () => {
    const liar = { tp: 0, fn: 200, fp: 0, tn: 800, auc: 0.9, f1: 0.85 };
    const arn = await w.register('fraud-score', {
      reports: { ...GOOD, evaluation: segmentedEvaluation(FRAUD_SEGMENTS, fraudCells({ 'high-value': liar })) },
    });
    const result = await approvalGate({ ...w.deps, config: SEGMENTED_CONFIG })(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected' });
    expect(await w.status(arn)).toBe('Rejected');
    const rec = await w.record(result.record!);
    expect(rec.reasons).toEqual([
      'segment high-value (critical): segment high-value states f1 0.85, but its confusion counts (TP 0 FP 0 FN 200 TN 800) give 0, so the report cannot be trusted',
    ]);
  });

  test('stated F1 consistent with the counts but below the floor: judged on the recomputed F1 and rejected', async () => {
    // 2 * 10 / (2 * 10 + 0 + 190) = 0.0952 (recall 0.05): stated exactly, so only the floor can stop it.
    const arn = await w.register('fraud-score', {
      reports: {
        ...GOOD,
        evaluation: segmentedEvaluation(
          FRAUD_SEGMENTS,
          fraudCells({ 'high-value': { tp: 10, fn: 190, fp: 0, tn: 800, auc: 0.9 } }),
        ),
      },
    });
    const result = await approvalGate({ ...w.deps, config: SEGMENTED_CONFIG })(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected' });
    expect((await w.record(result.record!)).reasons).toEqual([
      "segment high-value (critical) F1 0.0952 is below the tier's floor 0.6",
    ]);
  });
});

describe('promotion: each kind of error on its own, and no pass on an inconclusive comparison', () => {
  test("three times the champion's errors in a critical segment at its minimum support (200 rows): inconclusive, so not promoted", async () => {
    const cell = (errors: number) => ({
      tp: 40 - Math.floor(errors / 2),
      fn: Math.floor(errors / 2),
      fp: Math.ceil(errors / 2),
      tn: 160 - Math.ceil(errors / 2),
      auc: 0.92,
    });
    const champion = await registered(
      'fraud-score',
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': cell(4), 'high-risk-merchant': good(1000, 0.05) }),
      ),
    );
    const challenger = await registered(
      'fraud-score',
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': cell(12), 'high-risk-merchant': good(1000, 0.01) }),
        { auc: 0.94, f1: 0.81 },
      ),
    );
    await staged('rates-incon', champion, challenger);
    const result = await deploy()({
      requestId: 'incon',
      modelPackageArn: challenger,
      stagingEndpointName: 'rates-incon',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    const missed = (await checksOf(result.record!)).find(
      (c) => c.name === 'challenger in segment high-value: missed-positive rate (1 - recall)',
    )!;
    expect(missed).toMatchObject({
      passed: false,
      severity: 'block',
      detail: expect.stringMatching(
        /0.15 \(6\/40\) against the champion's 0.05 \(2\/40\).*inconclusive: not shown within the tolerance 0.01/,
      ),
    });
    expect(result.reasons).toContain(missed.detail);
  });

  test('a challenger that flags nothing in a critical segment does not beat a champion that catches 18 of 20 frauds', async () => {
    // Pooled error: 20/1000 against 32/1000 (the challenger "wins"); missed positives: 20/20 against 2/20.
    const champion = await registered(
      'fraud-score',
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({
          'high-value': { tp: 18, fn: 2, fp: 30, tn: 950, auc: 0.93 },
          'high-risk-merchant': good(1000, 0.05),
        }),
      ),
    );
    const challenger = await registered(
      'fraud-score',
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({
          'high-value': { tp: 0, fn: 20, fp: 0, tn: 980, auc: 0.93 },
          'high-risk-merchant': good(1000, 0.01),
        }),
        { auc: 0.94, f1: 0.81 },
      ),
    );
    await staged('rates-blind', champion, challenger);
    const result = await deploy()({
      requestId: 'blind',
      modelPackageArn: challenger,
      stagingEndpointName: 'rates-blind',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /^challenger in segment high-value: missed-positive rate \(1 - recall\): 1 \(20\/20\) against the champion's 0.1 \(2\/20\); difference 0.9.*worse than the champion by more than the tolerance 0.01, significantly$/,
      ),
    );
    // Its fewer false alarms are shown, and do not offset the missed frauds.
    expect(
      (await checksOf(result.record!)).find((c) => c.name === 'challenger in segment high-value: false-positive rate'),
    ).toMatchObject({ passed: true });
  });

  test('a challenger shown no worse in each kind of error in every critical segment passes', async () => {
    const champion = await registered('fraud-score', segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()));
    const challenger = await registered(
      'fraud-score',
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(1000, 0.02), 'high-risk-merchant': good(1000, 0.02) }),
        { auc: 0.95, f1: 0.82 },
      ),
    );
    await staged('rates-better', champion, challenger);
    const result = await deploy()({
      requestId: 'better',
      modelPackageArn: challenger,
      stagingEndpointName: 'rates-better',
      championModelPackageArn: champion,
    });
    expect(result).toMatchObject({ pass: true, reasons: ['every promotion check passed'] });
    expect(
      (await checksOf(result.record!))
        .filter((c) => c.name.startsWith('challenger in segment'))
        .map((c) => [c.name, c.passed]),
    ).toEqual([
      ['challenger in segment high-value: missed-positive rate (1 - recall)', true],
      ['challenger in segment high-value: false-positive rate', true],
      ['challenger in segment high-risk-merchant: missed-positive rate (1 - recall)', true],
      ['challenger in segment high-risk-merchant: false-positive rate', true],
    ]);
  });
});

describe('promotion of a regressor: the report does not set its own dispersion', () => {
  const segmentation: SegmentationPolicy = {
    marginBelowAggregate: 0.5,
    stressScenarios: [],
    segments: [
      {
        name: 'large-balance',
        definition: { feature: 'balance', range: { min: 100000 } },
        critical: true,
        minSupport: 200,
      },
    ],
  };
  const config: GateConfig = {
    ...SEGMENTED_CONFIG,
    models: SEGMENTED_CONFIG.models.map((m): GovernedModel =>
      m.id === 'deposit-forecast' ? { ...m, segmentation } : m,
    ),
  };
  const report = (rmse: number, mean: number, variance: number) => ({
    regression_metrics: { r2: { value: 0.8 }, rmse: { value: 500 }, mae: { value: 300 } },
    rows: 1000,
    segments: {
      'large-balance': {
        definition: segmentation.segments[0].definition,
        support: 1000,
        regression_metrics: { r2: { value: 0.8 }, rmse: { value: rmse } },
        squared_error: { mean, variance },
      },
    },
    stress_scenarios: {},
  });

  test("four times the champion's MSE with a claimed variance of 1e15 (above 1000 x 40000^2) is refused, and blocks", async () => {
    const champion = await registered('deposit-forecast', report(100, 10_000, 1e8));
    const challenger = await registered('deposit-forecast', report(200, 40_000, 1e15));
    await staged('rates-welch', champion, challenger);
    const result = await deploy(config)({
      requestId: 'welch',
      modelPackageArn: challenger,
      stagingEndpointName: 'rates-welch',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /challenger in segment large-balance: challenger evaluation: segment large-balance states a squared-error variance of 1000000000000000, above 1600000000000, the most 1000 non-negative values with mean 40000 can have/,
      ),
    );
  });

  test('a squared-error mean that is not the RMSE squared is refused', async () => {
    const champion = await registered('deposit-forecast', report(100, 10_000, 1e8));
    // RMSE 200 (MSE 40000) stated with a mean squared error of 9000: the comparison would run on the smaller figure.
    const challenger = await registered('deposit-forecast', report(200, 9_000, 1e8));
    await staged('rates-mean', champion, challenger);
    const result = await deploy(config)({
      requestId: 'mean',
      modelPackageArn: challenger,
      stagingEndpointName: 'rates-mean',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /segment large-balance states a mean squared error of 9000, but its RMSE 200 squared is 40000, so the report cannot be trusted/,
      ),
    );
  });
});
