/**
 * Segments in the gates' decisions (pure functions): approval per segment against the example
 * estate's segment policies, champion/challenger per critical segment with Newcombe's interval,
 * and the interval itself against the published values.
 */
import { decideApproval } from '../../lambdas/model-approval-gate/policy';
import { decideDeployment, DeploymentInputs } from '../../lambdas/deployment-gate/policy';
import { newcombe, normalQuantile, segmentPromotionChecks, wilson } from '../../lambdas/shared/segments';
import { CLASSIFIER, GATE_CONFIG, goodInputs, okReport, PIPELINE_CONTEXT, TIERS } from '../gates/fixtures';
import { Cell, creditCells, FRAUD_SEGMENTS, fraudCells, good, SEGMENTED_CONFIG, segmentedEvaluation } from './fixtures';

const FRAUD = SEGMENTED_CONFIG.models.find((m) => m.id === 'fraud-score')!;
const CREDIT = SEGMENTED_CONFIG.models.find((m) => m.id === 'credit-default')!;

describe('the significance test: Wilson and Newcombe intervals', () => {
  test('normal quantiles: 1.644854 (95% one-sided), 1.959964 (97.5%), symmetric', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263479, 6);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
  });

  // Newcombe RG (1998), Interval estimation for the difference between independent proportions, Stat Med 17:873-890,
  // Table II, method 10.
  test.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
  ])('%i/%i - %i/%i: 95%% interval [%f, %f] as published', (x1, n1, x2, n2, lower, upper) => {
    const i = newcombe(x1, n1, x2, n2, normalQuantile(0.975));
    expect(i.lower).toBeCloseTo(lower, 4);
    expect(i.upper).toBeCloseTo(upper, 4);
  });

  test('Wilson: 0 of 10 gives [0, 0.2775], never below 0 or above 1', () => {
    const w = wilson(0, 10, normalQuantile(0.975));
    expect(w.lower).toBe(0);
    expect(w.upper).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10, 1.96).upper).toBe(1);
  });
});

