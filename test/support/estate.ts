import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEstateConfig } from '../../lib/config/load';
import { EstateConfig } from '../../lib/config/schema';
import { buildEstate, Estate, ESTATE_APP_PROPS } from '../../lib/estate';

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
export const REPOSITORY_ESTATE_FILE = process.env.ESTATE_CONFIG ? path.resolve(process.env.ESTATE_CONFIG) : path.join(REPO_ROOT, 'estate.yaml');

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
 */
export function synthesizeEstate(config: EstateConfig = defaultEstateConfig(), placement?: Readonly<Record<string, number>>): SynthesizedEstate {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-test-'));
  // Path metadata and the CDKMetadata resource, as the CLI writes them (cfn-lint
  // recognizes a CDK template by the latter and spares it rules meant for hand-written ones).
  const app = new App({ ...ESTATE_APP_PROPS, outdir, context: { ...cdkJsonContext(), 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true } });
  const estate = buildEstate(app, config, { placement });
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  const templateFiles: Record<string, string> = {};
  for (const stack of assembly.stacks) {
    templates[stack.hierarchicalId] = Template.fromJSON(stack.template);
    templateFiles[stack.hierarchicalId] = path.join(assembly.directory, stack.templateFile);
  }
  for (const [name, stage] of Object.entries(estate.stages)) {
    const stageAssembly = assembly.getNestedAssembly(stage.artifactId);
    for (const stack of stageAssembly.stacks) {
      const key = `${name}/${stack.hierarchicalId.split('/').pop()}`;
      templates[key] = Template.fromJSON(stack.template);
      templateFiles[key] = path.join(stageAssembly.directory, stack.templateFile);
    }
  }
  return { app, estate, config, outdir, templates, templateFiles };
}
