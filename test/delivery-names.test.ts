/**
 * One home for names (lib/delivery/names.ts): pure, so the pipeline's gate
 * step builds them without loading the CDK; endpoint names stay within
 * SageMaker's 63 characters, stable and distinct.
 */
import { spawnSync } from 'node:child_process';
import { endpointName, trainingPipelineName } from '../lib/delivery/names';
import { REPO_ROOT } from './support/estate';

/**
 * Runs `code` in a fresh Node process (with tsx) and returns how many aws-cdk-lib modules it loaded, and its stderr.
 */
function cdkModulesLoadedBy(
  code: string,
  env: Record<string, string> = {},
): { modules: number; stderr: string; status: number | null } {
  const probe = `process.on('exit', () => process.stderr.write('CDK_MODULES=' + Object.keys(require.cache).filter((k) => k.includes('/node_modules/aws-cdk-lib/')).length + '\\n'));\n${code}`;
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', probe], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const found = /CDK_MODULES=(\d+)/.exec(run.stderr);
  if (!found) throw new Error(`probe did not report: ${run.stderr}`);
  return { modules: Number(found[1]), stderr: run.stderr, status: run.status };
}

describe('the pipeline gate step', () => {
  test('bin/deployment-gate.ts loads no aws-cdk-lib module', () => {
    // GIVEN the step started without its arguments (it prints its usage and exits 2 after loading every module it
    // imports)
    const run = cdkModulesLoadedBy("process.argv.splice(1); require('./bin/deployment-gate.ts');", {
      GATE_EXECUTION: '',
    });
    // THEN it ran, and nothing of the CDK was loaded
    expect(run.stderr).toContain('usage: GATE_EXECUTION=<id> deployment-gate --environment');
    expect(run.status).toBe(2);
    expect(run.modules).toBe(0);
  });

  test('the probe sees the CDK where it is loaded (it would catch the step loading it)', () => {
    expect(cdkModulesLoadedBy("require('./constructs/model-endpoint/index.ts');").modules).toBeGreaterThan(0);
  });
});

describe('names', () => {
  test('endpoint names: short ones as they are, long ones cut to 63 characters with a digest, distinct and stable', () => {
    expect(endpointName('prod', 'fraud-score')).toBe('prod-fraud-score');
    const a = endpointName('s'.repeat(16), 'a'.repeat(49));
    const b = endpointName('s'.repeat(16), `${'a'.repeat(48)}b`);
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a).not.toBe(b);
    expect(endpointName('s'.repeat(16), 'a'.repeat(49))).toBe(a);
    expect(a).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
  });

  test('training pipeline names follow environment and model', () => {
    expect(trainingPipelineName('dev', 'credit-default')).toBe('dev-credit-default-training');
  });
});
