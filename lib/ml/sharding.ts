import { CfnResource, Stack } from 'aws-cdk-lib';

/**
 * Spreads the models of an environment over endpoint stacks so that no
 * template nears CloudFormation's limits (500 resources, 1 MB), however many
 * models there are, and so that adding or removing a model never moves
 * another: moving a live endpoint between stacks would replace it.
 *
 * A model's home is a pure function of its id (FNV-1a, 64 buckets). A home
 * takes up to MODELS_PER_SHARD models; a model whose home is full goes to an
 * overflow shard (64 and up, probed from a second hash of its id). Because
 * whether a home is full depends on the other models, where a model went is
 * recorded in the estate's placement file (`<estate>.placement.json`, written
 * by `npm run placement`, committed): a recorded model keeps its shard for
 * good, whatever else is added or removed, and only unrecorded models are
 * placed anew. With no overflow (up to about 500 models) the placement is the
 * hash alone, the same with or without the file.
 */

/** Number of home buckets. */
export const SHARD_BUCKETS = 64;

/**
 * Models a shard takes before new ones overflow. A prod model with a champion
 * and a challenger is about 20 resources and 40 KB of template, so 16 leave
 * room under 500 resources and 1 MB for models with more variants.
 */
export const MODELS_PER_SHARD = 16;

/** Overflow shards probed by the second hash before shards beyond are opened in order. */
export const OVERFLOW_SHARDS = 64;

/** CloudFormation's per-template resource limit, and the size limit for templates uploaded through S3. */
export const MAX_TEMPLATE_RESOURCES = 500;
export const MAX_TEMPLATE_BYTES = 1_000_000;

function fnv1a(text: string): number {
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
 * The shard of every model: recorded ones where the placement file puts them,
 * the others (in config order) in the first candidate with room.
 */
export function placeModels(modelIds: readonly string[], recorded: Readonly<Record<string, number>> = {}, capacity = MODELS_PER_SHARD): Map<string, number> {
  const placed = new Map<string, number>();
  const load = new Map<number, number>();
  const take = (id: string, shard: number) => {
    placed.set(id, shard);
    load.set(shard, (load.get(shard) ?? 0) + 1);
  };
  for (const id of modelIds) {
    const shard = recorded[id];
    if (Number.isInteger(shard) && shard >= 0) take(id, shard);
  }
  for (const id of modelIds) {
    if (placed.has(id)) continue;
    for (const shard of candidates(id)) {
      if ((load.get(shard) ?? 0) < capacity) {
        take(id, shard);
        break;
      }
    }
  }
  return placed;
}

/** Models grouped by shard, shards in ascending order, models in config order within each. */
export function shardModels<T extends { id: string }>(models: readonly T[], recorded: Readonly<Record<string, number>> = {}): Map<number, T[]> {
  const placement = placeModels(models.map((m) => m.id), recorded);
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
    ? [`${stack.node.path} has ${resources} resources, over CloudFormation's ${MAX_TEMPLATE_RESOURCES}; lower MODELS_PER_SHARD in lib/ml/sharding.ts for models not yet in the placement file`]
    : [];
}
