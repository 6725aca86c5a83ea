#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { EstateConfig } from '../lib/config/schema';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';

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
  try {
    config = loadEstateConfig(path.resolve(estateFileFromContext()));
  } catch (e) {
    if (e instanceof EstateConfigError) {
      // A config problem is the user's to fix: say what and where, no stack trace, synthesize nothing.
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const app = new App(ESTATE_APP_PROPS);
  buildEstate(app, config);
  app.synth();
}

main();
