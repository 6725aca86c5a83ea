/** Reports in SageMaker's formats, small enough to read in a test. */
import { GateConfig, GovernedModel, TierPolicy } from '../../lambdas/shared/gate-config';
import { ApprovalContext, ApprovalInputs, FetchedReport } from '../../lambdas/model-approval-gate/policy';

export const TIER: TierPolicy = {
  autoApprove: true,
  minAuc: 0.75,
  minF1: 0.6,
  minR2: 0.5,
  minDisparateImpact: 0.8,
  psiWarn: 0.1,
  psiBlock: 0.25,
  requireExplainability: true,
  reviewEveryMonths: 6,
};

export const TIERS: Record<string, TierPolicy> = {
  high: { ...TIER, autoApprove: false, reviewEveryMonths: 3 },
  medium: TIER,
  low: { ...TIER, reviewEveryMonths: 12 },
};

export const CLASSIFIER: GovernedModel = {
  id: 'fraud-score',
  packageGroupName: 'fraud-score',
  owner: 'fraud-analytics@example.com',
  riskTier: 'medium',
  problemType: 'binary_classification',
  protectedAttributes: ['sex', 'age_band'],
  trainingPipeline: 'test-fraud-score-training',
};

export const REGRESSOR: GovernedModel = {
  id: 'deposit-forecast',
  packageGroupName: 'deposit-forecast',
  owner: 'treasury-ml@example.com',
  riskTier: 'low',
  problemType: 'regression',
  protectedAttributes: [],
  maxRmse: 1000,
  trainingPipeline: 'test-deposit-forecast-training',
};

export const GATE_CONFIG: GateConfig = {
  environment: 'test',
  tiers: TIERS,
  models: [
    CLASSIFIER,
    REGRESSOR,
    {
      ...CLASSIFIER,
      id: 'credit-default',
      packageGroupName: 'credit-default',
      riskTier: 'high',
      trainingPipeline: 'test-credit-default-training',
    },
  ],
  deployment: { stagingBakeMinutes: 60, challengerTolerance: 0.01, minStagingInvocations: 100 },
  artifacts: { registryAccounts: ['123456789012'], requireImageDigest: true },
};

/** Evidence from the model's own pipeline and artifacts from the estate: what the gate needs to approve at all. */
export const PIPELINE_CONTEXT: ApprovalContext = {
  provenance: {
    kind: 'pipeline',
    execution: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/test-fraud-score-training/execution/abc123',
    detail: 'evidence of the pipeline',
  },
  artifacts: [],
};

export const evaluation = (auc: unknown = 0.9, f1: unknown = 0.8) => ({
  binary_classification_metrics: {
    auc: { value: auc, standard_deviation: 0.01 },
    f1: { value: f1, standard_deviation: 0.01 },
  },
});

export const regressionEvaluation = (r2: unknown = 0.8, rmse: unknown = 500) => ({
  regression_metrics: { r2: { value: r2 }, rmse: { value: rmse }, mae: { value: 300 } },
});

export const bias = (
  facets: Record<string, Array<[string, unknown]>> = {
    sex: [['female', 0.95]],
    age_band: [
      ['18-25', 0.9],
      ['65+', 0.85],
    ],
  },
) => ({
  version: '1.0',
  post_training_bias_metrics: {
    label: 'fraud',
    facets: Object.fromEntries(
      Object.entries(facets).map(([facet, groups]) => [
        facet,
        groups.map(([group, di]) => ({
          value_or_threshold: group,
          metrics: [
            { name: 'DI', description: 'Disparate Impact (DI)', value: di },
            { name: 'DPPL', description: 'Difference in positive proportions in predicted labels (DPPL)', value: 0.01 },
          ],
        })),
      ]),
    ),
  },
});

export const explainability = () => ({
  version: '1.0',
  explanations: {
    kernel_shap: {
      label0: { global_shap_values: { amount: 0.31, merchant_risk: 0.22, hour: 0.05 }, expected_value: 0.1 },
    },
  },
});

/** A statistics.json with one numerical feature whose KLL buckets hold `counts` over [0, 10). */
export const statistics = (counts: number[] = [10, 20, 40, 20, 10], feature = 'amount') => ({
  version: 0,
  dataset: { item_count: counts.reduce((a, b) => a + b, 0) },
  features: [
    { name: 'merchant', inferred_type: 'String', string_statistics: { common: { num_present: 100 } } },
    {
      name: feature,
      inferred_type: 'Fractional',
      numerical_statistics: {
        common: { num_present: counts.reduce((a, b) => a + b, 0) },
        mean: 5,
        distribution: {
          kll: {
            buckets: counts.map((count, i) => ({
              lower_bound: i * (10 / counts.length),
              upper_bound: (i + 1) * (10 / counts.length),
              count,
            })),
            sketch: { parameters: { c: 0.64, k: 2048 }, data: [] },
          },
        },
      },
    },
  ],
});

export const okReport = (json: unknown, name = 'report.json'): FetchedReport => ({
  status: 'ok',
  uri: `s3://artifacts/${name}`,
  json,
});

export const goodInputs = (): ApprovalInputs => ({
  evaluation: okReport(evaluation(), 'evaluation.json'),
  bias: okReport(bias(), 'bias/analysis.json'),
  explainability: okReport(explainability(), 'explainability/analysis.json'),
  statistics: okReport(statistics(), 'statistics.json'),
  baseline: okReport(statistics(), 'baseline/statistics.json'),
});
