/**
 * The gates' cost: for the approval gate, the deployment gate and the model
 * pinner, the bundle as deployed (built with the options synth uses) and its
 * size zipped as the asset is uploaded, and module init in a fresh Node.js
 * process, wall clock and CPU time (the CPU time moves far less with the
 * machine's load), against the SDK taken from the runtime and bundled with
 * its default credential chain; then the approval gate's decision latency against moto's server
 * on loopback.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BuildOptions, buildSync, Metafile } from 'esbuild';
import { DescribeModelPackageCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { GATE_BUNDLE_OPTIONS } from '../../constructs/gate-bundle';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, stateChange } from '../gates/world';
import { median, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const GATES = ['model-approval-gate', 'deployment-gate', 'model-pinner'];
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 40);
const RESTORATIONS = Number(process.env.BENCH_RESTORATIONS ?? 10);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 7);
const TARGETS = { maxBundleKb: 300, maxInitMs: 150, maxDecisionP50Ms: 150 };

interface Built {
  readonly file: string;
  readonly kb: number;
  /** Deflated at level 9, as in the zip file the asset is uploaded as. */
  readonly zippedKb: number;
  /** Packages the bundle requires at run time (the runtime's SDK, when external). */
  readonly external: string[];
}

function bundle(entry: string, outfile: string, options: Partial<BuildOptions>): Built {
  const result = buildSync({ ...options, entryPoints: [entry], outfile, write: false, metafile: true });
  const code = result.outputFiles![0].contents;
  fs.writeFileSync(outfile, code);
  const metafile = result.metafile as Metafile;
  const external = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const i of output.imports) if (i.external && !i.path.startsWith('node:')) external.add(i.path);
  return {
    file: outfile,
    kb: round(code.length / 1024, 1),
    zippedKb: round(zlib.deflateRawSync(code, { level: 9 }).length / 1024, 1),
    external: [...external].sort(),
  };
}

/**
 * Module init of a bundle in a fresh Node.js process: wall clock and CPU time (user and system) of
 * `require`, INIT_RUNS runs (the SDK, when external, resolved from node_modules as the runtime
 * resolves its own).
 */
function init(file: string): { medianMs: number; cpuMedianMs: number; runsMs: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        `const c=process.cpuUsage();const t=process.hrtime.bigint();require(${JSON.stringify(file)});const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,(u.user+u.system)/1000]))`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(run.stderr);
    const [w, c] = JSON.parse(run.stdout) as [number, number];
    wall.push(w);
    cpu.push(c);
  }
  return { medianMs: round(median(wall), 1), cpuMedianMs: round(median(cpu), 1), runsMs: wall.map((x) => round(x, 1)) };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/**
 * Each gate as deployed (GATE_BUNDLE_OPTIONS: the SDK bundled in, tree-shaken from its ES modules, with the
 * credential chain reduced to the environment variables the Lambda runtime sets, lambdas/shared/env-credentials.ts)
 * against the SDK left to the runtime (resolved from node_modules, as the runtime resolves its own) and against the
 * SDK bundled with its default credential chain (SSO, INI, process, web identity, container and instance metadata).
 */
function benchInit(work: string) {
  const { alias: _alias, mainFields: _mainFields, ...plain } = GATE_BUNDLE_OPTIONS;
  const variants: Array<[string, Partial<BuildOptions>]> = [
    ['deployed', GATE_BUNDLE_OPTIONS],
    ['runtimeSdk', { ...plain, external: ['@aws-sdk/*'] }],
    ['sdkBundledDefaultCredentials', { ...GATE_BUNDLE_OPTIONS, alias: {} }],
  ];
  const gates: Record<string, Record<string, unknown>> = {};
  for (const gate of GATES) {
    const entry = path.join(ROOT, 'lambdas', gate, 'handler.ts');
    const out: Record<string, unknown> = {};
    for (const [name, options] of variants) {
      const built = bundle(entry, path.join(work, `${gate}-${name}.js`), options);
      const { file: _file, ...sizes } = built;
      out[name] = { ...sizes, init: init(built.file) };
    }
    const deployed = out.deployed as Omit<Built, 'file'> & { init: ReturnType<typeof init> };
    gates[gate] = {
      ...out,
      met: { bundle: deployed.zippedKb < TARGETS.maxBundleKb, init: deployed.init.medianMs < TARGETS.maxInitMs },
    };
  }
  return gates;
}

export async function benchGates(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.bench-gate-'));
  const gates = benchInit(work);

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
    // A person's Rejected inside the window of the gate's Approved, set back when CloudTrail's record of the call
    // arrives.
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

  const approval = gates['model-approval-gate'] as {
    deployed: Omit<Built, 'file'> & { init: ReturnType<typeof init> };
  };
  const result = {
    benchmark: 'gates',
    bundle: {
      deployedKb: approval.deployed.kb,
      sdk: 'runtime-provided (external)',
    },
    initMs: { median: approval.deployed.init.medianMs, cpuMedian: approval.deployed.init.cpuMedianMs },
    gates,
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
  const deployedOf = (g: string) =>
    (gates[g] as { deployed: Omit<Built, 'file'> & { init: ReturnType<typeof init> } }).deployed;
  return {
    ...result,
    met: {
      bundle: GATES.every((g) => deployedOf(g).zippedKb < TARGETS.maxBundleKb),
      init: GATES.every((g) => deployedOf(g).init.medianMs < TARGETS.maxInitMs),
      decisionP50: result.decisionMs.p50 < TARGETS.maxDecisionP50Ms,
    },
  };
}
