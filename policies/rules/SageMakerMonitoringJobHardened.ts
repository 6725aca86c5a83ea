import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered, stateMachineDefinition } from './helpers';
import { processingTasks } from './SageMakerProdEndpointMonitored';

const JOB_DEFINITIONS: Record<string, string> = {
  'AWS::SageMaker::DataQualityJobDefinition': 'DataQuality',
  'AWS::SageMaker::ModelQualityJobDefinition': 'ModelQuality',
  'AWS::SageMaker::ModelBiasJobDefinition': 'ModelBias',
  'AWS::SageMaker::ModelExplainabilityJobDefinition': 'ModelExplainability',
};

/**
 * A monitoring job encrypts traffic between containers, runs network-isolated
 * in a VPC, and encrypts its volume and output with customer keys: a Model
 * Monitor job (a job definition, or a schedule that defines its job inline),
 * and every processing job a state machine starts (the estate's monitoring).
 */
export function SageMakerMonitoringJobHardened(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType === 'AWS::StepFunctions::StateMachine') return stateMachineJobsHardened(node);
  const p = rendered(node);
  let job: any;
  if (JOB_DEFINITIONS[node.cfnResourceType]) {
    const prefix = JOB_DEFINITIONS[node.cfnResourceType];
    job = { NetworkConfig: p.NetworkConfig, JobResources: p.JobResources, Output: p[`${prefix}JobOutputConfig`] };
  } else if (node.cfnResourceType === 'AWS::SageMaker::MonitoringSchedule') {
    const inline = p.MonitoringScheduleConfig?.MonitoringJobDefinition;
    if (!inline) return NagRuleCompliance.NOT_APPLICABLE; // refers to a job definition, checked on its own
    job = {
      NetworkConfig: inline.NetworkConfig,
      JobResources: inline.MonitoringResources,
      Output: inline.MonitoringOutputConfig,
    };
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

function stateMachineJobsHardened(node: CfnResource): NagRuleCompliance {
  const text = JSON.stringify(rendered(node));
  if (!/sagemaker:createProcessingJob/.test(text)) return NagRuleCompliance.NOT_APPLICABLE;
  const definition = stateMachineDefinition(node);
  if (definition === undefined) return NagRuleCompliance.NON_COMPLIANT;
  const jobs = processingTasks(definition);
  const ok =
    jobs.length > 0 &&
    jobs.every(
      (job) =>
        isTrue(job.NetworkConfig?.EnableInterContainerTrafficEncryption) &&
        isTrue(job.NetworkConfig?.EnableNetworkIsolation) &&
        Array.isArray(job.NetworkConfig?.VpcConfig?.Subnets) &&
        job.NetworkConfig.VpcConfig.Subnets.length > 0 &&
        Boolean(job.ProcessingResources?.ClusterConfig?.VolumeKmsKeyId) &&
        Boolean(job.ProcessingOutputConfig?.KmsKeyId),
    );
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
