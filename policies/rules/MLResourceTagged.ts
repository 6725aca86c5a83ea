import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { tagsOf } from './helpers';

/** SageMaker resources that belong to one model. */
const MODEL_RESOURCES = new Set([
  'AWS::SageMaker::Model',
  'AWS::SageMaker::EndpointConfig',
  'AWS::SageMaker::Endpoint',
  'AWS::SageMaker::ModelPackageGroup',
  'AWS::SageMaker::MonitoringSchedule',
  'AWS::SageMaker::ModelCard',
]);

/** The tags a reviewer finds a model's resources by. */
export const REQUIRED_MODEL_TAGS = ['model:id', 'model:risk-tier', 'data-classification'];

/**
 * Every SageMaker resource of a model carries its model id, risk tier and data classification; a feature group, its
 * data classification.
 */
export function MLResourceTagged(node: CfnResource): NagRuleCompliance {
  const tags = tagsOf(node);
  if (MODEL_RESOURCES.has(node.cfnResourceType)) {
    return REQUIRED_MODEL_TAGS.every((k) => tags[k]) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  }
  if (node.cfnResourceType === 'AWS::SageMaker::FeatureGroup') {
    return tags['data-classification'] ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.NOT_APPLICABLE;
}
