import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { sagemakerEndpointScalingRoleArn } from '../aws-facts';
import type { ProductionVariant } from './props';

/**
 * Instance-count autoscaling of each production variant, made under `scope` (construct IDs `Scaling-<variant>`,
 * `ScalingPolicy-<variant>`): target tracking on invocations per instance within the variant's bounds, through
 * SageMaker endpoint autoscaling's service-linked role, registered once the endpoint exists.
 */
export function variantAutoscaling(
  scope: Construct,
  endpoint: sagemaker.CfnEndpoint,
  endpointName: string,
  variants: readonly ProductionVariant[],
): void {
  const { partition, account } = Stack.of(scope);
  for (const v of variants) {
    const target = new autoscaling.CfnScalableTarget(scope, `Scaling-${v.name}`, {
      serviceNamespace: 'sagemaker',
      resourceId: `endpoint/${endpointName}/variant/${v.name}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: v.autoscaling.minInstances,
      maxCapacity: v.autoscaling.maxInstances,
      roleArn: sagemakerEndpointScalingRoleArn(partition, account),
    });
    target.addResourceDependency(endpoint);
    new autoscaling.CfnScalingPolicy(scope, `ScalingPolicy-${v.name}`, {
      policyName: `${endpointName}-${v.name}-invocations`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.ref,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: v.autoscaling.targetInvocationsPerInstance,
        predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
  }
}
