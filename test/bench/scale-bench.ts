/**
 * Scale series: synth time, peak memory, the largest endpoint shard and the
 * delivery pipeline's shape for generated estates of 10, 100, 500 and 1,000
 * models (test/support/generate-estate.ts: every model with an endpoint in
 * dev, staging and prod, a champion and a challenger in prod, the delivery
 * pipeline included), through the same CLI and flags as `npm run synth`,
 * every compliance pack included.
 *
 * BENCH_SCALE=10,100 picks the sizes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { MAX_TEMPLATE_BYTES, MAX_TEMPLATE_RESOURCES } from '../../lib/ml/sharding';
import { MAX_ACTIONS_PER_STAGE, MAX_STAGES_PER_PIPELINE } from '../../lib/delivery/pipeline-quotas';
import { generatedEstate } from '../support/generate-estate';
import { measure, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const SIZES = (process.env.BENCH_SCALE ?? '10,100,500,1000').split(',').map(Number);
/**
 * Targets: 1,000 models in at most 90 s and 2.5 GB; the marginal synth cost per
 * model from 500 to 1,000 at most half of that from 100 to 500 as first
 * measured (94 ms a model); every template within CloudFormation's limits; the
 * pipeline within CodePipeline's quotas.
 */
const TARGETS = {
  maxSeconds1000: 90,
  maxPeakMb1000: 2560,
  maxMarginalMsPerModel500to1000: 47,
  maxResources: MAX_TEMPLATE_RESOURCES,
  maxTemplateBytes: MAX_TEMPLATE_BYTES,
  maxActionsPerStage: MAX_ACTIONS_PER_STAGE,
  maxStages: MAX_STAGES_PER_PIPELINE,
};

function largestTemplate(dir: string) {
  const files = fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.template.json'));
  let largest = { file: '', resources: 0, bytes: 0 };
  let largestBytes = { file: '', resources: 0, bytes: 0 };
  let anyLargest = { file: '', resources: 0, bytes: 0 };
  let maxBytes = 0;
  let shards = 0;
  let repositoryStacks = 0;
  let deliveryBytes = 0;
  for (const f of files) {
    const full = path.join(dir, f);
    const bytes = fs.statSync(full).size;
    maxBytes = Math.max(maxBytes, bytes);
    const resources = Object.keys(JSON.parse(fs.readFileSync(full, 'utf8')).Resources ?? {}).length;
    if (resources > anyLargest.resources) anyLargest = { file: f, resources, bytes };
    if (path.basename(f).startsWith('Delivery.')) deliveryBytes = bytes;
    if (/ImageRepositories\d+/.test(path.basename(f))) repositoryStacks++;
    if (!/Endpoints\d+/.test(path.basename(f))) continue;
    shards++;
    if (resources > largest.resources) largest = { file: f, resources, bytes };
    if (bytes > largestBytes.bytes) largestBytes = { file: f, resources, bytes };
  }
  return {
    ...largest,
    largestBytes,
    anyLargest,
    deliveryBytes,
    maxBytes,
    templates: files.length,
    shards,
    repositoryStacks,
  };
}

/** Stages of the delivery pipeline: how many, the most actions in one, and prod's first actions. */
function pipelineShape(
  dir: string,
): { stages: number; maxActionsPerStage: number; prodOpensWith: string[] } | undefined {
  const file = fs.readdirSync(dir).find((f) => /^Delivery.*\.template\.json$/.test(f));
  if (!file) return undefined;
  const template = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const pipeline = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline');
  const stages: { Name: string; Actions: { Name: string; RunOrder: number }[] }[] = pipeline.Properties.Stages;
  const prod = stages.find((st) => st.Name.split('.')[0] === 'prod');
  return {
    stages: stages.length,
    maxActionsPerStage: Math.max(...stages.map((st) => st.Actions.length)),
    prodOpensWith: prod
      ? [...prod.Actions]
          .sort((a, b) => a.RunOrder - b.RunOrder)
          .slice(0, 3)
          .map((a) => a.Name)
      : [],
  };
}

export async function benchScale(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-scale-'));
  const series: Record<string, unknown>[] = [];
  for (const models of SIZES) {
    const file = path.join(work, `estate-${models}.yaml`);
    fs.writeFileSync(file, YAML.stringify(generatedEstate(models, { delivery: true })));
    const outdir = path.join(work, `out-${models}`);
    const run = await measure(CDK, ['synth', '**', '--quiet', '--output', outdir, '-c', `estate=${file}`], {
      cwd: ROOT,
    });
    const largest = largestTemplate(outdir);
    series.push({
      models,
      seconds: round(run.seconds),
      peakMb: round(run.peakMb, 0),
      peakLargestProcessMb: round(run.peakLargestProcessMb, 0),
      templates: largest.templates,
      endpointShards: largest.shards,
      repositoryStacks: largest.repositoryStacks,
      largestShard: { file: largest.file, resources: largest.resources, kb: round(largest.bytes / 1024, 0) },
      largestShardByBytes: {
        file: largest.largestBytes.file,
        resources: largest.largestBytes.resources,
        kb: round(largest.largestBytes.bytes / 1024, 0),
      },
      mostResourcesOfAnyStack: { file: largest.anyLargest.file, resources: largest.anyLargest.resources },
      deliveryTemplateKb: round(largest.deliveryBytes / 1024, 0),
      largestTemplateKb: round(largest.maxBytes / 1024, 0),
      pipeline: pipelineShape(outdir),
    });
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  fs.rmSync(work, { recursive: true, force: true });
  const at = (n: number) => series.find((s) => s.models === n) as { seconds: number; peakMb: number } | undefined;
  const marginal = (a: number, b: number) =>
    at(a) && at(b) ? round(((at(b)!.seconds - at(a)!.seconds) * 1000) / (b - a)) : undefined;
  const worst = Math.max(...series.map((s) => (s.mostResourcesOfAnyStack as { resources: number }).resources));
  const largestKb = Math.max(...series.map((s) => s.largestTemplateKb as number));
  const pipelines = series.map((s) => s.pipeline as ReturnType<typeof pipelineShape>).filter((p) => p !== undefined);
  return {
    benchmark: 'scale',
    series,
    marginalMsPerModel: { from100to500: marginal(100, 500), from500to1000: marginal(500, 1000) },
    targets: TARGETS,
    met: {
      seconds1000: at(1000) ? at(1000)!.seconds <= TARGETS.maxSeconds1000 : undefined,
      peak1000: at(1000) ? at(1000)!.peakMb <= TARGETS.maxPeakMb1000 : undefined,
      marginal500to1000:
        marginal(500, 1000) === undefined ? undefined : marginal(500, 1000)! <= TARGETS.maxMarginalMsPerModel500to1000,
      templateLimits: worst <= TARGETS.maxResources && largestKb * 1024 < TARGETS.maxTemplateBytes,
      pipelineQuotas: pipelines.every(
        (p) => p!.maxActionsPerStage <= TARGETS.maxActionsPerStage && p!.stages <= TARGETS.maxStages,
      ),
      prodAfterApprovalAndGate: pipelines.every(
        (p) => p!.prodOpensWith[0] === 'Approve-prod' && p!.prodOpensWith[1] === 'DeploymentGate-prod',
      ),
    },
  };
}
