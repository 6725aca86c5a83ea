#!/usr/bin/env node
/**
 * The delivery pipeline's step before a prod deployment: asks the staging
 * deployment gate about every approved version the prod environment will
 * serve, and exits 1 (stopping the pipeline) unless every one passes.
 *
 *   GATE_EXECUTION=<pipeline execution id> npx tsx bin/deployment-gate.ts --environment prod
 */
import * as path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EstateConfigError, loadEstateConfig } from '../lib/config/load';
import { promotionsFor } from '../lib/delivery/promotions';
import { judgePromotion } from '../lib/delivery/run-gate';

async function main(): Promise<number> {
  const at = process.argv.indexOf('--environment');
  const environment = at > 0 ? process.argv[at + 1] : undefined;
  const execution = process.env.GATE_EXECUTION;
  if (!environment || !execution) {
    process.stderr.write('usage: GATE_EXECUTION=<id> deployment-gate --environment <prod environment name>\n');
    return 2;
  }
  let config;
  try {
    config = loadEstateConfig(path.resolve(process.env.ESTATE_CONFIG ?? 'estate.yaml'));
  } catch (e) {
    if (e instanceof EstateConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const promotion = promotionsFor(config, environment, execution.replace(/[^\w.-]/g, '-'));
  if (promotion.requests.length === 0) {
    process.stdout.write(`${environment} serves no model package version: nothing for the deployment gate to judge.\n`);
    return 0;
  }
  const region = promotion.gateFunctionArn.split(':')[3];
  const lambda = new LambdaClient({ region, maxAttempts: 3 });
  const verdicts = await judgePromotion(promotion, async (functionArn, request) => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(request)),
      }),
    );
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : 'null';
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    return { functionError: out.FunctionError, payload };
  });
  for (const v of verdicts) {
    process.stdout.write(
      `${v.pass ? 'PASS' : 'FAIL'} ${v.request.modelPackageArn}${v.record ? ` (record ${v.record})` : ''}\n`,
    );
    for (const reason of v.reasons) process.stdout.write(`     - ${reason}\n`);
  }
  const failed = verdicts.filter((v) => !v.pass).length;
  process.stdout.write(`${verdicts.length - failed} of ${verdicts.length} version(s) may go to ${environment}.\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`deployment gate step failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
