/**
 * Endpoint sharding: many models stay within CloudFormation's limits, and
 * adding or removing a model never moves (and so never replaces) another.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { validateEstateConfig } from '../lib/config/load';
import { EstateConfig } from '../lib/config/schema';
import { buildEstate } from '../lib/estate';
import { SHARD_BUCKETS, shardModels, shardOf, shardStackId, templateLimitProblems } from '../lib/ml/sharding';
import { governedGroupArns as groupArns, governedGroupFilter, governedPackageArns as packageArns } from '../lib/ml/registry-scope';
import { workloadBoundaryStatements } from '../policies/workload-boundary';
import { cdkJsonContext } from './support/estate';
import { generatedEstate } from './support/generate-estate';

/** Paths of every resource in the endpoint shards, built (not synthesized) from a config. */
function endpointResourcePaths(config: EstateConfig): string[] {
  const app = new App({ context: cdkJsonContext() });
  buildEstate(app, config);
  return app.node
    .findAll()
    .filter((c) => CfnResource.isCfnResource(c) && /\/Endpoints\d\d\//.test(c.node.path))
    .map((c) => c.node.path);
}

describe('endpoint sharding', () => {
  test('a model\'s shard depends on its id alone', () => {
    expect(shardOf('credit-default')).toBe(shardOf('credit-default'));
    const ids = Array.from({ length: 500 }, (_, i) => `model-${i}`);
    const alone = ids.map(shardOf);
    const grouped = shardModels(ids.map((id) => ({ id })));
    for (const [shard, models] of grouped) for (const m of models) expect(alone[ids.indexOf(m.id)]).toBe(shard);
    expect(Math.max(...alone)).toBeLessThan(SHARD_BUCKETS);
  });

  test('500 models spread so that no shard holds more than 20', () => {
    const sizes = [...shardModels(Array.from({ length: 500 }, (_, i) => ({ id: `model-${String(i).padStart(4, '0')}` }))).values()].map((m) => m.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(500);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
  });

  test('adding a model and removing another leaves every other resource at its construct path', () => {
    const before = validateEstateConfig(generatedEstate(12));
    const after = validateEstateConfig({ ...generatedEstate(13), models: generatedEstate(13).models!.filter((m) => m.id !== 'model-0005') });
    // The removed model's resources go, and its shard stack with them if it was alone there.
    const shards = new Set(after.models.map((m) => shardStackId(shardOf(m.id))));
    const old = endpointResourcePaths(before).filter((p) => !p.includes('/model-0005/') && shards.has(p.split('/')[1]));
    const now = new Set(endpointResourcePaths(after));
    expect(old.filter((p) => !now.has(p))).toEqual([]);
    expect([...now].some((p) => p.includes('/model-0012/'))).toBe(true);
  });

  test('a stack over 500 resources is refused at synth with the fix', () => {
    const stack = new Stack(new App(), 'Crowded');
    for (let i = 0; i < 501; i++) new CfnResource(stack, `R${i}`, { type: 'AWS::SNS::Topic' });
    expect(templateLimitProblems(stack)).toEqual(["Crowded has 501 resources, over CloudFormation's 500; raise SHARD_BUCKETS in lib/ml/sharding.ts"]);
  });
});

describe('registry scope at scale', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const names = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
  const governedPackageArns = (st: Stack, groups: string[]) => packageArns(st, groups).map((a) => a.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, 'aws'));
  const governedGroupArns = (st: Stack, groups: string[]) => groupArns(st, groups).map((a) => a.replace(/\$\{Token\[AWS\.Partition\.\d+\]\}/, 'aws'));

  test('up to 20 models, grants and the approval trigger name each group', () => {
    expect(governedPackageArns(stack, names(2))).toEqual(['arn:aws:sagemaker:eu-west-1:111111111111:model-package/m0/*', 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/m1/*']);
    expect(governedGroupFilter(names(20))).toHaveLength(20);
  });

  test('beyond 20, they name every group of the account, which the boundary lets no role create, delete or re-share', () => {
    expect(governedPackageArns(stack, names(21))).toEqual(['arn:aws:sagemaker:eu-west-1:111111111111:model-package/*/*']);
    expect(governedGroupArns(stack, names(500))).toEqual(['arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*']);
    expect(governedGroupFilter(names(21))).toBeUndefined();
    const deny = workloadBoundaryStatements().find((s) => s.sid === 'DenyUngovernedRegistry')!.toStatementJson();
    expect(deny).toEqual({
      Sid: 'DenyUngovernedRegistry',
      Effect: 'Deny',
      Action: ['sagemaker:CreateModelPackageGroup', 'sagemaker:DeleteModelPackageGroup', 'sagemaker:PutModelPackageGroupPolicy', 'sagemaker:DeleteModelPackageGroupPolicy'],
      Resource: '*',
    });
  });
});
