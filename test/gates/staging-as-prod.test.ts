/**
 * The rule "the variant's model is the package as prod runs it" as a pure function (lambdas/deployment-gate/handler.ts,
 * unlikeProd): one container naming the package and nothing of staging's own. Prod's model of a package version
 * (constructs/model-endpoint/) is `PrimaryContainer: { ModelPackageName }` and nothing else; each field below is a way
 * a staging model that names the package runs something else.
 */
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ModelEndpoint } from '../../constructs/model-endpoint';
import { servesPinnedCopy } from '../../lib/config';
import { PROD_CONTAINER_ENVIRONMENT, unlikeProd } from '../../lambdas/deployment-gate/handler';
import { modelEndpointProps, monitoringThresholds } from '../../lib/props/endpoints';
import { cdkJsonContext, defaultEstateConfig } from '../support/estate';

const PKG = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-score/3';
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-score@sha256:' + 'ab'.repeat(32);

test.each<[string, ContainerDefinition]>([
  ['the package alone', { ModelPackageName: PKG }],
  ['with a container hostname (names the one container)', { ModelPackageName: PKG, ContainerHostname: 'model' }],
  ['an explicit SingleModel mode (the default)', { ModelPackageName: PKG, Mode: 'SingleModel' }],
  ['an empty environment', { ModelPackageName: PKG, Environment: {} }],
  [
    "the environment prod's model sets (the log level)",
    { ModelPackageName: PKG, Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } },
  ],
])('as prod runs it: %s', (_label, c) => {
  expect(unlikeProd([c])).toBeUndefined();
});

test.each<[string, ContainerDefinition, string]>([
  ['an image', { ModelPackageName: PKG, Image: IMAGE }, `Image ${IMAGE}`],
  [
    'model data by URL',
    { ModelPackageName: PKG, ModelDataUrl: 's3://b/scratch/m.tar.gz' },
    'ModelDataUrl s3://b/scratch/m.tar.gz',
  ],
  [
    'model data by source',
    {
      ModelPackageName: PKG,
      ModelDataSource: { S3DataSource: { S3Uri: 's3://b/scratch/', S3DataType: 'S3Prefix', CompressionType: 'None' } },
    },
    'ModelDataSource',
  ],
  [
    'additional model data',
    {
      ModelPackageName: PKG,
      AdditionalModelDataSources: [
        { ChannelName: 'draft', S3DataSource: { S3Uri: 's3://b/x/', S3DataType: 'S3Prefix', CompressionType: 'None' } },
      ],
    },
    'AdditionalModelDataSources',
  ],
  [
    "the log level at another value than prod's",
    { ModelPackageName: PKG, Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '10' } },
    'Environment SAGEMAKER_CONTAINER_LOG_LEVEL',
  ],
  [
    "prod's log level and one more variable",
    { ModelPackageName: PKG, Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20', MODEL_PATH: '/opt/other' } },
    'Environment MODEL_PATH',
  ],
  [
    'an environment that swaps the code',
    {
      ModelPackageName: PKG,
      Environment: { SAGEMAKER_PROGRAM: 'other.py', SAGEMAKER_SUBMIT_DIRECTORY: 's3://b/c.tar.gz' },
    },
    'Environment SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY',
  ],
  [
    "another of the package's inference specifications",
    { ModelPackageName: PKG, InferenceSpecificationName: 'fast' },
    'InferenceSpecificationName fast',
  ],
  ['multi-model mode', { ModelPackageName: PKG, Mode: 'MultiModel' }, 'Mode MultiModel'],
  [
    'a multi-model config',
    { ModelPackageName: PKG, MultiModelConfig: { ModelCacheSetting: 'Disabled' } },
    'MultiModelConfig',
  ],
  [
    'an image config (a private registry of its own)',
    { ModelPackageName: PKG, ImageConfig: { RepositoryAccessMode: 'Vpc' } },
    'ImageConfig',
  ],
])("not as prod runs it: %s on the package's container", (_label, c, named) => {
  expect(unlikeProd([c])).toBe(
    `sets ${named} on the package's container: prod's model names the package and nothing else, so the bake showed another model`,
  );
});

test.each<[string, ContainerDefinition[], string | undefined]>([
  [
    'Direct: another image beside the package',
    [
      { ContainerHostname: 'a', Image: IMAGE, ModelDataUrl: 's3://b/m.tar.gz' },
      { ContainerHostname: 'b', ModelPackageName: PKG },
    ],
    'Direct',
  ],
  ['Serial: the package after a rewriting container', [{ Image: IMAGE }, { ModelPackageName: PKG }], 'Serial'],
  ['the package twice', [{ ModelPackageName: PKG }, { ModelPackageName: PKG }], 'Direct'],
  ['three containers, no mode reported', [{ Image: IMAGE }, { ModelPackageName: PKG }, { Image: IMAGE }], undefined],
])('not as prod runs it: %s', (_label, containers, mode) => {
  expect(unlikeProd(containers, mode)).toMatch(
    new RegExp(
      `^runs ${containers.length} containers${mode ? ` \\(${mode} mode\\)` : ''} \\(.*\\): prod runs the package alone`,
    ),
  );
});

test("what prod's models set on their container, read from a synthesized prod ModelEndpoint, is all a staging model may set", () => {
  const config = defaultEstateConfig();
  const prod = config.environments.find((e) => e.type === 'prod')!;
  const pinned = config.models.filter(
    (m) =>
      servesPinnedCopy(m, prod) && m.endpoints[prod.name]?.variants.some((v) => v.modelPackageVersion !== undefined),
  );
  expect(pinned.length).toBeGreaterThan(0);
  const model = pinned[0];
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '333333333333', region: prod.region },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  new ModelEndpoint(
    stack,
    'Endpoint',
    modelEndpointProps({
      environment: prod,
      model,
      endpoint: model.endpoints[prod.name]!,
      subnets: vpc.isolatedSubnets,
      securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
      mlKey: new kms.Key(stack, 'Ml'),
      logsKey: new kms.Key(stack, 'Logs'),
      captureBucket: s3.Bucket.fromBucketName(stack, 'Capture', `inference-capture-333333333333-${prod.region}`),
      alarmTopic: new sns.Topic(stack, 'Topic'),
      packageRegistry: { account: '222222222222', region: prod.region },
      monitoringThresholds: monitoringThresholds(config, model),
    }),
  );
  const containers = Object.values(Template.fromStack(stack).findResources('AWS::SageMaker::Model')).map(
    (r) => r.Properties.PrimaryContainer as { Environment?: Record<string, string>; ModelDataUrl?: string },
  );
  const ofPackages = containers.filter(
    (c) => typeof c.ModelDataUrl === 'string' && c.ModelDataUrl.includes('approved-models'),
  );
  expect(ofPackages.length).toBeGreaterThan(0);
  for (const c of ofPackages) expect(c.Environment ?? {}).toEqual(PROD_CONTAINER_ENVIRONMENT);
});
