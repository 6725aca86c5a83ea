import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered } from './helpers';

/** A SageMaker model runs with network isolation and in a VPC (subnets and security groups given). */
export function SageMakerModelIsolated(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::Model') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const vpc = p.VpcConfig ?? {};
  const inVpc =
    Array.isArray(vpc.Subnets) &&
    vpc.Subnets.length > 0 &&
    Array.isArray(vpc.SecurityGroupIds) &&
    vpc.SecurityGroupIds.length > 0;
  return isTrue(p.EnableNetworkIsolation) && inVpc ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
