import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, refersTo, rendered, siblings, stateMachineDefinition } from './helpers';

/**
 * Every prod endpoint is monitored: the estate's monitoring (an enabled
 * EventBridge Scheduler schedule that starts a state machine whose processing
 * job reads this endpoint's captures), or a Model Monitor schedule that names
 * it where the config chooses Model Monitor. An alarm on its own (5XX,
 * latency) is not monitoring of the model.
 */
export function SageMakerProdEndpointMonitored(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::Endpoint') return NagRuleCompliance.NOT_APPLICABLE;
  if (environmentType(node) !== 'prod') return NagRuleCompliance.NOT_APPLICABLE;
  const all = siblings(node);
  const mine = all.find((s) => s.resource === node)!;
  const name = rendered(node).EndpointName;
  const names = (r: CfnResource) => {
    const props = rendered(r);
    return refersTo(props, mine.id) || (typeof name === 'string' && JSON.stringify(props).includes(`"${name}"`));
  };
  if (all.some(({ resource }) => resource.cfnResourceType === 'AWS::SageMaker::MonitoringSchedule' && names(resource)))
    return NagRuleCompliance.COMPLIANT;
  if (typeof name !== 'string') return NagRuleCompliance.NON_COMPLIANT;
  const machines = all.filter(({ resource }) => {
    if (resource.cfnResourceType !== 'AWS::StepFunctions::StateMachine') return false;
    const definition = stateMachineDefinition(resource);
    // The job's inputs are worked out in the definition (the window's prefixes), so the endpoint's capture prefix is
    // named somewhere in it.
    return (
      definition !== undefined &&
      processingTasks(definition).length > 0 &&
      JSON.stringify(definition).includes(`capture/${name}/`)
    );
  });
  const scheduled = all.some(
    ({ resource }) =>
      resource.cfnResourceType === 'AWS::Scheduler::Schedule' &&
      rendered(resource).State !== 'DISABLED' &&
      machines.some((m) => refersTo(rendered(resource).Target?.Arn, m.id)),
  );
  return scheduled ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/**
 * The Arguments (JSONata) or Parameters (JSONPath) of every CreateProcessingJob task of a state machine definition,
 * nested states included.
 */
export function processingTasks(definition: any): any[] {
  const found: any[] = [];
  const walk = (states: Record<string, any> | undefined) => {
    for (const state of Object.values(states ?? {})) {
      if (typeof state?.Resource === 'string' && /:sagemaker:createProcessingJob/.test(state.Resource))
        found.push(state.Arguments ?? state.Parameters ?? {});
      if (state?.ItemProcessor) walk(state.ItemProcessor.States);
      if (state?.Iterator) walk(state.Iterator.States);
      for (const branch of state?.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition?.States);
  return found;
}
