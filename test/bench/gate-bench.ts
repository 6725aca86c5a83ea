/**
 * The approval gate's cost: bundle size (as deployed, and with the SDK
 * bundled for comparison), module init time in a fresh Node.js process, and
 * decision latency against moto's server on loopback.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildOptions, buildSync } from 'esbuild';
import { DescribeModelPackageCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, stateChange } from '../gates/world';
import { median, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'lambdas', 'model-approval-gate', 'handler.ts');
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 40);
const RESTORATIONS = Number(process.env.BENCH_RESTORATIONS ?? 10);
const TARGETS = { maxBundleKb: 300, maxInitMs: 150, maxDecisionP50Ms: 150 };

function bundle(outfile: string, external: string[], extra: Partial<BuildOptions> = {}): number {
  buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external,
    outfile,
    logLevel: 'silent',
    ...extra,
  });
  return fs.statSync(outfile).size;
}

/** Module init of a bundle in a fresh Node.js process, 7 runs (the SDK, when external, resolved from node_modules as the runtime resolves its own). */
function initRuns(file: string): number[] {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    runs.push(Number(run.stdout));
  }
  return runs;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

export async function benchGates(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.bench-gate-'));
  const deployed = path.join(work, 'deployed.js');
  const deployedBytes = bundle(deployed, ['@aws-sdk/*']);
  const withSdkBytes = bundle(path.join(work, 'with-sdk.js'), []);

  // Init of what is deployed (the runtime's SDK), against the SDK bundled in: as CommonJS, as
  // tree-shaken ES modules (esbuild prefers each package's "module" build), and the latter with the
  // credential chain reduced to the environment variables the Lambda runtime sets (AWS Lambda
  // Developer Guide, "Defined runtime environment variables"), which drops the SSO/STS clients.
  const initMs = initRuns(deployed);
  const shim = path.join(work, 'env-credentials.mjs');
  fs.writeFileSync(
    shim,
    "import { fromEnv } from '@aws-sdk/credential-provider-env';\nexport const defaultProvider = (init) => fromEnv(init);\n",
  );
  const variants: Record<string, { kb: number; initMedianMs: number }> = {};
  for (const [name, extra] of [
    ['sdkBundledCommonJs', {}],
    ['sdkBundledTreeShaken', { mainFields: ['module', 'main'] }],
    [
      'sdkBundledTreeShakenEnvCredentials',
      { mainFields: ['module', 'main'], alias: { '@aws-sdk/credential-provider-node': shim } },
    ],
  ] as Array<[string, Partial<BuildOptions>]>) {
    const file = path.join(work, `${name}.js`);
    const bytes = bundle(file, [], extra);
    variants[name] = { kb: round(bytes / 1024, 1), initMedianMs: round(median(initRuns(file)), 1) };
  }

  const latencies: number[] = [];
  const windows: number[] = [];
  const calls: number[] = [];
  const restorations: number[] = [];
  const restorationCalls: number[] = [];
  const world = await approvalWorld('bench', ['fraud-score']);
  try {
    // Every AWS call of a decision is counted, and the race window timed: from the re-read's answer to the update's.
    let log: Array<{ name: string; end: number }> = [];
    const counted = <T extends object>(client: T): T => {
      const real = (client as unknown as { send: (c: unknown) => Promise<unknown> }).send.bind(client);
      return new Proxy(client, {
        get: (t, p) =>
          p === 'send'
            ? async (c: { constructor: { name: string } }) => {
                const out = await real(c);
                log.push({ name: c.constructor.name, end: Number(process.hrtime.bigint()) / 1e6 });
                return out;
              }
            : Reflect.get(t, p),
      });
    };
    const gate = approvalGate({
      ...world.deps,
      sagemaker: counted(world.sagemaker),
      s3: counted(world.s3),
      sns: counted(world.sns),
      policyDigest: 'bench',
    });
    for (let i = 0; i < DECISIONS + 3; i++) {
      const ModelPackageArn = await world.register('fraud-score');
      log = [];
      const start = process.hrtime.bigint();
      const result = await gate(stateChange(ModelPackageArn, 'PendingManualApproval', `bench-${i}`));
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.outcome !== 'approve') throw new Error(`bench decision ${i} was ${result.outcome}`);
      const update = log.findIndex((c) => c.name === 'UpdateModelPackageCommand');
      const reread = log
        .slice(0, update)
        .map((c) => c.name)
        .lastIndexOf('DescribeModelPackageCommand');
      if (i >= 3) {
        // the first few warm up connections and JIT
        latencies.push(ms);
        windows.push(log[update].end - log[reread].end);
        calls.push(log.length);
      }
    }
    // A person's Rejected inside the window of the gate's Approved, set back when CloudTrail's record of the call arrives.
    for (let i = 0; i < RESTORATIONS + 2; i++) {
      const arn = await world.register('fraud-score');
      let describes = 0;
      let at = new Date();
      const real = world.sagemaker.send.bind(world.sagemaker) as (c: unknown) => Promise<unknown>;
      const racing = new Proxy(world.sagemaker, {
        get: (t, p) =>
          p === 'send'
            ? async (c: unknown) => {
                const out = await real(c);
                if (c instanceof DescribeModelPackageCommand && ++describes === 2) {
                  at = new Date();
                  await real(
                    new UpdateModelPackageCommand({
                      ModelPackageArn: arn,
                      ModelApprovalStatus: 'Rejected',
                      ApprovalDescription: 'bench person',
                    }),
                  );
                }
                return out;
              }
            : Reflect.get(t, p),
      });
      await approvalGate({ ...world.deps, sagemaker: racing, policyDigest: 'bench' })(
        stateChange(arn, 'PendingManualApproval', `bench-race-${i}`),
      );
      log = [];
      const start = process.hrtime.bigint();
      const result = await gate({
        id: `bench-ct-${i}`,
        'detail-type': 'AWS API Call via CloudTrail',
        detail: {
          eventSource: 'sagemaker.amazonaws.com',
          eventName: 'UpdateModelPackage',
          eventTime: `${at.toISOString().slice(0, 19)}Z`,
          eventID: `bench-ct-${i}`,
          userIdentity: {
            arn: 'arn:aws:sts::123456789012:assumed-role/approver/bench',
            sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/approver' } },
          },
          requestParameters: {
            modelPackageArn: arn,
            modelApprovalStatus: 'Rejected',
            approvalDescription: 'bench person',
          },
        },
      });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.outcome !== 'restore')
        throw new Error(`bench restoration ${i} was ${result.outcome}: ${result.reason}`);
      if (i >= 2) {
        restorations.push(ms);
        restorationCalls.push(log.length);
      }
    }
  } finally {
    await world.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  const result = {
    benchmark: 'approval-gate',
    bundle: {
      deployedKb: round(deployedBytes / 1024, 1),
      sdk: 'runtime-provided (external)',
      withSdkBundledKb: round(withSdkBytes / 1024, 1),
    },
    initMs: { median: round(median(initMs), 1), runs: initMs.map((x) => round(x, 1)) },
    alternatives: variants,
    decisionMs: {
      decisions: latencies.length,
      p50: round(percentile(latencies, 50), 1),
      p95: round(percentile(latencies, 95), 1),
      against: 'moto_server on 127.0.0.1',
    },
    awsCallsPerDecision: median(calls),
    raceWindowMs: {
      p50: round(percentile(windows, 50), 1),
      p95: round(percentile(windows, 95), 1),
      what: "re-read's answer to the update's answer: a person's update landing in it is overwritten, then set back when CloudTrail's record of it reaches the gate (restorationMs); the deployment gate does not promote meanwhile",
    },
    restorationMs: {
      restorations: restorations.length,
      p50: round(percentile(restorations, 50), 1),
      p95: round(percentile(restorations, 95), 1),
      awsCalls: median(restorationCalls),
      what: "a person's call judged and set back (records, re-read, update, notice), from the CloudTrail event's arrival",
    },
    targets: TARGETS,
  };
  return {
    ...result,
    met: {
      bundle: result.bundle.deployedKb < TARGETS.maxBundleKb,
      init: result.initMs.median < TARGETS.maxInitMs,
      decisionP50: result.decisionMs.p50 < TARGETS.maxDecisionP50Ms,
    },
  };
}
