/**
 * The deployment gate's 15-minute rule (lambdas/deployment-gate/restorations.ts) treats the absence of a person
 * record as proof that no person's decision crossed the approval gate's update. The person record exists only if
 * CloudTrail's "AWS API Call via CloudTrail" event reaches EventBridge, and that delivery is best effort:
 * - EventBridge User Guide, "Events from AWS services": "Best effort delivery means that the service attempts to send
 *   all events to EventBridge, but in some rare cases an event might not be delivered."
 * - EventBridge reference, CloudTrail events: "AWS services deliver events to CloudTrail on a best effort basis."
 * - CloudTrail User Guide: events are delivered "typically within an average of about 5 minutes"; "This time is not
 *   guaranteed."
 * So a person's Rejected overwritten inside the race window whose event is late (or never delivered) is promoted
 * as Approved 15 minutes after the gate's update: the person's decision is not final.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import { settledStatus } from '../../lambdas/deployment-gate/restorations';
import { Moto, startMoto } from '../support/moto';

let moto: Moto;
let s3: S3Client;
const recordBucket = 'decision-records-hostile5';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client(moto.clientConfig);
  await s3.send(
    new CreateBucketCommand({ Bucket: recordBucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
  );
}, 60_000);
afterAll(async () => moto?.stop());

test('a gate Approved whose crossing person call has not (yet) been delivered by CloudTrail is not promoted after 15 minutes', async () => {
  const gateUpdate = new Date('2026-12-02T06:00:00.000Z');
  // The person's Rejected landed at 05:59:59.6 (after the gate's re-read at 05:59:59.5, before its update):
  // overwritten. CloudTrail's event for it reaches EventBridge at 06:17 (or never): at 06:16 there is no person record
  // yet.
  const pkg = {
    ModelApprovalStatus: 'Approved',
    LastModifiedTime: gateUpdate,
    CustomerMetadataProperties: {
      'gate-write': `2026-12-02T05:59:59.500Z s3://${recordBucket}/approval/churn/3/round-1.json`,
      'gate-decision': `s3://${recordBucket}/approval/churn/3/round-1.json`,
    },
  } as unknown as DescribeModelPackageCommandOutput;
  const at = new Date(gateUpdate.getTime() + 16 * 60_000);
  const status = await settledStatus({ s3, recordBucket }, 'churn', '3', pkg, at);
  // Promotion needs positive evidence that CloudTrail's record of the window is complete (e.g. the trail's log files
  // and digest covering the window delivered, or a LookupEvents over the window that found no crossing call), not
  // the passing of a time CloudTrail does not guarantee.
  expect(status).not.toBe('Approved');
}, 60_000);
