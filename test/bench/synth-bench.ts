/**
 * Synth time and peak memory of the default estate against a one-bucket floor
 * app with the estate's App options (and against the stock-App floor the
 * foundation bench first used), through the same CLI with the same flags, run
 * alternately so that all see the same machine load.
 *
 * BENCH_ROUNDS sets the rounds (default 3). Compare the ratio, not the seconds:
 * machines are shared and noisy. The ratio of CPU time (user and system of the
 * CLI, the app and their helpers) is printed too: under load it moves far less
 * than the wall-clock ratio, which is the target's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measure, median, round, Measurement } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * Targets: the whole default estate within 1.6x the like-for-like floor (the
 * same App options through the same CLI), with peak memory no higher than the
 * 1 GB it was held to before. (Earlier targets: the foundation alone within 2x,
 * then the whole estate within 2.5x.)
 */
const TARGETS = { maxRatio: 1.6, maxPeakMb: 1024 };

async function synth(app: string | undefined, outdir: string): Promise<Measurement> {
  const args = ['synth', '**', '--quiet', '--output', outdir];
  if (app) args.push('--app', app);
  return measure(CDK, args, { cwd: ROOT });
}

export async function benchSynth(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-bench-'));
  const floor: Measurement[] = [];
  const stockFloor: Measurement[] = [];
  const estate: Measurement[] = [];
  const STOCK = 'node --max-semi-space-size=64 --require tsx/cjs test/bench/floor-stock-app.ts';
  // One warm-up of each (module caches, tsx transpile cache), not counted.
  await synth('node --max-semi-space-size=64 --require tsx/cjs test/bench/floor-app.ts', path.join(work, 'warm-floor'));
  await synth(undefined, path.join(work, 'warm-estate'));
  for (let i = 0; i < ROUNDS; i++) {
    floor.push(
      await synth(
        'node --max-semi-space-size=64 --require tsx/cjs test/bench/floor-app.ts',
        path.join(work, `floor-${i}`),
      ),
    );
    stockFloor.push(await synth(STOCK, path.join(work, `stock-${i}`)));
    estate.push(await synth(undefined, path.join(work, `estate-${i}`)));
  }
  const templates = fs
    .readdirSync(path.join(work, 'estate-0'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.template.json'));
  const summary = (runs: Measurement[]) => ({
    medianSeconds: round(median(runs.map((r) => r.seconds))),
    runsSeconds: runs.map((r) => round(r.seconds)),
    medianCpuSeconds: round(median(runs.map((r) => r.cpuSeconds))),
    peakMb: round(Math.max(...runs.map((r) => r.peakMb)), 0),
    peakLargestProcessMb: round(Math.max(...runs.map((r) => r.peakLargestProcessMb)), 0),
  });
  const result = {
    benchmark: 'synth',
    machine: { cpus: os.cpus().length, node: process.version },
    rounds: ROUNDS,
    floor: summary(floor),
    estate: { ...summary(estate), stacks: templates.length },
    ratio: round(median(estate.map((r) => r.seconds)) / median(floor.map((r) => r.seconds))),
    cpuRatio: round(median(estate.map((r) => r.cpuSeconds)) / median(floor.map((r) => r.cpuSeconds))),
    loadAverage: round(os.loadavg()[0], 1),
    stockFloor: summary(stockFloor),
    ratioToStockFloor: round(median(estate.map((r) => r.seconds)) / median(stockFloor.map((r) => r.seconds))),
    targets: TARGETS,
  };
  const met = {
    ratio: result.ratio <= TARGETS.maxRatio,
    ratioToStockFloor: result.ratioToStockFloor <= TARGETS.maxRatio,
    peakMemory: result.estate.peakMb <= TARGETS.maxPeakMb,
  };
  fs.rmSync(work, { recursive: true, force: true });
  return { ...result, met };
}
