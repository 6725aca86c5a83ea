import { Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Types aws-cdk-lib marks taggable but whose CloudFormation schema has no
 * Tags property (cfn-lint E3002): a tag there would fail the deployment.
 */
export const UNTAGGABLE_RESOURCE_TYPES: readonly string[] = [
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::CloudWatch::Dashboard',
];

/** Tags every taggable resource under `scope` that CloudFormation accepts tags on. */
export function tagAll(scope: IConstruct, key: string, value: string): void {
  Tags.of(scope).add(key, value, { excludeResourceTypes: [...UNTAGGABLE_RESOURCE_TYPES] });
}
