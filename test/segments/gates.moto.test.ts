/**
 * The gates' handlers against moto's server with the example estate's segment policies: the
 * approval gate's final package status, decision record and reasons, and the deployment gate's
 * answer and record, for a failing critical segment, a failing non-critical one, insufficient
 * support on a high-risk model, and a challenger that wins overall but loses a critical segment.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { deploymentGate } from '../../lambdas/deployment-gate/handler';
import { deploymentDeps, version } from '../gates/promotion';
import { endpointAlarm, stagingEndpoint, traffic } from '../gates/staging';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from '../gates/world';
import {
  CREDIT_SEGMENTS,
  creditCells,
  FRAUD_SEGMENTS,
  fraudCells,
  good,
  SEGMENTED_CONFIG,
  segmentedEvaluation,
} from './fixtures';

let w: ApprovalWorld;
let cloudwatch: CloudWatchClient;
beforeAll(async () => {
  w = await approvalWorld('segments');
  cloudwatch = new CloudWatchClient(w.moto.clientConfig);
});
afterAll(async () => w?.stop());

const gate = () => approvalGate({ ...w.deps, config: SEGMENTED_CONFIG });

describe('approval gate per segment, against moto', () => {
  test("a fraud model whose high-value segment degrades while the aggregate holds is rejected, the segment's figures recorded", async () => {
    const report = segmentedEvaluation(
      FRAUD_SEGMENTS,
      fraudCells({ 'high-value': { tp: 60, fn: 40, fp: 120, tn: 180, auc: 0.6, f1: 0.4286 } }),
      { auc: 0.979, f1: 0.85 },
    );
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: report } });
    const result = await gate()(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected' });
    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.ApprovalDescription).toMatch(
      /segment high-value \(critical\) AUC 0.6 is below the segment's own floor 0.8; segment high-value \(critical\) F1 0.4286 is below the tier's floor 0.6/,
    );
    const rec = await w.record(result.record!);
    expect(rec.outcome).toBe('reject');
    expect(rec.checks.find((c) => c.name === 'AUC')).toMatchObject({ passed: true, value: 0.979 });
    expect(rec.checks.find((c) => c.name === 'segment high-value (critical) support')).toMatchObject({
      value: 400,
      threshold: '>= 200',
      detail: expect.stringMatching(/support 400, positives 100, TP 60 FP 120 FN 40 TN 180, AUC 0.6, F1 0.4286/),
    });
    expect(rec.checks.find((c) => c.name === 'segment high-value (critical) AUC')).toMatchObject({
      passed: false,
      severity: 'block',
      value: 0.6,
      threshold: '>= 0.8',
    });
    // The other segments' figures are in the record too.
    expect(rec.checks.filter((c) => c.name.endsWith(' support')).map((c) => c.name)).toEqual([
      'segment high-value (critical) support',
      'segment high-risk-merchant (critical) support',
      'segment cross-border support',
    ]);
    expect(rec.inputs.evaluation).toMatchObject({ status: 'ok', sha256: expect.stringMatching(/^[a-f0-9]{64}$/) });
  });

  test('a failing non-critical segment holds the package for a person (status untouched, reason recorded)', async () => {
    const arn = await w.register('fraud-score', {
      reports: {
        ...GOOD,
        evaluation: segmentedEvaluation(
          FRAUD_SEGMENTS,
          fraudCells({ 'cross-border': { tp: 50, fn: 50, fp: 50, tn: 850, auc: 0.92 } }),
        ),
      },
    });
    const result = await gate()(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'hold', approvalStatus: 'PendingManualApproval' });
    expect((await w.describe(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
    expect((await w.record(result.record!)).reasons).toEqual([
      "segment cross-border F1 0.5 is below the tier's floor 0.6",
    ]);
  });

  test('insufficient support on the high-risk credit model is recorded and holds, never silently passed', async () => {
    const arn = await w.register('credit-default', {
      reports: { ...GOOD, evaluation: segmentedEvaluation(CREDIT_SEGMENTS, creditCells({ 'thin-file': good(120) })) },
    });
    const result = await gate()(stateChange(arn));
    expect(result.outcome).toBe('hold');
    expect((await w.describe(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
    const rec = await w.record(result.record!);
    expect(rec.reasons[0]).toMatch(
      /segment thin-file \(critical\): insufficient data \(support 120, .* at least 300 rows are judged\)/,
    );
    expect(rec.checks.find((c) => c.name === 'segment thin-file (critical) support')).toMatchObject({
      passed: false,
      value: 120,
      threshold: '>= 300',
    });
  });

  test('every segment healthy: the medium-risk fraud model is approved, its segment checks in the record', async () => {
    const arn = await w.register('fraud-score', {
      reports: { ...GOOD, evaluation: segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) },
    });
    const result = await gate()(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'approve', approvalStatus: 'Approved' });
    expect((await w.describe(arn)).ModelApprovalStatus).toBe('Approved');
    const rec = await w.record(result.record!);
    expect(rec.checks.filter((c) => c.name.startsWith('segment ')).every((c) => c.passed)).toBe(true);
    expect(rec.checks.filter((c) => c.name.startsWith('segment ')).length).toBe(3 * 4);
  });

  test("an evaluation from a pipeline that does not compute segments rejects a model with critical segments, and a person's later decision stands", async () => {
    const arn = await w.register('fraud-score');
    const result = await gate()(stateChange(arn));
    expect(result.outcome).toBe('reject');
    expect((await w.record(result.record!)).reasons).toContain(
      'segment high-value (critical): the evaluation report has no segments section',
    );
    await w.person(arn, 'PendingManualApproval', 'sent back for a re-run with segments');
    await w.person(arn, 'Approved', 'approved by the model-risk approver after review');
    // A redelivered event finds the person's decision and leaves it.
    expect(await gate()(stateChange(arn, 'PendingManualApproval'))).toMatchObject({ outcome: 'skipped' });
    expect(await w.status(arn)).toBe('Approved');
  });
});

describe('deployment gate per critical segment, against moto', () => {
  /**
   * Registered by its pipeline and decided by the approval gate (which records the evaluation it read), then Approved.
   */
  const registerApproved = (evaluationJson: unknown) =>
    version(w, 'fraud-score', { reports: { ...GOOD, evaluation: evaluationJson } });
  const afterBake = () => new Date(Date.now() + (SEGMENTED_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
  const deploy = () => deploymentGate(deploymentDeps(w, { cloudwatch, config: SEGMENTED_CONFIG, now: afterBake }));

  async function staged(endpoint: string, champion: string, challenger: string) {
    await endpointAlarm(cloudwatch, endpoint);
    await stagingEndpoint(w.sagemaker, endpoint, { champion, challenger });
    await traffic(cloudwatch, endpoint, 'challenger', 500, -30);
  }

  test('a challenger that wins overall but loses high-value significantly is blocked, and the record says why', async () => {
    const champion = await registerApproved(segmentedEvaluation(FRAUD_SEGMENTS, fraudCells(), { auc: 0.93, f1: 0.8 }));
    const challenger = await registerApproved(
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(1000, 0.15), 'high-risk-merchant': good(1000, 0.02) }),
        { auc: 0.95, f1: 0.82 },
      ),
    );
    await staged('fraud-seg-a', champion, challenger);
    const result = await deploy()({
      requestId: 'seg-run-1',
      modelPackageArn: challenger,
      stagingEndpointName: 'fraud-seg-a',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^challenger in segment high-value: missed-positive rate \(1 - recall\): 0.375 \(75\/200\) against the champion's 0.125 \(25\/200\).*Newcombe interval \[0.1804, 0.3167\]: worse than the champion by more than the tolerance 0.01, significantly$/,
      ),
      expect.stringMatching(
        /^challenger in segment high-value: false-positive rate: 0.0938 \(75\/800\) against the champion's 0.0313 \(25\/800\).*significantly$/,
      ),
    ]);
    const rec = JSON.parse(
      await (
        await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: result.record }))
      ).Body!.transformToString(),
    );
    expect(rec).toMatchObject({ schema: 'deployment-decision/2', pass: false, answer: 1 });
    expect(rec.checks.find((c: any) => c.name === 'challenger AUC')).toMatchObject({ passed: true });
    expect(
      rec.checks.find((c: any) => c.name === 'challenger in segment high-value: missed-positive rate (1 - recall)'),
    ).toMatchObject({ passed: false, value: 0.25 });
  });

  test("a challenger shown no worse in every critical segment passes; a small segment's noise is inconclusive and does not pass", async () => {
    const champion = await registerApproved(segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()));
    const better = await registerApproved(
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(1000, 0.02), 'high-risk-merchant': good(1000, 0.02) }),
        { auc: 0.95, f1: 0.82 },
      ),
    );
    await staged('fraud-seg-b', champion, better);
    const result = await deploy()({
      requestId: 'seg-run-2',
      modelPackageArn: better,
      stagingEndpointName: 'fraud-seg-b',
      championModelPackageArn: champion,
    });
    expect(result.reasons).toEqual(['every promotion check passed']);
    expect(result.pass).toBe(true);
    const small = await registerApproved(
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(200, 0.04), 'high-risk-merchant': good(1000, 0.02) }),
      ),
    );
    const noisy = await registerApproved(
      segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(200, 0.07), 'high-risk-merchant': good(1000, 0.02) }),
        { auc: 0.95, f1: 0.82 },
      ),
    );
    await staged('fraud-seg-b2', small, noisy);
    const inconclusive = await deploy()({
      requestId: 'seg-run-2b',
      modelPackageArn: noisy,
      stagingEndpointName: 'fraud-seg-b2',
      championModelPackageArn: small,
    });
    expect(inconclusive.pass).toBe(false);
    expect(inconclusive.reasons).toContainEqual(
      expect.stringMatching(
        /^challenger in segment high-value: missed-positive rate \(1 - recall\): 0.175 \(7\/40\) against the champion's 0.1 \(4\/40\).*inconclusive: not shown within the tolerance 0.01/,
      ),
    );
  });

  test("a critical segment below minimum support in the challenger's evaluation blocks promotion (it cannot be compared)", async () => {
    const champion = await registerApproved(segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()));
    const challenger = await registerApproved(
      segmentedEvaluation(FRAUD_SEGMENTS, fraudCells({ 'high-risk-merchant': good(90, 0) }), { auc: 0.96, f1: 0.85 }),
    );
    await staged('fraud-seg-c', champion, challenger);
    const result = await deploy()({
      requestId: 'seg-run-3',
      modelPackageArn: challenger,
      stagingEndpointName: 'fraud-seg-c',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /challenger in segment high-risk-merchant: cannot be compared: support 90 \(challenger\) and 1000 \(champion\), at least 200 each needed/,
      ),
    );
  });
});
