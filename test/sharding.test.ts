/**
 * Endpoint sharding: many models stay within CloudFormation's limits, and
 * adding or removing a model never moves (and so never replaces) another.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { validateEstateConfig } from '../lib/config/load';
import { EstateConfig } from '../lib/config';
import { buildEstate } from '../lib/estate';
import {
  Footprint,
  PlacedModel,
  placeModels,
  SHARD_BUCKETS,
  SHARD_BUDGET,
  SHARD_OVERHEAD,
  shardOf,
  shardStackId,
  templateLimitProblems,
} from '../lib/ml/sharding';
import { placeEstateModels } from '../lib/ml/model-footprint';
import {
  governedGroupArns as groupArns,
  governedGroupFilter,
  governedPackageArns as packageArns,
} from '../lib/ml/registry-scope';
import { workloadBoundaryStatements } from '../policies/workload-boundary';
import { cdkJsonContext } from './support/estate';
import { generatedEstate } from './support/generate-estate';

/** Paths of every resource in the endpoint shards, built (not synthesized) from a config. */
function endpointResourcePaths(config: EstateConfig): string[] {
  const app = new App({ context: cdkJsonContext() });
  buildEstate(app, config);
  return app.node
    .findAll()
    .filter((c) => CfnResource.isCfnResource(c) && /\/Endpoints\d\d\//.test(c.node.path))
    .map((c) => c.node.path);
}

describe('endpoint sharding', () => {
  const ids = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `model-${String(from + i).padStart(4, '0')}`);
  // Footprints shaped like the generated estate's (dev, staging, prod): a prod model with monitoring is the heavy one.
  const footprint: Footprint[] = [
    { resources: 13, bytes: 24_000 },
    { resources: 13, bytes: 24_000 },
    { resources: 42, bytes: 95_000 },
  ];
  const models = (list: string[]): PlacedModel[] => list.map((id) => ({ id, footprints: footprint }));
  /**
   * Models per shard, and the most resources and bytes any shard carries in any environment (with its own overhead).
   */
  const loads = (placement: Map<string, number>) => {
    const load = new Map<number, number>();
    for (const shard of placement.values()) load.set(shard, (load.get(shard) ?? 0) + 1);
    return load;
  };
  const heaviest = (placement: Map<string, number>) => {
    const most = Math.max(...loads(placement).values());
    return { resources: SHARD_OVERHEAD.resources + most * 42, bytes: SHARD_OVERHEAD.bytes + most * 95_000 };
  };
  const withinBudget = (placement: Map<string, number>) => {
    const h = heaviest(placement);
    expect(h.resources).toBeLessThanOrEqual(SHARD_BUDGET.resources);
    expect(h.bytes).toBeLessThanOrEqual(SHARD_BUDGET.bytes);
  };

  test("while its home has room, a model's shard is its home, which depends on its id alone", () => {
    expect(shardOf('credit-default')).toBe(shardOf('credit-default'));
    const few = ids(200);
    const placement = placeModels(models(few));
    withinBudget(placement);
    for (const id of few) expect(placement.get(id)).toBe(shardOf(id));
    expect(Math.max(...few.map(shardOf))).toBeLessThan(SHARD_BUCKETS);
  });

  test('no shard ever takes more than its budget in any environment: 500, 1,000 and 2,000 models', () => {
    for (const n of [500, 1000, 2000]) {
      const placement = placeModels(models(ids(n)));
      expect(placement.size).toBe(n);
      withinBudget(placement);
    }
  });

  test('capacity is counted per environment: a model heavy in one environment fills shards by that one', () => {
    const lightEverywhere = placeModels(
      ids(2000).map((id) => ({
        id,
        footprints: [
          { resources: 13, bytes: 24_000 },
          { resources: 13, bytes: 24_000 },
        ],
      })),
    );
    const heavyInProd = placeModels(models(ids(2000)));
    expect(Math.max(...loads(lightEverywhere).values())).toBeGreaterThan(2 * Math.max(...loads(heavyInProd).values()));
    // Bytes bind before resources here: 42 resources a model would allow 10, 95 KB allows 9.
    expect(Math.max(...loads(heavyInProd).values())).toBe(
      Math.floor((SHARD_BUDGET.bytes - SHARD_OVERHEAD.bytes) / 95_000),
    );
  });

  test('a model larger than an empty shard gets a shard of its own rather than none', () => {
    const huge = placeModels([
      { id: 'huge', footprints: [{ resources: 900, bytes: 2_000_000 }] },
      ...ids(3).map((id) => ({ id, footprints: [{ resources: 10, bytes: 10_000 }] })),
    ]);
    expect(huge.size).toBe(4);
    expect([...huge.entries()].filter(([id, s]) => id !== 'huge' && s === huge.get('huge'))).toEqual([]);
  });

  test('growing from 1,000 to 2,000 models with the placement recorded moves none of the first 1,000', () => {
    const first = placeModels(models(ids(1000)));
    const grown = placeModels(models(ids(2000)), Object.fromEntries(first));
    for (const [id, shard] of first) expect(grown.get(id)).toBe(shard);
    withinBudget(grown);
    // 2,000 models need more than the 64 homes: overflow shards open, none over capacity.
    expect([...grown.values()].some((s) => s >= SHARD_BUCKETS)).toBe(true);
  });

  test('removing models with the placement recorded moves no other model', () => {
    const all = placeModels(models(ids(2000)));
    const kept = ids(2000).filter((_, i) => i % 7 !== 3);
    const after = placeModels(models(kept), Object.fromEntries(all));
    for (const id of kept) expect(after.get(id)).toBe(all.get(id));
  });

  test('without the record, removing a model from a full home would move one that overflowed: why the file exists', () => {
    const all = ids(1200);
    const unrecorded = placeModels(models(all));
    const overflowed = all.find((id) => unrecorded.get(id)! >= SHARD_BUCKETS)!;
    const home = shardOf(overflowed);
    const leaving = all.find((id) => unrecorded.get(id) === home)!;
    const rest = all.filter((id) => id !== leaving);
    expect(placeModels(models(rest)).get(overflowed)).toBe(home); // moved: its stack would be replaced
    // recorded: stays
    expect(placeModels(models(rest), Object.fromEntries(unrecorded)).get(overflowed)).toBe(unrecorded.get(overflowed));
  });

  test('a recorded shard is where the stage puts the model; records of models no longer in the estate are ignored', () => {
    const config = validateEstateConfig(generatedEstate(3));
    const app = new App({ context: cdkJsonContext() });
    const estate = buildEstate(app, config, { placement: { 'model-0001': 70, 'gone-model': 3 } });
    const stacks = estate.stages.prod.endpoints.map((s) => s.node.id);
    expect(stacks).toContain('Endpoints70');
    expect(
      estate.stages.prod.endpoints
        .find((s) => s.node.id === 'Endpoints70')!
        .node.findAll()
        .some((c) => c.node.id === 'model-0001'),
    ).toBe(true);
    const expected = new Set(placeEstateModels(config, { 'model-0001': 70, 'gone-model': 3 }).get('prod')!.values());
    expect(stacks.sort()).toEqual([...expected].map(shardStackId).sort());
  });

  test('adding a model and removing another leaves every other resource at its construct path', () => {
    const before = validateEstateConfig(generatedEstate(12));
    const after = validateEstateConfig({
      ...generatedEstate(13),
      models: generatedEstate(13).models!.filter((m) => m.id !== 'model-0005'),
    });
    // The removed model's resources go, and its shard stack with them if it was alone there.
    const shards = new Set(after.models.map((m) => shardStackId(shardOf(m.id))));
    const old = endpointResourcePaths(before).filter((p) => !p.includes('/model-0005/') && shards.has(p.split('/')[1]));
    const now = new Set(endpointResourcePaths(after));
    expect(old.filter((p) => !now.has(p))).toEqual([]);
    expect([...now].some((p) => p.includes('/model-0012/'))).toBe(true);
  });

  test('a stack over 500 resources is refused at synth with the fix', () => {
    const stack = new Stack(new App(), 'Crowded');
    for (let i = 0; i < 501; i++) new CfnResource(stack, `R${i}`, { type: 'AWS::SNS::Topic' });
    expect(templateLimitProblems(stack)).toEqual([
      "Crowded has 501 resources, over CloudFormation's 500: the models recorded there in the placement file outgrew it, or lib/ml/model-footprint.ts undercounts a model; lower SHARD_BUDGET in lib/ml/sharding.ts for models not yet recorded",
    ]);
  });
});

