import { z } from 'zod';
import { instanceFamily } from '../../constructs/aws-facts';
import { ConfigProblem, imageUri, instanceType, modelData, text, whole } from './common';
import { RISK_TIERS } from './model-risk';
import { allowedInstanceFamilies, EnvironmentConfig, promotionSource } from './environments';
import type { EstateConfig } from './estate-config';
import { segmentationSchema } from './segments';
import { trainingSchema } from './training';

/** The models: owner, risk tier, features, the endpoint of each environment and its variants, and retraining. */

export const PROBLEM_TYPES = ['binary_classification', 'regression'] as const;

const packageVersion = z
  .number({ error: 'must be a whole version number of the staging registry' })
  .int({ error: 'must be a whole version number of the staging registry' })
  .positive({ error: 'must be a whole version number of the staging registry' })
  .optional()
  .describe('Serve this approved version of the model package group in the staging registry');

export const variantSchema = z.strictObject({
  name: text(
    /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
    'must be 1-63 letters, digits or hyphens (e.g. champion, challenger)',
  ),
  image: imageUri.optional(),
  modelData: modelData.optional(),
  modelPackageVersion: packageVersion,
  instanceType,
  instanceCount: whole(1, 100),
  weight: z
    .number({ error: 'must be a number from 0 to 1' })
    .min(0, { error: 'must be a number from 0 to 1' })
    .max(1, { error: 'must be a number from 0 to 1' }),
  autoscaling: z.strictObject({
    minInstances: whole(1, 100),
    maxInstances: whole(1, 100),
    targetInvocationsPerInstance: whole(1, 100000).describe(
      'Target of SageMakerVariantInvocationsPerInstance (per minute)',
    ),
  }),
});

export const ROLLOUT_STRATEGIES = ['canary', 'linear', 'all-at-once'] as const;

export const endpointSchema = z.strictObject({
  awaitingApproval: z
    .boolean({ error: 'must be true or false' })
    .default(false)
    .describe(
      'Declared before any version is approved: nothing is deployed for it here until the variants name an approved modelPackageVersion',
    ),
  variants: z
    .array(variantSchema, { error: 'must be a list of production variants' })
    .min(1, { error: 'must list at least one production variant' })
    .max(10, { error: 'must list at most 10 production variants' }),
  shadow: z
    .strictObject({
      name: text(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be 1-63 letters, digits or hyphens').default('shadow'),
      image: imageUri.optional(),
      modelData: modelData.optional(),
      modelPackageVersion: packageVersion.describe(
        'Copy live traffic to this approved version of the staging registry (the candidate prod may then serve)',
      ),
      instanceType,
      instanceCount: whole(1, 100),
      samplingPercent: whole(1, 100).describe('Share of requests copied to the shadow variant'),
    })
    .optional(),
  rollout: z
    .strictObject({
      strategy: z.enum(ROLLOUT_STRATEGIES, { error: `must be one of ${ROLLOUT_STRATEGIES.join(', ')}` }),
      stepPercent: whole(1, 50).default(10).describe('Canary size, or each linear step, as a share of capacity'),
      bakeMinutes: whole(0, 60).default(10).describe('Wait between traffic shifts, and before the old fleet goes'),
    })
    .default({ strategy: 'canary', stepPercent: 10, bakeMinutes: 10 }),
  monitoring: z
    .strictObject({
      dataQuality: z.boolean({ error: 'must be true or false' }),
      modelQuality: z.boolean({ error: 'must be true or false' }),
      groundTruth: text(
        /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^/]+\/)*$/,
        'must be an S3 prefix ending in / (s3://<bucket>/<prefix>/) where ground-truth labels arrive',
      )
        .optional()
        .describe(
          'Where labels arrive (Model Monitor ground-truth JSON lines under yyyy/mm/dd/hh/); default monitoring/<endpoint>/ground-truth/ of the capture bucket',
        ),
    })
    .optional()
    .describe(
      'Monitoring of data quality, drift and bias (dataQuality) and of model quality (modelQuality); default on in prod, off elsewhere',
    ),
});

