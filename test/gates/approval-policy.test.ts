/** The approval policy: exact boundaries, and hostile or broken inputs that must never approve. */
import { ApprovalInputs, decideApproval, FetchedReport } from '../../lambdas/model-approval-gate/policy';
import { populationStabilityIndex } from '../../lambdas/shared/reports';
import {
  bias,
  CLASSIFIER,
  evaluation,
  goodInputs,
  okReport,
  PIPELINE_CONTEXT,
  REGRESSOR,
  regressionEvaluation,
  statistics,
  TIERS,
} from './fixtures';

const decide = (patch: Partial<ApprovalInputs> = {}, model = CLASSIFIER) =>
  decideApproval(model, TIERS, { ...goodInputs(), ...patch }, PIPELINE_CONTEXT);

describe('a model that clears every threshold', () => {
  test('is approved in a tier that allows it, with every check recorded', () => {
    const decision = decide();
    expect(decision.outcome).toBe('approve');
    expect(decision.checks.map((c) => c.name)).toEqual([
      'AUC',
      'F1',
      'disparate impact (sex) = female',
      'disparate impact (age_band) = 18-25',
      'disparate impact (age_band) = 65+',
      'explainability',
      'PSI (amount)',
      'provenance',
    ]);
    expect(decision.checks.every((c) => c.passed)).toBe(true);
  });

  test('is held for a person when the model is high risk, even if its tier says auto-approve', () => {
    const tiers = { ...TIERS, high: { ...TIERS.high, autoApprove: true } };
    const decision = decideApproval({ ...CLASSIFIER, riskTier: 'high' }, tiers, goodInputs(), PIPELINE_CONTEXT);
    expect(decision.outcome).toBe('hold');
    expect(decision.reasons).toEqual([
      'every check passed; a high-risk model is approved only by a person in the model-risk role',
    ]);
  });

  test('is held when its tier does not auto-approve', () => {
    const tiers = { ...TIERS, medium: { ...TIERS.medium, autoApprove: false } };
    expect(decideApproval(CLASSIFIER, tiers, goodInputs(), PIPELINE_CONTEXT).outcome).toBe('hold');
  });

  test('a regression model is judged on R2 and RMSE', () => {
    const decision = decide({ evaluation: okReport(regressionEvaluation(0.8, 999)) }, REGRESSOR);
    expect(decision.outcome).toBe('approve');
    expect(
      decision.checks.filter((c) => ['R2', 'RMSE'].includes(c.name)).map((c) => [c.name, c.value, c.passed]),
    ).toEqual([
      ['R2', 0.8, true],
      ['RMSE', 999, true],
    ]);
  });
});

