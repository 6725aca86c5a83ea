import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, refersTo, rendered, siblings } from './helpers';

/** Every prod endpoint is watched: a monitoring schedule or a CloudWatch alarm in its stack names it. */
export function SageMakerProdEndpointMonitored(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::Endpoint') return NagRuleCompliance.NOT_APPLICABLE;
  if (environmentType(node) !== 'prod') return NagRuleCompliance.NOT_APPLICABLE;
  const mine = siblings(node).find((s) => s.resource === node)!;
  const name = rendered(node).EndpointName;
  const watches = (r: CfnResource) => {
    const props = rendered(r);
    return refersTo(props, mine.id) || (typeof name === 'string' && JSON.stringify(props).includes(`"${name}"`));
  };
  const watched = siblings(node).some(
    ({ resource }) =>
      (resource.cfnResourceType === 'AWS::SageMaker::MonitoringSchedule' || resource.cfnResourceType === 'AWS::CloudWatch::Alarm') && watches(resource),
  );
  return watched ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
