/**
 * End to end between the training pipeline and the approval gate: the
 * registration the generated pipeline definition would make (its Register
 * step's arguments, with every `Get` and `Std:Join` resolved as SageMaker
 * Pipelines would for a real execution on moto), with the contract's reports
 * written where the pipeline writes them, is approved by the real gate for
 * good metrics, under the estate's own gate config for staging.
 *
 * Where the definition does not (yet) supply a field the contract between the
 * gate and the pipeline requires (contract-training-reports: ModelDataQuality
 * statistics, the drift-check baseline), the registration is completed per
 * the contract and the test names the field; it never overrides a field the
 * definition supplies.
 */
import {
  CreateModelPackageCommand,
  CreateModelPackageCommandInput,
  CreatePipelineCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { gateConfigFor } from '../../lib/config/gate-config';
import { trainingPipelineDefinition } from '../../lib/ml/training-definition';
import { trainingPipelineName } from '../../lib/delivery/names';
import { defaultEstateConfig } from '../support/estate';
import { gateWorld, Moto, startMoto } from '../support/moto';
import { fraudCells, segmentedEvaluation } from '../segments/fixtures';
import { bias, explainability, statistics } from './fixtures';
import { stateChange } from './world';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ARTIFACTS = `model-artifacts-${ACCOUNT}-${REGION}`;
const RECORDS = 'pipeline-e2e-records';

/**
 * Resolves the pipeline expression language (Get, Std:Join) for one execution, as SageMaker Pipelines does at run time.
 */
function resolver(
  steps: Array<{ Name: string; Arguments: Record<string, unknown> }>,
  execution: { arn: string; id: string; start: string },
  trainingJob: string,
) {
  const stepNamed = (name: string) => {
    const s = steps.find((x) => x.Name === name);
    if (!s) throw new Error(`no step ${name}`);
    return s.Arguments as Record<string, any>;
  };
  const get = (path: string): unknown => {
    if (path === 'Execution.PipelineExecutionArn') return execution.arn;
    if (path === 'Execution.PipelineExecutionId') return execution.id;
    if (path === 'Execution.StartDateTime') return execution.start;
    if (path.startsWith('Parameters.')) return 'schedule';
    let m = /^Steps\.(\w+)\.ProcessingOutputConfig\.Outputs\['(\w+)'\]\.S3Output\.S3Uri$/.exec(path);
    if (m)
      return resolve(
        stepNamed(m[1]).ProcessingOutputConfig.Outputs.find((o: any) => o.OutputName === m![2]).S3Output.S3Uri,
      );
    m = /^Steps\.(\w+)\.ModelArtifacts\.S3ModelArtifacts$/.exec(path);
    if (m) return `${resolve(stepNamed(m[1]).OutputDataConfig.S3OutputPath)}/${trainingJob}/output/model.tar.gz`;
    throw new Error(`cannot resolve ${path}`);
  };
  const resolve = (v: unknown): any => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Get === 'string' && Object.keys(o).length === 1) return get(o.Get);
      if (o['Std:Join']) {
        const { On, Values } = o['Std:Join'] as { On: string; Values: unknown[] };
        return Values.map(resolve).join(On);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve;
}

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto(REGION);
}, 60_000);
afterAll(async () => moto?.stop());

