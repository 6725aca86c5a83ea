import { z } from 'zod';
import { checkAccessRules } from './access';
import { checkArtifactRules } from './artifact-rules';
import { ConfigProblem, text } from './common';
import { checkDeliveryRules, deliverySchema } from './delivery';
import { checkEnvironmentRules, environmentSchema } from './environments';
import { checkReviewerRules } from './estate-rules';
import { checkFeatureGroupRules, featureGroupSchema } from './feature-store';
import { checkModelRiskRules, modelRiskSchema } from './model-risk';
import { checkEndpointRules, checkModelRules, modelSchema } from './models';
import { checkOrganizationRules, organizationSchema, tagsSchema } from './organization';
import { checkSecurityAlertRules } from './security-alerts';
import { checkSegmentRules } from './segments';
import { checkTrainingRules } from './training';

/**
 * The estate configuration: one reviewed file describes every environment.
 *
 * Each domain (organization, environments, model risk, feature store, models
 * and endpoints, training, delivery) has its own file with its shape and its
 * cross-field rules; this one composes them. Shape is checked by zod (unknown
 * keys are errors, so a typo never silently falls back to a default);
 * cross-field rules (unique accounts, non-overlapping CIDRs, regulatory floors)
 * are checked in `checkEstateRules`.
 */
export const estateSchema = z.strictObject({
  organization: organizationSchema,
  tags: tagsSchema,
  environments: z
    .array(environmentSchema, { error: 'must be a list of environments' })
    .min(1, { error: 'must define at least one environment' }),
  modelRisk: modelRiskSchema,
  featureGroups: z.array(featureGroupSchema, { error: 'must be a list of feature groups' }).default([]),
  models: z.array(modelSchema, { error: 'must be a list of models' }).default([]),
  delivery: deliverySchema
    .optional()
    .describe('The pipeline that deploys the environments; without it, deploy with cdk deploy'),
  extraInstanceTypes: z
    .array(text(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.g7.xlarge'), {
      error: 'must be a list of instance types',
    })
    .optional()
    .describe('Instance types newer than lib/ml/sagemaker-instance-types.json, accepted as they are'),
});

export type EstateConfigInput = z.input<typeof estateSchema>;
export type EstateConfig = z.output<typeof estateSchema>;

/**
 * Cross-field rules the schema cannot express, domain by domain. Runs only on
 * a config whose shape is already valid (or on its well-formed parts), and
 * returns every problem rather than the first.
 */
export function checkEstateRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [
    ...checkOrganizationRules(config),
    ...checkEnvironmentRules(config),
    ...checkModelRiskRules(config),
  ];
  // Model ids are checked with the risk tiers they are judged by: not while modelRisk is malformed.
  if (config.modelRisk) problems.push(...checkModelRules(config));
  problems.push(
    ...checkDeliveryRules(config),
    ...checkFeatureGroupRules(config),
    ...checkEndpointRules(config),
    ...checkTrainingRules(config),
  );
  // Which accounts and buckets are the estate's is known only once the environments are sound.
  if (!problems.some((p) => p.path.startsWith('environments'))) problems.push(...checkArtifactRules(config));
  problems.push(
    ...checkReviewerRules(config),
    ...checkSegmentRules(config),
    ...checkSecurityAlertRules(config),
    ...checkAccessRules(config),
  );
  return problems;
}
