/**
 * The approval gate restores a person's Approved or Rejected that its own update overwrote inside the race window
 * (lambdas/model-approval-gate/handler.ts, `personUpdate` / `judge`) only while the package is exactly as the gate's
 * update left it (same status and LastModifiedTime). Any later UpdateModelPackage moves LastModifiedTime, including
 * one that sets no status at all (a description or metadata edit: UpdateModelPackage's ModelApprovalStatus is
 * optional, SageMaker API Reference). `judge` then returns `stands` ("a later decision stands"), which is final, and
 * the gate's Approved remains: after 15 minutes the deployment gate promotes it (restorations.ts). The person rejected;
 * prod serves the model. CloudTrail delivers the rejected call "typically within an average of about 5 minutes"
 * (not guaranteed), so a person who adds a note a minute after rejecting is enough.
 */
import {
  CreateModelPackageCommand,
  DescribeModelPackageCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { approvalGate, ApiCallEvent } from '../../lambdas/model-approval-gate/handler';
import { settledStatus } from '../../lambdas/deployment-gate/restorations';
import { writeRecordOnce } from '../../lambdas/shared/s3-objects';
import type { GateConfig } from '../../lambdas/shared/gate-config';
import { gateWorld, GateWorld, Moto, startMoto } from '../support/moto';

let moto: Moto;
let world: GateWorld;
const records = 'hostile5-records';
const artifacts = 'hostile5-artifacts';
const group = 'churn';

beforeAll(async () => {
  moto = await startMoto();
  world = await gateWorld(moto, { artifacts, records, topic: 'hostile5-decisions', groups: [group] });
}, 60_000);
afterAll(async () => moto?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a person's Rejected overwritten by the gate is not lost because someone later edits the package's description", async () => {
  const { ModelPackageArn: arn } = await world.sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: group,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn@sha256:' + 'a'.repeat(64) }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
    }),
  );
  const version = arn!.split('/').pop()!;
  const base = `approval/${group}/${version}/`;
  const roundUri = `s3://${records}/${base}round-1.json`;
  // The gate's re-read is sent; the person's Rejected lands; the gate's Approved lands on top of it.
  const readAt = new Date();
  await sleep(1100);
  const personCallAt = new Date(Math.floor(Date.now() / 1000) * 1000); // CloudTrail eventTime: whole seconds
  await world.sagemaker.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: arn,
      ModelApprovalStatus: 'Rejected',
      ApprovalDescription: 'fails fairness review',
    }),
  );
  const decidedAt = new Date().toISOString();
  await world.sagemaker.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: arn,
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'model-approval-gate: approve. ',
      CustomerMetadataProperties: {
        'gate-decision': roundUri,
        'gate-outcome': 'approve',
        'gate-round': '1',
        'gate-write': `${readAt.toISOString()} ${roundUri}`,
      },
    }),
  );
  const after = await world.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const afterState = {
    status: after.ModelApprovalStatus,
    lastModified: new Date(after.LastModifiedTime!).toISOString(),
    description: after.ApprovalDescription ?? '',
    gateDecision: roundUri,
  };
  await writeRecordOnce(
    world.s3,
    { bucket: records, key: `${base}round-1.json` },
    {
      schema: 'model-approval-decision/2',
      gate: { name: 'model-approval-gate', policyDigest: 'x' },
      environment: 'staging',
      event: {},
      modelPackage: { arn, group, version: Number(version) },
      round: 1,
      package: { status: 'PendingManualApproval', description: '' },
      provenance: { kind: 'pipeline' },
      inputs: {},
      outcome: 'approve',
      approvalStatus: 'Approved',
      reasons: [],
      checks: [],
      decidedAt,
    },
  );
  await writeRecordOnce(
    world.s3,
    { bucket: records, key: `${base}round-1.applied.json` },
    {
      schema: 'model-approval-applied/1',
      record: roundUri,
      applied: true,
      package: afterState,
      reason: 'set Approved',
      at: decidedAt,
    },
  );

  // A minute later the package's description is edited (no status sent): not a decision.
  await sleep(1100);
  // In AWS the call sends no ModelApprovalStatus (optional, "Required: No", SageMaker API Reference UpdateModelPackage)
  // and the status is kept; moto clears an omitted status, so the kept status is sent here to emulate AWS. Likewise
  // the metadata: AWS keeps the keys a call does not name (it removes only CustomerMetadataPropertiesToRemove), moto
  // clears them, so they are sent as they are. Its CloudTrail record carries no status, and the gate skips it.
  await world.sagemaker.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: arn,
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'model-approval-gate: approve. (see RISK-12)',
      CustomerMetadataProperties: after.CustomerMetadataProperties,
    }),
  );
  const edited = await world.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  expect(edited.ModelApprovalStatus).toBe('Approved');

  // Then CloudTrail delivers the person's Rejected.
  const gate = approvalGate({
    sagemaker: world.sagemaker,
    s3: world.s3,
    sns: world.sns,
    config: { models: [{ packageGroupName: group }] } as unknown as GateConfig,
    home: { partition: 'aws', region: 'eu-west-1', account: arn!.split(':')[4] },
    recordBucket: records,
    artifactBucket: artifacts,
    topicArn: world.topicArn,
    policyDigest: 'x',
    roleName: 'estate-staging-model-approval-gate',
  });
  const event: ApiCallEvent = {
    id: 'ev-1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.sagemaker',
    detail: {
      eventSource: 'sagemaker.amazonaws.com',
      eventName: 'UpdateModelPackage',
      eventTime: personCallAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventID: 'd0c5a7e1-0000-4000-8000-000000000001',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/estate-staging-approver/alice',
        sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/estate-staging-approver' } },
      },
      requestParameters: {
        modelPackageArn: arn,
        modelApprovalStatus: 'Rejected',
        approvalDescription: 'fails fairness review',
      },
    },
  };
  const result = await gate(event);
  const now = await world.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const promotable = await settledStatus(
    { s3: world.s3, recordBucket: records },
    group,
    version,
    now,
    new Date(Date.now() + 16 * 60_000),
  );
  // The person's Rejected is what the package says, or at least the deployment gate does not promote it.
  expect({ outcome: result.outcome, status: now.ModelApprovalStatus, promotable }).toEqual({
    outcome: 'restore',
    status: 'Rejected',
    promotable: 'Rejected',
  });
}, 60_000);
