import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEstateConfig } from '../../lib/config/load';
import { EstateConfig } from '../../lib/config';
import { buildEstate, Estate, ESTATE_APP_PROPS } from '../../lib/estate';
import { placeEstateModels } from '../../lib/ml/model-footprint';
import type { RecordedPlacement } from '../../lib/ml/placement-file';
import { alive, readOr } from './process-files';
import { currentSynthesisInputs } from './synthesis-inputs';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/**
 * The blueprint's example, committed under test/: regression tests (exact
 * counts, pinned messages, snapshots) run on it, so a fork that edits
 * estate.yaml keeps them green.
 */
export const EXAMPLE_ESTATE_FILE = path.join(REPO_ROOT, 'test', 'fixtures', 'example-estate.yaml');
/** Name kept for existing callers: the example fixture, not the repository's estate.yaml. */
export const DEFAULT_ESTATE_FILE = EXAMPLE_ESTATE_FILE;
/**
 * The estate the repository deploys: the file ESTATE_CONFIG names (as for
 * `cdk synth`), else estate.yaml. The invariant suite (test/invariants) runs on it.
 */
export const REPOSITORY_ESTATE_FILE = process.env.ESTATE_CONFIG
  ? path.resolve(process.env.ESTATE_CONFIG)
  : path.join(REPO_ROOT, 'estate.yaml');

/** The context of cdk.json (feature flags): `new App()` in a test does not read it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context;
}

/** The example estate (the committed fixture), for tests that pin the blueprint's own example. */
export function defaultEstateConfig(): EstateConfig {
  return loadEstateConfig(EXAMPLE_ESTATE_FILE);
}

/** The repository's estate (estate.yaml or ESTATE_CONFIG), for tests that must hold on any valid estate. */
export function repositoryEstateConfig(): EstateConfig {
  return loadEstateConfig(REPOSITORY_ESTATE_FILE);
}

export interface SynthesizedEstate {
  readonly app: App;
  readonly estate: Estate;
  readonly config: EstateConfig;
  readonly outdir: string;
  /** Template of each stack, by `<environment>/<stack id>`. */
  readonly templates: Record<string, Template>;
  /** Path of each stack's template file, by `<environment>/<stack id>`. */
  readonly templateFiles: Record<string, string>;
}

/**
 * Builds and synthesizes the whole estate once, exactly as `cdk synth` would:
 * same feature flags, compliance packs registered, validation run (a finding
 * throws). Call it in `beforeAll`, never per test.
 *
 * The cloud assembly of a given (config, placement) is synthesized once per
 * test run and shared by every test file and worker (see `sharedAssembly`):
 * each caller gets its own copy of the assembly directory and the templates
 * read from it. `app` and `estate` are the in-memory construct trees; a caller
 * that reads them pays for its own build and synth, on first access.
 */
export function synthesizeEstate(
  config: EstateConfig = defaultEstateConfig(),
  placement?: RecordedPlacement,
): SynthesizedEstate {
  const shared = sharedAssembly(config, placement);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-test-'));
  fs.cpSync(shared.dir, outdir, { recursive: true });
  const templates: Record<string, Template> = {};
  const templateFiles: Record<string, string> = {};
  for (const [key, file] of Object.entries(shared.index.templates)) {
    templateFiles[key] = path.join(outdir, file);
    templates[key] = Template.fromJSON(JSON.parse(fs.readFileSync(templateFiles[key], 'utf8')));
  }
  // The file that synthesized the shared assembly keeps the trees it built.
  let built: { app: App; estate: Estate } | undefined = shared.made;
  const build = () => (built ??= synthesizeInProcess(config, placement));
  return {
    get app() {
      return build().app;
    },
    get estate() {
      return build().estate;
    },
    config,
    outdir,
    templates,
    templateFiles,
  };
}

export interface AssemblyIndex {
  /** Template file of each stack, relative to the assembly directory, by `<environment>/<stack id>`. */
  readonly templates: Record<string, string>;
}

/**
 * Builds and synthesizes in this process, as the CLI would (path metadata and version reporting
 * on), into `outdir` or a directory of its own; returns the trees and the template files.
 */