describe('approval per segment (fraud-score: medium; credit-default: high)', () => {
  const decide = (
    model: typeof FRAUD,
    cells: Record<string, Cell | undefined>,
    extra: { aggregate?: { auc: number; f1: number }; report?: unknown } = {},
  ) =>
    decideApproval(
      model,
      TIERS,
      {
        ...goodInputs(),
        evaluation: okReport(extra.report ?? segmentedEvaluation(model.segmentation!, cells, extra.aggregate)),
      },
      PIPELINE_CONTEXT,
    );

  test("every segment healthy: approved, with each segment's support, counts and metrics in the checks", () => {
    const d = decide(FRAUD, fraudCells());
    expect(d.outcome).toBe('approve');
    const support = d.checks.find((c) => c.name === 'segment high-value (critical) support')!;
    expect(support).toMatchObject({ passed: true, value: 1000, threshold: '>= 200' });
    expect(support.detail).toMatch(/support 1000, positives 200, TP 175 FP 25 FN 25 TN 775, AUC 0.92, F1 0.875/);
    expect(d.checks.filter((c) => c.name.startsWith('segment ')).map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'segment high-risk-merchant (critical) AUC',
        'segment cross-border F1',
        'segment high-value (critical) gap to aggregate AUC',
      ]),
    );
    expect(d.checks.find((c) => c.name === 'stress fraud-wave')).toMatchObject({ passed: true });
  });

  test('a critical segment below its own floor rejects while the aggregate holds (AUC 0.78 < 0.8; the tier floor is 0.75)', () => {
    const d = decide(FRAUD, fraudCells({ 'high-value': { ...good(), auc: 0.78 } }), {
      aggregate: { auc: 0.81, f1: 0.8 },
    });
    expect(d.outcome).toBe('reject');
    expect(d.reasons).toEqual(["segment high-value (critical) AUC 0.78 is below the segment's own floor 0.8"]);
    expect(d.checks.find((c) => c.name === 'AUC')).toMatchObject({ passed: true });
  });

  test('a critical segment below the tier floor rejects (F1 0.55 < 0.6)', () => {
    // F1 from the counts: 2 * 55 / (2 * 55 + 45 + 45) = 0.55.
    const d = decide(FRAUD, fraudCells({ 'high-risk-merchant': { tp: 55, fn: 45, fp: 45, tn: 855, auc: 0.92 } }));
    expect(d.outcome).toBe('reject');
    expect(d.reasons[0]).toMatch(/segment high-risk-merchant \(critical\) F1 0.55 is below the tier's floor 0.6/);
  });

  test('a non-critical segment below a floor holds for a person, never rejects or approves', () => {
    const d = decide(FRAUD, fraudCells({ 'cross-border': { tp: 50, fn: 50, fp: 50, tn: 850, auc: 0.92 } }));
    expect(d.outcome).toBe('hold');
    expect(d.reasons).toEqual(["segment cross-border F1 0.5 is below the tier's floor 0.6"]);
  });

  test('a segment more than the margin (0.05) below the aggregate holds, though above every floor', () => {
    const d = decide(FRAUD, fraudCells({ 'high-value': { ...good(), auc: 0.86 } }), {
      aggregate: { auc: 0.93, f1: 0.8 },
    });
    expect(d.outcome).toBe('hold');
    expect(d.reasons[0]).toMatch(
      /segment high-value \(critical\) AUC 0.86 is 0.07 below the aggregate 0.93, more than the margin 0.05/,
    );
    // Exactly at the margin passes.
    expect(
      decide(FRAUD, fraudCells({ 'high-value': { ...good(), auc: 0.88 } }), { aggregate: { auc: 0.93, f1: 0.8 } })
        .outcome,
    ).toBe('approve');
  });

  test('insufficient support: recorded; holds for a critical segment; a non-critical one of a medium model does not block approval', () => {
    const small = good(150);
    const critical = decide(FRAUD, fraudCells({ 'high-value': small }));
    expect(critical.outcome).toBe('hold');
    expect(critical.reasons[0]).toMatch(
      /segment high-value \(critical\): insufficient data \(support 150, .*at least 200 rows are judged\).*a critical segment that cannot be shown holds for a person/,
    );
    const nonCritical = decide(FRAUD, fraudCells({ 'cross-border': small }));
    expect(nonCritical.outcome).toBe('approve');
    expect(nonCritical.checks.find((c) => c.name === 'segment cross-border support')).toMatchObject({
      passed: true,
      value: 150,
      threshold: '>= 200',
    });
    expect(nonCritical.checks.find((c) => c.name === 'segment cross-border support')!.detail).toMatch(
      /insufficient data/,
    );
    // Its figures are not judged: a terrible F1 in 150 rows neither rejects nor holds.
    expect(decide(FRAUD, fraudCells({ 'cross-border': { tp: 3, fn: 27, fp: 27, tn: 93, auc: 0.5 } })).outcome).toBe(
      'approve',
    );
  });

  test('insufficient support in any segment of a high-risk model holds, and says why', () => {
    const d = decide(CREDIT, creditCells({ 'low-income': good(120) }));
    expect(d.outcome).toBe('hold');
    expect(d.reasons[0]).toMatch(
      /segment low-income: insufficient data .* a segment of a high-risk model that cannot be shown holds for a person/,
    );
  });

  test('a critical segment of a high-risk model below its floor rejects (thin-file AUC 0.7 < its own 0.72)', () => {
    const d = decide(CREDIT, creditCells({ 'thin-file': { ...good(), auc: 0.7 } }));
    expect(d.outcome).toBe('reject');
    expect(d.reasons[0]).toMatch(/segment thin-file \(critical\) AUC 0.7 is below the segment's own floor 0.72/);
  });

  describe('hostile reports', () => {
    test('a configured critical segment left out of the report rejects; a non-critical one holds', () => {
      expect(decide(FRAUD, fraudCells({ 'high-value': undefined })).reasons).toEqual([
        'segment high-value (critical): segment high-value is not in the evaluation report',
      ]);
      expect(decide(FRAUD, fraudCells({ 'high-value': undefined })).outcome).toBe('reject');
      expect(decide(FRAUD, fraudCells({ 'cross-border': undefined })).outcome).toBe('hold');
    });

    test('a report without any segments section (a pipeline that predates them) rejects a model with critical segments', () => {
      const report = { binary_classification_metrics: { auc: { value: 0.95 }, f1: { value: 0.9 } } };
      const d = decide(FRAUD, {}, { report });
      expect(d.outcome).toBe('reject');
      expect(d.reasons).toContain('segment high-value (critical): the evaluation report has no segments section');
    });

    test('a segment defined otherwise in the report (a friendlier range) is not evidence for the configured one', () => {
      const report = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) as any;
      report.segments['high-value'].definition = { feature: 'amount', range: { min: 50000 } };
      const d = decide(FRAUD, {}, { report });
      expect(d.outcome).toBe('reject');
      expect(d.reasons[0]).toMatch(
        /segment high-value is defined in the report as .*"min":50000.*, not as configured \(10000 <= amount\)/,
      );
    });

    test.each<[string, (s: any) => void, RegExp]>([
      [
        'counts that do not add up to the support',
        (s) => (s.support = 2000),
        /confusion counts add up to 1000, not its support 2000/,
      ],
      // The totals (3000 rows: three segments of 1000) bound every segment.
      [
        "a support above the evaluation's rows (a segment reported three times over)",
        (s) => (s.support = 5000),
        /segment high-value has a support of 5000, more than the 3000 rows of the evaluation/,
      ],
      ['a negative count', (s) => (s.confusion_matrix.false_positives = -25), /confusion count outside its domain/],
      ['a fractional support', (s) => (s.support = 999.5), /support of 999.5, outside its domain/],
      [
        'positives that contradict the counts',
        (s) => (s.positives = 10),
        /reports 10 positives, but its confusion counts hold 200/,
      ],
      [
        'an AUC of 92 (a percent)',
        (s) => (s.binary_classification_metrics.auc.value = 92),
        /high-value AUC 92 is outside its domain/,
      ],
      ['a support claimed as text', (s) => (s.support = '1000'), /support of "1000", outside its domain/],
    ])('%s: not trusted', (_, spoil, message) => {
      const report = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) as any;
      spoil(report.segments['high-value']);
      const d = decide(FRAUD, {}, { report });
      expect(d.outcome).not.toBe('approve');
      expect(d.reasons.join('\n')).toMatch(message);
    });

    test.each<[string, (r: any) => void, RegExp]>([
      [
        'no total row count',
        (r) => delete r.rows,
        /the evaluation report has no total row count \(rows\), so segment high-value's support cannot be checked/,
      ],
      [
        'no aggregate confusion matrix',
        (r) => delete r.confusion_matrix,
        /has no aggregate confusion_matrix of whole counts/,
      ],
      [
        'aggregate counts that do not add up to the rows',
        (r) => (r.confusion_matrix.true_negatives -= 1),
        /the evaluation's confusion counts add up to 2999, not its 3000 rows/,
      ],
      [
        'a segment with more true positives than the whole evaluation',
        (r) =>
          (r.confusion_matrix = {
            true_positives: 100,
            false_positives: 75,
            false_negatives: 75,
            true_negatives: 2750,
          }),
        /segment high-value counts more TP \(175 > 100\) than the whole evaluation/,
      ],
    ])('report totals: %s: not trusted', (_, spoil, message) => {
      const report = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) as any;
      spoil(report);
      const d = decide(FRAUD, {}, { report });
      expect(d.outcome).toBe('reject');
      expect(d.reasons.join('\n')).toMatch(message);
    });

    test('a status "ok" claimed for a segment below its minimum support is not believed: the gate counts', () => {
      const report = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells({ 'high-value': good(150) })) as any;
      report.segments['high-value'].status = 'ok';
      report.segments['high-value'].min_support = 1;
      expect(decide(FRAUD, {}, { report }).outcome).toBe('hold');
    });

    test('a critical segment with enough rows but one class (no AUC) holds: nothing shows it meets its floor', () => {
      const d = decide(FRAUD, fraudCells({ 'high-value': { tp: 0, fn: 0, fp: 30, tn: 970, f1: 0 } }));
      expect(d.outcome).toBe('reject'); // its F1 of 0 is below the floor
      expect(d.checks.find((c) => c.name === 'segment high-value (critical) AUC')).toMatchObject({
        passed: false,
        severity: 'warn',
        detail: expect.stringMatching(/AUC of segment high-value is missing; the segment cannot be judged/),
      });
      const noFigures = decide(FRAUD, fraudCells({ 'cross-border': { tp: 0, fn: 0, fp: 30, tn: 970 } }));
      expect(noFigures.outcome).toBe('hold');
    });

    test('a segment name that is an Object prototype key is not found by inheritance', () => {
      const policy = { ...FRAUD_SEGMENTS, segments: [{ ...FRAUD_SEGMENTS.segments[0], name: 'constructor' }] };
      const model = { ...FRAUD, segmentation: policy };
      const d = decideApproval(
        model,
        TIERS,
        {
          ...goodInputs(),
          evaluation: okReport({
            binary_classification_metrics: { auc: { value: 0.9 }, f1: { value: 0.8 } },
            segments: {},
          }),
        },
        PIPELINE_CONTEXT,
      );
      expect(d.outcome).toBe('reject');
      expect(d.reasons[0]).toMatch(/segment constructor is not in the evaluation report/);
    });

    test('a stress scenario missing or below the tier floor holds for a person', () => {
      const missing = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) as any;
      delete missing.stress_scenarios['fraud-wave'];
      expect(decide(FRAUD, {}, { report: missing })).toMatchObject({
        outcome: 'hold',
        reasons: ['stress fraud-wave: the scenario is not in the evaluation report'],
      });
      const weak = segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) as any;
      weak.stress_scenarios['high-value-season'].binary_classification_metrics.auc.value = 0.7;
      const d = decide(FRAUD, {}, { report: weak });
      expect(d.outcome).toBe('hold');
      expect(d.reasons[0]).toMatch(/stress high-value-season \(prior_shift\): AUC 0.7 is below the tier's floor 0.75/);
    });
  });

  test('a model without segments is decided as before (no segment checks)', () => {
    const d = decideApproval(CLASSIFIER, TIERS, goodInputs(), PIPELINE_CONTEXT);
    expect(d.checks.some((c) => c.name.startsWith('segment') || c.name.startsWith('stress'))).toBe(false);
  });
});

