#!/usr/bin/env node
/**
 * Writes the CloudFormation execution policy of each kind of account the
 * estate deploys to (<out>/<kind>-execution-policy.json, default
 * cdk.out/bootstrap), for `cdk bootstrap --cloudformation-execution-policies`.
 * Synthesizes the estate (the first argument, ESTATE_CONFIG or estate.yaml) to
 * read what it deploys. The example's are in policies/bootstrap/example.
 * `npm run bootstrap-policies [-- <estate file> [<out dir>]]`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import { resourceTypesByKind } from '../policies/bootstrap/account-kinds';
import { AccountKind, executionPolicy } from '../policies/bootstrap/execution-policy';

const file = path.resolve(process.argv[2] ?? process.env.ESTATE_CONFIG ?? 'estate.yaml');
let config;
try {
  config = loadEstateConfig(file);
} catch (e) {
  if (!(e instanceof EstateConfigError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}
const out = path.resolve(process.argv[3] ?? path.join('cdk.out', 'bootstrap'));
fs.mkdirSync(out, { recursive: true });
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootstrap-policies-'));
try {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  const app = new App({ ...ESTATE_APP_PROPS, outdir, context: cdkJson.context });
  buildEstate(app, config);
  const types = resourceTypesByKind(app.synth());
  for (const kind of Object.keys(types) as AccountKind[]) {
    if (types[kind].size === 0) continue;
    const target = path.join(out, `${kind}-execution-policy.json`);
    fs.writeFileSync(
      target,
      `${JSON.stringify(executionPolicy({ kind, resourceTypes: types[kind], allowedRegions: config.organization.allowedRegions }), null, 2)}\n`,
    );
    process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
  }
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
