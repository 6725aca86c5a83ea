import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, isTrue, rendered } from './helpers';

/**
 * An endpoint config captures inference data, encrypted with a customer key
 * (as is the config itself), and captures every request in prod.
 */
export function SageMakerEndpointDataCapture(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const capture = p.DataCaptureConfig;
  if (!p.KmsKeyId || !capture || capture.EnableCapture === false || !capture.KmsKeyId) return NagRuleCompliance.NON_COMPLIANT;
  if (environmentType(node) === 'prod' && Number(capture.InitialSamplingPercentage) !== 100) return NagRuleCompliance.NON_COMPLIANT;
  return isTrue(capture.EnableCapture ?? true) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
