/**
 * Pinning, against moto, where it is hard: model data copied in parts (the
 * path model data over CopyObject's 5 GiB takes; here with S3's smallest
 * part, 5 MiB), a key written once and never again, runs that fail or are
 * killed part-way and are retried, replayed and late events, and a package
 * whose pinned specification someone else wrote first. Each case states the
 * safe outcome and asserts the pin record (or its refusal), the bytes at the
 * pinned key and the package.
 *
 * Where moto differs from S3 the test says so: moto answers UploadPartCopy
 * without the part's checksum and reports a multipart object's checksum
 * without the `-<parts>` suffix; the pinner accepts each form it computed
 * itself from the bytes it read (lambdas/model-pinner/handler.ts).
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { approvalGate, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import {
  compositeSha256,
  MIN_PART_BYTES,
  modelPinner,
  partSizeFor,
  pinnedKey,
  PinRecord,
  MAX_PARTS,
} from '../../lambdas/model-pinner/handler';
import { pinnerDeps, version } from './promotion';
import { approvalWorld, ApprovalWorld, IMAGE, stateChange } from './world';

/** Parts of 64 KiB: moto's server is started with its part minimum lowered (S3_UPLOAD_PART_MIN_SIZE; S3's is 5 MiB). */
const PART = 64 * 1024;
let w: ApprovalWorld;
beforeAll(async () => {
  const before = process.env.S3_UPLOAD_PART_MIN_SIZE;
  process.env.S3_UPLOAD_PART_MIN_SIZE = '1024';
  try {
    w = await approvalWorld('pin-parts');
  } finally {
    if (before === undefined) delete process.env.S3_UPLOAD_PART_MIN_SIZE;
    else process.env.S3_UPLOAD_PART_MIN_SIZE = before;
  }
}, 60_000);
afterAll(async () => w?.stop());

const where = (arn: string) => arn.split('/').slice(-2).join('/');
const group = (arn: string) => arn.split('/').slice(-2)[0];
const numberOf = (arn: string) => Number(arn.split('/').pop());
const keyOf = (uri: string, bucket: string) => uri.replace(`s3://${bucket}/`, '');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('base64');
const bytesOf = async (bucket: string, key: string, versionId?: string) =>
  Buffer.from(
    await (
      await w.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
    ).Body!.transformToByteArray(),
  );
const pinRecord = async (arn: string) => (await w.json(`pins/${where(arn)}/pin.json`)) as unknown as PinRecord;
const versionsAt = async (key: string) =>
  (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: key }))).Versions ?? [];
const uploadsAt = async (key: string) =>
  (await w.s3.send(new ListMultipartUploadsCommand({ Bucket: w.approved, Prefix: key }))).Uploads ?? [];
const approved = (arn: string) => stateChange(arn, 'Approved');
const pin = (patch = {}) => modelPinner(pinnerDeps(w, { partBytes: PART, ...patch }));

/** Model data of `size` bytes, not all alike (a part swapped or repeated changes the hash). */
function weights(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 512) b.writeUInt32BE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

/** A version approved by the real gate whose model data (as the gate recorded it) is `body`; not pinned yet. */
async function approvedWith(
  body: Buffer,
): Promise<{ arn: string; kept: NonNullable<ApprovalRecord['modelData']>[number] }> {
  const arn = await w.register('fraud-score');
  const uri = (await w.describe(arn)).InferenceSpecification!.Containers![0].ModelDataUrl!;
  await w.s3.send(new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(uri, w.artifacts), Body: body }));
  await approvalGate(w.deps)(stateChange(arn));
  expect(await w.status(arn)).toBe('Approved');
  const kept = ((await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord).modelData![0];
  expect(kept).toMatchObject({ status: 'ok', bytes: body.length });
  return { arn, kept };
}

/** An S3 client that fails the way a network or a killed run would, at the `n`-th call of a command. */
function failing(name: string, n: number, error: Error, also: (cmd: string) => boolean = () => false): S3Client {
  const real = w.s3;
  let seen = 0;
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string } }) => {
        const cmd = command.constructor.name;
        if (cmd === name && ++seen === n) throw error;
        if (seen >= n && also(cmd)) throw error;
        return real.send(command as never);
      };
    },
  });
}
const timeout = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });

describe('model data larger than one part is pinned in parts, and the whole object is verified', () => {
  test('model data of two parts and a fifth in parts (64 KiB here, as 5 GiB objects are copied in parts of up to 5 GiB): three parts, the bytes exact, SHA-256 of the whole object, locked, at the fixed key', async () => {
    const body = weights(2 * PART + PART / 5 + 3, 1);
    const { arn, kept } = await approvedWith(body);
    expect(await pin()(approved(arn))).toMatchObject({ pinned: true, replayed: false });
    const rec = await pinRecord(arn);
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    const parts = [body.subarray(0, PART), body.subarray(PART, 2 * PART), body.subarray(2 * PART)].map((p) =>
      createHash('sha256').update(p).digest(),
    );
    expect(rec.containers).toEqual([
      {
        source: { uri: kept.uri, versionId: kept.versionId, bytes: body.length },
        image: IMAGE,
        pinned: {
          uri: `s3://${w.approved}/${key}`,
          versionId: expect.any(String),
          sha256: sha256(body),
          // moto reports the composite without its "-3"; S3 with it: either is the pinner's own composite of the three
          // parts.
          s3Checksum: expect.stringMatching(
            new RegExp(`^${compositeSha256(parts).replace(/[+/=]/g, '\\$&').replace(/-3$/, '')}(-3)?$`),
          ),
          parts: 3,
          bytes: body.length,
          retainUntil: expect.any(String),
        },
      },
    ]);
    expect(await bytesOf(w.approved, key, rec.containers[0].pinned.versionId)).toEqual(body);
    expect(
      (
        await w.s3.send(
          new HeadObjectCommand({ Bucket: w.approved, Key: key, VersionId: rec.containers[0].pinned.versionId }),
        )
      ).ObjectLockMode,
    ).toBe('COMPLIANCE');
    expect(await versionsAt(key)).toHaveLength(1);
    expect(await uploadsAt(key)).toEqual([]);
    // The pinner changes nothing of the package: the status stays Approved, the gate's marks stay.
    const d = await w.describe(arn);
    expect(d.ModelApprovalStatus).toBe('Approved');
    expect(d.CustomerMetadataProperties).toEqual(expect.objectContaining({ 'gate-decision': expect.any(String) }));
  }, 60_000);

  test('the part size grows so that 10,000 parts cover any object (5 TB included), never over 5 GiB a part', () => {
    expect(partSizeFor(11 * 1024 ** 2, MIN_PART_BYTES)).toBe(MIN_PART_BYTES);
    expect(partSizeFor(11 * 1024 ** 2)).toBe(512 * 1024 ** 2);
    expect(partSizeFor(6 * 1024 ** 3)).toBe(512 * 1024 ** 2);
    const fiveTB = 5 * 1024 ** 4;
    expect(partSizeFor(fiveTB) * MAX_PARTS).toBeGreaterThanOrEqual(fiveTB);
    expect(partSizeFor(fiveTB)).toBeLessThanOrEqual(5 * 1024 ** 3);
  });

  test('a version shorter than the approval recorded (a part reads short) is refused, and nothing is left at the key', async () => {
    const body = weights(PART + 10, 2);
    const { arn, kept } = await approvedWith(body);
    const record = (await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord;
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: `approval/${where(arn)}/round-2.json`,
        Body: JSON.stringify({ ...record, modelData: [{ ...kept, bytes: 2 * PART + 10 }] }),
      }),
    );
    const result = await pin()(approved(arn));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(
          `^container 0: the approved version .* is not the ${2 * PART + 10} bytes the approval record kept \\(part 2 read 10 bytes\\)$`,
        ),
      ),
    });
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    expect(await versionsAt(key)).toEqual([]);
    expect(await uploadsAt(key)).toEqual([]);
  }, 60_000);
});

describe('retries and timeouts part-way: a retry pins exactly once, nothing half-written is ever served', () => {
  test('a part copy times out: the run fails (EventBridge retries), its upload is aborted, no object, no record; the retry pins', async () => {
    const body = weights(2 * PART + 7, 3);
    const { arn } = await approvedWith(body);
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    await expect(pin({ s3: failing('UploadPartCopyCommand', 2, timeout()) })(approved(arn))).rejects.toThrow(
      'socket hang up',
    );
    expect(await versionsAt(key)).toEqual([]);
    expect(await uploadsAt(key)).toEqual([]);
    expect(await w.keys(`pins/${where(arn)}/`)).toEqual([]);
    expect(await pin()(approved(arn))).toMatchObject({ pinned: true, replayed: false });
    expect(await bytesOf(w.approved, key)).toEqual(body);
    expect(await versionsAt(key)).toHaveLength(1);
  }, 60_000);

  test('a run killed part-way (its abort never runs) leaves only an incomplete upload, no object; the retry pins beside it', async () => {
    const body = weights(PART + 99, 4);
    const { arn } = await approvedWith(body);
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    const killed = failing('UploadPartCopyCommand', 2, timeout(), (cmd) => cmd === 'AbortMultipartUploadCommand');
    await expect(pin({ s3: killed })(approved(arn))).rejects.toThrow();
    expect(await uploadsAt(key)).toHaveLength(1);
    expect(await versionsAt(key)).toEqual([]);
    expect(await pin()(approved(arn))).toMatchObject({ pinned: true });
    expect(await bytesOf(w.approved, key)).toEqual(body);
    expect(await versionsAt(key)).toHaveLength(1);
    // The left upload holds no object and is never served; the bucket's lifecycle rule removes it
    // (pin-serving.test.ts).
    expect((await uploadsAt(key)).length).toBeLessThanOrEqual(1);
  }, 60_000);

  test('the copy completed but the run failed before its record (lock call timed out): the retry finds its own bytes at the key, takes them, writes no second version', async () => {
    const body = weights(PART + 1, 5);
    const { arn } = await approvedWith(body);
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    await expect(pin({ s3: failing('PutObjectRetentionCommand', 1, timeout()) })(approved(arn))).rejects.toThrow(
      'socket hang up',
    );
    expect(await versionsAt(key)).toHaveLength(1);
    expect(await w.keys(`pins/${where(arn)}/`)).toEqual([]);
    expect(await pin()(approved(arn))).toMatchObject({ pinned: true, replayed: false });
    const rec = await pinRecord(arn);
    expect(await versionsAt(key)).toEqual([expect.objectContaining({ VersionId: rec.containers[0].pinned.versionId })]);
    expect(rec.containers[0].pinned.sha256).toBe(sha256(body));
  }, 60_000);

  test('the key already holds other bytes (an earlier round pinned another version, never recorded): refused, never overwritten', async () => {
    const body = weights(PART + 2, 6);
    const { arn } = await approvedWith(body);
    const key = pinnedKey(group(arn), numberOf(arn), 0);
    // What a run for an earlier round of this package left at the key (the only writer there is the pinner).
    const other = weights(PART + 2, 7);
    const up = await w.s3.send(
      new CreateMultipartUploadCommand({ Bucket: w.approved, Key: key, ChecksumAlgorithm: 'SHA256' }),
    );
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.artifacts,
        Key: 'training/fraud-score/elsewhere/model/model.tar.gz',
        Body: other,
      }),
    );
    const part = await w.s3.send(
      new UploadPartCopyCommand({
        Bucket: w.approved,
        Key: key,
        UploadId: up.UploadId,
        PartNumber: 1,
        CopySource: `${w.artifacts}/training/fraud-score/elsewhere/model/model.tar.gz`,
      }),
    );
    await w.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: w.approved,
        Key: key,
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] },
        IfNoneMatch: '*',
      }),
    );
    const result = await pin()(approved(arn));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(
          `^container 0: ${key} already holds other bytes .* not the approved version's \\(${body.length} bytes, SHA-256 ${sha256(body).replace(/[+/]/g, '\\$&')}\\); it is never overwritten$`,
        ),
      ),
    });
    expect(await versionsAt(key)).toHaveLength(1);
    expect(await bytesOf(w.approved, key)).toEqual(other);
    expect(await uploadsAt(key)).toEqual([]);
    expect((await w.keys(`pins/${where(arn)}/`)).filter((k) => k.endsWith('pin.json'))).toEqual([]);
  }, 60_000);
});