export const modelSchema = z.strictObject({
  id: text(
    /^[a-z][a-z0-9-]{1,47}[a-z0-9]$/,
    'must be 3-49 lower-case letters, digits or hyphens, starting with a letter (it names the model package group)',
  ),
  owner: text(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be the e-mail address of the accountable owner'),
  riskTier: z.enum(RISK_TIERS, { error: `must be one of ${RISK_TIERS.join(', ')}` }),
  problemType: z.enum(PROBLEM_TYPES, { error: `must be one of ${PROBLEM_TYPES.join(', ')}` }),
  protectedAttributes: z
    .array(z.string({ error: 'must be a facet name' }).min(1), { error: 'must be a list of facet names' })
    .default([]),
  maxRmse: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).optional(),
  intendedUse: z
    .string({ error: 'must be text' })
    .min(10, { error: 'must say what the model is for, in 10 characters or more' })
    .max(1024)
    .optional()
    .describe('Model card: intended use'),
  featureGroups: z
    .array(z.string({ error: 'must be a feature group name' }), { error: 'must be a list of feature group names' })
    .default([]),
  endpoints: z
    .record(z.string(), endpointSchema, { error: 'must map environment names to endpoint settings' })
    .default({})
    .describe('Endpoint of this model per environment name'),
  training: trainingSchema.optional(),
  segmentation: segmentationSchema
    .optional()
    .describe('Segments judged on their own at approval, promotion and in production (lib/config/segments.ts)'),
});

export type ModelConfig = z.output<typeof modelSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;
export type VariantConfig = z.output<typeof variantSchema>;

/** Cross-field rules of the models themselves: unique ids, RMSE only for regression. */
export function checkModelRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  (config.models ?? []).forEach((model, i) => {
    const twin = seen.get(model.id);
    if (twin !== undefined)
      problems.push({
        path: `models[${i}].id`,
        value: model.id,
        message: `is already used by models[${twin}]; model ids must be unique`,
      });
    else seen.set(model.id, i);
    if (model.maxRmse !== undefined && model.problemType !== 'regression') {
      problems.push({
        path: `models[${i}].maxRmse`,
        value: model.maxRmse,
        message: 'applies only to regression models',
      });
    }
  });
  return problems;
}

/**
 * Cross-field rules of the endpoints: known feature groups and environments,
 * weights, allowed instance families, autoscaling bounds, prod capacity, and
 * where each variant's model comes from.
 */
