/**
 * Endpoint shard capacity at scale. Placement counts each model by what it
 * builds in each environment (lib/ml/model-footprint.ts), worked out from the
 * config: here, synthesized estates of varied models show that the count is
 * never below what is built (resources exactly, template bytes as an upper
 * bound), and the 1,000- and 2,000-model estates are placed with every shard
 * within CloudFormation's limits and no recorded model moving as models are
 * added. Those two are computed, not synthesized: one synth of 1,000 models
 * takes about two minutes and 3 GB on this machine (`BENCH_ONLY=scale npm run
 * bench` synthesizes them and prints the largest shard).
 */
import { validateEstateConfig } from '../lib/config/load';
import { EstateConfig, EstateConfigInput } from '../lib/config';
import { modelFootprint, modelFootprints, placeEstateModels } from '../lib/ml/model-footprint';
import {
  MAX_TEMPLATE_BYTES,
  MAX_TEMPLATE_RESOURCES,
  SHARD_BUDGET,
  SHARD_OVERHEAD,
  shardStackId,
} from '../lib/ml/sharding';
import { imageRepositoriesIn, repositoryBuckets } from '../lib/stacks/image-repositories-stack';
import { defaultEstateConfig, synthesizeEstate } from './support/estate';
import { generatedEstate } from './support/generate-estate';

type Template = { Resources: Record<string, { Metadata?: { 'aws:cdk:path'?: string } }> } & Record<string, unknown>;

/** A generated estate whose models differ in every way the footprint counts. */
function variedEstate(): EstateConfigInput {
  const base = generatedEstate(8) as any;
  const [m0, m1, m2, m3, m4, m5] = base.models;
  // Three variants in prod and a shadow in dev.
  m0.endpoints.prod.variants[0].weight = 0.85;
  m0.endpoints.prod.variants.push({
    ...m0.endpoints.prod.variants[1],
    name: 'third',
    weight: 0.05,
    modelPackageVersion: 4,
  });
  // (baked in staging first, as every version prod serves)
  m0.endpoints.staging.variants[0].weight = 0.85;
  m0.endpoints.staging.variants.push({
    ...m0.endpoints.staging.variants[1],
    name: 'third',
    weight: 0.05,
    modelPackageVersion: 4,
  });
  m0.endpoints.dev.shadow = {
    image: m0.endpoints.dev.variants[0].image,
    modelData: m0.endpoints.dev.variants[0].modelData,
    instanceType: m0.endpoints.dev.variants[0].instanceType,
    instanceCount: 1,
    samplingPercent: 20,
  };
  // Many protected attributes; monitoring in dev too; data quality only in staging.
  m2.protectedAttributes = ['age_band', 'gender', 'region_code'];
  m3.endpoints.dev.monitoring = { dataQuality: true, modelQuality: true };
  m5.endpoints.staging.monitoring = { dataQuality: true, modelQuality: false };
  // A long id, which every name and ARN repeats.
  m1.id = 'model-with-a-rather-long-identifier-0001';
  for (const env of Object.values<any>(m1.endpoints))
    for (const v of [...env.variants, env.shadow].filter(Boolean))
      if (v.image) v.image = v.image.replace('model-0001', m1.id);
  for (const env of Object.values<any>(m1.endpoints))
    for (const v of env.variants) if (v.modelData) v.modelData = v.modelData.replace('model-0001', m1.id);
  // Retraining in staging on every trigger, fed by prod's alarms (another account).
  const staging = base.environments.find((e: any) => e.name === 'staging');
  m4.endpoints.staging.monitoring = { dataQuality: true, modelQuality: true };
  m4.training = {
    environments: ['staging'],
    image: `${staging.account}.dkr.ecr.eu-west-1.amazonaws.com/model-0004-train@sha256:${'0'.repeat(63)}2`,
    processingImage: `${staging.account}.dkr.ecr.eu-west-1.amazonaws.com/ml-processing@sha256:${'0'.repeat(63)}3`,
    instanceType: 'ml.m5.2xlarge',
    schedule: 'cron(0 2 * * ? *)',
    onAlarm: true,
    onMarketEvent: true,
    cooldownHours: 6,
    maxRunsPerDay: 2,
  };
  // One endpoint awaiting its first approved version: declared, not built.
  base.models[6].endpoints.prod = {
    ...base.models[6].endpoints.prod,
    awaitingApproval: true,
    variants: base.models[6].endpoints.prod.variants.map(({ modelPackageVersion: _v, ...v }: any) => v),
  };
  return base;
}

