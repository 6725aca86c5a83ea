/**
 * `npm run bench`: prints one JSON document with every benchmark's figures,
 * ending with `targets`: each target of the parts that ran, its figure, its
 * limit and whether it is met.
 * BENCH_ONLY=synth, profile, gates, scale, guardrails, tests or traces runs one of them.
 */
import * as os from 'node:os';
import { benchGates } from './gate-bench';
import { benchGuardrails } from './guardrails-bench';
import { benchScale } from './scale-bench';
import { benchSynth } from './synth-bench';
import { benchSynthProfile } from './synth-profile';
import { benchTestSuite } from './test-suite-bench';
import { benchTraces } from './traces-bench';

interface Target {
  readonly target: string;
  readonly figure: unknown;
  readonly limit: string;
  readonly met: boolean | undefined;
}

type Part = Record<string, any>;

/** Every target of the parts that ran, one line each. */
export function targets(out: Record<string, Part | undefined>): Target[] {
  const list: Target[] = [];
  const { synth, synthProfile, gates, scale, testSuite } = out;
  if (synth) {
    list.push({
      target: 'synth of the default estate against the like-for-like floor (median wall-clock ratio)',
      figure: { ratio: synth.ratio, cpuRatio: synth.cpuRatio, loadAverage: synth.loadAverage },
      limit: `<= ${synth.targets.maxRatio}`,
      met: synth.met.ratio,
    });
    list.push({
      target: 'synth peak memory (process tree)',
      figure: `${synth.estate.peakMb} MB`,
      limit: `<= ${synth.targets.maxPeakMb} MB`,
      met: synth.met.peakMemory,
    });
  }
  if (synthProfile)
    list.push({
      target: 'breakdown of one estate synth (shares of the app process, CPU profiler)',
      figure: Object.fromEntries(Object.entries(synthProfile.phases).map(([k, v]) => [k, `${(v as Part).percent}%`])),
      limit: 'printed',
      met: true,
    });
  if (gates) {
    for (const [gate, g] of Object.entries(gates.gates as Record<string, Part>)) {
      list.push({
        target: `${gate}: module init in a fresh process (median)`,
        figure: `${g.deployed.init.medianMs} ms wall, ${g.deployed.init.cpuMedianMs} ms CPU`,
        limit: `< ${gates.targets.maxInitMs} ms`,
        met: g.met.init,
      });
      list.push({
        target: `${gate}: bundle`,
        figure: `${g.deployed.kb} KB (${g.deployed.zippedKb} KB zipped)`,
        limit: `< ${gates.targets.maxBundleKb} KB zipped (the deployment package Lambda stores and loads)`,
        met: g.met.bundle,
      });
    }
    list.push({
      target: 'model-approval-gate: decision p50 against moto',
      figure: `${gates.decisionMs.p50} ms`,
      limit: `< ${gates.targets.maxDecisionP50Ms} ms`,
      met: gates.met.decisionP50,
    });
  }
  if (testSuite)
    list.push({
      target: 'npm test wall time',
      figure: testSuite.wallSeconds === undefined ? testSuite.note : `${testSuite.wallSeconds} s`,
      limit: `<= ${testSuite.targets.maxWallSeconds} s`,
      met: testSuite.met.wall,
    });
  if (scale) {
    for (const point of scale.series as Part[]) {
      if (point.refused) {
        list.push({
          target: `${point.models} models: synth`,
          figure: { refused: point.refused, secondsToRefusal: point.secondsToRefusal, peakMb: point.peakMb },
          limit: 'synthesizes',
          met: false,
        });
        continue;
      }
      for (const [what, q] of Object.entries(point.iam as Record<string, Part>))
        list.push({
          target: `${point.models} models: ${what === 'roles' ? 'IAM roles' : 'customer managed policies'} in the account holding the most (with the CDK bootstrap's)`,
          figure: `${q.count} in ${q.account} (IAM's default quota ${q.defaultQuota})`,
          limit: `<= ${q.autoApproved} (what Service Quotas approves automatically)`,
          met: q.withinAutoApproved,
        });
      list.push({
        target: `${point.models} models: largest endpoint shard`,
        figure: `${point.largestShard.resources} resources, ${point.largestShardByBytes.kb} KB (synth ${point.seconds} s, ${point.peakMb} MB)`,
        limit: `<= ${scale.targets.maxResources} resources, < ${Math.round(scale.targets.maxTemplateBytes / 1024)} KB`,
        met:
          point.largestShard.resources <= scale.targets.maxResources &&
          point.largestShardByBytes.kb * 1024 < scale.targets.maxTemplateBytes,
      });
    }
    const k = (scale.series as Part[]).find((s) => s.models === 1000 && !s.refused);
    const r = (scale.series as Part[]).find((s) => s.models === 1000 && s.refused);
    const refusedAt1000 = r && `refused by synth after ${r.secondsToRefusal} s and ${r.peakMb} MB`;
    list.push(
      {
        target: '1,000 models with the delivery pipeline: synth time',
        figure: k ? `${k.seconds} s` : (refusedAt1000 ?? 'not run (BENCH_SCALE)'),
        limit: `<= ${scale.targets.maxSeconds1000} s`,
        met: scale.met.seconds1000 ?? (r ? false : undefined),
      },
      {
        target: '1,000 models with the delivery pipeline: peak memory',
        figure: k ? `${k.peakMb} MB` : (refusedAt1000 ?? 'not run (BENCH_SCALE)'),
        limit: `<= ${scale.targets.maxPeakMb1000} MB`,
        met: scale.met.peak1000 ?? (r ? false : undefined),
      },
      {
        target: 'marginal synth cost per model, 500 to 1,000',
        figure:
          scale.marginalMsPerModel.from500to1000 ??
          (scale.marginalMsPerModel.from500to900 === undefined
            ? 'not run (BENCH_SCALE)'
            : `${scale.marginalMsPerModel.from500to900} (500 to 900: synth refuses 1,000)`),
        limit: `<= ${scale.targets.maxMarginalMsPerModel500to1000} ms`,
        met: scale.met.marginal500to1000,
      },
      {
        target: 'delivery pipeline within CodePipeline quotas, prod after approval and gate',
        figure: k?.pipeline ?? (scale.series as Part[]).filter((s) => !s.refused).at(-1)?.pipeline,
        limit: `<= ${scale.targets.maxActionsPerStage} actions a stage, <= ${scale.targets.maxStages} stages`,
        met: scale.met.pipelineQuotas && scale.met.prodAfterApprovalAndGate,
      },
    );
  }
  return list;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const out: Record<string, unknown> = { startedAt: new Date().toISOString(), loadAverageAtStart: os.loadavg() };
  if (!only || only === 'synth') out.synth = await benchSynth();
  if (!only || only === 'profile') out.synthProfile = await benchSynthProfile();
  if (!only || only === 'gates') out.gates = await benchGates();
  if (!only || only === 'scale') out.scale = await benchScale();
  if (!only || only === 'guardrails') out.guardrails = await benchGuardrails();
  if (!only || only === 'tests') out.testSuite = await benchTestSuite();
  if (!only || only === 'traces') out.traces = await benchTraces();
  out.loadAverageAtEnd = os.loadavg();
  out.targets = targets(out as Record<string, Part>);
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

if (require.main === module)
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
