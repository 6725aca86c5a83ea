import { CfnResource, Stack } from 'aws-cdk-lib';

/**
 * Spreads the models of an environment over endpoint stacks so that no
 * template nears CloudFormation's limits (500 resources, 1 MB), however many
 * models there are, and so that adding or removing a model never moves
 * another: a model's shard is a pure function of its id (FNV-1a, 64 buckets),
 * and only buckets that hold a model become stacks. Moving a live endpoint
 * between stacks would replace it; this never does.
 */

/** Number of buckets. 500 models put at most ~16 in one bucket (~350 resources). */
export const SHARD_BUCKETS = 64;

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

/** The shard (bucket) of a model: stable for a model id, independent of every other model. */
export function shardOf(modelId: string): number {
  return fnv1a(modelId) % SHARD_BUCKETS;
}

/** Construct ID of the stack that holds a shard. */
export function shardStackId(shard: number): string {
  return `Endpoints${shard.toString().padStart(2, '0')}`;
}

/** Models grouped by shard, shards in ascending order, models in config order within each. */
export function shardModels<T extends { id: string }>(models: readonly T[]): Map<number, T[]> {
  const shards = new Map<number, T[]>();
  for (const model of models) {
    const shard = shardOf(model.id);
    shards.set(shard, [...(shards.get(shard) ?? []), model]);
  }
  return new Map([...shards.entries()].sort(([a], [b]) => a - b));
}

/** What a stack would break of CloudFormation's template limits (checked at synth). */
export function templateLimitProblems(stack: Stack): string[] {
  const resources = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) && Stack.of(c) === stack).length;
  return resources > MAX_TEMPLATE_RESOURCES
    ? [`${stack.node.path} has ${resources} resources, over CloudFormation's ${MAX_TEMPLATE_RESOURCES}; raise SHARD_BUCKETS in lib/ml/sharding.ts`]
    : [];
}
