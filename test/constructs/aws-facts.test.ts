/**
 * The AWS facts module: a leaf (imports nothing of the estate's), and each fact as AWS documents it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  hasInstanceStorage,
  instanceFamily,
  MODEL_MONITOR_REGISTRY,
  modelMonitorImage,
  partitionOf,
  repositoryArn,
  sagemakerEndpointScalingRoleArn,
  securityHubStandardArn,
  SKLEARN_PROCESSING_REGISTRY,
  sklearnProcessingImage,
} from '../../constructs/aws-facts';

test('a leaf: it imports nothing, of the estate or of a library', () => {
  const source = fs.readFileSync(path.join(__dirname, '../../constructs/aws-facts.ts'), 'utf8');
  expect(source).not.toMatch(/^\s*import\s/m);
  expect(source).not.toMatch(/require\(/);
});

test('instance storage: NVMe families (no volume key) and EBS-only families', () => {
  for (const t of ['ml.g5.xlarge', 'ml.g4dn.xlarge', 'ml.p4d.24xlarge', 'ml.m5d.large', 'ml.c6id.large'])
    expect([t, hasInstanceStorage(t)]).toEqual([t, true]);
  for (const t of ['ml.m5.xlarge', 'ml.c5.large', 'ml.inf2.xlarge', 'ml.g4.xlarge'])
    expect([t, hasInstanceStorage(t)]).toEqual([t, false]);
  expect(instanceFamily('ml.g5.12xlarge')).toBe('ml.g5');
});

test('an image URI names its repository, tag or digest dropped', () => {
  expect(repositoryArn('aws', '111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/model:1.2')).toBe(
    'arn:aws:ecr:eu-west-1:111111111111:repository/team/model',
  );
  expect(repositoryArn('aws-cn', `111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/m@sha256:${'a'.repeat(64)}`)).toBe(
    'arn:aws-cn:ecr:cn-north-1:111111111111:repository/m',
  );
});

test('partitions of regions', () => {
  expect(['eu-west-1', 'us-gov-west-1', 'cn-north-1', 'us-iso-east-1', 'us-isob-east-1'].map(partitionOf)).toEqual([
    'aws',
    'aws-us-gov',
    'aws-cn',
    'aws-iso',
    'aws-iso-b',
  ]);
});

test('AWS processing and Model Monitor images per region; an unknown region is an error that names it and what to add', () => {
  expect(sklearnProcessingImage('eu-west-1', 'here')).toBe(
    `${SKLEARN_PROCESSING_REGISTRY['eu-west-1']}.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
  );
  expect(modelMonitorImage('eu-west-1', 'here')).toBe(
    `${MODEL_MONITOR_REGISTRY['eu-west-1']}.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer`,
  );
  expect(() => sklearnProcessingImage('xx-nowhere-1', 'Stack/Endpoint')).toThrow(
    'Stack/Endpoint: no scikit-learn processing image is known for xx-nowhere-1; add its registry to SKLEARN_PROCESSING_REGISTRY',
  );
  expect(() => modelMonitorImage('xx-nowhere-1', 'Stack/Endpoint')).toThrow(
    'Stack/Endpoint: no Model Monitor image is known for xx-nowhere-1; add it to MODEL_MONITOR_REGISTRY',
  );
  // Every registry is an account id.
  for (const id of [...Object.values(SKLEARN_PROCESSING_REGISTRY), ...Object.values(MODEL_MONITOR_REGISTRY)])
    expect(id).toMatch(/^\d{12}$/);
});

test("endpoint autoscaling's service-linked role", () => {
  expect(sagemakerEndpointScalingRoleArn('aws', '333333333333')).toBe(
    'arn:aws:iam::333333333333:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
  );
});

test('a Security Hub standard, which names no account', () => {
  expect(securityHubStandardArn('aws', 'eu-west-1', 'nist-800-53/v/5.0.0')).toBe(
    'arn:aws:securityhub:eu-west-1::standards/nist-800-53/v/5.0.0',
  );
});
