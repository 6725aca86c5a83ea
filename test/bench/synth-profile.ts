/**
 * Where one synth of the default estate spends its time: the app process is
 * run once under Node's CPU profiler (`--cpu-prof`), through the same CLI and
 * flags as `npm run synth`, and every sample is given to the first phase found
 * walking its stack from the innermost frame outwards. Prints shares, not a
 * flame graph. esbuild (which bundles the gate functions, and through which tsx
 * transpiles) runs in a service process: the app waits for it synchronously,
 * and the profile shows that wait under the frames of whoever asked.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measure, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

type Rule = readonly [phase: string, test: (frame: ProfileNode['callFrame']) => boolean];

const packOf = (url: string): string | undefined => {
  const stock = /cdk-nag\/lib\/packs\/([\w-]+)\.js/.exec(url)?.[1];
  if (stock) return `nag pack ${stock}`;
  return /policies\/regulated-mlops-pack/.test(url) || /policies\/rules\//.test(url)
    ? 'nag pack regulated-mlops'
    : undefined;
};

/** Phases, tested on each frame from the innermost outwards; the first that matches takes the sample. */
const RULES: Rule[] = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['esbuild bundling (gate functions)', (f) => /constructs\/gate-bundle|aws-lambda-nodejs/.test(f.url)],
  // tsx transpiles through esbuild too: its frames sit between esbuild's and the module loader's.
  [
    'module loading and transpiling',
    (f) => /node:internal\/modules|\/tsx\//.test(f.url) || f.functionName === 'compileFunction',
  ],
  ['evidence ledger and writers', (f) => /\/lib\/compliance\//.test(f.url)],
  ['nag packs', (f) => packOf(f.url) !== undefined || /cdk-nag\//.test(f.url)],
  ['aspects', (f) => f.functionName === 'invokeAspects' || f.functionName === 'invokeAspectsV2'],
  [
    'template synthesis (token resolution, serialization, writing)',
    (f) => f.functionName === 'synthesizeTree' || f.functionName === 'synthesizeTemplate',
  ],
  ['app construction', (f) => /\/lib\/estate\.ts|\/bin\/estate\.ts/.test(f.url)],
];

function phaseOf(stack: ProfileNode['callFrame'][]): string {
  for (const frame of stack) {
    for (const [phase, test] of RULES) {
      if (!test(frame)) continue;
      // The stock rules test `node instanceof Cfn...` of services the estate never uses (QuickSight, EKS, RDS
      // ...), and aws-cdk-lib loads each such module on first touch; cdk-nag loads its rule files lazily too:
      // shown apart from the app's own loading.
      if (phase === 'module loading and transpiling' && stack.some((f) => /cdk-nag\/lib\/rules\//.test(f.url)))
        return 'module loading by the nag rules (their rule files, the aws-cdk-lib services they test)';
      if (phase === 'nag packs')
        return packOf(frame.url) ?? stack.map((f) => packOf(f.url)).find((p) => p) ?? 'nag packs (shared)';
      return phase;
    }
  }
  const leaf = stack[0]?.functionName;
  return leaf === '(idle)' || leaf === '(program)' ? 'idle and VM (waiting, compiling)' : 'other';
}

/** Milliseconds per phase of a V8 CPU profile. */
export function phases(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const phaseOfNode = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const stack: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
    const phase = phaseOf(stack);
    memo.set(id, phase);
    return phase;
  };
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const phase = phaseOfNode(id);
    out.set(phase, (out.get(phase) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

export async function benchSynthProfile(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-profile-'));
  const profiles = path.join(work, 'profiles');
  const app = `node --cpu-prof --cpu-prof-dir=${profiles} --max-semi-space-size=64 --require tsx/cjs bin/estate.ts`;
  const run = await measure(CDK, ['synth', '**', '--quiet', '--output', path.join(work, 'out'), '--app', app], {
    cwd: ROOT,
  });
  const file = fs.readdirSync(profiles).find((f) => f.endsWith('.cpuprofile'));
  if (run.exitCode !== 0 || !file) throw new Error(`the profiled synth failed (exit ${run.exitCode})`);
  const ms = phases(JSON.parse(fs.readFileSync(path.join(profiles, file), 'utf8')));
  fs.rmSync(work, { recursive: true, force: true });
  const total = [...ms.values()].reduce((a, b) => a + b, 0);
  const shares = Object.fromEntries(
    [...ms.entries()]
      .sort(([, a], [, b]) => b - a)
      .map(([phase, t]) => [phase, { seconds: round(t / 1000), percent: round((100 * t) / total, 1) }]),
  );
  return {
    benchmark: 'synth-profile',
    appProcessSeconds: round(total / 1000),
    cliSeconds: round(run.seconds),
    phases: shares,
  };
}
