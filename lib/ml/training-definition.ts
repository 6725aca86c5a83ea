import type { ModelConfig, TrainingConfig } from '../config/schema';
import { hasInstanceStorage } from './instances';

/** Where a training pipeline reads, writes and runs. Values may be CDK tokens. */
export interface TrainingPipelineTargets {
  readonly roleArn: string;
  /** Versioned, KMS bucket of the environment's training data; the model reads `<model id>/`. */
  readonly dataBucket: string;
  /** The governance artifact bucket: model artifacts and the reports the approval gate reads. */
  readonly artifactBucket: string;
  /** Keys: data (read), ML (volumes and outputs). */
  readonly mlKeyArn: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** The retraining guard function (storm control). */
  readonly guardFunctionArn: string;
  readonly pipelineName: string;
}

/** The pipeline's parameters; triggers set TriggerSource. */
export const TRIGGER_PARAMETER = 'TriggerSource';

const REPORT_CONTENT_TYPE = 'application/json';

/**
 * The SageMaker Pipelines definition (schema 2020-12-01) of a model's
 * retraining, from its config: a guard step (at most N runs a day, a cooldown),
 * then prepare (processing; writes the train/test split and the lineage
 * manifest of the exact object versions it read), train, evaluate (processing;
 * writes the model-quality, bias and explainability reports the approval gate
 * reads) and register as PendingManualApproval with ModelMetrics pointing at
 * those reports and the training data lineage in its metadata. Every job: VPC
 * (isolated subnets), network isolation, inter-container encryption, KMS on
 * outputs and, where the instance type allows it, on volumes.
 */
