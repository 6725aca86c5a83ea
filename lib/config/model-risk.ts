import { z } from 'zod';
import { ConfigProblem, share } from './common';
import type { EstateConfig } from './estate-config';

/** Model risk: the approval gate's thresholds per risk tier, and the deployment gate's settings. */

/** Thresholds the model approval gate applies to every model of a risk tier. */
export const tierPolicySchema = z.strictObject({
  autoApprove: z
    .boolean({ error: 'must be true or false' })
    .describe('Approve without a person when every check passes. Never for high.'),
  minAuc: share('floor of AUC for classifiers'),
  minF1: share('floor of F1 for classifiers'),
  minR2: share('floor of R2 for regression models'),
  minDisparateImpact: z
    .number({ error: 'must be a number from 0.8 to 1' })
    .min(0.8, { error: 'must be at least 0.8: the four-fifths rule is the floor' })
    .max(1, { error: 'must be at most 1' }),
  psiWarn: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }),
  psiBlock: z
    .number({ error: 'must be a positive number' })
    .positive({ error: 'must be a positive number' })
    .max(0.25, { error: 'must be at most 0.25: drift beyond that is never accepted' }),
  requireExplainability: z.boolean({ error: 'must be true or false' }),
  reviewEveryMonths: z
    .number({ error: 'must be a whole number of months from 1 to 12' })
    .int({ error: 'must be a whole number of months from 1 to 12' })
    .min(1, { error: 'must be a whole number of months from 1 to 12' })
    .max(12, { error: 'must be a whole number of months from 1 to 12' }),
});

export const RISK_TIERS = ['high', 'medium', 'low'] as const;

export const modelRiskSchema = z.strictObject(
  {
    tiers: z.strictObject({ high: tierPolicySchema, medium: tierPolicySchema, low: tierPolicySchema }),
    deployment: z.strictObject({
      stagingBakeMinutes: z
        .number({ error: 'must be a whole number of minutes from 15 to 10080' })
        .int({ error: 'must be a whole number of minutes from 15 to 10080' })
        .min(15, { error: 'must be a whole number of minutes from 15 to 10080' })
        .max(10080, { error: 'must be a whole number of minutes from 15 to 10080' }),
      challengerTolerance: z
        .number({ error: 'must be a number from 0 to 0.1' })
        .min(0, { error: 'must be a number from 0 to 0.1' })
        .max(0.1, { error: 'must be a number from 0 to 0.1' }),
      minStagingInvocations: z
        .number({ error: 'must be a whole number of invocations from 1 to 1000000' })
        .int({ error: 'must be a whole number of invocations from 1 to 1000000' })
        .min(1, { error: 'must be a whole number of invocations from 1 to 1000000' })
        .max(1_000_000, { error: 'must be a whole number of invocations from 1 to 1000000' })
        .default(100)
        .describe(
          'Invocations the staging endpoint must serve during the bake period (an idle endpoint proves nothing)',
        ),
    }),
  },
  { error: 'must be a mapping with tiers (high, medium, low) and deployment' },
);

export type RiskTier = (typeof RISK_TIERS)[number];

/** Cross-field rules of model risk: no automatic approval of high risk, warn below block. */
export function checkModelRiskRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.modelRisk) return problems; // reported by the schema
  if (config.modelRisk.tiers.high.autoApprove) {
    problems.push({
      path: 'modelRisk.tiers.high.autoApprove',
      value: true,
      message: 'cannot be true: a high-risk model is approved only by a person in the model-risk role',
    });
  }
  for (const name of RISK_TIERS) {
    const tier = config.modelRisk.tiers[name];
    if (tier.psiWarn >= tier.psiBlock) {
      problems.push({
        path: `modelRisk.tiers.${name}.psiWarn`,
        value: tier.psiWarn,
        message: `must be below psiBlock (${tier.psiBlock})`,
      });
    }
  }
  return problems;
}