describe('champion/challenger per critical segment', () => {
  const NOW = new Date('2026-11-23T12:00:00Z');
  const ago = (m: number) => new Date(NOW.getTime() - m * 60_000);
  const inputs = (
    challenger: Record<string, Cell | undefined>,
    champion: Record<string, Cell | undefined> | undefined,
    agg = { chal: 0.95, champ: 0.93 },
  ): DeploymentInputs => ({
    model: FRAUD,
    approvalStatus: 'Approved',
    alarms: [{ name: 'fraud-stg-5xx', state: 'OK', stateUpdated: ago(600) }],
    challengerEvaluation: okReport(segmentedEvaluation(FRAUD_SEGMENTS, challenger, { auc: agg.chal, f1: 0.8 })),
    champions:
      champion === undefined
        ? []
        : [
            {
              label: 'version 1',
              evaluation: okReport(segmentedEvaluation(FRAUD_SEGMENTS, champion, { auc: agg.champ, f1: 0.8 })),
            },
          ],
    serving: { ok: true, variant: 'challenger', detail: 'serves the package', liveSince: ago(600) },
    artifacts: [],
    invocations: { count: 500 },
    now: NOW,
  });
  const decide = (i: DeploymentInputs) => decideDeployment(GATE_CONFIG.deployment, i);

  test('wins overall (AUC 0.95 against 0.93) but loses high-value significantly (error 15% against 5% in 1000 rows each): blocked', () => {
    const d = decide(
      inputs(fraudCells({ 'high-value': good(1000, 0.15), 'high-risk-merchant': good(1000, 0.02) }), fraudCells()),
    );
    expect(d.pass).toBe(false);
    expect(d.checks.find((c) => c.name === 'challenger AUC')).toMatchObject({ passed: true });
    // Each kind of error among the rows it can happen to: 75 of 200 positives missed against 25; 75 of 800 negatives
    // flagged against 25.
    expect(d.reasons).toHaveLength(2);
    expect(d.reasons[0]).toMatch(
      /challenger in segment high-value: missed-positive rate \(1 - recall\): 0.375 \(75\/200\) against the champion's 0.125 \(25\/200\); difference 0.25, one-sided 95% Newcombe interval \[0.\d+, 0.\d+\]: worse than the champion by more than the tolerance 0.01, significantly/,
    );
    expect(d.reasons[1]).toMatch(
      /challenger in segment high-value: false-positive rate: 0.0938 \(75\/800\) against the champion's 0.0313 \(25\/800\).*significantly/,
    );
  });

  test('a difference within what chance gives in a small segment is inconclusive, and an inconclusive comparison does not pass (7% against 4% in 200 rows)', () => {
    const d = decide(
      inputs(fraudCells({ 'high-value': good(200, 0.07) }), fraudCells({ 'high-value': good(200, 0.04) })),
    );
    expect(d.pass).toBe(false);
    expect(
      d.checks.find((c) => c.name === 'challenger in segment high-value: missed-positive rate (1 - recall)'),
    ).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        /inconclusive: not shown within the tolerance 0.01 \(upper bound above it\), so not promoted; a person decides/,
      ),
    });
  });

  test('the same 3-point loss on 5000 rows each is significant, and blocks', () => {
    const d = decide(
      inputs(fraudCells({ 'high-value': good(5000, 0.07) }), fraudCells({ 'high-value': good(5000, 0.04) })),
    );
    expect(d.pass).toBe(false);
  });

  test('a segment below its minimum support in either evaluation cannot be compared, and blocks (noise never passes by chance)', () => {
    for (const [mine, theirs] of [
      [good(150, 0.01), good()],
      [good(), good(150, 0.2)],
    ] as const) {
      const d = decide(inputs(fraudCells({ 'high-value': mine }), fraudCells({ 'high-value': theirs })));
      expect(d.pass).toBe(false);
      expect(d.reasons[0]).toMatch(
        /challenger in segment high-value: cannot be compared: support \d+ \(challenger\) and \d+ \(champion\), at least 200 each needed/,
      );
    }
  });

  test('a non-critical segment is not compared: losing cross-border alone does not block', () => {
    // The critical segments are shown no worse (fewer errors of each kind); cross-border is much worse, and not judged.
    const d = decide(
      inputs(
        fraudCells({
          'high-value': good(1000, 0.02),
          'high-risk-merchant': good(1000, 0.02),
          'cross-border': good(1000, 0.3),
        }),
        fraudCells(),
      ),
    );
    expect(d.pass).toBe(true);
    expect(d.checks.some((c) => c.name.includes('cross-border'))).toBe(false);
    expect(d.checks.filter((c) => c.name.startsWith('challenger in segment')).map((c) => c.name)).toEqual([
      'challenger in segment high-value: missed-positive rate (1 - recall)',
      'challenger in segment high-value: false-positive rate',
      'challenger in segment high-risk-merchant: missed-positive rate (1 - recall)',
      'challenger in segment high-risk-merchant: false-positive rate',
    ]);
  });

  test('a better challenger passes every segment; the first deployment (no champion) records its figures', () => {
    expect(
      decide(
        inputs(fraudCells({ 'high-value': good(1000, 0.02), 'high-risk-merchant': good(1000, 0.02) }), fraudCells()),
      ).pass,
    ).toBe(true);
    // The same challenger as the champion (identical counts, 1000 rows) is not shown within 0.01: inconclusive, not
    // passed.
    expect(decide(inputs(fraudCells(), fraudCells())).pass).toBe(false);
    const first = decide(inputs(fraudCells(), undefined));
    expect(first.pass).toBe(true);
    expect(first.checks.find((c) => c.name === 'challenger in segment high-value')!.detail).toMatch(
      /no champion in prod yet; challenger support 1000/,
    );
  });

  test('a champion report without the segment, or with another threshold, blocks: the comparison cannot be made', () => {
    expect(decide(inputs(fraudCells(), fraudCells({ 'high-value': undefined }))).reasons[0]).toMatch(
      /champion evaluation: segment high-value is not in the evaluation report/,
    );
    const i = inputs(fraudCells(), fraudCells());
    (i.champions[0].evaluation as any).json.decision_threshold = 0.3;
    expect(decide(i).reasons[0]).toMatch(/different decision thresholds \(0.5 and 0.3\)/);
  });

  test('an unreadable champion evaluation fails the aggregate and every critical segment', () => {
    const i = {
      ...inputs(fraudCells(), fraudCells()),
      champions: [{ label: 'version 1', evaluation: { status: 'invalid' as const, reason: 'not JSON' } }],
    };
    const d = decide(i);
    expect(d.pass).toBe(false);
    expect(d.reasons).toEqual(
      expect.arrayContaining([
        'champion evaluation (version 1): not JSON',
        expect.stringMatching(
          /challenger in segment high-value: champion evaluation: the evaluation report has no segments section/,
        ),
      ]),
    );
  });

  test("regression: Welch on the squared error against the tolerance as a share of the champion's", () => {
    const policy = {
      marginBelowAggregate: 0.05,
      stressScenarios: [],
      segments: [
        { name: 'big', definition: { feature: 'balance', range: { min: 1e6 } }, critical: true, minSupport: 100 },
      ],
    };
    const report = (mean: number, variance: number, support = 1000) => ({
      rows: 1000,
      regression_metrics: { r2: { value: 0.8 }, rmse: { value: Math.sqrt(mean) } },
      segments: {
        big: {
          definition: policy.segments[0].definition,
          support,
          regression_metrics: { r2: { value: 0.8 }, rmse: { value: Math.sqrt(mean) } },
          squared_error: { mean, variance },
        },
      },
    });
    const run = (a: unknown, b: unknown) =>
      segmentPromotionChecks({ policy, problemType: 'regression', tolerance: 0.01, challenger: a, champion: b })[0];
    // 120 against 100 with sd 50 in 1000 rows each: se = sqrt(2 * 2500 / 1000) = 2.236; lower = 20 - 1.645 * 2.236 =
    // 16.3 > 1.
    expect(run(report(120, 2500), report(100, 2500))).toMatchObject({ passed: false });
    // 101 against 100: lower bound below 1, upper bound above it: inconclusive, not passed.
    expect(run(report(101, 2500), report(100, 2500))).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/inconclusive/),
    });
    // 95 against 100: upper bound -5 + 3.68 below 1: shown no worse.
    expect(run(report(95, 2500), report(100, 2500))).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/shown no worse/),
    });
    expect(
      run({ segments: { big: { ...report(1, 1).segments.big, squared_error: undefined } } }, report(100, 2500)),
    ).toMatchObject({ passed: false });
  });
});
