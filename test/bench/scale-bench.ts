/**
 * Scale series: synth time, peak memory and the largest template for
 * generated estates of 10, 100 and 500 models (test/support/generate-estate.ts:
 * every model with an endpoint in dev, staging and prod, a champion and a
 * challenger in prod, Model Monitor on in prod), through the same CLI and
 * flags as `npm run synth`, every compliance pack included.
 *
 * BENCH_SCALE=10,100 picks the sizes. The estates leave the delivery pipeline
 * out: CodePipeline's 50-actions-per-stage quota, not synthesis, bounds how
 * many stacks one pipeline stage can deploy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { MAX_TEMPLATE_BYTES, MAX_TEMPLATE_RESOURCES } from '../../lib/ml/sharding';
import { generatedEstate } from '../support/generate-estate';
import { measure, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const SIZES = (process.env.BENCH_SCALE ?? '10,100,500').split(',').map(Number);
/** Issue targets: 500 models in under 120 s and 4 GB, time linear (500 at most 5.5x 100). */
const TARGETS = { maxSeconds500: 120, maxPeakMb500: 4096, maxRatio500to100: 5.5, maxResources: MAX_TEMPLATE_RESOURCES, maxTemplateBytes: MAX_TEMPLATE_BYTES };

function largestTemplate(dir: string): { file: string; resources: number; bytes: number; maxBytes: number; templates: number } {
  const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.template.json'));
  let largest = { file: '', resources: 0, bytes: 0 };
  let maxBytes = 0;
  for (const f of files) {
    const full = path.join(dir, f);
    maxBytes = Math.max(maxBytes, fs.statSync(full).size);
    const resources = Object.keys(JSON.parse(fs.readFileSync(full, 'utf8')).Resources ?? {}).length;
    if (resources > largest.resources) largest = { file: f, resources, bytes: fs.statSync(full).size };
  }
  return { ...largest, maxBytes, templates: files.length };
}

export async function benchScale(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-scale-'));
  const series: Record<string, unknown>[] = [];
  for (const models of SIZES) {
    const file = path.join(work, `estate-${models}.yaml`);
    fs.writeFileSync(file, YAML.stringify(generatedEstate(models)));
    const outdir = path.join(work, `out-${models}`);
    const run = await measure(CDK, ['synth', '**', '--quiet', '--output', outdir, '-c', `estate=${file}`], { cwd: ROOT });
    const largest = largestTemplate(outdir);
    series.push({
      models,
      seconds: round(run.seconds),
      peakMb: round(run.peakMb, 0),
      peakLargestProcessMb: round(run.peakLargestProcessMb, 0),
      templates: largest.templates,
      largestTemplate: { file: largest.file, resources: largest.resources, kb: round(largest.bytes / 1024, 0) },
      largestTemplateKb: round(largest.maxBytes / 1024, 0),
    });
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  fs.rmSync(work, { recursive: true, force: true });
  const at = (n: number) => series.find((s) => s.models === n) as { seconds: number; peakMb: number } | undefined;
  const ratio = at(500) && at(100) ? round(at(500)!.seconds / at(100)!.seconds) : undefined;
  const worst = Math.max(...series.map((s) => (s.largestTemplate as { resources: number }).resources));
  const largestKb = Math.max(...series.map((s) => s.largestTemplateKb as number));
  return {
    benchmark: 'scale',
    series,
    ratio500to100: ratio,
    targets: TARGETS,
    met: {
      seconds500: at(500) ? at(500)!.seconds < TARGETS.maxSeconds500 : undefined,
      peak500: at(500) ? at(500)!.peakMb < TARGETS.maxPeakMb500 : undefined,
      linear: ratio === undefined ? undefined : ratio <= TARGETS.maxRatio500to100,
      templateLimits: worst <= TARGETS.maxResources && largestKb * 1024 < TARGETS.maxTemplateBytes,
    },
  };
}
