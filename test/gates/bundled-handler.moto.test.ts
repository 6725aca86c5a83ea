/**
 * The deployed bundle itself, against moto: the model pinner's bundle (constructs/gate-bundle.ts, the AWS SDK
 * inside, the credential chain reduced to the environment variables Lambda sets) is copied out of the
 * repository, where no SDK can be resolved, and its `handler` run in a fresh Node.js process with only what the
 * Lambda runtime gives a function: the role's credentials and region in the environment, the function's own
 * variables, and moto as the endpoint (AWS_ENDPOINT_URL). It pins an approved package as the source pinner does
 * (SageMaker's JSON protocol, S3's REST protocol, object lock, SigV4 signing), and without credentials in the
 * environment it fails at once, naming them, rather than looking elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { bundleHandler } from '../../constructs/gate-bundle';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { PinRecord } from '../../lambdas/model-pinner/handler';
import { REPO_ROOT } from '../support/estate';
import { version } from './promotion';
import { ACCOUNT, approvalWorld, ApprovalWorld, REGION, stateChange } from './world';

let w: ApprovalWorld;
let bundle: string;
beforeAll(async () => {
  w = await approvalWorld('bundled');
  // Outside the repository: `require` from here finds no node_modules, so nothing but the bundle can serve the SDK.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-pinner-'));
  bundle = path.join(dir, 'index.js');
  fs.copyFileSync(
    path.join(bundleHandler(path.join(REPO_ROOT, 'lambdas', 'model-pinner', 'handler.ts')), 'index.js'),
    bundle,
  );
}, 120_000);
afterAll(async () => w?.stop());

/** Runs the bundle's handler on `event` in a fresh process with the given environment; its result or error. */
function invoke(event: unknown, env: Record<string, string>): { result?: any; error?: string } {
  const script = `require(${JSON.stringify(bundle)}).handler(${JSON.stringify(event)}).then(
    (r) => process.stdout.write(JSON.stringify({ result: r })),
    (e) => process.stdout.write(JSON.stringify({ error: String((e && e.message) || e) })),
  );`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-home-'));
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: path.dirname(bundle),
    encoding: 'utf8',
    timeout: 60_000,
    // Nothing of this machine's: no shared config or credentials files, no NODE_PATH.
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
  });
  if (run.status !== 0) throw new Error(`the bundle's process failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const lambdaEnvironment = () => ({
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'session-token',
  AWS_REGION: REGION,
  AWS_ENDPOINT_URL: w.moto.endpoint,
  PARTITION: 'aws',
  ACCOUNT_ID: ACCOUNT,
  RECORD_BUCKET: w.records,
  ARTIFACT_BUCKET: w.artifacts,
  APPROVED_BUCKET: w.approved,
  RETAIN_DAYS: '1',
});

const where = (arn: string) => arn.split('/').slice(-2).join('/');
const bytesOf = async (bucket: string, uri: string, versionId?: string) =>
  Buffer.from(
    await (
      await w.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: uri.replace(`s3://${bucket}/`, ''), VersionId: versionId }),
      )
    ).Body!.transformToByteArray(),
  );

test('the bundle needs no SDK of the runtime: it requires none but the optional CRT signer', () => {
  const code = fs.readFileSync(bundle, 'utf8');
  const sdk = [...new Set([...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]))];
  expect(sdk.filter((r) => r !== '@aws-sdk/signature-v4-crt')).toEqual([]);
});

test("the deployed pinner bundle pins an approved package with the runtime's environment alone", async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const kept = ((await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord).modelData![0];

  const { result, error } = invoke(stateChange(arn, 'Approved'), lambdaEnvironment());

  expect(error).toBeUndefined();
  expect(result).toMatchObject({ pinned: true, replayed: false, record: `pins/${where(arn)}/pin.json` });
  const record = (await w.json(`pins/${where(arn)}/pin.json`)) as unknown as PinRecord;
  const original = await bytesOf(w.artifacts, kept.uri!, kept.versionId);
  const copy = record.containers[0].pinned;
  expect(copy.sha256).toBe(createHash('sha256').update(original).digest('base64'));
  expect(await bytesOf(w.approved, copy.uri, copy.versionId)).toEqual(original);
});

test('without credentials in the environment the bundle fails at once, naming them, and pins nothing', async () => {
  const arn = await version(w, 'credit-default', { pin: false });
  const env: Record<string, string> = lambdaEnvironment();
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  delete env.AWS_SESSION_TOKEN;

  const started = Date.now();
  const { result, error } = invoke(stateChange(arn, 'Approved'), env);

  expect(result).toBeUndefined();
  expect(error).toBe(
    "No AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set in the environment, where Lambda puts the function role's credentials; no other source is read.",
  );
  // No wait on an instance metadata service or a container endpoint that is not there.
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(await w.keys(`pins/${where(arn)}/`)).toEqual([]);
});
