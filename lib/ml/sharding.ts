import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/**
 * Spreads the models of an environment over endpoint stacks so that no
 * template nears CloudFormation's limits (500 resources, 1 MB), however many
 * models there are, and so that adding or removing a model never moves
 * another: moving a live endpoint between stacks would replace it.
 *
 * A model's home is a pure function of its id (FNV-1a, 64 buckets). A shard is
 * full when one more model would take it, in its environment, over
 * SHARD_BUDGET: resources and template bytes, each model counted by what it
 * builds there (lib/ml/model-footprint.ts: a prod model with monitoring is
 * about 40 resources and 90 KB, a dev one 13 and 21 KB). A model whose home is
 * full goes to an overflow shard (64 and up, probed from a second hash of its
 * id, then shards beyond in order), so shards are added, never reshuffled.
 * Because whether a home is full depends on the other models, where a model
 * went is recorded in the estate's placement file (`<estate>.placement.json`,
 * written by `npm run placement`, committed): a recorded model keeps its shard
 * for good, whatever else is added or removed, and only unrecorded models are
 * placed anew. Without overflow the placement is the hash alone, the same with
 * or without the file. Each environment is placed by its own footprints, so a
 * model's shard differs between environments only where its home filled in one.
 */

/** What a model (or a shard) takes of a template. */
export interface Footprint {
  readonly resources: number;
  readonly bytes: number;
}

/** A model to place: its id and its footprint in each environment (the same order for every model). */
export interface PlacedModel {
  readonly id: string;
  readonly footprints: readonly Footprint[];
}

/** Number of home buckets. */
export const SHARD_BUCKETS = 64;

/**
 * What a shard may fill with models in each environment, leaving headroom
 * under CloudFormation's limits for the shard's own resources and for a
 * recorded model that grows (a variant, a segment) in place.
 */
export const SHARD_BUDGET: Footprint = { resources: 440, bytes: 880_000 };
/**
 * The shard's own resources (security group and its two rules) and the template's frame (parameters, rules, metadata).
 */
export const SHARD_OVERHEAD: Footprint = { resources: 3, bytes: 8_000 };

/** Overflow shards probed by the second hash before shards beyond are opened in order. */
export const OVERFLOW_SHARDS = 64;

/** CloudFormation's per-template resource limit, and the size limit for templates uploaded through S3. */
export const MAX_TEMPLATE_RESOURCES = 500;
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** FNV-1a, 32 bits: a stable hash of a name, the same in every process and version. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The home shard (bucket) of a model: stable for a model id, independent of every other model. */
export function shardOf(modelId: string): number {
  return fnv1a(modelId) % SHARD_BUCKETS;
}

/** Construct ID of the stack that holds a shard. */
export function shardStackId(shard: number): string {
  return `Endpoints${shard.toString().padStart(2, '0')}`;
}

/** Shards a model may go to, in order: its home, then overflow shards from a second hash, then beyond. */
function* candidates(modelId: string): Generator<number> {
  yield shardOf(modelId);
  const start = fnv1a(`overflow:${modelId}`) % OVERFLOW_SHARDS;
  for (let k = 0; k < OVERFLOW_SHARDS; k++) yield SHARD_BUCKETS + ((start + k) % OVERFLOW_SHARDS);
  for (let shard = SHARD_BUCKETS + OVERFLOW_SHARDS; ; shard++) yield shard;
}

/**
 * The shard of every model: recorded ones where the placement file puts them
 * (even if that shard is over budget: moving them would replace them), the
 * others (in config order) in the first candidate shard where they fit in
 * every environment. A model too large for an empty shard gets a shard of its
 * own; synth then says whether CloudFormation would take it.
 */
export function placeModels(
  models: readonly PlacedModel[],
  recorded: Readonly<Record<string, number>> = {},
  budget: Footprint = SHARD_BUDGET,
): Map<string, number> {
  const placed = new Map<string, number>();
  const load = new Map<number, { resources: number; bytes: number }[]>();
  const loadOf = (shard: number) => load.get(shard) ?? [];
  const take = (model: PlacedModel, shard: number) => {
    placed.set(model.id, shard);
    const current = loadOf(shard);
    load.set(
      shard,
      model.footprints.map((f, env) => ({
        resources: (current[env]?.resources ?? 0) + f.resources,
        bytes: (current[env]?.bytes ?? 0) + f.bytes,
      })),
    );
  };
  const fits = (model: PlacedModel, shard: number) => {
    const current = loadOf(shard);
    if (current.length === 0) return true;
    return model.footprints.every(
      (f, env) =>
        (current[env]?.resources ?? 0) + f.resources + SHARD_OVERHEAD.resources <= budget.resources &&
        (current[env]?.bytes ?? 0) + f.bytes + SHARD_OVERHEAD.bytes <= budget.bytes,
    );
  };
  for (const model of models) {
    const shard = recorded[model.id];
    if (Number.isInteger(shard) && shard >= 0) take(model, shard);
  }
  for (const model of models) {
    if (placed.has(model.id)) continue;
    for (const shard of candidates(model.id)) {
      if (fits(model, shard)) {
        take(model, shard);
        break;
      }
    }
  }
  return placed;
}

/** Models grouped by shard, shards in ascending order, models in config order within each. */
export function shardModels<T extends { id: string }>(
  models: readonly T[],
  footprints: (model: T) => readonly Footprint[],
  recorded: Readonly<Record<string, number>> = {},
): Map<number, T[]> {
  const placement = placeModels(
    models.map((m) => ({ id: m.id, footprints: footprints(m) })),
    recorded,
  );
  const shards = new Map<number, T[]>();
  for (const model of models) {
    const shard = placement.get(model.id)!;
    shards.set(shard, [...(shards.get(shard) ?? []), model]);
  }
  return new Map([...shards.entries()].sort(([a], [b]) => a - b));
}

/** What a stack would break of CloudFormation's template limits (checked at synth). */
export function templateLimitProblems(stack: Stack): string[] {
  const resources = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
  return resources > MAX_TEMPLATE_RESOURCES
    ? [
        `${stack.node.path} has ${resources} resources, over CloudFormation's ${MAX_TEMPLATE_RESOURCES}: the models recorded there in the placement file outgrew it, ` +
          'or lib/ml/model-footprint.ts undercounts a model; lower SHARD_BUDGET in lib/ml/sharding.ts for models not yet recorded',
      ]
    : [];
}

/**
 * Templates of an assembly (and its stages') over CloudFormation's 1 MB: known
 * only once written, so checked after synth (`cdk synth` fails with these).
 */
export function oversizedTemplates(assembly: CloudAssembly): string[] {
  return assembly.stacksRecursively
    .map((stack) => ({ stack, bytes: fs.statSync(path.join(stack.assembly.directory, stack.templateFile)).size }))
    .filter(({ bytes }) => bytes > MAX_TEMPLATE_BYTES)
    .map(
      ({ stack, bytes }) =>
        `${stack.hierarchicalId}: its template is ${bytes} bytes, over CloudFormation's ${MAX_TEMPLATE_BYTES}` +
        (/Endpoints\d+$/.test(stack.hierarchicalId)
          ? '; lib/ml/model-footprint.ts undercounts its models, or the models recorded there outgrew it: lower SHARD_BUDGET in lib/ml/sharding.ts'
          : ''),
    );
}
