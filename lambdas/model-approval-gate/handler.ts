/**
 * Model approval gate: runs on "SageMaker Model Package State Change" for a
 * package in PendingManualApproval. Reads the package and its reports, decides
 * with `decideApproval`, writes the decision record (once, to an Object Lock
 * bucket), then sets the approval status with a description a person can
 * read, then notifies. A replayed event re-applies the recorded decision.
 */
import { DescribeModelPackageCommand, DescribeModelPackageCommandOutput, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GateConfig, loadGateConfig } from '../shared/gate-config';
import { fetchReport, readRecord, S3Location, writeRecordOnce } from '../shared/s3-objects';
import { ApprovalDecision, decideApproval, FetchedReport, Outcome } from './policy';

export const GATE_NAME = 'model-approval-gate';

export interface ApprovalGateDeps {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly config: GateConfig;
  /** Object Lock bucket for decision records. */
  readonly recordBucket: string;
  /** Buckets reports may be read from: the environment's artifact buckets. */
  readonly allowedBuckets: readonly string[];
  readonly topicArn: string;
  /** Digest of the policy the function was built with, recorded with each decision. */
  readonly policyDigest: string;
  readonly now?: () => Date;
}

export interface PackageStateChangeEvent {
  readonly id?: string;
  readonly time?: string;
  readonly 'detail-type'?: string;
  readonly source?: string;
  readonly detail?: {
    readonly ModelPackageArn?: string;
    readonly ModelPackageGroupName?: string;
    readonly ModelPackageVersion?: number;
    readonly ModelApprovalStatus?: string;
  };
}

export interface ApprovalRecord {
  readonly schema: 'model-approval-decision/1';
  readonly gate: { readonly name: string; readonly policyDigest: string };
  readonly environment: string;
  readonly event: { readonly id?: string; readonly time?: string };
  readonly modelPackage: { readonly arn: string; readonly group: string; readonly version: number };
  readonly model?: { readonly id: string; readonly owner: string; readonly riskTier: string; readonly problemType: string };
  readonly trainingData?: Readonly<Record<string, string>>;
  readonly inputs: Readonly<Record<string, { status: string; uri?: string; reason?: string }>>;
  readonly outcome: Outcome;
  readonly approvalStatus: string;
  readonly reasons: string[];
  readonly checks: ApprovalDecision['checks'];
  readonly thresholds?: ApprovalDecision['thresholds'];
  readonly decidedAt: string;
}

export interface ApprovalResult {
  readonly outcome: Outcome | 'skipped';
  readonly approvalStatus?: string;
  readonly record?: string;
  readonly replayed?: boolean;
  readonly reason?: string;
}

const STATUS: Record<Outcome, string> = { approve: 'Approved', reject: 'Rejected', hold: 'PendingManualApproval' };
const PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([a-zA-Z0-9-]{1,63})\/(\d+)$/;

