/**
 * The delivery pipeline for the 1,000- and 2,000-model estates: every stage
 * within CodePipeline's quotas (50 actions a stage, 50 stages a pipeline: AWS
 * CodePipeline user guide, "Quotas in AWS CodePipeline"), environments in
 * order and, within each, foundation and governance before the endpoint
 * shards, every prod stack only after the manual approval and the deployment
 * gate, and the pipeline's own template within CloudFormation's 1 MB.
 *
 * The pipeline is built over stand-in stages: the same stacks (ids, accounts,
 * regions, dependencies) as the real estate's, from the same placement and
 * repository buckets, each with one resource. What the pipeline does with a
 * stack depends on those alone, and synthesizing the real 1,000-model estate
 * takes about two minutes and 3 GB here (the scale bench does it and prints
 * the same shape: `BENCH_ONLY=scale npm run bench`).
 */
import * as fs from 'node:fs';
import { App, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { deliverySupportRegions, EstateConfig } from '../lib/config';
import { validateEstateConfig } from '../lib/config/load';
import { ESTATE_APP_PROPS } from '../lib/estate';
import { placeEstateModels } from '../lib/ml/model-footprint';
import { MAX_TEMPLATE_BYTES, shardStackId } from '../lib/ml/sharding';
import { MAX_ACTIONS_PER_STAGE, MAX_STAGES_PER_PIPELINE } from '../lib/delivery/pipeline-quotas';
import { DeliveryStack } from '../lib/stacks/delivery-stack';
import { DeliverySupportStack } from '../lib/stacks/delivery-support-stack';
import { imageRepositoriesIn, repositoryBuckets, repositoryStackId } from '../lib/stacks/image-repositories-stack';
import { cdkJsonContext } from './support/estate';
import { generatedEstate } from './support/generate-estate';

type Action = { Name: string; RunOrder: number; ActionTypeId: { Category: string; Provider: string } };
type PipelineStage = { Name: string; Actions: Action[] };

/** The estate's stacks, environment by environment, as stand-ins with the real stacks' ids and dependencies. */
function standInEstate(config: EstateConfig) {
  const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
  const placement = placeEstateModels(config);
  const targets = config.environments.map((environment) => {
    const stage = new Stage(app, environment.name, {
      env: { account: environment.account, region: environment.region },
    });
    const stack = (id: string, region = environment.region) => {
      const s = new Stack(stage, id, { env: { account: environment.account, region } });
      new CfnResource(s, 'Resource', { type: 'AWS::SNS::Topic' });
      return s;
    };
    const replica = stack('AuditReplica', environment.auditReplicaRegion);
    const foundation = stack('Foundation');
    foundation.addDependency(replica);
    const governance = stack('ModelGovernance');
    governance.addDependency(foundation);
    const platform = stack('MLPlatform');
    platform.addDependency(foundation);
    for (const bucket of repositoryBuckets(imageRepositoriesIn(config, environment.account)).keys())
      stack(repositoryStackId(bucket)).addDependency(governance);
    for (const shard of [...new Set(placement.get(environment.name)!.values())].sort((a, b) => a - b)) {
      const s = stack(shardStackId(shard));
      s.addDependency(platform);
      s.addDependency(governance);
    }
    return { environment, stage };
  });
  const stores = deliverySupportRegions(config).map(
    (region) => new DeliverySupportStack(app, `DeliverySupport-${region}`, { estate: config, region }),
  );
  const delivery = new DeliveryStack(app, 'Delivery', {
    estate: config,
    targets,
    artifactStores: Object.fromEntries(stores.map((s) => [s.region, s.bucket])),
    stackName: `${config.organization.name}-delivery`,
  });
  expect(delivery.node.validate()).toEqual([]);
  const assembly = app.synth({ validateOnSynthesis: false });
  const artifact = assembly.getStackByName(delivery.stackName);
  const template = artifact.template;
  const [pipeline] = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline');
  return {
    stages: pipeline.Properties.Stages as PipelineStage[],
    bytes: fs.statSync(artifact.templateFullPath).size,
    config,
    app,
  };
}

describe.each([1000, 2000])('the delivery pipeline of %i models', (models) => {
  const config = validateEstateConfig(generatedEstate(models, { delivery: true }));
  let built: ReturnType<typeof standInEstate>;
  beforeAll(() => {
    built = standInEstate(config);
  });
  const envOf = (name: string) => name.split('.')[0];
  const stackOf = (action: string) => action.split('.')[0];

  test(`every stage has at most ${MAX_ACTIONS_PER_STAGE} actions, the pipeline at most ${MAX_STAGES_PER_PIPELINE} stages`, () => {
    const { stages } = built;
    for (const stage of stages)
      expect([stage.Name, stage.Actions.length <= MAX_ACTIONS_PER_STAGE]).toEqual([stage.Name, true]);
    expect(stages.length).toBeLessThanOrEqual(MAX_STAGES_PER_PIPELINE);
    // The environments overflow one stage each: the split is exercised.
    for (const env of config.environments)
      expect(stages.filter((s) => envOf(s.Name) === env.name).length).toBeGreaterThan(1);
  });

  // Two actions a stack, about 1 KB each in the template (most of it indentation): what bounds the pipeline is its
  // own template, so each environment fills its shards by its own footprints (dev and staging need far fewer).
  test("the pipeline's template is within CloudFormation's 1 MB", () => {
    expect(built.bytes).toBeLessThanOrEqual(MAX_TEMPLATE_BYTES);
  });

  test('every stack of every environment is deployed once, environments in order, foundation and governance before any shard or repository', () => {
    const { stages } = built;
    const envs = stages
      .map((s) => envOf(s.Name))
      .filter((n, i, all) => config.environments.some((e) => e.name === n) && all.indexOf(n) === i);
    expect(envs).toEqual(['dev', 'staging', 'prod']);
    for (const [index, env] of config.environments.entries()) {
      const own = stages.filter((s) => envOf(s.Name) === env.name);
      // A stage's actions run by RunOrder; stages run one after another.
      const sequence = own.flatMap((s, i) => s.Actions.map((a) => ({ ...a, at: i * 1000 + a.RunOrder })));
      const deploys = sequence.filter(
        (a) => a.ActionTypeId.Provider === 'CloudFormation' && a.Name.endsWith('.Deploy'),
      );
      const stacks = built.app.node
        .findChild(env.name)
        .node.children.filter((c) => Stack.isStack(c))
        .map((c) => c.node.id);
      expect(deploys.map((a) => stackOf(a.Name)).sort()).toEqual([...stacks].sort());
      const at = (stack: string) => deploys.find((a) => stackOf(a.Name) === stack)!.at;
      const firstOf = (prefix: string) =>
        Math.min(...sequence.filter((a) => stackOf(a.Name).startsWith(prefix)).map((a) => a.at));
      expect(at('Foundation')).toBeLessThan(at('ModelGovernance'));
      expect(at('ModelGovernance')).toBeLessThan(firstOf('Endpoints'));
      expect(at('MLPlatform')).toBeLessThan(firstOf('Endpoints'));
      if (stacks.some((s) => s.startsWith('ImageRepositories')))
        expect(at('ModelGovernance')).toBeLessThan(firstOf('ImageRepositories'));
      // Every stack's change set is prepared before it is executed.
      for (const d of deploys)
        expect(sequence.find((a) => a.Name === `${stackOf(d.Name)}.Prepare`)!.at).toBeLessThan(d.at);
      expect(index).toBe(envs.indexOf(env.name));
    }
  });

  test('prod: the manual approval, then the deployment gate, before every prod action of every prod stage', () => {
    const prod = built.stages.filter((s) => envOf(s.Name) === 'prod');
    expect(prod.length).toBeGreaterThan(1);
    const [first, ...rest] = prod;
    const sorted = [...first.Actions].sort((a, b) => a.RunOrder - b.RunOrder);
    expect(sorted.slice(0, 2).map((a) => [a.Name, a.ActionTypeId.Category])).toEqual([
      ['Approve-prod', 'Approval'],
      ['DeploymentGate-prod', 'Build'],
    ]);
    const gate = sorted[1].RunOrder;
    expect(sorted[0].RunOrder).toBeLessThan(gate);
    for (const a of sorted.slice(2)) expect([a.Name, a.RunOrder > gate]).toEqual([a.Name, true]);
    // Later prod stages run only after the first completes (stages are sequential); none has its own way around the
    // gate.
    for (const stage of rest)
      for (const a of stage.Actions) expect([a.Name, a.ActionTypeId.Provider]).toEqual([a.Name, 'CloudFormation']);
    // No prod stack action appears in any stage before the first prod stage.
    const before = built.stages.slice(0, built.stages.indexOf(first));
    expect(
      before
        .flatMap((s) => s.Actions)
        .filter(
          (a) =>
            a.ActionTypeId.Provider === 'CloudFormation' &&
            envOf(built.stages.find((s) => s.Actions.includes(a))!.Name) === 'prod',
        ),
    ).toEqual([]);
  });
});
