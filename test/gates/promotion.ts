/**
 * Versions for the deployment gate, made the way the estate makes them: the
 * training pipeline registers the package, the real approval gate decides it
 * and records the evidence it read (S3 version id and SHA-256), and a person
 * sets the final status where the test needs another one (a person may
 * approve what the gate rejected or held).
 */
import { UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { DeploymentGateDeps } from '../../lambdas/deployment-gate/handler';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { modelPinner, PinnerDeps } from '../../lambdas/model-pinner/handler';
import { evaluation, regressionEvaluation } from './fixtures';
import { APPROVAL_GATE_ROLE, APPROVAL_GATE_ROLE_NAME, APPROVER_ROLE, trailOf } from './trail';
import { ApprovalWorld, GOOD, RegisterOptions, stateChange } from './world';

export interface VersionOptions extends RegisterOptions {
  /** The evaluation's primary metric (AUC, or R2 for a regressor). */
  auc?: unknown;
  /** `false`: the pinning step has not run (yet). */
  pin?: boolean;
  /** The status it ends with (default Approved; a person sets it when the gate decided otherwise). */
  status?: 'Approved' | 'Rejected' | 'PendingManualApproval';
}

export async function version(w: ApprovalWorld, group: string, options: VersionOptions = {}): Promise<string> {
  const primary =
    group === 'deposit-forecast' ? regressionEvaluation(options.auc ?? 0.8) : evaluation(options.auc ?? 0.9);
  const arn = await w.register(group, { ...options, reports: options.reports ?? { ...GOOD, evaluation: primary } });
  await approvalGate(approvalDeps(w))(stateChange(arn));
  const status = options.status ?? 'Approved';
  if ((await w.status(arn)) !== status) await person(w, arn, status);
  // EventBridge runs the pinner on the Approved state change.
  if (status === 'Approved' && options.pin !== false) await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  return arn;
}

export function pinnerDeps(w: ApprovalWorld, patch: Partial<PinnerDeps> = {}): PinnerDeps {
  return {
    sagemaker: w.sagemaker,
    s3: w.s3,
    home: w.deps.home,
    recordBucket: w.records,
    artifactBucket: w.artifacts,
    approvedBucket: w.approved,
    retainDays: 1,
    ...patch,
  };
}

/**
 * The approval gate's dependencies on the world, its UpdateModelPackage calls recorded in the world's CloudTrail
 * history.
 */
export function approvalDeps(w: ApprovalWorld): ApprovalWorld['deps'] {
  return {
    ...w.deps,
    sagemaker: trailOf(w).recording(w.deps.sagemaker, APPROVAL_GATE_ROLE),
    roleName: APPROVAL_GATE_ROLE_NAME,
  };
}

/** A person's decision (w.person), recorded in the world's CloudTrail history as the approver's call. */
export async function person(
  w: ApprovalWorld,
  arn: string,
  status: 'Approved' | 'Rejected' | 'PendingManualApproval',
  description = `decided by the model-risk approver: ${status}`,
): Promise<void> {
  const sagemaker = trailOf(w).recording(w.sagemaker, APPROVER_ROLE);
  const current = await w.describe(arn);
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
}

/** Deployment-gate dependencies on the same world (its buckets, registry, metrics and CloudTrail history). */
export function deploymentDeps(w: ApprovalWorld, patch: Partial<DeploymentGateDeps> = {}): DeploymentGateDeps {
  return {
    sagemaker: w.sagemaker,
    s3: w.s3,
    cloudwatch: w.cloudwatch,
    cloudtrail: trailOf(w).client(),
    approvalGateRoleName: APPROVAL_GATE_ROLE_NAME,
    config: w.deps.config,
    home: w.deps.home,
    recordBucket: w.records,
    artifactBucket: w.artifacts,
    approvedBucket: w.approved,
    policyDigest: 'sha256:test',
    ...patch,
  };
}