export function approvalGate(deps: ApprovalGateDeps) {
  const now = deps.now ?? (() => new Date());

  return async function handle(event: PackageStateChangeEvent): Promise<ApprovalResult> {
    const arn = event?.detail?.ModelPackageArn;
    const match = typeof arn === 'string' ? PACKAGE_ARN.exec(arn) : null;
    if (!match) {
      // Nothing can be decided without a package; keep the event itself so that it is not lost.
      const key = `unattributable/${now().toISOString()}-${String(event?.id ?? 'no-id').replace(/[^\w-]/g, '_')}.json`;
      await writeRecordOnce(deps.s3, { bucket: deps.recordBucket, key }, { schema: 'unattributable-event/1', receivedAt: now().toISOString(), event });
      return { outcome: 'skipped', reason: 'the event names no valid model package ARN', record: key };
    }
    if (event.detail?.ModelApprovalStatus !== 'PendingManualApproval') {
      return { outcome: 'skipped', reason: `status ${String(event.detail?.ModelApprovalStatus)} is not PendingManualApproval` };
    }
    const [, group, versionText] = match;
    const location: S3Location = { bucket: deps.recordBucket, key: `approval/${group}/${versionText}.json` };

    const existing = await readRecord<ApprovalRecord>(deps.s3, location);
    if (existing) return apply(existing, location, true);

    let described: DescribeModelPackageCommandOutput | undefined;
    let describeError: string | undefined;
    try {
      described = await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    } catch (e) {
      describeError = `${(e as Error).name}: ${(e as Error).message}`.slice(0, 300);
    }
    if (described && described.ModelApprovalStatus !== 'PendingManualApproval') {
      return { outcome: 'skipped', reason: `the package is already ${described.ModelApprovalStatus}` };
    }

    const model = deps.config.models.find((m) => m.packageGroupName === group);
    const metrics = described?.ModelMetrics;
    const uris: Record<string, string | undefined> = {
      evaluation: metrics?.ModelQuality?.Statistics?.S3Uri,
      bias: metrics?.Bias?.PostTrainingReport?.S3Uri ?? metrics?.Bias?.Report?.S3Uri,
      explainability: metrics?.Explainability?.Report?.S3Uri,
      statistics: metrics?.ModelDataQuality?.Statistics?.S3Uri,
      baseline: described?.DriftCheckBaselines?.ModelDataQuality?.Statistics?.S3Uri,
    };
    const names = Object.keys(uris);
    const fetched: FetchedReport[] = describeError
      ? names.map(() => ({ status: 'unavailable', reason: `DescribeModelPackage failed: ${describeError}` }))
      : await Promise.all(names.map((n) => fetchReport(deps.s3, uris[n], deps.allowedBuckets)));
    const inputs = Object.fromEntries(names.map((n, i) => [n, fetched[i]])) as unknown as Parameters<typeof decideApproval>[2];

    const decision = decideApproval(model, deps.config.tiers, inputs);
    const record: ApprovalRecord = {
      schema: 'model-approval-decision/1',
      gate: { name: GATE_NAME, policyDigest: deps.policyDigest },
      environment: deps.config.environment,
      event: { id: event.id, time: event.time },
      modelPackage: { arn: arn!, group, version: Number(versionText) },
      model: model && { id: model.id, owner: model.owner, riskTier: model.riskTier, problemType: model.problemType },
      trainingData: described?.CustomerMetadataProperties,
      inputs: Object.fromEntries(
        names.map((n, i) => {
          const r = fetched[i];
          return [n, r.status === 'ok' ? { status: r.status, uri: r.uri } : { status: r.status, uri: r.uri, reason: r.reason }];
        }),
      ),
      outcome: decision.outcome,
      approvalStatus: STATUS[decision.outcome],
      reasons: decision.reasons,
      checks: decision.checks,
      thresholds: decision.thresholds,
      decidedAt: now().toISOString(),
    };

    // The record is written before the decision takes effect; if another
    // invocation got there first, its record is the decision.
    const written = await writeRecordOnce(deps.s3, location, record);
    if (!written) {
      const winner = await readRecord<ApprovalRecord>(deps.s3, location);
      if (!winner) throw new Error(`decision record ${location.key} exists but cannot be read`);
      return apply(winner, location, true);
    }
    return apply(record, location, false, described?.CustomerMetadataProperties);
  };

  async function apply(record: ApprovalRecord, location: S3Location, replayed: boolean, metadata?: Record<string, string>): Promise<ApprovalResult> {
    const recordUri = `s3://${location.bucket}/${location.key}`;
    let current = metadata;
    if (replayed) {
      const described = await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: record.modelPackage.arn }));
      if (described.ModelApprovalStatus === record.approvalStatus && described.CustomerMetadataProperties?.['gate-decision'] === recordUri) {
        return { outcome: record.outcome, approvalStatus: record.approvalStatus, record: location.key, replayed };
      }
      current = described.CustomerMetadataProperties;
    }
    // Every field is sent: an omitted description or metadata would be cleared.
    await deps.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: record.modelPackage.arn,
        ModelApprovalStatus: record.approvalStatus as 'Approved' | 'Rejected' | 'PendingManualApproval',
        ApprovalDescription: approvalDescription(record),
        CustomerMetadataProperties: { ...current, 'gate-decision': recordUri, 'gate-outcome': record.outcome },
      }),
    );
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: `Model ${record.modelPackage.group} v${record.modelPackage.version}: ${record.outcome}`.slice(0, 100),
        Message: [
          `${record.modelPackage.arn}`,
          `Outcome: ${record.outcome} (${record.approvalStatus}), risk tier ${record.model?.riskTier ?? 'unknown'}, owner ${record.model?.owner ?? 'unknown'}`,
          ...record.reasons.map((r) => `- ${r}`),
          `Decision record: ${recordUri}`,
        ].join('\n'),
      }),
    );
    return { outcome: record.outcome, approvalStatus: record.approvalStatus, record: location.key, replayed };
  }
}

/** At most 1,024 characters, the API's limit; the full reasons are in the record. */
export function approvalDescription(record: Pick<ApprovalRecord, 'outcome' | 'reasons' | 'gate'>): string {
  const head = `${GATE_NAME}: ${record.outcome}. `;
  const text = head + record.reasons.join('; ');
  return text.length <= 1024 ? text : `${text.slice(0, 1000)}... (see the decision record)`;
}

let bound: ((event: PackageStateChangeEvent) => Promise<ApprovalResult>) | undefined;

/** Lambda entry point: clients and config are built once per execution environment. */
export async function handler(event: PackageStateChangeEvent): Promise<ApprovalResult> {
  if (!bound) {
    const retry = { maxAttempts: 4 };
    bound = approvalGate({
      sagemaker: new SageMakerClient(retry),
      s3: new S3Client(retry),
      sns: new SNSClient(retry),
      config: loadGateConfig(),
      recordBucket: requireEnv('RECORD_BUCKET'),
      allowedBuckets: requireEnv('ALLOWED_BUCKETS').split(','),
      topicArn: requireEnv('TOPIC_ARN'),
      policyDigest: requireEnv('POLICY_DIGEST'),
    });
  }
  return bound(event);
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
