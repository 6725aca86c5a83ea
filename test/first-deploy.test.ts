/**
 * A first deploy on empty accounts: a model declared in prod before any of its
 * versions is approved gets its card and package group there, and no endpoint
 * until the config names an approved version. On the example fixture.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { validateEstateConfig } from '../lib/config/load';
import { promotionsFor } from '../lib/delivery/promotions';
import { servingAccounts } from '../lib/config';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import { shardOf, shardStackId } from '../lib/ml/sharding';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';

/** The example with credit-default declared in prod, awaiting its first approved version. */
function awaiting(): any {
  const config: any = JSON.parse(JSON.stringify(defaultEstateConfig()));
  const prod = config.models.find((m: any) => m.id === 'credit-default').endpoints.prod;
  prod.awaitingApproval = true;
  for (const v of prod.variants) delete v.modelPackageVersion;
  return config;
}

describe('a model declared in prod before any version is approved', () => {
  const config = validateEstateConfig(awaiting());
  const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
  const estate = buildEstate(app, config);
  const shard = (env: string, model: string) =>
    estate.stages[env].endpoints.find((s) => s.node.id === shardStackId(shardOf(model)))!;
  const resourcesOf = (env: string, model: string) =>
    Template.fromStack(shard(env, model)).toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const ofModel = (env: string, model: string, type: string) =>
    Object.entries(resourcesOf(env, model)).filter(
      ([id, r]) => r.Type === type && id.startsWith(model.replace(/-/g, '')),
    );

  test('is valid config, and names no version', () => {
    expect(config.models.find((m) => m.id === 'credit-default')!.endpoints.prod.awaitingApproval).toBe(true);
  });

  test('prod has its model card and package group, and no endpoint, endpoint config, model, alarm or monitoring', () => {
    expect(ofModel('prod', 'credit-default', 'AWS::SageMaker::ModelCard')).toHaveLength(1);
    const groups = Object.values(resourcesOf('prod', 'credit-default'))
      .filter((r) => r.Type === 'AWS::SageMaker::ModelPackageGroup')
      .map((r) => r.Properties.ModelPackageGroupName);
    expect(groups).toContain('credit-default');
    for (const type of [
      'AWS::SageMaker::Endpoint',
      'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Model',
      'AWS::CloudWatch::Alarm',
      'AWS::SageMaker::MonitoringSchedule',
      'AWS::ApplicationAutoScaling::ScalableTarget',
    ]) {
      expect([type, ofModel('prod', 'credit-default', type)]).toEqual([type, []]);
    }
    // The other prod models are untouched, and staging still serves the candidate.
    expect(ofModel('prod', 'fraud-score', 'AWS::SageMaker::Endpoint')).toHaveLength(1);
    expect(ofModel('staging', 'credit-default', 'AWS::SageMaker::Endpoint')).toHaveLength(1);
  });

  test("staging's registry already shares the group with prod, so naming the version is all that is left", () => {
    const prod = config.environments.find((e) => e.name === 'prod')!;
    expect(servingAccounts(config)).toContain(prod.account);
    const [group] = Object.values(resourcesOf('staging', 'credit-default')).filter(
      (r) => r.Type === 'AWS::SageMaker::ModelPackageGroup' && r.Properties.ModelPackageGroupName === 'credit-default',
    );
    expect(group.Properties.ModelPackageGroupPolicy.Statement[0].Principal).toEqual({
      AWS: [`arn:aws:iam::${prod.account}:root`],
    });
  });

  test('the deployment gate has nothing of it to judge yet', () => {
    const requests = promotionsFor(config, 'prod', 'exec-1').requests.map((r) => r.modelPackageArn);
    expect(requests.some((arn) => arn.includes('/credit-default/'))).toBe(false);
    expect(requests.some((arn) => arn.includes('/fraud-score/'))).toBe(true);
  });
});

describe('awaitingApproval is refused where it would hide a mistake', () => {
  const problems = (mutate: (c: any) => void): string[] => {
    const config = awaiting();
    mutate(config);
    try {
      validateEstateConfig(config, 'test.yaml');
      return [];
    } catch (e: any) {
      return e.message
        .split('\n')
        .slice(1)
        .map((l: string) => l.replace(/^ {2}- /, ''));
    }
  };
  const prodOf = (c: any) => c.models.find((m: any) => m.id === 'credit-default').endpoints.prod;

  test('together with a version: one or the other', () => {
    expect(problems((c) => (prodOf(c).variants[0].modelPackageVersion = 3))).toEqual([
      'models[credit-default].endpoints.prod.variants[0]: gives a model, but the endpoint is awaitingApproval: remove awaitingApproval once a version is approved, or the model until then',
    ]);
  });

  test('a prod variant without a version and without awaitingApproval is still refused', () => {
    expect(problems((c) => delete prodOf(c).awaitingApproval)).toEqual([
      'models[credit-default].endpoints.prod.variants[0]: must give either modelPackageVersion, or both image and modelData',
      'models[credit-default].endpoints.prod.variants[1]: must give either modelPackageVersion, or both image and modelData',
    ]);
  });

  test('retraining on the quality alarm of an endpoint that does not exist yet', () => {
    expect(
      problems((c) => {
        const model = c.models.find((m: any) => m.id === 'credit-default');
        model.training.environments = ['prod'];
        model.training.onAlarm = true;
        model.training.image = model.training.image.replace(/^\d{12}/, '333333333333');
        model.training.processingImage = model.training.processingImage.replace(/^\d{12}/, '333333333333');
      }),
    ).toEqual([
      "models[credit-default].training.onAlarm: needs the model's endpoint in prod with model-quality monitoring on (its quality alarm is the trigger) (got true)",
    ]);
  });
});