describe('exact boundaries', () => {
  test.each<[string, Partial<ApprovalInputs>, string]>([
    ['AUC exactly at the floor passes', { evaluation: okReport(evaluation(0.75, 0.8)) }, 'approve'],
    ['AUC just below the floor rejects', { evaluation: okReport(evaluation(0.7499, 0.8)) }, 'reject'],
    ['F1 exactly at the floor passes', { evaluation: okReport(evaluation(0.9, 0.6)) }, 'approve'],
    ['F1 just below the floor rejects', { evaluation: okReport(evaluation(0.9, 0.5999)) }, 'reject'],
    [
      'DI exactly 0.8 passes',
      { bias: okReport(bias({ sex: [['female', 0.8]], age_band: [['18-25', 0.9]] })) },
      'approve',
    ],
    [
      'DI 0.7999 rejects',
      { bias: okReport(bias({ sex: [['female', 0.7999]], age_band: [['18-25', 0.9]] })) },
      'reject',
    ],
    [
      'DI 0.7999 in one group of a facet rejects',
      {
        bias: okReport(
          bias({
            sex: [['female', 0.9]],
            age_band: [
              ['18-25', 0.9],
              ['65+', 0.7999],
            ],
          }),
        ),
      },
      'reject',
    ],
  ])('%s', (_name, patch, outcome) => {
    expect(decide(patch).outcome).toBe(outcome);
  });

  test.each<[string, number, number, string]>([
    ['RMSE at the ceiling passes', 0.5, 1000, 'approve'],
    ['RMSE above the ceiling rejects', 0.5, 1000.01, 'reject'],
    ['R2 at the floor passes', 0.5, 10, 'approve'],
    ['R2 below the floor rejects', 0.4999, 10, 'reject'],
  ])('%s', (_name, r2, rmse, outcome) => {
    expect(decide({ evaluation: okReport(regressionEvaluation(r2, rmse)) }, REGRESSOR).outcome).toBe(outcome);
  });

  // Baseline 50/50 over two bins; current p/(1-p). PSI = (p-.5)ln(p/.5) + ((1-p)-.5)ln((1-p)/.5).
  const psiOf = (p: number) => (p - 0.5) * Math.log(p / 0.5) + (0.5 - p) * Math.log((1 - p) / 0.5);
  test('PSI matches the textbook formula on aligned bins', () => {
    const base = [
      { lower: 0, upper: 1, count: 500 },
      { lower: 1, upper: 2, count: 500 },
    ];
    const now = [
      { lower: 0, upper: 1, count: 700 },
      { lower: 1, upper: 2, count: 300 },
    ];
    expect(populationStabilityIndex(base, now)).toBeCloseTo(psiOf(0.7), 10);
  });

  test('PSI of a distribution against itself is 0; a current bucket spanning two baseline bins is split by overlap', () => {
    const base = [
      { lower: 0, upper: 1, count: 50 },
      { lower: 1, upper: 2, count: 50 },
    ];
    expect(populationStabilityIndex(base, base)).toBe(0);
    expect(populationStabilityIndex(base, [{ lower: 0, upper: 2, count: 100 }])).toBeCloseTo(0, 12);
    expect(populationStabilityIndex(base, [{ lower: 0.5, upper: 1.5, count: 100 }])).toBeCloseTo(0, 12);
  });

  // Find shares p whose PSI sits just below and above 0.1 and 0.25, and check the outcomes flip there.
  const shareFor = (target: number) => {
    let lo = 0.5;
    let hi = 0.999;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (psiOf(mid) < target) lo = mid;
      else hi = mid;
    }
    return hi;
  };
  const twoBins = (p: number) => statistics([Math.round(p * 1e6), Math.round((1 - p) * 1e6)]);
  test.each<[string, number, string]>([
    ['PSI just under the warning level approves', shareFor(0.1) - 0.001, 'approve'],
    ['PSI just over the warning level holds', shareFor(0.1) + 0.001, 'hold'],
    ['PSI just under the block level holds', shareFor(0.25) - 0.001, 'hold'],
    ['PSI just over the block level rejects', shareFor(0.25) + 0.001, 'reject'],
  ])('%s', (_name, p, outcome) => {
    const decision = decide({ baseline: okReport(twoBins(0.5)), statistics: okReport(twoBins(p)) });
    expect(decision.outcome).toBe(outcome);
  });
});

