/**
 * The rule "the variant's model is the package as prod runs it" as a pure function (lambdas/deployment-gate/handler.ts,
 * unlikeProd): one container naming the package and nothing of staging's own. Prod's model of a package version
 * (constructs/model-endpoint.ts) is `PrimaryContainer: { ModelPackageName }` and nothing else; each field below is a way
 * a staging model that names the package runs something else.
 */
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import { unlikeProd } from '../../lambdas/deployment-gate/handler';

const PKG = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-score/3';
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-score@sha256:' + 'ab'.repeat(32);

test.each<[string, ContainerDefinition]>([
  ['the package alone', { ModelPackageName: PKG }],
  ['with a container hostname (names the one container)', { ModelPackageName: PKG, ContainerHostname: 'model' }],
  ['an explicit SingleModel mode (the default)', { ModelPackageName: PKG, Mode: 'SingleModel' }],
  ['an empty environment', { ModelPackageName: PKG, Environment: {} }],
])('as prod runs it: %s', (_label, c) => {
  expect(unlikeProd([c])).toBeUndefined();
});

test.each<[string, ContainerDefinition, string]>([
  ['an image', { ModelPackageName: PKG, Image: IMAGE }, `Image ${IMAGE}`],
  ['model data by URL', { ModelPackageName: PKG, ModelDataUrl: 's3://b/scratch/m.tar.gz' }, 'ModelDataUrl s3://b/scratch/m.tar.gz'],
  ['model data by source', { ModelPackageName: PKG, ModelDataSource: { S3DataSource: { S3Uri: 's3://b/scratch/', S3DataType: 'S3Prefix', CompressionType: 'None' } } }, 'ModelDataSource'],
  ['additional model data', { ModelPackageName: PKG, AdditionalModelDataSources: [{ ChannelName: 'draft', S3DataSource: { S3Uri: 's3://b/x/', S3DataType: 'S3Prefix', CompressionType: 'None' } }] }, 'AdditionalModelDataSources'],
  ['an environment that swaps the code', { ModelPackageName: PKG, Environment: { SAGEMAKER_PROGRAM: 'other.py', SAGEMAKER_SUBMIT_DIRECTORY: 's3://b/c.tar.gz' } }, 'Environment SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY'],
  ["another of the package's inference specifications", { ModelPackageName: PKG, InferenceSpecificationName: 'fast' }, 'InferenceSpecificationName fast'],
  ['multi-model mode', { ModelPackageName: PKG, Mode: 'MultiModel' }, 'Mode MultiModel'],
  ['a multi-model config', { ModelPackageName: PKG, MultiModelConfig: { ModelCacheSetting: 'Disabled' } }, 'MultiModelConfig'],
  ['an image config (a private registry of its own)', { ModelPackageName: PKG, ImageConfig: { RepositoryAccessMode: 'Vpc' } }, 'ImageConfig'],
])("not as prod runs it: %s on the package's container", (_label, c, named) => {
  expect(unlikeProd([c])).toBe(`sets ${named} on the package's container: prod's model names the package and nothing else, so the bake showed another model`);
});

test.each<[string, ContainerDefinition[], string | undefined]>([
  ['Direct: another image beside the package', [{ ContainerHostname: 'a', Image: IMAGE, ModelDataUrl: 's3://b/m.tar.gz' }, { ContainerHostname: 'b', ModelPackageName: PKG }], 'Direct'],
  ['Serial: the package after a rewriting container', [{ Image: IMAGE }, { ModelPackageName: PKG }], 'Serial'],
  ['the package twice', [{ ModelPackageName: PKG }, { ModelPackageName: PKG }], 'Direct'],
  ['three containers, no mode reported', [{ Image: IMAGE }, { ModelPackageName: PKG }, { Image: IMAGE }], undefined],
])('not as prod runs it: %s', (_label, containers, mode) => {
  expect(unlikeProd(containers, mode)).toMatch(new RegExp(`^runs ${containers.length} containers${mode ? ` \\(${mode} mode\\)` : ''} \\(.*\\): prod runs the package alone`));
});
