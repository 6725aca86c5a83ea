import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The estate's placement file: which endpoint shard each model went to
 * (lib/ml/sharding.ts). It sits beside the estate config
 * (`estate.yaml` -> `estate.placement.json`), is written by
 * `npm run placement` and committed, like a lock file.
 */

export const PLACEMENT_SCHEMA = 'endpoint-placement/1';

export class PlacementFileError extends Error {}

export function placementFileFor(estateFile: string): string {
  const { dir, name } = path.parse(estateFile);
  return path.join(dir, `${name}.placement.json`);
}

/**
 * What the file records of a model: one shard for every environment, or a
 * shard per environment (where a home was full in one environment only).
 */
export type RecordedShard = number | Readonly<Record<string, number>>;
export type RecordedPlacement = Readonly<Record<string, RecordedShard>>;

/** The recorded shard of each model in one environment. */
export function recordedIn(recorded: RecordedPlacement, environment: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, shard] of Object.entries(recorded)) {
    const s = typeof shard === 'number' ? shard : shard[environment];
    if (s !== undefined) out[id] = s;
  }
  return out;
}

/** Whether the file records a model's shard in each of the environments. */
export function isRecorded(recorded: RecordedPlacement, modelId: string, environments: readonly string[]): boolean {
  const shard = recorded[modelId];
  return shard !== undefined && (typeof shard === 'number' || environments.every((e) => shard[e] !== undefined));
}

/** The recorded shard of each model; an absent file records nothing. */
export function readPlacement(file: string): Record<string, RecordedShard> {
  if (!fs.existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PlacementFileError(
      `${file}: not valid JSON (${(e as Error).message}); restore it from version control or run 'npm run placement'`,
    );
  }
  const models = (doc as { models?: unknown })?.models;
  if (
    (doc as { schema?: unknown })?.schema !== PLACEMENT_SCHEMA ||
    typeof models !== 'object' ||
    models === null ||
    Array.isArray(models)
  ) {
    throw new PlacementFileError(
      `${file}: expected {"schema": "${PLACEMENT_SCHEMA}", "models": {"<model id>": <shard> or {"<environment>": <shard>, ...}, ...}}`,
    );
  }
  const whole = (where: string, shard: unknown): number => {
    if (!Number.isInteger(shard) || (shard as number) < 0)
      throw new PlacementFileError(
        `${file}: ${where}: a shard is a whole number 0 or more (got ${JSON.stringify(shard)})`,
      );
    return shard as number;
  };
  const out: Record<string, RecordedShard> = {};
  for (const [id, shard] of Object.entries(models)) {
    if (typeof shard === 'object' && shard !== null && !Array.isArray(shard)) {
      out[id] = Object.fromEntries(Object.entries(shard).map(([env, s]) => [env, whole(`models.${id}.${env}`, s)]));
    } else {
      out[id] = whole(`models.${id}`, shard);
    }
  }
  return out;
}

/**
 * The file's text for a placement (each environment's shard of each model): models sorted by id,
 * one shard where every environment has the same, so a change reads as a short diff.
 */
export function placementText(placement: ReadonlyMap<string, ReadonlyMap<string, number>>): string {
  const ids = [...new Set([...placement.values()].flatMap((m) => [...m.keys()]))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const models = Object.fromEntries(
    ids.map((id) => {
      const per = Object.fromEntries(
        [...placement.entries()].filter(([, m]) => m.has(id)).map(([env, m]) => [env, m.get(id)!]),
      );
      const shards = new Set(Object.values(per));
      return [id, shards.size === 1 ? [...shards][0] : per];
    }),
  );
  const doc = {
    schema: PLACEMENT_SCHEMA,
    comment:
      "Endpoint shard of each model (lib/ml/sharding.ts). Written by 'npm run placement'; commit it. A model listed here keeps its stack for good.",
    models,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
