/**
 * What was approved is what is served, against moto: the approval gate keeps
 * the model data version it saw, the pinner copies exactly that version into
 * the Object Lock bucket (S3 computes the SHA-256 of the copy), locks it in
 * COMPLIANCE mode and marks the source version approved, and the deployment
 * gate refuses a promotion until the pin exists and while the model data
 * differs from it. Each case asserts the pin record (or its refusal), the
 * bytes, and the deployment gate's answer and reason where it applies.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { deploymentGate } from '../../lambdas/deployment-gate/handler';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { APPROVED_TAG, modelPinner, PinRecord } from '../../lambdas/model-pinner/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, pinnerDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pinning');
}, 60_000);
afterAll(async () => w?.stop());

const pin = (patch = {}) => modelPinner(pinnerDeps(w, patch));
const approvedEvent = (arn: string) => stateChange(arn, 'Approved');
const where = (arn: string) => arn.split('/').slice(-2).join('/');
const keyOf = (uri: string, bucket = w.artifacts) => uri.replace(`s3://${bucket}/`, '');
const bytesOf = async (bucket: string, key: string, versionId?: string) =>
  Buffer.from(
    await (
      await w.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
    ).Body!.transformToByteArray(),
  );
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
const modelDataKept = async (arn: string) =>
  ((await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord).modelData![0];
const pinRecord = async (arn: string) => (await w.json(`pins/${where(arn)}/pin.json`)) as unknown as PinRecord;

describe('the pinner copies exactly the approved version, locked, with its SHA-256', () => {
  test('an approved package: copy locked in COMPLIANCE mode, SHA-256 of the bytes, source version marked approved', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const kept = await modelDataKept(arn);
    expect(kept).toMatchObject({ status: 'ok', versionId: expect.any(String), bytes: expect.any(Number) });
    const result = await pin()(approvedEvent(arn));
    expect(result).toMatchObject({ pinned: true, replayed: false, record: `pins/${where(arn)}/pin.json` });
    const rec = await pinRecord(arn);
    const original = await bytesOf(w.artifacts, keyOf(kept.uri!), kept.versionId);
    expect(rec.containers).toEqual([
      {
        source: { uri: kept.uri, versionId: kept.versionId, bytes: kept.bytes },
        image: expect.stringMatching(/@sha256:/),
        pinned: expect.objectContaining({ sha256: sha256(original) }),
      },
    ]);
    const copy = rec.containers[0].pinned;
    expect(await bytesOf(w.approved, keyOf(copy.uri, w.approved), copy.versionId)).toEqual(original);
    const head = await w.s3.send(
      new HeadObjectCommand({ Bucket: w.approved, Key: keyOf(copy.uri, w.approved), VersionId: copy.versionId }),
    );
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    // COMPLIANCE mode: nobody deletes the locked version.
    await expect(
      w.s3.send(
        new DeleteObjectCommand({ Bucket: w.approved, Key: keyOf(copy.uri, w.approved), VersionId: copy.versionId }),
      ),
    ).rejects.toThrow();
    const tags = await w.s3.send(
      new GetObjectTaggingCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!), VersionId: kept.versionId }),
    );
    expect(tags.TagSet).toEqual([{ Key: APPROVED_TAG, Value: where(arn) }]);
  });

  test('model data overwritten after the decision: the version the gate saw is pinned, not the new one, and the new one is not marked', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const kept = await modelDataKept(arn);
    const original = await bytesOf(w.artifacts, keyOf(kept.uri!), kept.versionId);
    const { VersionId: later } = await w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!), Body: 'weights swapped after the decision' }),
    );
    await pin()(approvedEvent(arn));
    const rec = await pinRecord(arn);
    expect(rec.containers[0].source.versionId).toBe(kept.versionId);
    expect(
      await bytesOf(w.approved, keyOf(rec.containers[0].pinned.uri, w.approved), rec.containers[0].pinned.versionId),
    ).toEqual(original);
    expect(
      (await w.s3.send(new GetObjectTaggingCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!), VersionId: later })))
        .TagSet,
    ).toEqual([]);
  });

  test('a redelivered event returns the pin and copies nothing again', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const first = await pin()(approvedEvent(arn));
    const again = await pin()(approvedEvent(arn));
    expect(again).toMatchObject({ pinned: true, replayed: true, record: first.record });
    const copies = await w.s3.send(
      new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `models/${where(arn)}/` }),
    );
    expect(copies.Versions).toHaveLength(1);
  });

  test('two concurrent runs leave one pin record, and both report it', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const [a, b] = await Promise.all([pin()(approvedEvent(arn)), pin()(approvedEvent(arn))]);
    expect([a.pinned, b.pinned]).toEqual([true, true]);
    expect(a.record).toBe(b.record);
    expect((await w.keys(`pins/${where(arn)}/`)).filter((k) => k.endsWith('pin.json'))).toHaveLength(1);
  });

  test('a package a person rejected before the pinner ran is not pinned', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    await w.person(arn, 'Rejected');
    expect(await pin()(approvedEvent(arn))).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(/is Rejected, not Approved: nothing is pinned/),
    });
    expect(await w.keys(`pins/${where(arn)}/`)).toEqual([]);
  });

  test('the approved version deleted before the pinner ran: refused, with the reason recorded', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const kept = await modelDataKept(arn);
    await w.s3.send(new DeleteObjectCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!), VersionId: kept.versionId }));
    const result = await pin()(approvedEvent(arn));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(new RegExp(`approved version ${kept.versionId} of .* no longer exists`)),
    });
    const keys = await w.keys(`pins/${where(arn)}/`);
    expect(keys).toEqual([expect.stringMatching(/\/refused-.*\.json$/)]);
    expect((await w.json(keys[0])).reason).toBe(result.reason);
  });

  test('the approved version is not the size the approval record kept: refused, nothing left at the key', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    const kept = await modelDataKept(arn);
    // The record as a faulty writer would have it: one byte more than the version holds (records are write-once:
    // replaced by a later round).
    const record = (await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord;
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: `approval/${where(arn)}/round-2.json`,
        Body: JSON.stringify({ ...record, modelData: [{ ...kept, bytes: kept.bytes! + 1 }] }),
      }),
    );
    const result = await pin()(approvedEvent(arn));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(
          `container 0: (the approved version ${kept.versionId} is not the ${kept.bytes! + 1} bytes|.*InvalidRange)`,
        ),
      ),
    });
    expect((await w.keys(`pins/${where(arn)}/`)).some((k) => k.endsWith('pin.json'))).toBe(false);
    expect(
      (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `models/${where(arn)}/` })))
        .Versions ?? [],
    ).toEqual([]);
  });

  test('an event naming a package of another account is ignored', async () => {
    expect(
      await pin()(approvedEvent('arn:aws:sagemaker:eu-west-1:999999999999:model-package/fraud-score/1')),
    ).toMatchObject({ pinned: false, reason: 'the event names no model package of this account' });
  });
});

describe('the deployment gate promotes only pinned model data that still matches', () => {
  const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
  const gate = () => deploymentGate(deploymentDeps(w, { now: afterBake }));
  async function served(endpoint: string, arn: string) {
    await endpointAlarm(w.cloudwatch, endpoint);
    await stagingEndpoint(w.sagemaker, endpoint, { challenger: arn });
    await traffic(w.cloudwatch, endpoint, 'challenger', 500, -30);
    return { requestId: `pin-${endpoint}`, modelPackageArn: arn, stagingEndpointName: endpoint };
  }
  const recordOf = async (key: string) =>
    JSON.parse(
      await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
    );

  test('not pinned yet: the promotion fails, and passes once the pinner has run (a new answer)', async () => {
    const arn = await version(w, 'deposit-forecast', { pin: false, auc: 0.95 });
    const request = await served('pin-late', arn);
    const before = await gate()(request);
    expect(before.pass).toBe(false);
    expect(before.reasons).toEqual([
      'the model data is not pinned yet (the pinning step copies it into the Object Lock bucket once the package is Approved)',
    ]);
    expect((await recordOf(before.record!)).pass).toBe(false);
    await pin()(approvedEvent(arn));
    expect(await gate()(request)).toMatchObject({ pass: true, answer: 2, replayed: false });
  });

  test('model data overwritten after the pin: the promotion fails, naming both versions', async () => {
    const arn = await version(w, 'deposit-forecast', { auc: 0.96 });
    const request = await served('pin-overwritten', arn);
    expect((await gate()(request)).pass).toBe(true);
    const rec = await pinRecord(arn);
    const { VersionId } = await w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(rec.containers[0].source.uri), Body: 'other weights' }),
    );
    const after = await gate()(request);
    expect(after).toMatchObject({ pass: false, answer: 2 });
    expect(after.reasons).toEqual([
      `container 0: ${rec.containers[0].source.uri} now holds version ${VersionId}, not the approved version ${rec.containers[0].source.versionId}: the model data was overwritten since approval`,
    ]);
  });

  test('a refused pin is the reason the promotion fails', async () => {
    const arn = await version(w, 'deposit-forecast', { pin: false, auc: 0.97 });
    const kept = await modelDataKept(arn);
    await w.s3.send(new DeleteObjectCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!), VersionId: kept.versionId }));
    await pin()(approvedEvent(arn));
    const result = await gate()(await served('pin-refused', arn));
    expect(result.pass).toBe(false);
    expect(result.reasons.join('\n')).toMatch(
      new RegExp(
        `the model data could not be pinned: container 0: the approved version ${kept.versionId} of .* no longer exists`,
      ),
    );
  });

  test("a pin record whose SHA-256 is not the locked copy's fails", async () => {
    const arn = await version(w, 'deposit-forecast', { pin: false, auc: 0.98 });
    const real = modelPinner(pinnerDeps(w));
    // The record as another writer would have it: same copy, another checksum (records are write-once, so it is written
    // first).
    const kept = await modelDataKept(arn);
    const copy = await w.s3.send(
      new PutObjectCommand({
        Bucket: w.approved,
        Key: `models/${where(arn)}/0/model.tar.gz`,
        Body: await bytesOf(w.artifacts, keyOf(kept.uri!), kept.versionId),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const forged: PinRecord = {
      schema: 'model-pin/1',
      modelPackage: { arn, group: 'deposit-forecast', version: Number(arn.split('/').pop()) },
      approvalRecord: `approval/${where(arn)}/round-1.json`,
      containers: [
        {
          source: { uri: kept.uri!, versionId: kept.versionId! },
          pinned: {
            uri: `s3://${w.approved}/models/${where(arn)}/0/model.tar.gz`,
            versionId: copy.VersionId!,
            sha256: 'A'.repeat(43) + '=',
            retainUntil: '2030-01-01T00:00:00.000Z',
          },
        },
      ],
      at: new Date().toISOString(),
    };
    await w.s3.send(
      new PutObjectCommand({ Bucket: w.records, Key: `pins/${where(arn)}/pin.json`, Body: JSON.stringify(forged) }),
    );
    expect(await real(approvedEvent(arn))).toMatchObject({ pinned: true, replayed: true });
    const result = await gate()(await served('pin-forged', arn));
    expect(result.pass).toBe(false);
    expect(result.reasons.join('\n')).toMatch(/container 0: the pinned copy has SHA-256 .*, not the recorded A{43}=/);
  });
});
