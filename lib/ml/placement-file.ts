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

/** The recorded shard of each model; an absent file records nothing. */
export function readPlacement(file: string): Record<string, number> {
  if (!fs.existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PlacementFileError(`${file}: not valid JSON (${(e as Error).message}); restore it from version control or run 'npm run placement'`);
  }
  const models = (doc as { models?: unknown })?.models;
  if ((doc as { schema?: unknown })?.schema !== PLACEMENT_SCHEMA || typeof models !== 'object' || models === null || Array.isArray(models)) {
    throw new PlacementFileError(`${file}: expected {"schema": "${PLACEMENT_SCHEMA}", "models": {"<model id>": <shard>, ...}}`);
  }
  const out: Record<string, number> = {};
  for (const [id, shard] of Object.entries(models)) {
    if (!Number.isInteger(shard) || (shard as number) < 0) throw new PlacementFileError(`${file}: models.${id}: a shard is a whole number 0 or more (got ${JSON.stringify(shard)})`);
    out[id] = shard as number;
  }
  return out;
}

/** The file's text for a placement: models sorted by id, one per line, so a change reads as a short diff. */
export function placementText(placement: ReadonlyMap<string, number>): string {
  const models = Object.fromEntries([...placement.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    schema: PLACEMENT_SCHEMA,
    comment: "Endpoint shard of each model (lib/ml/sharding.ts). Written by 'npm run placement'; commit it. A model listed here keeps its stack for good.",
    models,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
