import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { refersTo, rendered, siblings, tagsOf } from './helpers';

/** Tag that marks a validation gate function (set by GateFunction). */
export const GATE_TAG = 'estate:component';

/**
 * A validation gate function has reserved concurrency, runs in a VPC, has no
 * function URL, and sends failed events somewhere (dead-letter queue or
 * on-failure destination).
 */
export function GateFunctionHardened(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::Lambda::Function' || tagsOf(node)[GATE_TAG] !== 'validation-gate')
    return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const mine = siblings(node).find((s) => s.resource === node)!;
  const others = siblings(node);
  const hasUrl = others.some(
    ({ resource }) =>
      resource.cfnResourceType === 'AWS::Lambda::Url' && refersTo(rendered(resource).TargetFunctionArn, mine.id),
  );
  const onFailure = others.some(
    ({ resource }) =>
      resource.cfnResourceType === 'AWS::Lambda::EventInvokeConfig' &&
      refersTo(rendered(resource).FunctionName, mine.id) &&
      Boolean(rendered(resource).DestinationConfig?.OnFailure?.Destination),
  );
  const ok =
    p.ReservedConcurrentExecutions !== undefined &&
    Number(p.ReservedConcurrentExecutions) > 0 &&
    Array.isArray(p.VpcConfig?.SubnetIds) &&
    p.VpcConfig.SubnetIds.length > 0 &&
    !hasUrl &&
    (Boolean(p.DeadLetterConfig?.TargetArn) || onFailure);
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
