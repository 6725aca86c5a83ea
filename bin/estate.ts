#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { EstateConfig } from '../lib/config';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import {
  isRecorded,
  PlacementFileError,
  placementFileFor,
  readPlacement,
  RecordedPlacement,
} from '../lib/ml/placement-file';
import { oversizedTemplates } from '../lib/ml/sharding';

/** Default estate config, relative to the working directory; override with `-c estate=path`. */
const DEFAULT_ESTATE = 'estate.yaml';

/**
 * The `estate` context value as the CDK CLI passes it (inline JSON, or a file
 * when the context is large). Read before the App exists, because creating an
 * App already creates its output directory, and a bad config must write nothing.
 */
function estateFileFromContext(): string {
  const overflow = process.env.CONTEXT_OVERFLOW_LOCATION_ENV;
  const json = overflow ? fs.readFileSync(overflow, 'utf8') : process.env.CDK_CONTEXT_JSON;
  const context = json ? JSON.parse(json) : {};
  return String(context.estate ?? process.env.ESTATE_CONFIG ?? DEFAULT_ESTATE);
}

function main(): void {
  let config: EstateConfig;
  let placement: RecordedPlacement;
  const estateFile = path.resolve(estateFileFromContext());
  try {
    config = loadEstateConfig(estateFile);
    placement = readPlacement(placementFileFor(estateFile));
  } catch (e) {
    if (e instanceof EstateConfigError || e instanceof PlacementFileError) {
      // A config problem is the user's to fix: say what and where, no stack trace, synthesize nothing.
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const app = new App(ESTATE_APP_PROPS);
  buildEstate(app, config, { placement, configFile: estateFile });
  const oversized = oversizedTemplates(app.synth());
  if (oversized.length > 0) {
    process.stderr.write(`${oversized.join('\n')}\n`);
    process.exit(1);
  }
  const unrecorded = config.models
    .filter(
      (m) =>
        !isRecorded(
          placement,
          m.id,
          config.environments.map((e) => e.name),
        ),
    )
    .map((m) => m.id);
  if (unrecorded.length > 0) {
    // Not an error: the placement is still stable for these until a home shard fills up.
    process.stderr.write(
      `Note: ${path.relative(process.cwd(), placementFileFor(estateFile))} does not record ${unrecorded.length} model(s) (${unrecorded.slice(0, 5).join(', ')}${unrecorded.length > 5 ? ', ...' : ''}); ` +
        "run 'npm run placement' and commit it so that their endpoint stacks never move. The delivery pipeline refuses to deploy until it does.\n",
    );
  }
}

main();