export function checkEndpointRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = new Set((config.featureGroups ?? []).map((group) => group.name));

  const present = config.environments.filter(Boolean);
  const environments = new Map(present.map((e) => [e.name, e]));
  // The registry packaged variants serve from: the staging environment prod names in promoteFrom.
  const promoted = present.some((e) => e.type === 'prod' && e.promoteFrom !== undefined);
  (config.models ?? []).forEach((model, i) => {
    const at = `models[${i}]`;
    model.featureGroups.forEach((name, j) => {
      if (!groups.has(name)) {
        problems.push({
          path: `${at}.featureGroups[${j}]`,
          value: name,
          message: `is not a feature group of this estate (known: ${[...groups].join(', ') || 'none'})`,
        });
      }
    });
    for (const [envName, endpoint] of Object.entries(model.endpoints)) {
      const ep = `${at}.endpoints.${envName}`;
      const env = environments.get(envName);
      if (!env) {
        problems.push({
          path: ep,
          message: `is not an environment of this estate (known: ${[...environments.keys()].join(', ')})`,
        });
        continue;
      }
      const allowed = allowedInstanceFamilies(env);
      const total = endpoint.variants.reduce((sum, v) => sum + v.weight, 0);
      if (Math.abs(total - 1) > 1e-6) {
        problems.push({
          path: `${ep}.variants`,
          value: endpoint.variants.map((v) => v.weight),
          message: `weights must add up to 1 (they add up to ${Number(total.toFixed(6))})`,
        });
      }
      const checkFamily = (path: string, type: string) => {
        if (!allowed.includes(instanceFamily(type))) {
          problems.push({
            path,
            value: type,
            message: `is of family ${instanceFamily(type)}, not allowed in ${env.name} (allowed: ${allowed.join(', ')})`,
          });
        }
      };
      // Where a variant's or the shadow's model comes from: an approved package version, or (outside prod) an image and
      // model data.
      const checkSource = (vp: string, v: Pick<VariantConfig, 'image' | 'modelData' | 'modelPackageVersion'>) => {
        const packaged = v.modelPackageVersion !== undefined;
        const direct = v.image !== undefined || v.modelData !== undefined;
        if (endpoint.awaitingApproval) {
          if (packaged || direct)
            problems.push({
              path: vp,
              message:
                'gives a model, but the endpoint is awaitingApproval: remove awaitingApproval once a version is approved, or the model until then',
            });
        } else if (packaged === direct || (direct && (v.image === undefined || v.modelData === undefined))) {
          problems.push({ path: vp, message: 'must give either modelPackageVersion, or both image and modelData' });
        } else if (env.type === 'prod' && !packaged) {
          problems.push({
            path: `${vp}.image`,
            value: v.image,
            message:
              'cannot be used in prod: prod serves only a model package version approved in the staging registry (give modelPackageVersion)',
          });
        } else if (packaged && !promoted) {
          problems.push({
            path: `${vp}.modelPackageVersion`,
            value: v.modelPackageVersion,
            message:
              "needs a staging environment, whose registry holds the approved versions, named in prod's promoteFrom",
          });
        }
      };
      endpoint.variants.forEach((v, j) => {
        const vp = `${ep}.variants[${j}]`;
        if (endpoint.variants.findIndex((w) => w.name === v.name) !== j)
          problems.push({ path: `${vp}.name`, value: v.name, message: 'is listed twice' });
        checkFamily(`${vp}.instanceType`, v.instanceType);
        const { minInstances, maxInstances } = v.autoscaling;
        if (maxInstances < minInstances)
          problems.push({
            path: `${vp}.autoscaling.maxInstances`,
            value: maxInstances,
            message: `must be at least minInstances (${minInstances})`,
          });
        if (v.instanceCount < minInstances || v.instanceCount > maxInstances) {
          problems.push({
            path: `${vp}.instanceCount`,
            value: v.instanceCount,
            message: `must lie within the autoscaling bounds (${minInstances} to ${maxInstances})`,
          });
        }
        if (env.type === 'prod' && v.weight > 0 && (v.instanceCount < 2 || minInstances < 2)) {
          problems.push({
            path: v.instanceCount < 2 ? `${vp}.instanceCount` : `${vp}.autoscaling.minInstances`,
            value: v.instanceCount < 2 ? v.instanceCount : minInstances,
            message: 'must be at least 2 in prod: a variant that takes traffic spans two availability zones',
          });
        }
        checkSource(vp, v);
      });
      if (endpoint.shadow) {
        checkFamily(`${ep}.shadow.instanceType`, endpoint.shadow.instanceType);
        if (endpoint.variants.some((v) => v.name === endpoint.shadow!.name)) {
          problems.push({
            path: `${ep}.shadow.name`,
            value: endpoint.shadow.name,
            message: 'must differ from the production variant names',
          });
        }
        checkSource(`${ep}.shadow`, endpoint.shadow);
        const version = endpoint.shadow.modelPackageVersion;
        const twin =
          version === undefined ? undefined : endpoint.variants.find((v) => v.modelPackageVersion === version);
        if (twin) {
          problems.push({
            path: `${ep}.shadow.modelPackageVersion`,
            value: version,
            message: `is already served by production variant ${twin.name}: a shadow copies live traffic to a candidate to be compared with what callers get, so it serves another version`,
          });
        }
      }
    }
  });
  problems.push(...checkPromotedVersionsBaked(config));
  return problems;
}