describe('hostile or broken inputs never approve', () => {
  const missing = (reason = 'the package names no such report'): FetchedReport => ({ status: 'missing', reason });
  const invalid = (reason: string): FetchedReport => ({ status: 'invalid', uri: 's3://elsewhere/x.json', reason });
  const unavailable: FetchedReport = {
    status: 'unavailable',
    uri: 's3://artifacts/x.json',
    reason: 'AccessDenied after 3 attempts',
  };
  const withoutFeature = { ...statistics(), features: [statistics().features[0]] };

  const cases: Array<[string, Partial<ApprovalInputs>, 'reject' | 'hold', RegExp]> = [
    [
      'evaluation report missing',
      { evaluation: missing() },
      'reject',
      /evaluation report: the package names no such report/,
    ],
    ['bias report missing', { bias: missing() }, 'reject', /bias report/],
    ['explainability report missing', { explainability: missing() }, 'reject', /explainability report/],
    ['baseline statistics missing', { baseline: missing() }, 'reject', /baseline statistics/],
    ['statistics missing', { statistics: missing() }, 'reject', /statistics/],
    [
      'evaluation is malformed JSON',
      { evaluation: invalid('is not valid JSON: Unexpected token') },
      'reject',
      /not valid JSON/,
    ],
    [
      'report outside the allowed buckets',
      { evaluation: invalid('s3://elsewhere/x.json is outside the allowed buckets') },
      'reject',
      /outside the allowed buckets/,
    ],
    [
      'oversized report',
      { bias: invalid('is 9437184 bytes, over the 1048576-byte limit') },
      'reject',
      /over the 1048576-byte limit/,
    ],
    ['AWS error while reading a report', { evaluation: unavailable }, 'hold', /could not be read: AccessDenied/],
    ['AUC is NaN', { evaluation: okReport(evaluation(NaN)) }, 'reject', /AUC: .*not a finite number/],
    [
      'AUC is a string',
      { evaluation: okReport(evaluation('0.95')) },
      'reject',
      /AUC: binary_classification_metrics.auc.value is not a number/,
    ],
    ['AUC is null', { evaluation: okReport(evaluation(null)) }, 'reject', /is not a number/],
    ['AUC is Infinity', { evaluation: okReport(evaluation(Infinity)) }, 'reject', /not a finite number/],
    [
      'F1 is absent',
      { evaluation: okReport({ binary_classification_metrics: { auc: { value: 0.9 } } }) },
      'reject',
      /F1: binary_classification_metrics.f1.value is missing/,
    ],
    ['evaluation is an array', { evaluation: okReport([0.9, 0.8]) }, 'reject', /AUC: .* is missing/],
    [
      'evaluation has regression metrics for a classifier',
      { evaluation: okReport(regressionEvaluation()) },
      'reject',
      /AUC: .* is missing/,
    ],
    [
      'a protected facet is missing from the bias report',
      { bias: okReport(bias({ sex: [['female', 0.9]] })) },
      'reject',
      /facet "age_band" is not in the bias report/,
    ],
    [
      'a facet has no groups',
      { bias: okReport(bias({ sex: [], age_band: [['18-25', 0.9]] })) },
      'reject',
      /facet "sex" is not in the bias report/,
    ],
    [
      'DI is null (undefined by Clarify)',
      { bias: okReport(bias({ sex: [['female', null]], age_band: [['18-25', 0.9]] })) },
      'reject',
      /no finite DI value/,
    ],
    [
      'DI is a string',
      { bias: okReport(bias({ sex: [['female', '0.9']], age_band: [['18-25', 0.9]] })) },
      'reject',
      /no finite DI value/,
    ],
    [
      'bias report has no post-training section',
      { bias: okReport({ pre_training_bias_metrics: {} }) },
      'reject',
      /post_training_bias_metrics is missing/,
    ],
    [
      'explainability has no SHAP values',
      { explainability: okReport({ explanations: { kernel_shap: {} } }) },
      'reject',
      /no global SHAP values/,
    ],
    [
      'explainability SHAP value is NaN',
      { explainability: okReport({ explanations: { kernel_shap: { l: { global_shap_values: { a: NaN } } } } }) },
      'reject',
      /not a finite number/,
    ],
    [
      'baseline feature absent from the statistics',
      { statistics: okReport(withoutFeature) },
      'reject',
      /statistics: no numerical feature has a KLL sketch/,
    ],
    [
      'statistics of another feature',
      { statistics: okReport(statistics(undefined, 'balance')) },
      'reject',
      /feature amount is in the baseline but not in the statistics/,
    ],
    [
      'KLL bucket with a negative count',
      { statistics: okReport(statistics([10, -5, 10])) },
      'reject',
      /outside its domain \(whole and non-negative\)/,
    ],
    ['KLL buckets all empty', { statistics: okReport(statistics([0, 0, 0])) }, 'reject', /has no observations/],
    ['statistics is not an object', { statistics: okReport('features') }, 'reject', /features is missing/],
    [
      'drift far beyond the block level',
      { statistics: okReport(statistics([100, 0, 0, 0, 0])) },
      'reject',
      /PSI of amount is .*at or above the block level 0.25/,
    ],
  ];

  test('there are at least 25 of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  test.each(cases)('%s', (_name, patch, outcome, reason) => {
    const decision = decide(patch);
    expect(decision.outcome).toBe(outcome);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  test('a package group the estate does not govern is held', () => {
    expect(decideApproval(undefined, TIERS, goodInputs(), PIPELINE_CONTEXT)).toMatchObject({
      outcome: 'hold',
      reasons: ['the model package group is not governed by the estate config'],
    });
  });

  test('an unknown risk tier is held', () => {
    expect(decideApproval({ ...CLASSIFIER, riskTier: 'extreme' }, TIERS, goodInputs(), PIPELINE_CONTEXT)).toMatchObject(
      { outcome: 'hold', reasons: ['risk tier "extreme" has no policy in the estate config'] },
    );
  });

  test('a risk tier named like an Object prototype key is unknown, not a policy', () => {
    expect(
      decideApproval({ ...CLASSIFIER, riskTier: 'constructor' }, TIERS, goodInputs(), PIPELINE_CONTEXT).outcome,
    ).toBe('hold');
  });
});
