import { z } from 'zod';
import { hasInstanceStorage, instanceFamily } from '../../constructs/aws-facts';
import { imageUri, instanceType, text, whole, ConfigProblem } from './common';
import { allowedInstanceFamilies, monitorsQuality } from './environments';
import type { EstateConfig } from './estate-config';

/** Retraining of a model: where it runs, on what, and what starts it. */
export const trainingSchema = z.strictObject({
  environments: z
    .array(z.string({ error: 'must be an environment name' }), {
      error: 'must list the environments whose data the model is retrained on',
    })
    .min(1, { error: 'must list at least one environment' }),
  image: imageUri.describe('Training container'),
  processingImage: imageUri.describe('Container of the prepare and evaluate steps (writes the reports the gate reads)'),
  instanceType: instanceType.describe('Training instances'),
  processingInstanceType: instanceType.default('ml.m5.xlarge'),
  schedule: text(
    /^(cron\([^)]{9,100}\)|rate\(\d{1,3} (minute|minutes|hour|hours|day|days)\))$/,
    'must be an EventBridge schedule expression such as cron(0 2 * * ? *) or rate(7 days)',
  ).optional(),
  onAlarm: z
    .boolean({ error: 'must be true or false' })
    .default(false)
    .describe("Retrain when the model's endpoint quality alarm fires in that environment"),
  onMarketEvent: z
    .boolean({ error: 'must be true or false' })
    .default(false)
    .describe("Retrain on a market event put on the environment's market-events bus"),
  cooldownHours: whole(0, 168).default(6).describe('No new run within this many hours of the last one that ran'),
  maxRunsPerDay: whole(1, 24).default(2).describe('At most this many runs in 24 hours, however many triggers fire'),
});

export type TrainingConfig = z.output<typeof trainingSchema>;

/**
 * Cross-field rules of retraining: a trigger, EBS-backed instances of allowed families, a quality alarm for onAlarm.
 */
export function checkTrainingRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const environments = new Map(config.environments.filter(Boolean).map((e) => [e.name, e]));
  (config.models ?? []).forEach((model, i) => {
    const t = model.training;
    if (!t) return;
    const at = `models[${i}].training`;
    if (!t.schedule && !t.onAlarm && !t.onMarketEvent) {
      problems.push({ path: at, message: 'must have at least one trigger: schedule, onAlarm or onMarketEvent' });
    }
    // Jobs need a volume key wherever they run (the organization guardrail), which SageMaker refuses on local storage.
    for (const field of ['instanceType', 'processingInstanceType'] as const) {
      if (hasInstanceStorage(t[field])) {
        problems.push({
          path: `${at}.${field}`,
          value: t[field],
          message:
            'has local NVMe storage, where SageMaker refuses a volume key, and the organization guardrail requires one for every job: choose an EBS-backed type (ml.m5, ml.c5, ml.inf2 ...)',
        });
      }
    }
    t.environments.forEach((name, j) => {
      const env = environments.get(name);
      if (!env) {
        problems.push({
          path: `${at}.environments[${j}]`,
          value: name,
          message: `is not an environment of this estate (known: ${[...environments.keys()].join(', ')})`,
        });
        return;
      }
      const allowed = allowedInstanceFamilies(env);
      for (const field of ['instanceType', 'processingInstanceType'] as const) {
        if (!allowed.includes(instanceFamily(t[field]))) {
          problems.push({
            path: `${at}.${field}`,
            value: t[field],
            message: `is of family ${instanceFamily(t[field])}, not allowed in ${env.name} (allowed: ${allowed.join(', ')})`,
          });
        }
      }
      if (t.onAlarm && !monitorsQuality(env, model.endpoints[name])) {
        problems.push({
          path: `${at}.onAlarm`,
          value: true,
          message: `needs the model's endpoint in ${name} with model-quality monitoring on (its quality alarm is the trigger)`,
        });
      }
    });
  });
  return problems;
}
