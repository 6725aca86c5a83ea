import type { ModelConfig, TrainingConfig } from '../config';
import { segmentArguments } from '../config/segments';
import { hasInstanceStorage } from '../../constructs/aws-facts';
import { TRIGGER_PARAMETER, type TrainingPipelineTargets } from '../../constructs/training-pipeline';

export { TRIGGER_PARAMETER, type TrainingPipelineTargets };

/** The label column of the prepare step's train and test splits (CSV with a header row). */
export const LABEL_COLUMN = 'label';

/** The reports the evaluate step writes under training/<model>/<execution>/reports/ (the approval gate's contract). */
export const REPORTS = [
  'evaluation',
  'bias',
  'explainability',
  'statistics',
  'baseline-statistics',
  'baseline-constraints',
  'baseline-score-statistics',
] as const;

const REPORT_CONTENT_TYPE = 'application/json';

/**
 * The SageMaker Pipelines definition (schema 2020-12-01) of a model's
 * retraining, from its config: a guard step (at most N runs a day, a cooldown),
 * then prepare (the model's processing image; writes the train/test split, CSV
 * with a header and a `label` column, and the lineage manifest of the exact
 * object versions it read), train, explain-design (the estate's reference
 * script: the Kernel SHAP coalitions to score), predict (the model's
 * processing image: scores the test split and the coalitions, one number per
 * row), evaluate (the estate's reference script in AWS's scikit-learn image,
 * open formulas: evaluation, bias, explainability, statistics and the drift
 * baseline, in the shapes the approval gate reads) and register as
 * PendingManualApproval with ModelMetrics and DriftCheckBaselines at those
 * reports and the training data lineage in its metadata. SageMaker Clarify and
 * Model Monitor are not used (closed to new customers in 2026). Every job: VPC
 * (isolated subnets), network isolation, inter-container encryption, KMS on
 * outputs and, where the instance type allows it, on volumes.
 */
