#!/usr/bin/env node
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import { buildEstate } from '../lib/estate';

/** Default estate config, relative to the working directory; override with `-c estate=path`. */
const DEFAULT_ESTATE = 'estate.yaml';

function main(): void {
  const app = new App();
  const file = String(app.node.tryGetContext('estate') ?? process.env.ESTATE_CONFIG ?? DEFAULT_ESTATE);
  let config;
  try {
    config = loadEstateConfig(path.resolve(file));
  } catch (e) {
    if (e instanceof EstateConfigError) {
      // A config problem is the user's to fix: say what and where, no stack trace, synthesize nothing.
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  buildEstate(app, config);
  app.synth();
}

main();
