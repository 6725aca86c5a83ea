/**
 * Continuous training: the generated pipeline definition, the storm guard's
 * policy, and the pipeline accepted and started by SageMaker (moto's server).
 */
import { segmentArguments } from '../lib/config/segments';
import {
  CreatePipelineCommand,
  DescribePipelineDefinitionForExecutionCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { retrainingGuard } from '../lambdas/retraining-guard/handler';
import { decideRetraining } from '../lambdas/retraining-guard/policy';
import { trainingPipelineDefinition, TRIGGER_PARAMETER } from '../lib/ml/training-definition';
import { defaultEstateConfig } from './support/estate';
import { Moto, startMoto } from './support/moto';

const config = defaultEstateConfig();
const fraud = config.models.find((m) => m.id === 'fraud-score')!;
const targets = {
  roleArn: 'arn:aws:iam::123456789012:role/fraud-training',
  dataBucket: 'training-data-123456789012-eu-west-1',
  artifactBucket: 'model-artifacts-123456789012-eu-west-1',
  mlKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  subnets: ['subnet-0a', 'subnet-0b'],
  securityGroups: ['sg-0c'],
  guardFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:examplebank-staging-retraining-guard',
  pipelineName: 'staging-fraud-score-training',
  referenceImage: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
  referenceScript: { bucket: 'cdk-hnb659fds-assets-123456789012-eu-west-1', key: '0123abcd.py' },
};
const definition = trainingPipelineDefinition(fraud, fraud.training!, targets) as any;
const inner = () => definition.Steps[1].Arguments.IfSteps as any[];
const step = (name: string) => inner().find((s) => s.Name === name);

describe('the generated retraining pipeline', () => {
  test('guard first; within budget: prepare, train, explain-design, predict, evaluate, register; otherwise a fail step with the reason', () => {
    expect(definition.Steps.map((s: any) => [s.Name, s.Type])).toEqual([
      ['RetrainingGuard', 'Lambda'],
      ['WithinRetrainingBudget', 'Condition'],
    ]);
    expect(definition.Steps[0].FunctionArn).toBe(targets.guardFunctionArn);
    expect(inner().map((s) => [s.Name, s.Type, s.DependsOn])).toEqual([
      ['Prepare', 'Processing', undefined],
      ['Train', 'Training', ['Prepare']],
      ['ExplainDesign', 'Processing', ['Prepare']],
      ['Predict', 'Processing', ['Train', 'ExplainDesign']],
      ['Evaluate', 'Processing', ['Predict']],
      ['Register', 'RegisterModel', ['Evaluate']],
    ]);
    expect(definition.Steps[1].Arguments.ElseSteps).toEqual([
      {
        Name: 'RetrainingBudgetSpent',
        Type: 'Fail',
        Arguments: { ErrorMessage: { Get: "Steps.RetrainingGuard.OutputParameters['reason']" } },
      },
    ]);
    expect(definition.Parameters).toEqual([{ Name: TRIGGER_PARAMETER, Type: 'String', DefaultValue: 'manual' }]);
  });

  test('every job runs in the isolated subnets with network isolation, inter-container encryption, and the ML key on volumes and outputs', () => {
    const network = {
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { Subnets: targets.subnets, SecurityGroupIds: targets.securityGroups },
    };
    for (const name of ['Prepare', 'ExplainDesign', 'Predict', 'Evaluate']) {
      const args = step(name).Arguments;
      expect(args.NetworkConfig).toEqual(network);
      expect(args.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe(targets.mlKeyArn);
      expect(args.ProcessingOutputConfig.KmsKeyId).toBe(targets.mlKeyArn);
      expect(args.RoleArn).toBe(targets.roleArn);
    }
    const train = step('Train').Arguments;
    expect(train).toMatchObject({
      ...network,
      RoleArn: targets.roleArn,
      OutputDataConfig: { KmsKeyId: targets.mlKeyArn },
      ResourceConfig: { VolumeKmsKeyId: targets.mlKeyArn, InstanceType: 'ml.m5.2xlarge' },
    });
    expect(train.AlgorithmSpecification.TrainingImage).toBe(fraud.training!.image);
  });

  test("registers a pending version only, with ModelMetrics at the evaluate step's reports and the data lineage in its metadata", () => {
    const register = step('Register').Arguments;
    expect(register.ModelPackageGroupName).toBe('fraud-score');
    expect(register.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(JSON.stringify(definition)).not.toMatch(/"Approved"/);
    const report = (name: string) => ({
      'Std:Join': {
        On: '/',
        Values: [{ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['reports'].S3Output.S3Uri" }, `${name}.json`],
      },
    });
    expect(register.ModelMetrics).toEqual({
      ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: report('evaluation') } },
      ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: report('statistics') } },
      Bias: { Report: { ContentType: 'application/json', S3Uri: report('bias') } },
      Explainability: { Report: { ContentType: 'application/json', S3Uri: report('explainability') } },
    });
    expect(register.DriftCheckBaselines).toEqual({
      ModelDataQuality: {
        Statistics: { ContentType: 'application/json', S3Uri: report('baseline-statistics') },
        Constraints: { ContentType: 'application/json', S3Uri: report('baseline-constraints') },
      },
    });
    expect(register.CustomerMetadataProperties).toEqual({
      'training-data': `s3://${targets.dataBucket}/fraud-score/`,
      'training-data-manifest': { Get: "Steps.Prepare.ProcessingOutputConfig.Outputs['lineage'].S3Output.S3Uri" },
      'training-data-snapshot-time': { Get: 'Execution.StartDateTime' },
      'feature-groups': 'card-transactions,customer-profile',
      'pipeline-execution': { Get: 'Execution.PipelineExecutionArn' },
      trigger: { Get: `Parameters.${TRIGGER_PARAMETER}` },
    });
    // The evaluation reports land in the artifact bucket's evidence prefix of this run, the only place the approval
    // gate reads.
    expect(step('Evaluate').Arguments.ProcessingOutputConfig.Outputs).toEqual([
      expect.objectContaining({
        OutputName: 'reports',
        S3Output: expect.objectContaining({
          S3Uri: {
            'Std:Join': {
              On: '/',
              Values: [
                `s3://${targets.artifactBucket}/training/fraud-score`,
                { Get: 'Execution.PipelineExecutionId' },
                'reports',
              ],
            },
          },
        }),
      }),
    ]);
  });

  test("the reports are computed by the estate's reference script in AWS's scikit-learn image, never by the model's own image", () => {
    for (const name of ['ExplainDesign', 'Evaluate']) {
      const app = step(name).Arguments.AppSpecification;
      expect(app.ImageUri).toBe(targets.referenceImage);
      expect(app.ContainerEntrypoint).toEqual([
        'python3',
        `/opt/ml/processing/input/code/${targets.referenceScript.key}`,
      ]);
      expect(step(name).Arguments.ProcessingInputs[0]).toMatchObject({
        InputName: 'code',
        S3Input: {
          S3Uri: `s3://${targets.referenceScript.bucket}/${targets.referenceScript.key}`,
          LocalPath: '/opt/ml/processing/input/code',
        },
      });
    }
    expect(step('Evaluate').Arguments.AppSpecification.ContainerArguments).toEqual([
      'reports',
      '--problem-type',
      'binary_classification',
      '--facets',
      'age_band',
      '--label',
      'label',
      ...segmentArguments(fraud.segmentation),
    ]);
    expect(step('Evaluate').Arguments.AppSpecification.ContainerArguments).toContain('--segment');
    // The model's image only scores rows.
    expect(step('Predict').Arguments.AppSpecification).toEqual({
      ImageUri: fraud.training!.processingImage,
      ContainerArguments: ['predict', '--problem-type', 'binary_classification'],
    });
    expect(JSON.stringify(definition)).not.toMatch(/clarify|model-monitor/i);
  });

  test('a GPU instance with local storage gets no volume key (SageMaker refuses one); config refuses such a type for jobs', () => {
    const gpu = trainingPipelineDefinition(
      fraud,
      { ...fraud.training!, instanceType: 'ml.g5.2xlarge' },
      targets,
    ) as any;
    const train = gpu.Steps[1].Arguments.IfSteps.find((s: any) => s.Name === 'Train').Arguments;
    expect(train.ResourceConfig.VolumeKmsKeyId).toBeUndefined();
  });
});

describe('the retraining guard bounds a storm of triggers', () => {
  const budget = { cooldownHours: 6, maxRunsPerDay: 2 };
  const now = new Date('2026-11-23T12:00:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const run = (arn: string, h: number, status = 'Succeeded', proceeded?: boolean) => ({
    arn,
    status,
    startedAt: hoursAgo(h),
    proceeded,
  });

  test.each([
    ['no earlier run', [], true, /within budget: 0 of 2/],
    ['the last run 7 h ago', [run('a', 7)], true, /within budget: 1 of 2/],
    ['a run 2 h ago (cooldown)', [run('a', 2)], false, /started 2\.0 h ago, within the 6 h cooldown/],
    ['a run still executing', [run('a', 0.5, 'Executing')], false, /within the 6 h cooldown/],
    [
      'two runs today (cap)',
      [run('a', 20), run('b', 8)],
      false,
      /2 run\(s\) in the last 24 hours reach the budget of 2/,
    ],
    ['failed runs do not count', [run('a', 1, 'Failed'), run('b', 2, 'Failed')], true, /within budget/],
    [
      'refused runs do not count',
      [run('a', 1, 'Succeeded', false), run('b', 2, 'Succeeded', false)],
      true,
      /within budget/,
    ],
    ["yesterday's runs do not count", [run('a', 30), run('b', 26)], true, /within budget: 0 of 2/],
    ['the current run itself does not count', [run('me', 0, 'Executing')], true, /within budget/],
  ])('%s', (_name, executions, allowed, reason) => {
    const decision = decideRetraining(budget, executions as any, 'me', now);
    expect(decision.allowed).toBe(allowed);
    expect(decision.reason).toMatch(reason);
  });

  test('fails closed: no budget for the pipeline, or runs that cannot be listed', () => {
    expect(decideRetraining(undefined, [], 'me', now)).toEqual({
      allowed: false,
      reason: 'no retraining budget is configured for this pipeline; refusing (fail closed)',
    });
    expect(decideRetraining(budget, { error: 'ThrottlingException: slow down' }, 'me', now)).toEqual({
      allowed: false,
      reason: 'earlier runs could not be listed (ThrottlingException: slow down); refusing, the next trigger retries',
    });
  });
});

