/**
 * Why ModelEndpoint keeps the L1 SageMaker resources (README, "SageMaker L2"): what the alpha L2,
 * @aws-cdk/aws-sagemaker-alpha 2.159.1-alpha.0 (the last version on the registry; a devDependency, used only here),
 * cannot express for a governed endpoint. Each test pins one gap as the alpha has it today; a test that fails after
 * an upgrade means the gap has closed and the decision is worth measuring again.
 */
import * as alpha from '@aws-cdk/aws-sagemaker-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as fs from 'node:fs';
import * as path from 'node:path';

const IMAGE = '333333333333.dkr.ecr.eu-west-1.amazonaws.com/fraud/model:1.0';

/**
 * An image by URI: the alpha's own ContainerImage.fromEcrRepository grants the pull to the role in an inline policy.
 */
class ImageUri extends alpha.ContainerImage {
  constructor(private readonly uri: string) {
    super();
  }
  bind(): alpha.ContainerImageConfig {
    return { imageName: this.uri };
  }
}

function stack(): Stack {
  return new Stack(new App(), 'Probe', { env: { account: '333333333333', region: 'eu-west-1' } });
}

function twoVariantEndpoint(s: Stack) {
  const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const model = new alpha.Model(s, 'Model', { role, containers: [{ image: new ImageUri(IMAGE) }] });
  const endpointConfig = new alpha.EndpointConfig(s, 'Config', {
    instanceProductionVariants: ['champion', 'challenger'].map((variantName) => ({
      variantName,
      model,
      instanceType: alpha.InstanceType.of('ml.m5.xlarge'),
      initialInstanceCount: 2,
      initialVariantWeight: 0.5,
    })),
  });
  return { model, endpoint: new alpha.Endpoint(s, 'Endpoint', { endpointName: 'prod-fraud-score', endpointConfig }) };
}

test('the alpha is the version the decision was measured on, Apache-2.0, a devDependency only', () => {
  const root = path.resolve(__dirname, '..', '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  expect(pkg.dependencies['@aws-cdk/aws-sagemaker-alpha']).toBeUndefined();
  expect(pkg.devDependencies['@aws-cdk/aws-sagemaker-alpha']).toBe('2.159.1-alpha.0');
  const installed = JSON.parse(
    fs.readFileSync(path.join(root, 'node_modules/@aws-cdk/aws-sagemaker-alpha/package.json'), 'utf8'),
  );
  expect([installed.version, installed.license]).toEqual(['2.159.1-alpha.0', 'Apache-2.0']);
});

test('a model needs a container with an image: an approved package version (ModelPackageName) is none', () => {
  const s = stack();
  const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  new alpha.Model(s, 'Model', { role });
  expect(() => Template.fromStack(s)).toThrow(/Must configure at least 1 container for model/);
});

test('without a role a model runs with AmazonSageMakerFullAccess', () => {
  const s = stack();
  new alpha.Model(s, 'Model', { containers: [{ image: new ImageUri(IMAGE) }] });
  const roles = Object.values(Template.fromStack(s).findResources('AWS::IAM::Role'));
  expect(JSON.stringify(roles.map((r) => r.Properties.ManagedPolicyArns))).toMatch(/AmazonSageMakerFullAccess/);
});

test("the second production variant's autoscaling clashes with the first's (both make a construct `ScalingRole`)", () => {
  const { endpoint } = twoVariantEndpoint(stack());
  endpoint.findInstanceProductionVariant('champion').autoScaleInstanceCount({ minCapacity: 2, maxCapacity: 4 });
  expect(() =>
    endpoint.findInstanceProductionVariant('challenger').autoScaleInstanceCount({ minCapacity: 2, maxCapacity: 4 }),
  ).toThrow(/There is already a Construct with name 'ScalingRole'/);
});

test("a variant's metrics name the endpoint through the endpoint itself: an alarm that rolls it back cannot use them", () => {
  const s = stack();
  const { endpoint } = twoVariantEndpoint(s);
  const config = endpoint.findInstanceProductionVariant('champion').metricModelLatency().toMetricConfig().metricStat!;
  // An alarm on this metric depends on the endpoint, and the endpoint's rollback names the alarm: a cycle.
  expect(s.resolve(config.dimensions!.find((d) => d.name === 'EndpointName')!.value)).toEqual({
    'Fn::GetAtt': [expect.stringMatching(/^Endpoint/), 'EndpointName'],
  });
  // And five-minute averages, where the rollback alarms read one-minute p99.
  expect([config.period.toMinutes(), config.statistic]).toEqual([5, 'Average']);
});

test('no escape hatch through defaultChild: the L1 resources are named Model, EndpointConfig and Endpoint', () => {
  const { model, endpoint } = twoVariantEndpoint(stack());
  expect([model.node.defaultChild, endpoint.node.defaultChild]).toEqual([undefined, undefined]);
  expect(model.node.findChild('Model').constructor.name).toBe('CfnModel');
  expect(endpoint.node.findChild('Endpoint').constructor.name).toBe('CfnEndpoint');
});
