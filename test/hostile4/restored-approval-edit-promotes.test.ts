/**
 * After the approval gate restores a person's Approved that crossed its Rejected, the deployment gate refuses the
 * version "until a person decides again" (lambdas/deployment-gate/restorations.ts): it compares the package's
 * LastModifiedTime with the one the restoration left. Any UpdateModelPackage moves LastModifiedTime, including one
 * that sets no status (ModelApprovalStatus is optional in UpdateModelPackage, SageMaker API Reference): a description
 * or metadata edit is taken for a new decision and the restored Approved is promoted 15 minutes later.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import { settledStatus } from '../../lambdas/deployment-gate/restorations';
import { writeRecordOnce } from '../../lambdas/shared/s3-objects';
import { Moto, startMoto } from '../support/moto';

let moto: Moto;
let s3: S3Client;
const bucket = 'hostile5-restored-records';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  await s3.send(
    new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
  );
}, 60_000);
afterAll(async () => moto?.stop());

test('a restored Approved stays unpromotable after a status-less edit of the package', async () => {
  const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/4';
  const base = 'approval/churn/4/person/';
  const restoredAt = '2026-12-02T05:00:05.000Z';
  const restoredState = {
    status: 'Approved',
    lastModified: restoredAt,
    description: 'model-approval-gate: restored Approved set by ...',
    gateDecision: `s3://${bucket}/approval/churn/4/round-1.json`,
  };
  await writeRecordOnce(
    s3,
    { bucket, key: `${base}ev-1.json` },
    {
      schema: 'model-approval-person-update/1',
      modelPackage: { arn, group: 'churn', version: 4 },
      person: {
        eventId: 'ev-1',
        eventTime: '2026-12-02T04:59:59.000Z',
        identity: 'arn:aws:iam::123456789012:role/approver',
        status: 'Approved',
      },
      verdict: 'restore',
      reason: 'inside the window',
      overwrittenBy: {
        record: `s3://${bucket}/approval/churn/4/round-1.json`,
        status: 'Rejected',
        readAt: '2026-12-02T04:59:59.500Z',
      },
      package: { status: 'Rejected', lastModified: '2026-12-02T05:00:00.000Z' },
      at: restoredAt,
    },
  );
  await writeRecordOnce(
    s3,
    { bucket, key: `${base}ev-1.restored.json` },
    {
      schema: 'model-approval-restored/1',
      record: `s3://${bucket}/${base}ev-1.json`,
      restored: true,
      status: 'Approved',
      package: restoredState,
      reason: 'restored',
      at: restoredAt,
    },
  );
  // An approver appends a ticket number to the description (no status sent): SageMaker keeps Approved, moves LastModifiedTime.
  const pkg = {
    ModelPackageArn: arn,
    ModelApprovalStatus: 'Approved',
    LastModifiedTime: new Date('2026-12-02T05:10:00.000Z'),
    ApprovalDescription: `${restoredState.description} (RISK-12)`,
    CustomerMetadataProperties: { 'gate-write': `2026-12-02T05:00:04.000Z s3://${bucket}/${base}ev-1.json` },
  } as unknown as DescribeModelPackageCommandOutput;
  const status = await settledStatus(
    { s3, recordBucket: bucket },
    'churn',
    '4',
    pkg,
    new Date('2026-12-02T05:30:00.000Z'),
  );
  expect(status).not.toBe('Approved');
}, 60_000);