export function trainingPipelineDefinition(model: ModelConfig, training: TrainingConfig, t: TrainingPipelineTargets): Record<string, unknown> {
  const runPrefix = (kind: string) => ({ 'Std:Join': { On: '/', Values: [`s3://${t.artifactBucket}/training/${model.id}`, { Get: 'Execution.PipelineExecutionId' }, kind] } });
  const network = { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: { Subnets: [...t.subnets], SecurityGroupIds: [...t.securityGroups] } };
  const volumeKey = (instanceType: string) => (hasInstanceStorage(instanceType) ? {} : { VolumeKmsKeyId: t.mlKeyArn });
  const processingResources = { ClusterConfig: { InstanceCount: 1, InstanceType: training.processingInstanceType, VolumeSizeInGB: 30, ...volumeKey(training.processingInstanceType) } };
  const output = (name: string) => ({ OutputName: name, AppManaged: false, S3Output: { S3Uri: runPrefix(name), LocalPath: `/opt/ml/processing/${name}`, S3UploadMode: 'EndOfJob' } });
  const stopping = { MaxRuntimeInSeconds: 4 * 3600 };
  const reportUri = (report: string) => ({ 'Std:Join': { On: '/', Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['reports'].S3Output.S3Uri" }, `${report}.json`] } });

  const prepare = {
    Name: 'Prepare',
    Type: 'Processing',
    Arguments: {
      ProcessingResources: processingResources,
      AppSpecification: { ImageUri: training.processingImage, ContainerArguments: ['prepare', '--snapshot-time', { Get: 'Execution.StartDateTime' }] },
      RoleArn: t.roleArn,
      ProcessingInputs: [
        { InputName: 'data', AppManaged: false, S3Input: { S3Uri: `s3://${t.dataBucket}/${model.id}/`, LocalPath: '/opt/ml/processing/data', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } },
      ],
      ProcessingOutputConfig: { KmsKeyId: t.mlKeyArn, Outputs: [output('train'), output('test'), output('lineage')] },
      NetworkConfig: network,
      StoppingCondition: stopping,
      Environment: { FEATURE_GROUPS: model.featureGroups.join(',') },
    },
  };
  const train = {
    Name: 'Train',
    Type: 'Training',
    DependsOn: ['Prepare'],
    Arguments: {
      AlgorithmSpecification: { TrainingImage: training.image, TrainingInputMode: 'File' },
      RoleArn: t.roleArn,
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" }, S3DataDistributionType: 'FullyReplicated' } } },
      ],
      OutputDataConfig: { S3OutputPath: runPrefix('model'), KmsKeyId: t.mlKeyArn },
      ResourceConfig: { InstanceCount: 1, InstanceType: training.instanceType, VolumeSizeInGB: 50, ...volumeKey(training.instanceType) },
      StoppingCondition: stopping,
      ...network,
    },
  };
  const evaluate = {
    Name: 'Evaluate',
    Type: 'Processing',
    DependsOn: ['Train'],
    Arguments: {
      ProcessingResources: processingResources,
      AppSpecification: { ImageUri: training.processingImage, ContainerArguments: ['evaluate', '--problem-type', model.problemType, '--protected-attributes', model.protectedAttributes.join(',') || '-'] },
      RoleArn: t.roleArn,
      ProcessingInputs: [
        { InputName: 'model', AppManaged: false, S3Input: { S3Uri: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, LocalPath: '/opt/ml/processing/model', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } },
        { InputName: 'test', AppManaged: false, S3Input: { S3Uri: { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri" }, LocalPath: '/opt/ml/processing/test', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' } },
      ],
      ProcessingOutputConfig: { KmsKeyId: t.mlKeyArn, Outputs: [output('reports')] },
      NetworkConfig: network,
      StoppingCondition: stopping,
    },
  };
  const register = {
    Name: 'Register',
    Type: 'RegisterModel',
    DependsOn: ['Evaluate'],
    Arguments: {
      ModelPackageGroupName: model.id,
      // Always pending: the approval gate (or the model-risk approver) decides.
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: training.image, ModelDataUrl: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } }],
        SupportedContentTypes: ['text/csv', 'application/json'],
        SupportedResponseMIMETypes: ['text/csv', 'application/json'],
      },
      ModelMetrics: {
        ModelQuality: { Statistics: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('evaluation') } },
        Bias: { Report: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('bias') } },
        Explainability: { Report: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('explainability') } },
      },
      // Lineage: the exact data this version was trained on, for the gate's decision record.
      CustomerMetadataProperties: {
        'training-data': `s3://${t.dataBucket}/${model.id}/`,
        'training-data-manifest': { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['lineage'].S3Output.S3Uri" },
        'training-data-snapshot-time': { Get: 'Execution.StartDateTime' },
        'feature-groups': model.featureGroups.join(',') || '-',
        'pipeline-execution': { Get: 'Execution.PipelineExecutionArn' },
        'trigger': { Get: `Parameters.${TRIGGER_PARAMETER}` },
      },
    },
  };
  const guard = {
    Name: 'RetrainingGuard',
    Type: 'Lambda',
    FunctionArn: t.guardFunctionArn,
    Arguments: { pipelineName: t.pipelineName, executionArn: { Get: 'Execution.PipelineExecutionArn' }, trigger: { Get: `Parameters.${TRIGGER_PARAMETER}` } },
    OutputParameters: [
      { OutputName: 'allowed', OutputType: 'Boolean' },
      { OutputName: 'reason', OutputType: 'String' },
    ],
  };
  const withinBudget = {
    Name: 'WithinRetrainingBudget',
    Type: 'Condition',
    DependsOn: ['RetrainingGuard'],
    Arguments: {
      Conditions: [{ Type: 'Equals', LeftValue: { Get: "Steps.RetrainingGuard.OutputParameters['allowed']" }, RightValue: true }],
      IfSteps: [prepare, train, evaluate, register],
      ElseSteps: [{ Name: 'RetrainingBudgetSpent', Type: 'Fail', Arguments: { ErrorMessage: { Get: "Steps.RetrainingGuard.OutputParameters['reason']" } } }],
    },
  };
  return {
    Version: '2020-12-01',
    Metadata: { model: model.id, riskTier: model.riskTier },
    Parameters: [{ Name: TRIGGER_PARAMETER, Type: 'String', DefaultValue: 'manual' }],
    Steps: [guard, withinBudget],
  };
}
