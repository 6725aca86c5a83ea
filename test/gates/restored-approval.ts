/**
 * A package version whose person's Approved the approval gate restored, in the approval gate's own record formats
 * (PersonUpdateRecord, RestoredRecord) written to moto's S3 as it writes them (write-once): what the deployment gate
 * reads (lambdas/deployment-gate/restorations.ts) to refuse a restored Approved until a person decides again.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import { GATE_WRITE_KEY, settledStatus } from '../../lambdas/deployment-gate/restorations';
import type { PersonUpdateRecord, RestoredRecord } from '../../lambdas/model-approval-gate/handler';
import { writeRecordOnce } from '../../lambdas/shared/s3-objects';
import { Moto, startMoto } from '../support/moto';

export const APPROVER = 'arn:aws:iam::123456789012:role/estate-staging-model-risk-approver';

export interface RestoredApproval {
  readonly version: string;
  /** The person record of the crossed call (`approval/churn/<version>/person/ev-crossed.json`). */
  readonly key: string;
  /** The approval description the restoration set. */
  readonly description: string;
  /** The package now: Approved, with the restoration's mark; `lastModified` as the latest update left it. */
  readonly pkg: (
    lastModified: string,
    metadata?: Record<string, string>,
    description?: string,
  ) => DescribeModelPackageCommandOutput;
  /** A person's later call, as the approval gate records it from CloudTrail. */
  readonly person: (
    id: string,
    eventTime: string,
    status: string,
    verdict?: PersonUpdateRecord['verdict'],
  ) => Promise<boolean>;
  /** The status the deployment gate counts for the package `d`, at `now`. */
  readonly settled: (d: DescribeModelPackageCommandOutput, now?: string) => Promise<string | undefined>;
}

/**
 * A moto bucket for this test file (made in beforeAll, the server released in afterAll), and `restored(version)`:
 * version n of churn whose Approved, set by a person at 05:00:00 (recorded 04:59:59 after the gate's re-read at
 * 04:59:59.500), the gate's Rejected overwrote at 05:00:00.400; the approval gate restored it at 05:00:05.000.
 */
export function restoredApprovals(bucket: string): {
  readonly restored: (version?: string) => Promise<RestoredApproval>;
} {
  let moto: Moto;
  let s3: S3Client;
  let versions = 0;
  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
    await s3.send(
      new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
  }, 60_000);
  afterAll(async () => moto?.stop());

  async function restored(version = String(++versions)): Promise<RestoredApproval> {
    const arn = `arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/${version}`;
    const base = `approval/churn/${version}/`;
    const round = `s3://${bucket}/${base}round-1.json`;
    const restoredAt = '2026-12-02T05:00:05.000Z';
    const key = `${base}person/ev-crossed.json`;
    await writeRecordOnce(s3, { bucket, key }, {
      schema: 'model-approval-person-update/1',
      modelPackage: { arn, group: 'churn', version: Number(version) },
      person: {
        eventId: 'ev-crossed',
        eventTime: '2026-12-02T04:59:59.000Z',
        identity: APPROVER,
        status: 'Approved',
        description: 'approved after review',
      },
      verdict: 'restore',
      reason: 'inside the window',
      overwrittenBy: {
        record: round,
        status: 'Rejected',
        readAt: '2026-12-02T04:59:59.500Z',
        package: { status: 'Rejected', lastModified: '2026-12-02T05:00:00.400Z' },
      },
      package: { status: 'Rejected', lastModified: '2026-12-02T05:00:00.400Z' },
      at: '2026-12-02T05:00:04.000Z',
    } satisfies PersonUpdateRecord);
    const restoredState = {
      status: 'Approved',
      lastModified: restoredAt,
      description: `model-approval-gate: restored Approved set by ${APPROVER}`,
      gateDecision: round,
    };
    await writeRecordOnce(s3, { bucket, key: key.replace(/\.json$/, '.restored.json') }, {
      schema: 'model-approval-restored/1',
      record: `s3://${bucket}/${key}`,
      restored: true,
      status: 'Approved',
      package: restoredState,
      reason: 'restored',
      at: restoredAt,
    } satisfies RestoredRecord);
    const pkg = (
      lastModified: string,
      metadata: Record<string, string> = {},
      description = restoredState.description,
    ) =>
      ({
        ModelPackageArn: arn,
        ModelApprovalStatus: 'Approved',
        LastModifiedTime: new Date(lastModified),
        ApprovalDescription: description,
        CustomerMetadataProperties: {
          'gate-decision': round,
          [GATE_WRITE_KEY]: `2026-12-02T05:00:04.500Z s3://${bucket}/${key}`,
          ...metadata,
        },
      }) as unknown as DescribeModelPackageCommandOutput;
    const person = (
      id: string,
      eventTime: string,
      status: string,
      verdict: PersonUpdateRecord['verdict'] = 'concurs',
    ) =>
      writeRecordOnce(s3, { bucket, key: `${base}person/${id}.json` }, {
        schema: 'model-approval-person-update/1',
        modelPackage: { arn, group: 'churn', version: Number(version) },
        person: { eventId: id, eventTime, identity: APPROVER, status },
        verdict,
        reason: 'the package is Approved already',
        package: { status: 'Approved', lastModified: eventTime },
        at: eventTime,
      } satisfies PersonUpdateRecord);
    const settled = (d: DescribeModelPackageCommandOutput, now = '2026-12-02T06:00:00.000Z') =>
      settledStatus({ s3, recordBucket: bucket }, 'churn', version, d, new Date(now));
    return { version, key, description: restoredState.description, pkg, person, settled };
  }
  return { restored };
}
