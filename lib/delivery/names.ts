import { createHash } from 'node:crypto';

/**
 * Every name the estate's stacks, stages and the pipeline's gate step agree on
 * without a cross-account reference: buckets, buses, pipelines, endpoints,
 * functions, roles and role paths. One module, pure (no aws-cdk-lib): the
 * pipeline's gate step (bin/deployment-gate.ts) builds names with it without
 * loading the CDK. Stacks take them from here, never from a sibling stack.
 */

/**
 * IAM path of the pipeline's own roles in the tooling account (the pipeline's,
 * its actions' and its CodeBuild projects'): the guardrails let only roles
 * under it assume the target accounts' bootstrap roles or start the
 * pipeline's builds, and only the deploy creates or changes a role there.
 */
export const PIPELINE_ROLE_PATH = '/estate-pipeline/';

/** Role the pipeline's pre-prod gate step runs under, in the tooling account. */
export const DEPLOYMENT_GATE_STEP_ROLE = (organization: string): string => `${organization}-pipeline-deployment-gate`;

/**
 * Roles that may set a model package Approved, named so that the
 * organization's guardrails can name them by exact ARN (no cross-account
 * reference): the model-risk approver persona and the approval gate of one
 * environment. At most 32 + 1 + 16 + 14 = 63 characters (IAM allows 64).
 */
export const approverRoleName = (organization: string, environment: string): string =>
  `${organization}-${environment}-approver`;
export const approvalGateRoleName = (organization: string, environment: string): string =>
  `${organization}-${environment}-approval-gate`;

/** The deployment gate function of one environment. */
export const deploymentGateFunctionName = (organization: string, environment: string): string =>
  `${organization}-${environment}-deployment-gate`;

/** Name of an environment's model artifact bucket: model data, training outputs and the reports the gates read. */
export const modelArtifactsBucketName = (account: string, region: string): string =>
  `model-artifacts-${account}-${region}`;
/**
 * The Object Lock bucket of pinned approved model data: named, so that prod's models and roles name it at synth time.
 */
export const approvedModelsBucketName = (account: string, region: string): string =>
  `approved-models-${account}-${region}`;

/** Name of an environment's inference-capture bucket. */
export const inferenceCaptureBucketName = (account: string, region: string): string =>
  `inference-capture-${account}-${region}`;

/** Name of an environment's training-data bucket (versioned, data key). */
export const trainingDataBucketName = (account: string, region: string): string => `training-data-${account}-${region}`;

/** Name of the bucket that holds pipeline artifacts in a region other than the pipeline's. */
export const replicaArtifactBucketName = (account: string, region: string): string =>
  `pipeline-artifacts-${account}-${region}`;

/** The retraining guard function of an environment (named: every training pipeline invokes it). */
export const retrainingGuardName = (organization: string, environment: string): string =>
  `${organization}-${environment}-retraining-guard`;

/** IAM path of the training pipelines' roles: the artifact bucket lets only these write the evidence prefix. */
export const TRAINING_ROLE_PATH = '/estate-training/';

/** Name of a model's retraining pipeline in an environment. */
export const trainingPipelineName = (environment: string, model: string): string =>
  `${environment}-${model}-training`.slice(0, 256);

/** The training pipelines of an environment, as an IAM resource name pattern. */
export const trainingPipelineNamePattern = (environment: string): string => `${environment}-*-training`;

/** The market-events bus of an environment. */
export const marketEventBusName = (organization: string, environment: string): string =>
  `${organization}-${environment}-market-events`;

/** The bus in a retraining environment that receives another environment's (prod's) retraining alarms. */
export const retrainingAlarmBusName = (organization: string, environment: string): string =>
  `${organization}-${environment}-retraining-alarms`;

/** The role in a prod environment that forwards its retraining alarms (at most 60 characters). */
export const alarmForwarderRoleName = (organization: string, environment: string): string =>
  `${organization}-${environment}-fwd-alarms`;

/** Endpoint name of a model in an environment (63 characters at most; stable). */
export function endpointName(environment: string, model: string): string {
  const name = `${environment}-${model}`;
  if (name.length <= 63) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 54)}-${digest}`;
}

/**
 * `<endpoint>-<kind>` within 63 characters (SageMaker's names; Scheduler takes 64), the kind always kept at the end: a
 * longer endpoint name is cut and told apart by a digest of it. Names that fit are unchanged.
 */
export function monitoringName(endpoint: string, kind: string): string {
  const suffix = `-${kind.toLowerCase()}`;
  if (endpoint.length + suffix.length <= 63) return `${endpoint}${suffix}`;
  const digest = createHash('sha256').update(endpoint).digest('hex').slice(0, 8);
  return `${endpoint.slice(0, 63 - suffix.length - 9)}-${digest}${suffix}`;
}

/**
 * The names of an endpoint's monitoring schedules (the estate's hourly and daily, Model Monitor's), by monitoringName.
 */
export function endpointMonitoringNames(endpoint: string): {
  hourly: string;
  daily: string;
  dataQuality: string;
  modelQuality: string;
} {
  return {
    hourly: monitoringName(endpoint, 'hourly'),
    daily: monitoringName(endpoint, 'daily'),
    dataQuality: monitoringName(endpoint, 'DataQuality'),
    modelQuality: monitoringName(endpoint, 'ModelQuality'),
  };
}
