import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, rendered } from './helpers';

/** In prod every instance-backed production variant starts with at least two instances (one per AZ at least). */
export function SageMakerProdVariantCapacity(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
  if (environmentType(node) !== 'prod') return NagRuleCompliance.NOT_APPLICABLE;
  const variants: any[] = rendered(node).ProductionVariants ?? [];
  const instanceBacked = variants.filter((v) => v && v.ServerlessConfig === undefined);
  if (instanceBacked.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  return instanceBacked.every((v) => Number(v.InitialInstanceCount) >= 2)
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