describe('the placement file', () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { PlacementFileError, placementFileFor, placementText, readPlacement } = require('../lib/ml/placement-file');
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'placement-'));

  test('sits beside the estate config, and reads back what was written, sorted by model id', () => {
    expect(placementFileFor('/x/estate.yaml')).toBe('/x/estate.placement.json');
    const file = path.join(dir(), 'estate.placement.json');
    fs.writeFileSync(
      file,
      placementText(
        new Map([
          [
            'dev',
            new Map([
              ['b-model', 70],
              ['a-model', 3],
            ]),
          ],
          [
            'prod',
            new Map([
              ['b-model', 70],
              ['a-model', 3],
            ]),
          ],
        ]),
      ),
    );
    expect(readPlacement(file)).toEqual({ 'a-model': 3, 'b-model': 70 });
    expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).models)).toEqual(['a-model', 'b-model']);
    expect(readPlacement(path.join(dir(), 'absent.json'))).toEqual({});
  });

  test('a model whose shard differs between environments is recorded per environment, and read back for each', () => {
    const { recordedIn, isRecorded } = require('../lib/ml/placement-file');
    const file = path.join(dir(), 'estate.placement.json');
    fs.writeFileSync(
      file,
      placementText(
        new Map([
          [
            'dev',
            new Map([
              ['m', 5],
              ['n', 9],
            ]),
          ],
          [
            'prod',
            new Map([
              ['m', 77],
              ['n', 9],
            ]),
          ],
        ]),
      ),
    );
    const recorded = readPlacement(file);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).models).toEqual({ m: { dev: 5, prod: 77 }, n: 9 });
    expect(recordedIn(recorded, 'dev')).toEqual({ m: 5, n: 9 });
    expect(recordedIn(recorded, 'prod')).toEqual({ m: 77, n: 9 });
    // An environment the record does not name (one added later) is placed anew for that model, and the model counts as
    // unrecorded.
    expect(recordedIn(recorded, 'staging')).toEqual({ n: 9 });
    expect(isRecorded(recorded, 'm', ['dev', 'prod'])).toBe(true);
    expect(isRecorded(recorded, 'm', ['dev', 'staging', 'prod'])).toBe(false);
    expect(isRecorded(recorded, 'n', ['dev', 'staging', 'prod'])).toBe(true);
  });

  test.each([
    ['not JSON', '{', /not valid JSON/],
    ['another shape', '{"models": []}', /expected \{"schema": "endpoint-placement\/1"/],
    [
      'a shard that is not a whole number',
      '{"schema": "endpoint-placement/1", "models": {"m": 1.5}}',
      /models\.m: a shard is a whole number 0 or more \(got 1\.5\)/,
    ],
    ['a negative shard', '{"schema": "endpoint-placement/1", "models": {"m": -1}}', /got -1/],
    [
      "an environment's shard that is not a whole number",
      '{"schema": "endpoint-placement/1", "models": {"m": {"dev": 3, "prod": "70"}}}',
      /models\.m\.prod: a shard is a whole number 0 or more \(got "70"\)/,
    ],
    [
      'a list for a model',
      '{"schema": "endpoint-placement/1", "models": {"m": [3]}}',
      /models\.m: a shard is a whole number/,
    ],
  ])('a file with %s is refused with the reason', (_name, text, message) => {
    const file = path.join(dir(), 'estate.placement.json');
    fs.writeFileSync(file, text);
    expect(() => readPlacement(file)).toThrow(PlacementFileError);
    expect(() => readPlacement(file)).toThrow(message);
  });
});

