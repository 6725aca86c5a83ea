/**
 * Versions for the deployment gate, made the way the estate makes them: the
 * training pipeline registers the package, the real approval gate decides it
 * and records the evidence it read (S3 version id and SHA-256), and a person
 * sets the final status where the test needs another one (a person may
 * approve what the gate rejected or held).
 */
import { DeploymentGateDeps } from '../../lambdas/deployment-gate/handler';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { modelPinner, PinnerDeps } from '../../lambdas/model-pinner/handler';
import { evaluation, regressionEvaluation } from './fixtures';
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
  const primary = group === 'deposit-forecast' ? regressionEvaluation(options.auc ?? 0.8) : evaluation(options.auc ?? 0.9);
  const arn = await w.register(group, { ...options, reports: options.reports ?? { ...GOOD, evaluation: primary } });
  await approvalGate(w.deps)(stateChange(arn));
  const status = options.status ?? 'Approved';
  if ((await w.status(arn)) !== status) await w.person(arn, status);
  // EventBridge runs the pinner on the Approved state change.
  if (status === 'Approved' && options.pin !== false) await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  return arn;
}

export function pinnerDeps(w: ApprovalWorld, patch: Partial<PinnerDeps> = {}): PinnerDeps {
  return { sagemaker: w.sagemaker, s3: w.s3, home: w.deps.home, recordBucket: w.records, artifactBucket: w.artifacts, approvedBucket: w.approved, retainDays: 1, ...patch };
}

/** Deployment-gate dependencies on the same world (its buckets, registry and metrics). */
export function deploymentDeps(w: ApprovalWorld, patch: Partial<DeploymentGateDeps> = {}): DeploymentGateDeps {
  return { sagemaker: w.sagemaker, s3: w.s3, cloudwatch: w.cloudwatch, config: w.deps.config, home: w.deps.home, recordBucket: w.records, artifactBucket: w.artifacts, approvedBucket: w.approved, policyDigest: 'sha256:test', ...patch };
}
