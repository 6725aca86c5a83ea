/**
 * Deployment gate: called before a package is promoted to prod (by the
 * delivery pipeline). Reads the package, the staging endpoint's alarms and
 * the champion's evaluation, decides with `decideDeployment`, records the
 * decision once, and returns pass or fail with the reasons.
 */
import { CloudWatchClient, DescribeAlarmsCommand, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DescribeModelPackageCommand, DescribeModelPackageCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { GateConfig, loadGateConfig } from '../shared/gate-config';
import { fetchReport, readRecord, writeRecordOnce } from '../shared/s3-objects';
import type { FetchedReport } from '../shared/decision';
import { AlarmView, decideDeployment, DeploymentDecision } from './policy';

export const GATE_NAME = 'deployment-gate';
const PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([a-zA-Z0-9-]{1,63})\/(\d+)$/;

export interface DeploymentRequest {
  /** Identifies the promotion attempt (e.g. the pipeline execution); a repeat returns the recorded decision. */
  readonly requestId?: string;
  readonly modelPackageArn?: string;
  readonly stagingEndpointName?: string;
  readonly championModelPackageArn?: string;
}

export interface DeploymentGateDeps {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly cloudwatch: CloudWatchClient;
  readonly config: GateConfig;
  readonly recordBucket: string;
  readonly allowedBuckets: readonly string[];
  readonly policyDigest: string;
  readonly now?: () => Date;
}

export interface DeploymentRecord extends DeploymentDecision {
  readonly schema: 'deployment-decision/1';
  readonly gate: { readonly name: string; readonly policyDigest: string };
  readonly environment: string;
  readonly request: DeploymentRequest;
  readonly decidedAt: string;
}

export type DeploymentResult = DeploymentDecision & { readonly record?: string; readonly replayed?: boolean };

export function deploymentGate(deps: DeploymentGateDeps) {
  const now = deps.now ?? (() => new Date());

  return async function handle(request: DeploymentRequest): Promise<DeploymentResult> {
    const arnMatch = typeof request?.modelPackageArn === 'string' ? PACKAGE_ARN.exec(request.modelPackageArn) : null;
    const requestId = typeof request?.requestId === 'string' && /^[\w.-]{1,128}$/.test(request.requestId) ? request.requestId : undefined;
    const endpoint = typeof request?.stagingEndpointName === 'string' && /^[a-zA-Z0-9-]{1,63}$/.test(request.stagingEndpointName) ? request.stagingEndpointName : undefined;
    if (!arnMatch || !requestId || !endpoint) {
      return {
        pass: false,
        checks: [],
        reasons: [
          ...(arnMatch ? [] : ['modelPackageArn is not a model package ARN']),
          ...(requestId ? [] : ['requestId must be 1-128 letters, digits, dots, dashes or underscores']),
          ...(endpoint ? [] : ['stagingEndpointName is not an endpoint name']),
        ],
      };
    }
    const [, group, version] = arnMatch;
    const location = { bucket: deps.recordBucket, key: `deployment/${group}/${version}/${requestId}.json` };
    const existing = await readRecord<DeploymentRecord>(deps.s3, location);
    if (existing) return { pass: existing.pass, reasons: existing.reasons, checks: existing.checks, record: location.key, replayed: true };

    const model = deps.config.models.find((m) => m.packageGroupName === group);
    const challenger = await describe(request.modelPackageArn!);
    const champion = request.championModelPackageArn ? await describe(request.championModelPackageArn) : undefined;
    const evaluationOf = async (d: DescribeModelPackageCommandOutput | { error: string }): Promise<FetchedReport> =>
      'error' in d
        ? { status: 'unavailable', reason: d.error }
        : fetchReport(deps.s3, d.ModelMetrics?.ModelQuality?.Statistics?.S3Uri, deps.allowedBuckets);

    const decision = decideDeployment(deps.config.deployment, {
      model,
      approvalStatus: 'error' in challenger ? undefined : challenger.ModelApprovalStatus,
      alarms: await alarmsOf(endpoint),
      challengerEvaluation: await evaluationOf(challenger),
      championEvaluation: champion ? await evaluationOf(champion) : undefined,
      now: now(),
    });
    const record: DeploymentRecord = {
      schema: 'deployment-decision/1',
      gate: { name: GATE_NAME, policyDigest: deps.policyDigest },
      environment: deps.config.environment,
      request: { requestId, modelPackageArn: request.modelPackageArn, stagingEndpointName: endpoint, championModelPackageArn: request.championModelPackageArn },
      ...decision,
      decidedAt: now().toISOString(),
    };
    if (!(await writeRecordOnce(deps.s3, location, record))) {
      const winner = (await readRecord<DeploymentRecord>(deps.s3, location))!;
      return { pass: winner.pass, reasons: winner.reasons, checks: winner.checks, record: location.key, replayed: true };
    }
    return { ...decision, record: location.key, replayed: false };
  };

  async function describe(arn: string): Promise<DescribeModelPackageCommandOutput | { error: string }> {
    try {
      return await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    } catch (e) {
      return { error: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 300) };
    }
  }

  /** Alarms named `<endpoint>-...`, the convention of the estate's endpoint monitoring. */
  async function alarmsOf(endpoint: string): Promise<AlarmView[] | { error: string }> {
    try {
      const alarms: MetricAlarm[] = [];
      let next: string | undefined;
      do {
        const page = await deps.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${endpoint}-`, NextToken: next }));
        alarms.push(...(page.MetricAlarms ?? []));
        next = page.NextToken;
      } while (next);
      return alarms.map((a) => ({ name: a.AlarmName ?? '?', state: a.StateValue, stateUpdated: a.StateUpdatedTimestamp }));
    } catch (e) {
      return { error: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 300) };
    }
  }
}

let bound: ((request: DeploymentRequest) => Promise<DeploymentResult>) | undefined;

export async function handler(request: DeploymentRequest): Promise<DeploymentResult> {
  if (!bound) {
    const retry = { maxAttempts: 4 };
    const env = (name: string) => {
      const value = process.env[name];
      if (!value) throw new Error(`environment variable ${name} is not set`);
      return value;
    };
    bound = deploymentGate({
      sagemaker: new SageMakerClient(retry),
      s3: new S3Client(retry),
      cloudwatch: new CloudWatchClient(retry),
      config: loadGateConfig(),
      recordBucket: env('RECORD_BUCKET'),
      allowedBuckets: env('ALLOWED_BUCKETS').split(','),
      policyDigest: env('POLICY_DIGEST'),
    });
  }
  return bound(request);
}
