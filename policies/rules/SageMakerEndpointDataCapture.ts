import { hasInstanceStorage } from '../../constructs/aws-facts';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, isTrue, rendered } from './helpers';

/**
 * An endpoint config captures inference data, encrypted with a customer key
 * (as are its volumes, unless its instance types have local storage, which
 * SageMaker encrypts in hardware and for which it refuses a key), and
 * captures every request in prod.
 */
export function SageMakerEndpointDataCapture(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const capture = p.DataCaptureConfig;
  // SageMaker refuses a volume key where an instance type has local (hardware-encrypted) storage.
  const types = [...(p.ProductionVariants ?? []), ...(p.ShadowProductionVariants ?? [])].map(
    (v: { InstanceType?: unknown }) => String(v.InstanceType),
  );
  const volumeKeyRequired = !types.some(hasInstanceStorage);
  if ((volumeKeyRequired && !p.KmsKeyId) || !capture || capture.EnableCapture === false || !capture.KmsKeyId)
    return NagRuleCompliance.NON_COMPLIANT;
  if (environmentType(node) === 'prod' && Number(capture.InitialSamplingPercentage) !== 100)
    return NagRuleCompliance.NON_COMPLIANT;
  return isTrue(capture.EnableCapture ?? true) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