describe('replays, late events and people', () => {
  test('a replayed Approved event after the pin copies nothing and leaves the record as it was', async () => {
    const arn = await version(w, 'fraud-score');
    const before = await pinRecord(arn);
    const again = await pin()(approved(arn));
    expect(again).toMatchObject({ pinned: true, replayed: true });
    expect(await versionsAt(`models/${where(arn)}/`)).toHaveLength(1);
    expect(await pinRecord(arn)).toEqual(before);
  });

  test('a person rejects after the pin: a replayed Approved event does not undo it, the copy stays locked, the status stays Rejected', async () => {
    const arn = await version(w, 'fraud-score');
    const rec = await pinRecord(arn);
    await w.person(arn, 'Rejected');
    expect(await pin()(approved(arn))).toMatchObject({ pinned: true, replayed: true });
    expect(await w.status(arn)).toBe('Rejected');
    const key = keyOf(rec.containers[0].pinned.uri, w.approved);
    expect(
      (
        await w.s3.send(
          new HeadObjectCommand({ Bucket: w.approved, Key: key, VersionId: rec.containers[0].pinned.versionId }),
        )
      ).ObjectLockMode,
    ).toBe('COMPLIANCE');
  });

  test('an Approved event delivered after a person rejected (never pinned): nothing is copied or added, the status stays Rejected', async () => {
    const arn = await version(w, 'fraud-score', { pin: false });
    await w.person(arn, 'Rejected');
    expect(await pin()(approved(arn))).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(/is Rejected, not Approved/),
    });
    expect(await versionsAt(`models/${where(arn)}/`)).toEqual([]);
    expect(await w.status(arn)).toBe('Rejected');
  });

  test('the approved version replaced at its key after approval: the recorded version is pinned and the replacement never reaches the copy', async () => {
    const body = weights(PART + 5, 8);
    const { arn, kept } = await approvedWith(body);
    await w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(kept.uri!, w.artifacts), Body: weights(PART + 5, 9) }),
    );
    await pin()(approved(arn));
    const rec = await pinRecord(arn);
    expect(rec.containers[0].source.versionId).toBe(kept.versionId);
    expect(await bytesOf(w.approved, keyOf(rec.containers[0].pinned.uri, w.approved))).toEqual(body);
    expect(rec.containers[0].pinned.sha256).toBe(sha256(body));
  }, 60_000);

  test('the pinner never changes the package: it sends no update at all', async () => {
    const sent: string[] = [];
    const arn = await version(w, 'fraud-score', { pin: false });
    const sagemaker = new Proxy(w.sagemaker, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return (command: { constructor: { name: string } }) => {
          sent.push(command.constructor.name);
          return target.send(command as never);
        };
      },
    });
    expect(await pin({ sagemaker })(approved(arn))).toMatchObject({ pinned: true });
    expect(sent).toEqual(['DescribeModelPackageCommand']);
  });
});
