/**
 * The one tagging helper of the estate (lib/aspects/tagging.ts) and the construct-level tagAll it builds on: the
 * estate's tags, its organization and environment, never on the types CloudFormation refuses tags on (cfn-lint E3002).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as applicationautoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { UNTAGGABLE_RESOURCE_TYPES } from '../../constructs/tagging';
import { EstateConfig } from '../../lib/config';
import { tagEstateResources } from '../../lib/aspects/tagging';

const estate = {
  tags: { 'cost-centre': 'ml-42', owner: 'risk' },
  organization: { name: 'acme' },
} as unknown as EstateConfig;

function tagged(environment?: Parameters<typeof tagEstateResources>[2]) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  new sqs.Queue(stack, 'Queue');
  new cloudwatch.Dashboard(stack, 'Dashboard');
  new applicationautoscaling.CfnScalableTarget(stack, 'Target', {
    serviceNamespace: 'sagemaker',
    resourceId: 'endpoint/e/variant/v',
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    minCapacity: 1,
    maxCapacity: 2,
  });
  tagEstateResources(stack, estate, environment);
  const t = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: { Tags?: Array<{ Key: string; Value: string }> } }
  >;
  const byType = (type: string) => Object.values(t).find((r) => r.Type === type)!.Properties;
  return { queue: Object.fromEntries((byType('AWS::SQS::Queue').Tags ?? []).map((x) => [x.Key, x.Value])), byType };
}

test("an environment stage: the estate's tags, organization, environment, its type and data classification", () => {
  expect(tagged({ name: 'prod', type: 'prod', dataClassification: 'confidential' }).queue).toEqual({
    'cost-centre': 'ml-42',
    owner: 'risk',
    'estate:organization': 'acme',
    'estate:environment': 'prod',
    'estate:environment-type': 'prod',
    'data-classification': 'confidential',
  });
});

test('a delivery stack names its environment; the organization stack none', () => {
  expect(tagged('delivery').queue).toEqual({
    'cost-centre': 'ml-42',
    owner: 'risk',
    'estate:organization': 'acme',
    'estate:environment': 'delivery',
  });
  expect(tagged().queue).toEqual({ 'cost-centre': 'ml-42', owner: 'risk', 'estate:organization': 'acme' });
});

test('no tag on a type whose CloudFormation schema has no Tags (a tag there fails the deployment)', () => {
  const { byType } = tagged({ name: 'prod', type: 'prod', dataClassification: 'confidential' });
  expect(UNTAGGABLE_RESOURCE_TYPES).toEqual([
    'AWS::ApplicationAutoScaling::ScalableTarget',
    'AWS::CloudWatch::Dashboard',
  ]);
  for (const type of UNTAGGABLE_RESOURCE_TYPES) expect([type, byType(type).Tags]).toEqual([type, undefined]);
});
