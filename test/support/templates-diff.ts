/**
 * Compares the templates this checkout synthesizes with those of a git ref,
 * byte for byte: the check that a refactoring changed no template.
 *
 *   npm run templates:diff                    # against main, the example and the repository estate
 *   npm run templates:diff -- --base <ref>    # against another commit
 *   npm run templates:diff -- --all           # also the invariant estates (four environments, one environment,
 *                                             # thirty models)
 *
 * Each side is synthesized by its own bin/estate.ts, exactly as `cdk synth`
 * runs it (cdk.json's context, the estate file as the `estate` context value),
 * the base from a `git archive` of the ref. Both sides read the same estate
 * files, written once from this checkout. Every *.template.json and
 * *.assets.json must be identical; the compliance evidence is not compared (it
 * records source lines, which a move changes by design). Exit 1 on any difference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { placementFileFor } from '../../lib/ml/placement-file';
import { EXAMPLE_ESTATE_FILE, REPO_ROOT } from './estate';

interface Input {
  readonly name: string;
  readonly file: string;
}

function argument(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The estate files both sides synthesize, written into `dir`. */
async function inputs(dir: string, all: boolean): Promise<Input[]> {
  const out: Input[] = [];
  const copy = (name: string, file: string) => {
    const target = path.join(dir, `${name}.yaml`);
    fs.copyFileSync(file, target);
    if (fs.existsSync(placementFileFor(file))) fs.copyFileSync(placementFileFor(file), placementFileFor(target));
    out.push({ name, file: target });
  };
  copy('example', EXAMPLE_ESTATE_FILE);
  copy('repository', path.join(REPO_ROOT, 'estate.yaml'));
  if (all) {
    const estates = await import('./estates');
    for (const estate of [estates.FOUR_ENVIRONMENTS, estates.ONE_ENVIRONMENT, estates.THIRTY_MODELS]) {
      const name = estate.name.replace(/[^a-z0-9]+/gi, '-');
      const target = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(target, YAML.stringify(estate.config()));
      if (estate.placement)
        fs.writeFileSync(
          placementFileFor(target),
          JSON.stringify({ schema: 'endpoint-placement/1', models: estate.placement() }),
        );
      out.push({ name, file: target });
    }
  }
  return out;
}

/** Synthesizes `input` with the app of the checkout at `root` into `outdir`; returns the seconds it took. */
function synth(root: string, input: Input, outdir: string): number {
  const context = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context;
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--max-semi-space-size=64', '--require', 'tsx/cjs', 'bin/estate.ts'], {
    cwd: root,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...context, estate: input.file }) },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`synthesis of ${input.name} in ${root} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Every compared file below `dir`, by path relative to it. */
function compared(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('asset.')) walk(full);
      } else if (/\.(template|assets)\.json$/.test(entry.name)) {
        files.set(path.relative(dir, full), full);
      }
    }
  };
  walk(dir);
  return files;
}

async function main(): Promise<void> {
  const base = argument('--base') ?? 'main';
  const all = process.argv.includes('--all');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-diff-'));
  const commit = execFileSync('git', ['rev-parse', base], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const baseRoot = path.join(work, 'base');
  fs.mkdirSync(baseRoot);
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C ${baseRoot}`], { cwd: REPO_ROOT });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(baseRoot, 'node_modules'));
  const inputDir = path.join(work, 'inputs');
  fs.mkdirSync(inputDir);

  let differences = 0;
  let templates = 0;
  for (const input of await inputs(inputDir, all)) {
    const before = path.join(work, 'out', 'base', input.name);
    const after = path.join(work, 'out', 'head', input.name);
    const tBase = synth(baseRoot, input, before);
    const tHead = synth(REPO_ROOT, input, after);
    const a = compared(before);
    const b = compared(after);
    const names = [...new Set([...a.keys(), ...b.keys()])].sort();
    let differing = 0;
    for (const name of names) {
      const left = a.get(name);
      const right = b.get(name);
      if (!left || !right) {
        console.log(`  ${input.name}: ${name} only in ${left ? base : 'this checkout'}`);
        differing++;
      } else if (!fs.readFileSync(left).equals(fs.readFileSync(right))) {
        console.log(`  ${input.name}: ${name} differs (diff ${left} ${right})`);
        differing++;
      }
    }
    templates += names.length;
    differences += differing;
    console.log(
      `${input.name}: ${names.length} files compared, ${differing} differ (synth ${tBase.toFixed(1)} s at ${base}, ${tHead.toFixed(1)} s here)`,
    );
  }
  console.log(`templates:diff against ${base} (${commit.slice(0, 12)}): ${templates} files, ${differences} differ`);
  if (differences === 0) fs.rmSync(work, { recursive: true, force: true });
  else console.log(`kept for inspection: ${work}`);
  process.exit(differences === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
