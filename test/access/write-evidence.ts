/**
 * `npm run evidence`: synthesizes the estate into cdk.out (packs, policy
 * validation and evidence, as `cdk synth` does), then simulates the access
 * matrix from the synthesized policies and adds it to the evidence there.
 * A development tool: the simulator it uses is AGPL (README, "Effective access").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEstateConfig } from '../../lib/config/load';
import { ACCESS_MATRIX_SECTION } from '../../lib/compliance/evidence/guardrails';
import { renderHtml } from '../../lib/compliance/evidence/html';
import { renderMarkdown } from '../../lib/compliance/evidence/markdown';
import { withSection } from '../../lib/compliance/evidence/sections';
import { REPO_ROOT, SynthesizedEstate, synthesizeInProcess } from '../support/estate';
import { accessMatrix } from './access-matrix';
import { EstateModel } from './estate-model';

async function main(): Promise<void> {
  const outdir = path.resolve(process.env.CDK_OUTDIR ?? 'cdk.out');
  const config = loadEstateConfig(path.resolve(process.env.ESTATE_CONFIG ?? path.join(REPO_ROOT, 'estate.yaml')));
  // Synthesized as the tests and the CLI do (path metadata on: the model finds resources by construct path).
  const { app, estate, index } = synthesizeInProcess(config, undefined, outdir);
  const templateFiles = Object.fromEntries(
    Object.entries(index.templates).map(([key, file]) => [key, path.join(outdir, file)]),
  );
  const model = new EstateModel({ app, estate, config, outdir, templates: {}, templateFiles } as SynthesizedEstate);
  const matrix = await accessMatrix(
    model,
    model.scps(),
    config.environments.map((e) => e.name),
  );
  const dir = path.join(outdir, 'compliance');
  const evidence = withSection(
    JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8')),
    ACCESS_MATRIX_SECTION,
    matrix,
  );
  fs.writeFileSync(path.join(dir, 'evidence.json'), `${JSON.stringify(evidence, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'report.md'), renderMarkdown(evidence));
  fs.writeFileSync(path.join(dir, 'report.html'), renderHtml(evidence));
  const allowed = matrix.cells.filter((c) => c.decision === 'allowed').length;
  process.stdout.write(`access matrix: ${matrix.cells.length} cells (${allowed} allowed) written to ${dir}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