/** Per model and environment: resources built and the template bytes they take (the template with and without them). */
function builtFootprints(
  config: EstateConfig,
  templates: Record<string, string>,
): Map<string, { resources: number; bytes: number }> {
  const fs = require('node:fs') as typeof import('node:fs');
  const out = new Map<string, { resources: number; bytes: number }>();
  for (const [key, file] of Object.entries(templates)) {
    if (!/\/Endpoints\d+$/.test(key)) continue;
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as Template;
    const size = (t: unknown) => Buffer.byteLength(JSON.stringify(t, undefined, 1));
    // CDK writes templates with a one-space indent: the file is what CloudFormation is given.
    expect(size(template)).toBe(fs.statSync(file).size);
    for (const model of config.models) {
      const own = Object.entries(template.Resources).filter(([, r]) => {
        const p = r.Metadata?.['aws:cdk:path'] ?? '';
        // The model's own scope, and its package group under the shard's registry.
        return p.includes(`/${model.id}/`) || p.endsWith(`/Registry/${model.id}`);
      });
      if (own.length === 0) continue;
      const without = {
        ...template,
        Resources: Object.fromEntries(
          Object.entries(template.Resources).filter(([id]) => !own.some(([o]) => o === id)),
        ),
      };
      out.set(`${key.split('/')[0]}/${model.id}`, { resources: own.length, bytes: size(template) - size(without) });
    }
  }
  return out;
}

describe.each([
  ['the example estate', () => defaultEstateConfig()],
  ['an estate of varied models', () => validateEstateConfig(variedEstate())],
])('model footprints on %s', (_name, config) => {
  const estate = config();
  let built: Map<string, { resources: number; bytes: number }>;
  beforeAll(() => {
    built = builtFootprints(estate, synthesizeEstate(estate).templateFiles);
  });

  test('resources are counted exactly and bytes never below what is built, for every model in every environment', () => {
    let compared = 0;
    for (const env of estate.environments) {
      for (const model of estate.models) {
        const actual = built.get(`${env.name}/${model.id}`)!;
        const estimate = modelFootprint(estate, model, env);
        expect([env.name, model.id, estimate.resources]).toEqual([env.name, model.id, actual.resources]);
        expect([env.name, model.id, estimate.bytes >= actual.bytes]).toEqual([env.name, model.id, true]);
        // Not so loose that shards are half empty.
        expect([env.name, model.id, estimate.bytes <= actual.bytes * 1.6 + 2_000]).toEqual([env.name, model.id, true]);
        compared++;
      }
    }
    expect(compared).toBe(estate.environments.length * estate.models.length);
  });
});

