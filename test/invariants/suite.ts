/**
 * The invariant suite: every property the estate promises, checked on a
 * synthesized estate whatever it holds. Nothing here counts the example's
 * stacks or names its models; expectations are derived from the config.
 *
 * Each file in ./checks registers its tests through a default export
 * `(estate: EstateUnderTest) => void`. Every `*.test.ts` file in this folder
 * runs the whole suite on one estate (synthesized once per file). To add a
 * check that runs on every estate, add a file to ./checks; to run the suite
 * on another estate, add a three-line test file here (see repository-estate.test.ts).
 * `npm test` runs the repository's estate; with INVARIANT_ESTATES=all (as
 * .ci/run sets, and `npm run test:estates`) every estate of test/support/estates.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentConfig, EstateConfig } from '../../lib/config';
import { shardStackId } from '../../lib/ml/sharding';
import { placeEstateModels } from '../../lib/ml/model-footprint';
import { imageRepositoriesIn, repositoryBuckets, repositoryStackId } from '../../lib/stacks/image-repositories-stack';
import { SynthesizedEstate, synthesizeEstate } from '../support/estate';
import type { InvariantEstate } from '../support/estates';

export type Resource = {
  Type: string;
  Properties?: any;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: any;
};

/** The stacks a config must produce, by role, as `<environment>/<stack id>` (shared stacks by id). */
export interface ExpectedStacks {
  readonly foundation: string[];
  readonly replicas: string[];
  /** Detective controls in each environment's other allowed regions (`<environment>/Detection-<region>`). */
  readonly detection: string[];
  readonly governance: string[];
  readonly platform: string[];
  /** Endpoint shards of every environment: each model has a shard (its model card) everywhere. */
  readonly shards: string[];
  /** Image repository stacks of every environment whose account the config's images name (by repository name). */
  readonly repositories: string[];
  /** Stacks outside the environments: organization, delivery and its regional support stacks. */
  readonly shared: string[];
  /** Every stack of every environment. */
  readonly environment: string[];
  readonly all: string[];
}

export interface EstateUnderTest {
  readonly name: string;
  readonly config: EstateConfig;
  readonly stacks: ExpectedStacks;
  /** The synthesized estate; available inside tests (synthesized in beforeAll). */
  readonly synth: () => SynthesizedEstate;
  readonly resources: (stack: string) => Record<string, Resource>;
  readonly ofType: (stack: string, type: string) => [string, Resource][];
  /** The environment a stack key (`<environment>/<id>`) belongs to. */
  readonly envOf: (stack: string) => EnvironmentConfig;
  /** Stacks of one environment, of a role list. */
  readonly stacksOf: (environment: string, from?: readonly string[]) => string[];
  /** The endpoint stack of a model in an environment (`<environment>/EndpointsNN`). */
  readonly shardStackOf: (environment: string, modelId: string) => string;
}

export function expectedStacks(
  config: EstateConfig,
  placement: ReadonlyMap<string, ReadonlyMap<string, number>>,
): ExpectedStacks {
  const names = config.environments.map((e) => e.name);
  const per = (id: string) => names.map((n) => `${n}/${id}`);
  // Each environment's shards: a model's shard may differ between environments where a home filled in one only.
  const shards = names.flatMap((n) =>
    [...new Set(config.models.map((m) => shardStackId(placement.get(n)!.get(m.id)!)))].sort().map((id) => `${n}/${id}`),
  );
  const shared: string[] = [];
  if (config.organization.managementAccount) shared.push('Organization');
  if (config.delivery) {
    shared.push('Delivery');
    const regions = new Set(
      config.environments.flatMap((e) => [e.region, e.auditReplicaRegion, ...config.organization.allowedRegions]),
    );
    regions.delete(config.organization.homeRegion);
    shared.push(...[...regions].sort().map((r) => `DeliverySupport-${r}`));
  }
  const foundation = per('Foundation');
  const replicas = per('AuditReplica');
  const detection = config.environments.flatMap((e) =>
    config.organization.allowedRegions.filter((r) => r !== e.region).map((r) => `${e.name}/Detection-${r}`),
  );
  const governance = per('ModelGovernance');
  const platform = per('MLPlatform');
  const repositories = config.environments.flatMap((e) =>
    [...repositoryBuckets(imageRepositoriesIn(config, e.account)).keys()].map(
      (b) => `${e.name}/${repositoryStackId(b)}`,
    ),
  );
  const environment = [
    ...foundation,
    ...replicas,
    ...detection,
    ...governance,
    ...platform,
    ...shards,
    ...repositories,
  ];
  return {
    foundation,
    replicas,
    detection,
    governance,
    platform,
    shards,
    repositories,
    shared,
    environment,
    all: [...environment, ...shared],
  };
}

/** Loads every check module of ./checks, in file-name order. */
function checks(): ((estate: EstateUnderTest) => void)[] {
  const dir = path.join(__dirname, 'checks');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => {
      const mod = require(path.join(dir, f));
      if (typeof mod.default !== 'function')
        throw new Error(`${f}: an invariant check module exports a default function (estate) => void`);
      return mod.default;
    });
}

/** Synthesizes `estate` once and registers every invariant check on it. */
export function runInvariantSuite(estate: InvariantEstate): void {
  const config = estate.config();
  const recorded = estate.placement?.() ?? {};
  const placement = placeEstateModels(config, recorded);
  const stacks = expectedStacks(config, placement);
  let synthesized: SynthesizedEstate | undefined;
  const synth = () => {
    if (!synthesized) throw new Error('the estate is synthesized in beforeAll');
    return synthesized;
  };
  const resources = (stack: string): Record<string, Resource> => {
    const template = synth().templates[stack];
    if (!template) throw new Error(`no stack ${stack} in the synthesized estate`);
    return template.toJSON().Resources;
  };
  const under: EstateUnderTest = {
    name: estate.name,
    config,
    stacks,
    synth,
    resources,
    ofType: (stack, type) => Object.entries(resources(stack)).filter(([, r]) => r.Type === type),
    envOf: (stack) => config.environments.find((e) => stack.startsWith(`${e.name}/`))!,
    stacksOf: (environment, from = stacks.environment) => from.filter((s) => s.startsWith(`${environment}/`)),
    shardStackOf: (environment, modelId) => `${environment}/${shardStackId(placement.get(environment)!.get(modelId)!)}`,
  };

  // The estates other than the repository's cost minutes (cfn-lint over every shard): CI runs them.
  const runs = !estate.extra || process.env.INVARIANT_ESTATES === 'all';
  const title = `invariants on the ${estate.name}: ${estate.description}`;
  (runs ? describe : describe.skip)(
    runs ? title : `${title} (runs with INVARIANT_ESTATES=all, as .ci/run sets)`,
    () => {
      beforeAll(() => {
        synthesized = synthesizeEstate(config, recorded);
      });
      afterAll(() => {
        if (synthesized) fs.rmSync(synthesized.outdir, { recursive: true, force: true });
        synthesized = undefined;
      });
      for (const check of checks()) check(under);
    },
  );
}
