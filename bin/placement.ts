#!/usr/bin/env node
/**
 * `npm run placement [-- --check] [-- --estate <file>]`: records the endpoint
 * shard of every model of the estate in its placement file, keeping the
 * recorded ones where they are. With --check, writes nothing and exits 1 if a
 * model is not recorded (the delivery pipeline runs this before it deploys).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import {
  isRecorded,
  PlacementFileError,
  placementFileFor,
  placementText,
  readPlacement,
} from '../lib/ml/placement-file';
import { placeEstateModels } from '../lib/ml/model-footprint';

function main(): number {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      estate: { type: 'string', default: process.env.ESTATE_CONFIG ?? 'estate.yaml' },
    },
  });
  const estateFile = path.resolve(values.estate!);
  const file = placementFileFor(estateFile);
  try {
    const config = loadEstateConfig(estateFile);
    const recorded = readPlacement(file);
    const ids = config.models.map((m) => m.id);
    const missing = ids.filter(
      (id) =>
        !isRecorded(
          recorded,
          id,
          config.environments.map((e) => e.name),
        ),
    );
    const placement = placeEstateModels(config, recorded);
    if (values.check) {
      if (missing.length > 0) {
        process.stderr.write(
          `${path.relative(process.cwd(), file)} does not record ${missing.length} model(s): ${missing.join(', ')}. Run 'npm run placement' and commit the file, so that no endpoint stack ever moves.\n`,
        );
        return 1;
      }
      process.stdout.write(`${path.relative(process.cwd(), file)} records all ${ids.length} model(s)\n`);
      return 0;
    }
    fs.writeFileSync(file, placementText(placement));
    const removed = Object.keys(recorded).filter((id) => !ids.includes(id));
    process.stdout.write(
      `${path.relative(process.cwd(), file)}: ${ids.length} model(s), ${missing.length} newly placed, ${removed.length} no longer in the estate dropped\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof EstateConfigError || e instanceof PlacementFileError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main();