export function trainingPipelineDefinition(
  model: ModelConfig,
  training: TrainingConfig,
  t: TrainingPipelineTargets,
): Record<string, unknown> {
  const runPrefix = (kind: string) => ({
    'Std:Join': {
      On: '/',
      Values: [`s3://${t.artifactBucket}/training/${model.id}`, { Get: 'Execution.PipelineExecutionId' }, kind],
    },
  });
  const network = {
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    VpcConfig: { Subnets: [...t.subnets], SecurityGroupIds: [...t.securityGroups] },
  };
  const volumeKey = (instanceType: string) => (hasInstanceStorage(instanceType) ? {} : { VolumeKmsKeyId: t.mlKeyArn });
  const processingResources = {
    ClusterConfig: {
      InstanceCount: 1,
      InstanceType: training.processingInstanceType,
      VolumeSizeInGB: 30,
      ...volumeKey(training.processingInstanceType),
    },
  };
  const output = (name: string) => ({
    OutputName: name,
    AppManaged: false,
    S3Output: { S3Uri: runPrefix(name), LocalPath: `/opt/ml/processing/${name}`, S3UploadMode: 'EndOfJob' },
  });
  const stopping = { MaxRuntimeInSeconds: 4 * 3600 };
  const reportUri = (report: (typeof REPORTS)[number]) => ({
    'Std:Join': {
      On: '/',
      Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['reports'].S3Output.S3Uri" }, `${report}.json`],
    },
  });
  const input = (name: string, uri: unknown, localPath: string) => ({
    InputName: name,
    AppManaged: false,
    S3Input: {
      S3Uri: uri,
      LocalPath: localPath,
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: 'FullyReplicated',
    },
  });
  const stepOutput = (step: string, name: string) => ({
    Get: `Steps.${step}.ProcessingOutputConfig.Outputs['${name}'].S3Output.S3Uri`,
  });
  const under = (uri: unknown, sub: string) => ({ 'Std:Join': { On: '/', Values: [uri, sub] } });
  const code = input(
    'code',
    `s3://${t.referenceScript.bucket}/${t.referenceScript.key}`,
    '/opt/ml/processing/input/code',
  );
  const reference = (args: unknown[]) => ({
    ImageUri: t.referenceImage,
    ContainerEntrypoint: ['python3', `/opt/ml/processing/input/code/${t.referenceScript.key}`],
    ContainerArguments: args,
  });
  const facets = model.protectedAttributes.join(',') || '-';

  const prepare = {
    Name: 'Prepare',
    Type: 'Processing',
    Arguments: {
      ProcessingResources: processingResources,
      AppSpecification: {
        ImageUri: training.processingImage,
        ContainerArguments: ['prepare', '--snapshot-time', { Get: 'Execution.StartDateTime' }],
      },
      RoleArn: t.roleArn,
      ProcessingInputs: [
        {
          InputName: 'data',
          AppManaged: false,
          S3Input: {
            S3Uri: `s3://${t.dataBucket}/${model.id}/`,
            LocalPath: '/opt/ml/processing/data',
            S3DataType: 'S3Prefix',
            S3InputMode: 'File',
            S3DataDistributionType: 'FullyReplicated',
          },
        },
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
        {
          ChannelName: 'train',
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" },
              S3DataDistributionType: 'FullyReplicated',
            },
          },
        },
      ],
      OutputDataConfig: { S3OutputPath: runPrefix('model'), KmsKeyId: t.mlKeyArn },
      ResourceConfig: {
        InstanceCount: 1,
        InstanceType: training.instanceType,
        VolumeSizeInGB: 50,
        ...volumeKey(training.instanceType),
      },
      StoppingCondition: stopping,
      ...network,
    },
  };
  const explainDesign = {
    Name: 'ExplainDesign',
    Type: 'Processing',
    DependsOn: ['Prepare'],
    Arguments: {
      ProcessingResources: processingResources,
      AppSpecification: reference(['shap-design', '--label', LABEL_COLUMN]),
      RoleArn: t.roleArn,
      ProcessingInputs: [code, input('test', stepOutput('Prepare', 'test'), '/opt/ml/processing/input/test')],
      ProcessingOutputConfig: { KmsKeyId: t.mlKeyArn, Outputs: [output('design')] },
      NetworkConfig: network,
      StoppingCondition: stopping,
    },
  };
  const predict = {
    Name: 'Predict',
    Type: 'Processing',
    DependsOn: ['Train', 'ExplainDesign'],
    Arguments: {
      ProcessingResources: processingResources,
      // The model's own image: one score per row of test/*.csv and design/*.csv, written as predictions/test/ and
      // predictions/design/ (CSV, header).
      AppSpecification: {
        ImageUri: training.processingImage,
        ContainerArguments: ['predict', '--problem-type', model.problemType],
      },
      RoleArn: t.roleArn,
      ProcessingInputs: [
        input('model', { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, '/opt/ml/processing/model'),
        input('test', stepOutput('Prepare', 'test'), '/opt/ml/processing/input/test'),
        input('design', stepOutput('ExplainDesign', 'design'), '/opt/ml/processing/input/design'),
      ],
      ProcessingOutputConfig: { KmsKeyId: t.mlKeyArn, Outputs: [output('predictions')] },
      NetworkConfig: network,
      StoppingCondition: stopping,
    },
  };
  const evaluate = {
    Name: 'Evaluate',
    Type: 'Processing',
    DependsOn: ['Predict'],
    Arguments: {
      ProcessingResources: processingResources,
      // Segments and stress scenarios of the config, one argument each: the report carries their figures (README,
      // Evaluation report).
      AppSpecification: reference([
        'reports',
        '--problem-type',
        model.problemType,
        '--facets',
        facets,
        '--label',
        LABEL_COLUMN,
        ...segmentArguments(model.segmentation),
      ]),
      RoleArn: t.roleArn,
      ProcessingInputs: [
        code,
        input('train', stepOutput('Prepare', 'train'), '/opt/ml/processing/input/train'),
        input('test', stepOutput('Prepare', 'test'), '/opt/ml/processing/input/test'),
        input(
          'predictions-test',
          under(stepOutput('Predict', 'predictions'), 'test'),
          '/opt/ml/processing/input/predictions/test',
        ),
        input('design', stepOutput('ExplainDesign', 'design'), '/opt/ml/processing/input/design'),
        input(
          'predictions-design',
          under(stepOutput('Predict', 'predictions'), 'design'),
          '/opt/ml/processing/input/predictions/design',
        ),
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
        ModelDataQuality: { Statistics: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('statistics') } },
        Bias: { Report: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('bias') } },
        Explainability: { Report: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('explainability') } },
      },
      // The drift baseline of the training data: the approval gate's PSI check and the endpoint's monitoring read it.
      DriftCheckBaselines: {
        ModelDataQuality: {
          Statistics: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('baseline-statistics') },
          Constraints: { ContentType: REPORT_CONTENT_TYPE, S3Uri: reportUri('baseline-constraints') },
        },
      },
      // Lineage: the exact data this version was trained on, for the gate's decision record.
      CustomerMetadataProperties: {
        'training-data': `s3://${t.dataBucket}/${model.id}/`,
        'training-data-manifest': { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['lineage'].S3Output.S3Uri" },
        'training-data-snapshot-time': { Get: 'Execution.StartDateTime' },
        'feature-groups': model.featureGroups.join(',') || '-',
        'pipeline-execution': { Get: 'Execution.PipelineExecutionArn' },
        trigger: { Get: `Parameters.${TRIGGER_PARAMETER}` },
      },
    },
  };
  const guard = {
    Name: 'RetrainingGuard',
    Type: 'Lambda',
    FunctionArn: t.guardFunctionArn,
    Arguments: {
      pipelineName: t.pipelineName,
      executionArn: { Get: 'Execution.PipelineExecutionArn' },
      trigger: { Get: `Parameters.${TRIGGER_PARAMETER}` },
    },
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
      Conditions: [
        { Type: 'Equals', LeftValue: { Get: "Steps.RetrainingGuard.OutputParameters['allowed']" }, RightValue: true },
      ],
      IfSteps: [prepare, train, explainDesign, predict, evaluate, register],
      ElseSteps: [
        {
          Name: 'RetrainingBudgetSpent',
          Type: 'Fail',
          Arguments: { ErrorMessage: { Get: "Steps.RetrainingGuard.OutputParameters['reason']" } },
        },
      ],
    },
  };
  return {
    Version: '2020-12-01',
    Metadata: { model: model.id, riskTier: model.riskTier },
    Parameters: [{ Name: TRIGGER_PARAMETER, Type: 'String', DefaultValue: 'manual' }],
    Steps: [guard, withinBudget],
  };
}
