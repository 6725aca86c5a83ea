import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered } from './helpers';

const JOB_DEFINITIONS: Record<string, string> = {
  'AWS::SageMaker::DataQualityJobDefinition': 'DataQuality',
  'AWS::SageMaker::ModelQualityJobDefinition': 'ModelQuality',
  'AWS::SageMaker::ModelBiasJobDefinition': 'ModelBias',
  'AWS::SageMaker::ModelExplainabilityJobDefinition': 'ModelExplainability',
};

/**
 * A Model Monitor job (a job definition, or a schedule that defines its job
 * inline) encrypts traffic between containers, runs network-isolated, and
 * encrypts its volume and output with customer keys.
 */
export function SageMakerMonitoringJobHardened(node: CfnResource): NagRuleCompliance {
  const p = rendered(node);
  let job: any;
  if (JOB_DEFINITIONS[node.cfnResourceType]) {
    const prefix = JOB_DEFINITIONS[node.cfnResourceType];
    job = { NetworkConfig: p.NetworkConfig, JobResources: p.JobResources, Output: p[`${prefix}JobOutputConfig`] };
  } else if (node.cfnResourceType === 'AWS::SageMaker::MonitoringSchedule') {
    const inline = p.MonitoringScheduleConfig?.MonitoringJobDefinition;
    if (!inline) return NagRuleCompliance.NOT_APPLICABLE; // refers to a job definition, checked on its own
    job = { NetworkConfig: inline.NetworkConfig, JobResources: inline.MonitoringResources, Output: inline.MonitoringOutputConfig };
  } else {
    return NagRuleCompliance.NOT_APPLICABLE;
  }
  const ok =
    isTrue(job.NetworkConfig?.EnableInterContainerTrafficEncryption) &&
    isTrue(job.NetworkConfig?.EnableNetworkIsolation) &&
    Boolean(job.JobResources?.ClusterConfig?.VolumeKmsKeyId) &&
    Boolean(job.Output?.KmsKeyId);
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