describe('against SageMaker (moto)', () => {
  let moto: Moto;
  let sagemaker: SageMakerClient;
  beforeAll(async () => {
    moto = await startMoto();
    sagemaker = new SageMakerClient(moto.clientConfig);
  });
  afterAll(async () => moto?.stop());

  test('the generated definition is accepted and started with the trigger named; the guard then holds back a storm', async () => {
    await sagemaker.send(
      new CreatePipelineCommand({
        PipelineName: targets.pipelineName,
        PipelineDefinition: JSON.stringify(definition),
        RoleArn: targets.roleArn,
        ParallelismConfiguration: { MaxParallelExecutionSteps: 1 },
      }),
    );
    const started = [];
    for (const trigger of ['schedule', 'alarm', 'market-event']) {
      const { PipelineExecutionArn } = await sagemaker.send(
        new StartPipelineExecutionCommand({
          PipelineName: targets.pipelineName,
          PipelineParameters: [{ Name: TRIGGER_PARAMETER, Value: trigger }],
          ClientRequestToken: `token-${trigger}-000000000000000000000000`,
        }),
      );
      started.push(PipelineExecutionArn!);
    }
    const body = await sagemaker.send(
      new DescribePipelineDefinitionForExecutionCommand({ PipelineExecutionArn: started[0] }),
    );
    expect(JSON.parse(body.PipelineDefinition!).Steps[0].Name).toBe('RetrainingGuard');

    const guard = retrainingGuard({
      sagemaker,
      config: { pipelines: { [targets.pipelineName]: { cooldownHours: 6, maxRunsPerDay: 2 } } },
    });
    // The third execution's guard sees the other two, just started: the storm is held back.
    const third = await guard({
      pipelineName: targets.pipelineName,
      executionArn: started[2],
      trigger: 'market-event',
    });
    expect(third.allowed).toBe(false);
    expect(third.reason).toMatch(/2 run\(s\) in the last 24 hours reach the budget of 2|within the 6 h cooldown/);
    // A pipeline the guard has no budget for never proceeds.
    expect(await guard({ pipelineName: 'staging-unknown-training', executionArn: 'x' })).toEqual({
      allowed: false,
      reason: 'no retraining budget is configured for this pipeline; refusing (fail closed)',
    });
  });
});