describe('the estate at 1,000 and 2,000 models (computed)', () => {
  const estate = (n: number) => validateEstateConfig(generatedEstate(n, { delivery: true }));
  type Placement = Map<string, Map<string, number>>;
  const shardLoads = (config: EstateConfig, placement: Placement) => {
    const loads = new Map<string, { resources: number; bytes: number }>();
    for (const model of config.models) {
      modelFootprints(config, model).forEach((f, i) => {
        const env = config.environments[i].name;
        const key = `${env}/${shardStackId(placement.get(env)!.get(model.id)!)}`;
        const l = loads.get(key) ?? { ...SHARD_OVERHEAD };
        loads.set(key, { resources: l.resources + f.resources, bytes: l.bytes + f.bytes });
      });
    }
    return loads;
  };
  const e1000 = estate(1000);
  const e2000 = estate(2000);
  const p1000 = placeEstateModels(e1000);
  /** The placement file's record of a placement: each model's shard in each environment. */
  const recorded = (p: Placement) => {
    const out: Record<string, Record<string, number>> = {};
    for (const [env, m] of p) for (const [id, shard] of m) out[id] = { ...out[id], [env]: shard };
    return out;
  };
  const each = (p: Placement) => [...p].flatMap(([env, m]) => [...m].map(([id, shard]) => [env, id, shard] as const));

  test.each([
    [1000, e1000],
    [2000, e2000],
  ])(
    '%i models: every endpoint shard within the budget, and so within 500 resources and 1 MB, in every environment',
    (n, config) => {
      const placement = placeEstateModels(config);
      const loads = shardLoads(config, placement);
      expect(loads.size).toBeGreaterThan(64 * config.environments.length);
      // Each environment by its own footprints: dev's light models fill few shards, prod's heavy ones many.
      expect(new Set(placement.get('dev')!.values()).size).toBeLessThan(new Set(placement.get('prod')!.values()).size);
      for (const [key, load] of loads) {
        expect([key, load.resources <= SHARD_BUDGET.resources, load.bytes <= SHARD_BUDGET.bytes]).toEqual([
          key,
          true,
          true,
        ]);
      }
      expect(SHARD_BUDGET.resources).toBeLessThan(MAX_TEMPLATE_RESOURCES);
      expect(SHARD_BUDGET.bytes).toBeLessThan(MAX_TEMPLATE_BYTES);
      expect(n).toBe(config.models.length);
    },
  );

  test('growing from 1,000 to 2,000 models with the placement recorded moves none of the first 1,000, and keeps every shard within budget', () => {
    const grown = placeEstateModels(e2000, recorded(p1000));
    for (const [env, id, shard] of each(p1000)) expect([env, id, grown.get(env)!.get(id)]).toEqual([env, id, shard]);
    for (const [key, load] of shardLoads(e2000, grown))
      expect([key, load.resources <= SHARD_BUDGET.resources, load.bytes <= SHARD_BUDGET.bytes]).toEqual([
        key,
        true,
        true,
      ]);
    // New shards were opened for the new models in prod: none was squeezed into a full one.
    expect(new Set(grown.get('prod')!.values()).size).toBeGreaterThan(new Set(p1000.get('prod')!.values()).size);
  });

  test('a model that grows in place stays where it is recorded, even past the budget (synth then refuses the stack if CloudFormation would)', () => {
    const heavier = validateEstateConfig({
      ...generatedEstate(1000),
      models: generatedEstate(1000).models!.map((m: any) => ({
        ...m,
        protectedAttributes: ['a', 'b', 'c', 'd', 'e', 'f'],
      })),
    } as EstateConfigInput);
    const again = placeEstateModels(heavier, recorded(p1000));
    for (const [env, id, shard] of each(p1000)) expect([env, id, again.get(env)!.get(id)]).toEqual([env, id, shard]);
  });

  test('image repositories of 2,000 models fit their stacks with room: at most 450 in one (one resource, about 1.2 KB each)', () => {
    for (const env of e2000.environments) {
      const buckets = repositoryBuckets(imageRepositoriesIn(e2000, env.account));
      const counts = [...buckets.values()].map((b) => b.length);
      if (counts.length === 0) continue;
      expect(counts.reduce((a, b) => a + b, 0)).toBe(imageRepositoriesIn(e2000, env.account).length);
      expect(Math.max(...counts)).toBeLessThanOrEqual(450);
    }
    // Adding 1,000 models moves no repository of the first 1,000: its stack is a function of its name.
    const before = repositoryBuckets(imageRepositoriesIn(e1000, e1000.environments[0].account));
    const after = repositoryBuckets(imageRepositoriesIn(e2000, e2000.environments[0].account));
    for (const [bucket, names] of before) for (const name of names) expect(after.get(bucket)).toContain(name);
  });
});