/**
 * Every version a prod endpoint serves (in a variant or its shadow) is served first by the staging endpoint of the
 * same model that prod promotes from, in a variant that takes traffic or in its shadow: the deployment gate passes a
 * version only once it has served requests there, so a version staging never serves can never be promoted.
 */
function checkPromotedVersionsBaked(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const present = config.environments.filter(Boolean);
  (config.models ?? []).forEach((model, i) => {
    for (const env of present) {
      const endpoint = model.endpoints?.[env.name];
      const source =
        env.type === 'prod' && env.promoteFrom !== undefined
          ? present.find((e) => e.name === env.promoteFrom && e.type === 'staging' && e.region === env.region)
          : undefined;
      // No promoteFrom, or a wrong one, is reported by the promotion rules.
      if (!endpoint || endpoint.awaitingApproval || !source) continue;
      const staging = model.endpoints[source.name];
      const live = staging && !staging.awaitingApproval ? staging : undefined;
      const inVariants = (live?.variants ?? [])
        .filter((v) => v.modelPackageVersion !== undefined && v.weight > 0)
        .map((v) => v.modelPackageVersion!);
      const inShadow = live?.shadow?.modelPackageVersion;
      const served = [...inVariants, ...(inShadow !== undefined ? [inShadow] : [])];
      const there = !live
        ? `${model.id} has no ${staging ? 'deployed ' : ''}endpoint in ${source.name}`
        : served.length === 0
          ? `the ${source.name} endpoint of ${model.id} serves no package version`
          : `the ${source.name} endpoint of ${model.id} serves ${[...new Set(inVariants)].sort((a, b) => a - b).join(', ') || 'none'} in variants with traffic${inShadow !== undefined ? ` and ${inShadow} in its shadow` : ''}`;
      const check = (path: string, version: number | undefined) => {
        if (version === undefined || served.includes(version)) return;
        problems.push({
          path,
          value: version,
          message: `is not served in ${source.name} (${there}): the deployment gate promotes a version only after it has served requests there, in a variant with traffic or in the shadow`,
        });
      };
      endpoint.variants.forEach((v, j) =>
        check(`models[${i}].endpoints.${env.name}.variants[${j}].modelPackageVersion`, v.modelPackageVersion),
      );
      if (endpoint.shadow)
        check(`models[${i}].endpoints.${env.name}.shadow.modelPackageVersion`, endpoint.shadow.modelPackageVersion);
    }
  });
  return problems;
}

/**
 * Accounts of the environments that serve approved versions from the promotion
 * source's registry, or will once one is approved (an endpoint awaiting approval
 * is shared with ahead of its first version, so that adding the version is all
 * it takes).
 */
export function servingAccounts(estate: EstateConfig): string[] {
  const serving = new Set(
    estate.models.flatMap((m) =>
      Object.entries(m.endpoints)
        .filter(
          ([, e]) =>
            e.awaitingApproval ||
            e.variants.some((v) => v.modelPackageVersion !== undefined) ||
            e.shadow?.modelPackageVersion !== undefined,
        )
        .map(([env]) => env),
    ),
  );
  // The promotion source serves its own registry's versions (its staging bake): no grant to itself.
  const source = promotionSource(estate)?.name;
  return estate.environments.filter((e) => serving.has(e.name) && e.name !== source).map((e) => e.account);
}

/**
 * Whether a model's package versions are served in `environment` from their pinned copies: in prod, for a model whose
 * packages its training pipeline registers (the package's image is the model's training image, so prod's model can name
 * it at synth time; lambdas/model-pinner, README "What was approved is what is served").
 */
export function servesPinnedCopy(
  model: Pick<ModelConfig, 'training'>,
  environment: Pick<EnvironmentConfig, 'type'>,
): boolean {
  return environment.type === 'prod' && model.training?.image !== undefined;
}