describe('registry scope at scale', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const names = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
  const governedPackageArns = (st: Stack, groups: string[]) =>
    packageArns(st, groups).map((a) => a.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, 'aws'));
  const governedGroupArns = (st: Stack, groups: string[]) =>
    groupArns(st, groups).map((a) => a.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, 'aws'));

  test('up to 20 models, grants and the approval trigger name each group', () => {
    expect(governedPackageArns(stack, names(2))).toEqual([
      'arn:aws:sagemaker:eu-west-1:111111111111:model-package/m0/*',
      'arn:aws:sagemaker:eu-west-1:111111111111:model-package/m1/*',
    ]);
    expect(governedGroupFilter(names(20))).toHaveLength(20);
  });

  test('beyond 20, they name every group of the account, which the boundary lets no role create, delete or re-share', () => {
    expect(governedPackageArns(stack, names(21))).toEqual([
      'arn:aws:sagemaker:eu-west-1:111111111111:model-package/*/*',
    ]);
    expect(governedGroupArns(stack, names(500))).toEqual([
      'arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*',
    ]);
    expect(governedGroupFilter(names(21))).toBeUndefined();
    const deny = workloadBoundaryStatements()
      .find((s) => s.sid === 'DenyUngovernedRegistry')!
      .toStatementJson();
    expect(deny).toEqual({
      Sid: 'DenyUngovernedRegistry',
      Effect: 'Deny',
      Action: [
        'sagemaker:CreateModelPackageGroup',
        'sagemaker:DeleteModelPackageGroup',
        'sagemaker:PutModelPackageGroupPolicy',
        'sagemaker:DeleteModelPackageGroupPolicy',
      ],
      Resource: '*',
    });
  });
});
