/**
 * What recording construct traces costs synthesis of the default estate:
 * build and synth (packs and evidence included) with creation traces off
 * (`aws:cdk:disable-creation-stack-traces`), with CDK's default (10 frames,
 * which misses our code for elements made deep inside aws-cdk-lib), and with
 * the estate's depth (CONSTRUCTION_TRACE_DEPTH frames while building only).
 * Each run is a fresh process; modes alternate so they share the machine's
 * load. CPU seconds are the steadier figure on a shared machine.
 *
 * BENCH_ROUNDS sets the rounds (default 3).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODES = ['off', 'cdk-default', 'estate'] as const;
type Mode = (typeof MODES)[number];

interface Run {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly buildCpuSeconds: number;
  readonly elements: number;
  readonly locatedInOurCode: number;
}

/** One build and synth in this process (the child side). */
function child(mode: Mode, outdir: string): Run {
  const { App, CfnElement } = require('aws-cdk-lib');
  const { buildEstate, ESTATE_APP_PROPS } = require('../../lib/estate');
  const { ourFrames, creationTrace } = require('../../lib/compliance/evidence/sources');
  const { cdkJsonContext, defaultEstateConfig, DEFAULT_ESTATE_FILE } = require('../support/estate');
  const config = defaultEstateConfig();
  const context = { ...cdkJsonContext(), ...(mode === 'off' ? { 'aws:cdk:disable-creation-stack-traces': true } : {}) };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const app = new App({ ...ESTATE_APP_PROPS, outdir, context });
  buildEstate(app, config, { configFile: DEFAULT_ESTATE_FILE, traceDepth: mode === 'estate' ? undefined : 0 });
  const cpu1 = process.cpuUsage(cpu0);
  app.synth();
  const cpu2 = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const elements = app.node.findAll().filter((c: any) => CfnElement.isCfnElement(c));
  return {
    wallSeconds: wall,
    cpuSeconds: (cpu2.user + cpu2.system) / 1e6,
    buildCpuSeconds: (cpu1.user + cpu1.system) / 1e6,
    elements: elements.length,
    locatedInOurCode: elements.filter((c: any) => ourFrames(creationTrace(c)).length > 0).length,
  };
}

export async function benchTraces(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-traces-'));
  const runs: Record<Mode, Run[]> = { off: [], 'cdk-default': [], estate: [] };
  const once = (mode: Mode, i: number): Run =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--max-semi-space-size=64',
          '--require',
          'tsx/cjs',
          __filename,
          'child',
          mode,
          path.join(work, `${mode}-${i}`),
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      ),
    );
  once('estate', -1); // warm-up (tsx transpile cache), not counted
  for (let i = 0; i < ROUNDS; i++) for (const mode of MODES) runs[mode].push(once(mode, i));
  fs.rmSync(work, { recursive: true, force: true });
  const summary = (mode: Mode) => ({
    medianWallSeconds: round(median(runs[mode].map((r) => r.wallSeconds))),
    medianCpuSeconds: round(median(runs[mode].map((r) => r.cpuSeconds))),
    medianBuildCpuSeconds: round(median(runs[mode].map((r) => r.buildCpuSeconds))),
    elements: runs[mode][0].elements,
    elementsLocatedInOurCode: runs[mode][0].locatedInOurCode,
  });
  const off = summary('off');
  const cdk = summary('cdk-default');
  const estate = summary('estate');
  return {
    rounds: ROUNDS,
    off,
    cdkDefault: cdk,
    estate,
    cpuCostOverOff: round(estate.medianCpuSeconds / off.medianCpuSeconds),
    cpuCostOverCdkDefault: round(estate.medianCpuSeconds / cdk.medianCpuSeconds),
  };
}

if (process.argv[2] === 'child') {
  process.stdout.write(JSON.stringify(child(process.argv[3] as Mode, process.argv[4])));
}
