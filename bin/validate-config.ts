#!/usr/bin/env node
/**
 * Validates the estate config without synthesizing anything: every problem,
 * shape and cross-field, in one run, in about a second.
 * `npm run validate-config [-- path/to/estate.yaml]`; default ESTATE_CONFIG, else estate.yaml.
 */
import * as path from 'node:path';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';

const file = path.resolve(process.argv[2] ?? process.env.ESTATE_CONFIG ?? 'estate.yaml');
try {
  const config = loadEstateConfig(file);
  const environments = config.environments.map((e) => `${e.name} (${e.type}, ${e.account}, ${e.region})`).join(', ');
  process.stdout.write(
    `${path.relative(process.cwd(), file) || file}: valid. ${config.environments.length} environment(s): ${environments}; ${config.models.length} model(s).\n`,
  );
} catch (e) {
  if (!(e instanceof EstateConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
