/**
 * A moto world for the approval gate: packages registered the way the
 * training pipeline registers them (an execution of the model's own pipeline,
 * reports under its evidence prefix, model data from its run, an image by
 * digest in the estate's registry), or the way a person would by hand.
 */
import {
  CreateModelPackageCommand,
  CreatePipelineCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ApprovalGateDeps, ApprovalRecord, PackageStateChangeEvent } from '../../lambdas/model-approval-gate/handler';
import { gateWorld, Moto, PipelineStep, startMoto } from '../support/moto';
import { bias, evaluation, explainability, GATE_CONFIG, statistics } from './fixtures';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const HOME = { partition: 'aws', region: REGION, account: ACCOUNT };
export const DIGEST = `@sha256:${'ab'.repeat(32)}`;
export const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fraud-score${DIGEST}`;

export type ReportName = 'evaluation' | 'bias' | 'explainability' | 'statistics' | 'baseline';
export type Reports = Partial<Record<ReportName, unknown>>;
export const GOOD: Reports = {
  evaluation: evaluation(),
  bias: bias(),
  explainability: explainability(),
  statistics: statistics(),
  baseline: statistics(),
};

export interface RegisterOptions {
  reports?: Reports;
  /** Replace report URIs (after writing the reports). */
  uris?: Partial<Record<ReportName, string | undefined>>;
  /** `false`: registered by hand (no execution); a string: this execution ARN is claimed. */
  execution?: false | string;
  /**
   * Who calls CreateModelPackage. `pipeline` (the default while the claimed
   * execution has registered nothing yet): the execution's RegisterModel step,
   * whose metadata then names this package. `hand`: a person who copies the
   * execution's metadata; each execution's RegisterModel step runs once, so a
   * second package claiming the same execution is always by hand.
   */
  by?: 'pipeline' | 'hand';
  image?: string;
  modelData?: string;
  metadata?: Record<string, string>;
  /** Where the reports are written (default: the execution's reports prefix). */
  reportPrefix?: string;
}

export interface ApprovalWorld {
  moto: Moto;
  s3: S3Client;
  sagemaker: SageMakerClient;
  sns: SNSClient;
  cloudwatch: CloudWatchClient;
  topicArn: string;
  deps: ApprovalGateDeps;
  artifacts: string;
  records: string;
  /** The Object Lock bucket approved model data is pinned into. */
  approved: string;
  /** Starts an execution of the model's pipeline; returns its ARN and id. */
  run(model: string): Promise<{ arn: string; id: string; prefix: string }>;
  register(group: string, options?: RegisterOptions): Promise<string>;
  status(arn: string): Promise<string | undefined>;
  describe(
    arn: string,
  ): ReturnType<SageMakerClient['send']> extends never ? never : Promise<Awaited<ReturnType<typeof describePackage>>>;
  /** A person's decision, as the model-risk approver makes it. */
  person(arn: string, status: 'Approved' | 'Rejected' | 'PendingManualApproval', description?: string): Promise<void>;
  record(key: string): Promise<ApprovalRecord>;
  keys(prefix: string): Promise<string[]>;
  json(key: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The steps of the estate's training pipeline, as ListPipelineExecutionSteps lists them once Register has run. */
export const pipelineSteps = (
  packageArn: string,
  registerStatus: PipelineStep['StepStatus'] = 'Succeeded',
): PipelineStep[] => [
  { StepName: 'Register', StepStatus: registerStatus, Metadata: { RegisterModel: { Arn: packageArn } } },
  {
    StepName: 'Evaluate',
    StepStatus: 'Succeeded',
    Metadata: { ProcessingJob: { Arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:processing-job/evaluate` } },
  },
  {
    StepName: 'Train',
    StepStatus: 'Succeeded',
    Metadata: { TrainingJob: { Arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/train` } },
  },
];

const describePackage = (sagemaker: SageMakerClient, arn: string) =>
  sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));

export const stateChange = (arn: string, status = 'PendingManualApproval', id?: string): PackageStateChangeEvent => {
  const m = /model-package\/([^/]+)\/(\d+)$/.exec(arn);
  return {
    id: id ?? `evt-${arn.split('/').slice(-2).join('-')}`,
    time: '2026-11-23T10:00:00Z',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    detail: {
      ModelPackageArn: arn,
      ModelPackageGroupName: m?.[1],
      ModelPackageVersion: m ? Number(m[2]) : undefined,
      ModelApprovalStatus: status,
    },
  };
};

export async function approvalWorld(
  name: string,
  groups = ['fraud-score', 'credit-default', 'deposit-forecast', 'ungoverned-model'],
): Promise<ApprovalWorld> {
  const moto = await startMoto(REGION);
  const artifacts = `${name}-artifacts`;
  const records = `${name}-records`;
  const world = await gateWorld(moto, {
    artifacts,
    records,
    otherBuckets: [`${name}-elsewhere`],
    topic: `${name}-topic`,
    groups,
  });
  const { s3, sagemaker, sns, cloudwatch, topicArn } = world;
  // Like the estate's artifact bucket: versioned, so each report read has a version id.
  await s3.send(new PutBucketVersioningCommand({ Bucket: artifacts, VersioningConfiguration: { Status: 'Enabled' } }));
  // Like the estate's approved-model bucket: Object Lock enabled, each pinned version locked by the pinner.
  const approved = `${name}-approved`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: approved,
      ObjectLockEnabledForBucket: true,
      CreateBucketConfiguration: { LocationConstraint: REGION },
    }),
  );
  const deps: ApprovalGateDeps = {
    sagemaker,
    s3,
    sns,
    config: GATE_CONFIG,
    home: HOME,
    recordBucket: records,
    artifactBucket: artifacts,
    topicArn,
    policyDigest: 'sha256:test',
  };
  const pipelines = new Set<string>();
  /** Executions whose RegisterModel step has run, with the package it registered. */
  const registeredBy = new Map<string, string>();
  let sequence = 0;

  async function run(model: string) {
    const pipeline = `test-${model}-training`;
    if (!pipelines.has(pipeline)) {
      await sagemaker.send(
        new CreatePipelineCommand({
          PipelineName: pipeline,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/training`,
          PipelineDefinition: JSON.stringify({ Version: '2020-12-01', Steps: [] }),
          ClientRequestToken: `create-${pipeline}-${Date.now()}`,
        }),
      );
      pipelines.add(pipeline);
    }
    const { PipelineExecutionArn } = await sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: pipeline,
        ClientRequestToken: `start-${pipeline}-${++sequence}-${Date.now()}`,
      }),
    );
    const id = PipelineExecutionArn!.split('/').pop()!;
    return { arn: PipelineExecutionArn!, id, prefix: `training/${model}/${id}/` };
  }

  async function register(group: string, options: RegisterOptions = {}): Promise<string> {
    const model = group;
    const execution =
      options.execution === false
        ? undefined
        : typeof options.execution === 'string'
          ? {
              arn: options.execution,
              id: options.execution.split('/').pop()!,
              prefix: `training/${model}/${options.execution.split('/').pop()}/`,
            }
          : await run(model);
    const prefix = options.reportPrefix ?? (execution ? `${execution.prefix}reports/` : `hand/${group}/${++sequence}/`);
    const uri: Partial<Record<ReportName, string | undefined>> = {};
    for (const [report, body] of Object.entries(options.reports ?? GOOD)) {
      if (body === undefined) continue;
      const key = `${prefix}${report === 'baseline' ? 'baseline-statistics' : report}.json`;
      await s3.send(
        new PutObjectCommand({
          Bucket: artifacts,
          Key: key,
          Body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
        }),
      );
      uri[report as ReportName] = `s3://${artifacts}/${key}`;
    }
    Object.assign(uri, options.uris ?? {});
    // The model data the training job wrote (what the gate records and the pinner copies), where it is in the artifact
    // bucket.
    const modelData =
      options.modelData ?? `s3://${artifacts}/${execution ? execution.prefix : prefix}model/model.tar.gz`;
    if (modelData.startsWith(`s3://${artifacts}/`) && !modelData.includes('/../')) {
      await s3.send(
        new PutObjectCommand({
          Bucket: artifacts,
          Key: modelData.slice(`s3://${artifacts}/`.length),
          Body: `model weights of ${group} #${++sequence}`,
        }),
      );
    }
    const json = (u?: string) => (u ? { ContentType: 'application/json', S3Uri: u } : undefined);
    const { ModelPackageArn } = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [{ Image: options.image ?? IMAGE, ModelDataUrl: modelData }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
        ModelMetrics: {
          ModelQuality: uri.evaluation ? { Statistics: json(uri.evaluation) } : undefined,
          Bias: uri.bias ? { Report: json(uri.bias) } : undefined,
          Explainability: uri.explainability ? { Report: json(uri.explainability) } : undefined,
          ModelDataQuality: uri.statistics ? { Statistics: json(uri.statistics) } : undefined,
        },
        DriftCheckBaselines: uri.baseline ? { ModelDataQuality: { Statistics: json(uri.baseline) } } : undefined,
        CustomerMetadataProperties: {
          'training-data': `s3://data/${group}/`,
          ...(execution ? { 'pipeline-execution': execution.arn } : {}),
          ...options.metadata,
        },
      }),
    );
    const byPipeline =
      execution && (options.by ?? (registeredBy.has(execution.arn) ? 'hand' : 'pipeline')) === 'pipeline';
    if (byPipeline && execution) {
      registeredBy.set(execution.arn, ModelPackageArn!);
      moto.setPipelineSteps(execution.arn, pipelineSteps(ModelPackageArn!));
    }
    return ModelPackageArn!;
  }

  const get = async (key: string) =>
    JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: records, Key: key }))).Body!.transformToString());
  return {
    moto,
    s3,
    sagemaker,
    sns,
    cloudwatch,
    topicArn,
    deps,
    artifacts,
    records,
    approved,
    run,
    register,
    status: async (arn) => (await describePackage(sagemaker, arn)).ModelApprovalStatus,
    describe: (arn: string) => describePackage(sagemaker, arn),
    person: async (arn, status, description = `decided by the model-risk approver: ${status}`) => {
      const current = await describePackage(sagemaker, arn);
      // A small pause: LastModifiedTime must move, as it does between a person's clicks.
      await new Promise((r) => setTimeout(r, 5));
      await sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: status,
          ApprovalDescription: description,
          CustomerMetadataProperties: current.CustomerMetadataProperties,
        }),
      );
    },
    record: get,
    json: get,
    keys: async (prefix) =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: records, Prefix: prefix }))).Contents ?? [])
        .map((o) => o.Key!)
        .sort(),
    stop: () => moto.stop(),
  } as ApprovalWorld;
}