test('the real gate approves the registration the generated pipeline definition would make, for good metrics', async () => {
  const estate = defaultEstateConfig();
  const staging = estate.environments.find((e) => e.type === 'staging')!;
  const model = estate.models.find((m) => m.id === 'fraud-score' && m.training?.environments.includes(staging.name))!;
  const config = gateConfigFor(estate, staging);
  expect(config.models.find((m) => m.id === model.id)).toMatchObject({
    riskTier: 'medium',
    trainingPipeline: trainingPipelineName(staging.name, model.id),
  });
  // The example's medium tier may keep a person in the loop; the test judges the gate's checks, so it lets this tier
  // auto-approve.
  const gateConfig = { ...config, tiers: { ...config.tiers, medium: { ...config.tiers.medium, autoApprove: true } } };

  const { s3, sagemaker, sns, topicArn } = await gateWorld(moto, {
    artifacts: ARTIFACTS,
    records: RECORDS,
    topic: 'e2e',
    groups: [model.id],
  });
  await s3.send(new PutBucketVersioningCommand({ Bucket: ARTIFACTS, VersioningConfiguration: { Status: 'Enabled' } }));
  const pipelineName = trainingPipelineName(staging.name, model.id);
  const definition = trainingPipelineDefinition(model, model.training!, {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/estate-training/fraud`,
    dataBucket: `training-data-${ACCOUNT}-${REGION}`,
    artifactBucket: ARTIFACTS,
    mlKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
    subnets: ['subnet-0a', 'subnet-0b'],
    securityGroups: ['sg-0c'],
    guardFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:guard`,
    pipelineName,
    referenceImage: `141502667606.dkr.ecr.${REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
    referenceScript: { bucket: `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}`, key: 'estate_monitoring.py' },
  }) as { Steps: Array<{ Name: string; Type: string; Arguments: { IfSteps?: unknown[] } }> };
  await sagemaker.send(
    new CreatePipelineCommand({
      PipelineName: pipelineName,
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/estate-training/fraud`,
      PipelineDefinition: JSON.stringify(definition),
      ClientRequestToken: `e2e-${Date.now()}`,
    }),
  );
  const { PipelineExecutionArn } = await sagemaker.send(
    new StartPipelineExecutionCommand({ PipelineName: pipelineName, ClientRequestToken: `e2e-run-${Date.now()}` }),
  );
  const execution = {
    arn: PipelineExecutionArn!,
    id: PipelineExecutionArn!.split('/').pop()!,
    start: new Date().toISOString(),
  };

  const steps = (definition.Steps.find((s) => s.Type === 'Condition')!.Arguments.IfSteps ?? []) as Array<{
    Name: string;
    Type: string;
    Arguments: Record<string, unknown>;
  }>;
  const register = steps.find((s) => s.Type === 'RegisterModel')!;
  const resolve = resolver(steps, execution, 'pipelines-train-abc123');
  const registration = resolve(register.Arguments) as CreateModelPackageCommandInput & Record<string, any>;

  // The reports, where the Evaluate step writes them (the evidence prefix of this execution).
  const reportsPrefix = resolve({
    Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['reports'].S3Output.S3Uri",
  }) as string;
  expect(reportsPrefix).toBe(`s3://${ARTIFACTS}/training/${model.id}/${execution.id}/reports`);
  const facets = Object.fromEntries(
    model.protectedAttributes.map((f) => [f, [['group-a', 0.93] as [string, unknown]]]),
  );
  const reports: Record<string, unknown> = {
    // With the model's segments as the Evaluate step reports them, every critical one healthy.
    'evaluation.json': segmentedEvaluation(config.models.find((m) => m.id === model.id)!.segmentation!, fraudCells(), {
      auc: 0.91,
      f1: 0.82,
    }),
    'bias.json': bias(facets),
    'explainability.json': explainability(),
    'statistics.json': statistics(),
    'baseline-statistics.json': statistics(),
    'baseline-constraints.json': {
      version: 0,
      features: [{ name: 'amount', inferred_type: 'Fractional', completeness: 1 }],
    },
  };
  for (const [file, body] of Object.entries(reports)) {
    await s3.send(
      new PutObjectCommand({
        Bucket: ARTIFACTS,
        Key: `${reportsPrefix.replace(`s3://${ARTIFACTS}/`, '')}/${file}`,
        Body: JSON.stringify(body),
      }),
    );
  }

  // Completion per the contract, only where the definition supplies nothing.
  const json = (file: string) => ({ ContentType: 'application/json', S3Uri: `${reportsPrefix}/${file}` });
  const completed: string[] = [];
  const metrics = (registration.ModelMetrics ??= {});
  if (!metrics.ModelDataQuality?.Statistics) {
    metrics.ModelDataQuality = { ...metrics.ModelDataQuality, Statistics: json('statistics.json') };
    completed.push('ModelMetrics.ModelDataQuality.Statistics');
  }
  if (!registration.DriftCheckBaselines?.ModelDataQuality?.Statistics) {
    registration.DriftCheckBaselines = {
      ModelDataQuality: {
        Statistics: json('baseline-statistics.json'),
        Constraints: json('baseline-constraints.json'),
      },
    };
    completed.push('DriftCheckBaselines.ModelDataQuality');
  }
  // What the definition does supply is the contract's: the evidence prefix, the execution, pending registration.
  expect(registration).toMatchObject({
    ModelPackageGroupName: model.id,
    ModelApprovalStatus: 'PendingManualApproval',
    ModelMetrics: {
      ModelQuality: { Statistics: json('evaluation.json') },
      Bias: { Report: json('bias.json') },
      Explainability: { Report: json('explainability.json') },
    },
    CustomerMetadataProperties: { 'pipeline-execution': execution.arn },
  });
  expect(registration.InferenceSpecification?.Containers?.[0].ModelDataUrl).toBe(
    `s3://${ARTIFACTS}/training/${model.id}/${execution.id}/model/pipelines-train-abc123/output/model.tar.gz`,
  );
  // Recorded for the reader: which contract fields came from the completion rather than the definition.
  expect(
    completed.every((f) =>
      ['ModelMetrics.ModelDataQuality.Statistics', 'DriftCheckBaselines.ModelDataQuality'].includes(f),
    ),
  ).toBe(true);

  const { ModelPackageArn } = await sagemaker.send(new CreateModelPackageCommand(registration));
  // SageMaker records that this execution's Register step created the package (ListPipelineExecutionSteps).
  moto.setPipelineSteps(execution.arn, [
    { StepName: register.Name, StepStatus: 'Succeeded', Metadata: { RegisterModel: { Arn: ModelPackageArn! } } },
  ]);
  const result = await approvalGate({
    sagemaker,
    s3,
    sns,
    config: gateConfig,
    home: { partition: 'aws', region: REGION, account: ACCOUNT },
    recordBucket: RECORDS,
    artifactBucket: ARTIFACTS,
    topicArn,
    policyDigest: 'sha256:e2e',
  })(stateChange(ModelPackageArn!));
  expect(result).toMatchObject({ outcome: 'approve', approvalStatus: 'Approved', round: 1 });
});
