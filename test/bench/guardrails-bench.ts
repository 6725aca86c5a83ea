/**
 * What policy validation adds to synth and what the effective-access
 * simulation and validation suites add to `npm test`:
 *
 * - synth: the default estate synthesized in-process, with the validation
 *   plugin's own time (it reads and checks every template) against the whole
 *   synth; the validator alone over the synthesized templates, median of rounds;
 * - test: the wall time of the two new jest files, each run alone.
 *
 * BENCH_ROUNDS sets the rounds (default 3). Machines are shared: compare ratios.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateTemplates } from '../../policies/validation/plugin';
import { accessMatrix } from '../access/access-matrix';
import { EstateModel } from '../access/estate-model';
import { synthesizeEstate } from '../support/estate';
import { measure, median, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

export async function benchGuardrails(): Promise<Record<string, unknown>> {
  const synthRuns: number[] = [];
  const validationRuns: number[] = [];
  let documents = 0;
  let statements = 0;
  let synth: ReturnType<typeof synthesizeEstate> | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    synth = synthesizeEstate();
    synthRuns.push(seconds(start));
    const templates = Object.fromEntries(
      Object.entries(synth.templateFiles).map(([k, f]) => [k, JSON.parse(fs.readFileSync(f, 'utf8'))]),
    );
    const v0 = process.hrtime.bigint();
    const result = validateTemplates(templates);
    validationRuns.push(seconds(v0));
    documents = result.documents;
    statements = result.statements;
    if (result.problems.length > 0) throw new Error(`${result.problems.length} policy problems`);
    if (i < ROUNDS - 1) fs.rmSync(synth.outdir, { recursive: true, force: true });
  }
  const model0 = process.hrtime.bigint();
  const model = new EstateModel(synth!);
  const modelSeconds = seconds(model0);
  const m0 = process.hrtime.bigint();
  const matrix = await accessMatrix(model, model.scps());
  const matrixSeconds = seconds(m0);
  fs.rmSync(synth!.outdir, { recursive: true, force: true });

  const jest = path.join(ROOT, 'node_modules', '.bin', 'jest');
  const suites: Record<string, number> = {};
  for (const file of ['test/guardrails/policy-validation.test.ts', 'test/access/effective-access.test.ts']) {
    const run = await measure(jest, [file], { cwd: ROOT });
    if (run.exitCode !== 0) throw new Error(`${file} failed`);
    suites[file] = round(run.seconds);
  }
  const synthMedian = median(synthRuns);
  const validationMedian = median(validationRuns);
  return {
    benchmark: 'guardrails',
    machine: { cpus: os.cpus().length, node: process.version },
    rounds: ROUNDS,
    synth: {
      estateSynthSeconds: round(synthMedian),
      policyValidationSeconds: round(validationMedian, 3),
      shareOfSynth: round(validationMedian / synthMedian, 3),
      documents,
      statements,
    },
    simulation: {
      estateModelSeconds: round(modelSeconds, 3),
      accessMatrixSeconds: round(matrixSeconds, 3),
      accessMatrixCells: matrix.cells.length,
      simulationsPerSecond: round(matrix.cells.length / matrixSeconds, 0),
    },
    npmTest: { newSuitesSeconds: suites },
  };
}
