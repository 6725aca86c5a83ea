import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { environmentType, rendered, siblings, stateMachineDefinition } from './helpers';
import { processingTasks } from './SageMakerProdEndpointMonitored';

const NAMESPACE = 'Estate/ModelMonitoring';

/** The segments a monitoring job computes (its `--segment` arguments), with their critical flag. */
export function monitoredSegments(definition: unknown): Array<{ name: string; critical: boolean }> | undefined {
  const found: Array<{ name: string; critical: boolean }> = [];
  for (const task of processingTasks(definition)) {
    const args = task?.AppSpecification?.ContainerArguments;
    const text = typeof args === 'string' ? args : JSON.stringify(args ?? []);
    for (const m of text.matchAll(/"--segment",\s*("(?:[^"\\]|\\.)*")/g)) {
      try {
        const s = JSON.parse(JSON.parse(m[1]));
        if (typeof s?.name !== 'string') return undefined;
        found.push({ name: s.name, critical: s.critical === true });
      } catch {
        return undefined; // an argument that cannot be read is not shown to be alarmed
      }
    }
  }
  return found;
}

/**
 * A monitored prod endpoint has alarms for every critical segment its
 * monitoring job computes: drift of the inputs and of the score (metrics
 * with the Segment dimension in the estate's namespace) and, where the
 * endpoint's quality is alarmed, the segment's quality; each enabled and
 * notifying. The critical segments are read from the job's own arguments
 * (the estate passes `critical` with each), so a segment alarmed nowhere is
 * found however the alarms were named.
 */
export function SageMakerProdSegmentsAlarmed(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::Endpoint') return NagRuleCompliance.NOT_APPLICABLE;
  if (environmentType(node) !== 'prod') return NagRuleCompliance.NOT_APPLICABLE;
  const name = rendered(node).EndpointName;
  if (typeof name !== 'string') return NagRuleCompliance.NOT_APPLICABLE;
  const all = siblings(node);
  const definitions = all
    .filter(({ resource }) => resource.cfnResourceType === 'AWS::StepFunctions::StateMachine')
    .map(({ resource }) => stateMachineDefinition(resource))
    .filter((d) => d !== undefined && processingTasks(d).length > 0 && JSON.stringify(d).includes(`capture/${name}/`));
  // Not monitored by the estate's job: SageMakerProdEndpointMonitored reports that.
  if (definitions.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  const segments = definitions.map(monitoredSegments);
  if (segments.some((s) => s === undefined)) return NagRuleCompliance.NON_COMPLIANT;
  const critical = [...new Set(segments.flatMap((s) => s!.filter((x) => x.critical).map((x) => x.name)))];
  if (critical.length === 0) return NagRuleCompliance.COMPLIANT;
  const alarms = all
    .filter(({ resource }) => resource.cfnResourceType === 'AWS::CloudWatch::Alarm')
    .map(({ resource }) => rendered(resource));
  const dims = (a: Record<string, any>) =>
    Object.fromEntries((Array.isArray(a.Dimensions) ? a.Dimensions : []).map((d: any) => [d?.Name, d?.Value]));
  const live = (a: Record<string, any>) =>
    a.ActionsEnabled !== false && Array.isArray(a.AlarmActions) && a.AlarmActions.length > 0;
  const watches = (metrics: string[], segment?: string) =>
    alarms.some((a) => {
      const d = dims(a);
      return (
        live(a) &&
        a.Namespace === NAMESPACE &&
        metrics.includes(a.MetricName) &&
        d.Endpoint === name &&
        (segment === undefined ? d.Segment === undefined : d.Segment === segment)
      );
    });
  const qualityAlarmed = watches(['Auc', 'Rmse']);
  const covered = (segment: string) =>
    watches(['MaxFeaturePsi'], segment) &&
    watches(['ScorePsi'], segment) &&
    (!qualityAlarmed || watches(['Auc', 'Rmse'], segment));
  return critical.every(covered) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