export function synthesizeInProcess(
  config: EstateConfig,
  placement?: RecordedPlacement,
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-test-')),
): { app: App; estate: Estate; outdir: string; index: AssemblyIndex } {
  // Path metadata and the CDKMetadata resource, as the CLI writes them (cfn-lint
  // recognizes a CDK template by the latter and spares it rules meant for hand-written ones).
  const app = new App({
    ...ESTATE_APP_PROPS,
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true },
  });
  const estate = buildEstate(app, config, { placement });
  const assembly = app.synth();
  const templates: Record<string, string> = {};
  for (const stack of assembly.stacks)
    templates[stack.hierarchicalId] = path.relative(outdir, path.join(assembly.directory, stack.templateFile));
  for (const [name, stage] of Object.entries(estate.stages)) {
    const stageAssembly = assembly.getNestedAssembly(stage.artifactId);
    for (const stack of stageAssembly.stacks) {
      templates[`${name}/${stack.hierarchicalId.split('/').pop()}`] = path.relative(
        outdir,
        path.join(stageAssembly.directory, stack.templateFile),
      );
    }
  }
  return { app, estate, outdir, index: { templates } };
}

/**
 * SHA-256 (hex, 32 characters) of what an assembly is synthesized from: the config, the placement
 * it resolves to (recorded or hashed, so an estate and its placement file share one assembly with
 * the same estate given no file), the environment, and every source and git state synthesis
 * reads (synthesis-inputs.ts), so an edited source is never answered with an assembly from before it.
 */
export function assemblyKey(config: EstateConfig, placement?: RecordedPlacement): string {
  const env = Object.entries(process.env)
    .filter(([k]) => k !== 'JEST_WORKER_ID' && k !== 'ESTATE_SYNTHESIS_INPUTS')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const resolved = [...placeEstateModels(config, placement ?? {})].map(([env, m]) => [
    env,
    [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return createHash('sha256')
    .update(JSON.stringify({ config, placement: resolved, env, inputs: currentSynthesisInputs() }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The assembly of (config, placement), synthesized by the first test file of
 * the run that asks for it, in whichever jest worker, and read by the others.
 * The run's temp directory (jest global setup) holds it: `<key>/` is written by
 * whoever made `<key>.lock/` first, and published by renaming it into place,
 * so a reader never sees half an assembly. A failed synth is shared too (the
 * same error for every caller); a writer that died is replaced.
 */
function sharedAssembly(
  config: EstateConfig,
  placement?: RecordedPlacement,
): { dir: string; index: AssemblyIndex; made?: { app: App; estate: Estate } } {
  const key = assemblyKey(config, placement);
  const root = path.join(process.env.ESTATE_TEST_TMPDIR ?? os.tmpdir(), 'estate-assemblies');
  fs.mkdirSync(root, { recursive: true });
  const dir = path.join(root, key);
  const lock = `${dir}.lock`;
  const failure = `${dir}.error`;
  const read = () => ({
    dir,
    index: JSON.parse(fs.readFileSync(path.join(dir, 'estate-index.json'), 'utf8')) as AssemblyIndex,
  });
  for (;;) {
    if (fs.existsSync(path.join(dir, 'estate-index.json'))) return read();
    if (fs.existsSync(failure)) throw new Error(fs.readFileSync(failure, 'utf8'));
    let mine = false;
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      mine = true;
    } catch {
      const owner = Number(readOr(path.join(lock, 'pid'), '0'));
      if (owner && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else sleep(200);
    }
    if (!mine) continue;
    try {
      const made = synthesizeInProcess(config, placement);
      // Published as a copy: the writer's app keeps its own assembly directory.
      const staging = `${dir}.tmp`;
      fs.cpSync(made.outdir, staging, { recursive: true });
      fs.writeFileSync(path.join(staging, 'estate-index.json'), JSON.stringify(made.index));
      fs.renameSync(staging, dir);
      return { ...read(), made };
    } catch (e) {
      fs.writeFileSync(failure, e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
