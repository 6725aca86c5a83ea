/**
 * The pinner pins a version's drift baseline with its model data, against moto: the statistics at the version and
 * SHA-256 the approval record kept, the other baseline files of the same run at the version they had when the gate
 * decided, each written once to `baselines/<group>/<version>/<file>` of the approved-model bucket (If-None-Match, its
 * SHA-256 checked by S3), locked in COMPLIANCE mode, then a manifest; all of it in the pin record. Exactly once as
 * the model data is: a redelivery, a retry after a crash before the pin record, a lost answer to a write and a
 * concurrent run leave one version per key; bytes that are not the recorded ones, or a key that holds other bytes,
 * are refused with the reason recorded.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import {
  BaselineManifest,
  baselineKey,
  baselineManifestKey,
  modelPinner,
  PinRecord,
} from '../../lambdas/model-pinner/handler';
import { evaluation } from './fixtures';
import { pinnerDeps, version } from './promotion';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pin-baselines');
}, 60_000);
afterAll(async () => w?.stop());

const CONSTRAINTS = { version: 0.0, features: [{ name: 'amount', inferred_type: 'Fractional', completeness: 1 }] };
const SEGMENTS = {
  version: 0.0,
  segments: { 'high-value': { definition: 'amount >= 10000', statistics: { features: [] } } },
};
const where = (arn: string) => arn.split('/').slice(-2).join('/');
const versionOf = (arn: string) => Number(arn.split('/').pop());
const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const bytesOf = async (bucket: string, key: string, versionId?: string) =>
  Buffer.from(
    await (
      await w.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))
    ).Body!.transformToByteArray(),
  );
const versionsOf = async (key: string) =>
  ((await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: key }))).Versions ?? []).filter(
    (v) => v.Key === key,
  );
const pinRecord = async (arn: string) => (await w.json(`pins/${where(arn)}/pin.json`)) as unknown as PinRecord;
const refusals = async (arn: string) => (await w.keys(`pins/${where(arn)}/`)).filter((k) => /refused-/.test(k));
const pin = (s3?: S3Client) => modelPinner(pinnerDeps(w, s3 ? { s3 } : {}));

/** A governed version whose run wrote the baseline files given (statistics always, through the world's reports). */
async function withBaseline(
  files: { constraints?: unknown; segments?: unknown; score?: unknown } = {
    constraints: CONSTRAINTS,
    segments: SEGMENTS,
  },
) {
  const run = await w.run('fraud-score');
  const reports = `${run.prefix}reports/`;
  const put = (name: string, body: unknown) =>
    w.s3.send(new PutObjectCommand({ Bucket: w.artifacts, Key: `${reports}${name}`, Body: JSON.stringify(body) }));
  if (files.constraints) await put('baseline-constraints.json', files.constraints);
  if (files.segments) await put('baseline-segment-statistics.json', files.segments);
  if (files.score) await put('baseline-score-statistics.json', files.score);
  const arn = await version(w, 'fraud-score', {
    pin: false,
    execution: run.arn,
    reports: { ...GOOD, evaluation: evaluation(0.9) },
  });
  return { arn, reports };
}

describe('the baseline is pinned with the model data', () => {
  test("statistics at the recorded version and SHA-256, the run's constraints and segment statistics, locked; manifest and pin record agree", async () => {
    const { arn, reports } = await withBaseline();
    const approval = (await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord;
    expect(approval.inputs.baseline).toMatchObject({
      status: 'ok',
      versionId: expect.any(String),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true, replayed: false });
    const rec = await pinRecord(arn);
    if (rec.baselines?.status !== 'pinned') throw new Error(`not pinned: ${JSON.stringify(rec.baselines)}`);
    expect(rec.baselines.files.map((f) => f.file)).toEqual([
      'baseline-statistics.json',
      'baseline-constraints.json',
      'baseline-segment-statistics.json',
    ]);
    expect(rec.baselines.files[0].source).toEqual({
      uri: approval.inputs.baseline.uri,
      versionId: approval.inputs.baseline.versionId,
    });
    expect(rec.baselines.files[0].pinned.sha256).toBe(approval.inputs.baseline.sha256);
    for (const f of rec.baselines.files) {
      const key = baselineKey('fraud-score', versionOf(arn), f.file);
      expect(f.pinned.uri).toBe(`s3://${w.approved}/${key}`);
      const source = await bytesOf(w.artifacts, `${reports}${f.file}`, f.source.versionId);
      const copy = await bytesOf(w.approved, key, f.pinned.versionId);
      expect(copy).toEqual(source);
      expect(sha256hex(copy)).toBe(f.pinned.sha256);
      const head = await w.s3.send(
        new HeadObjectCommand({ Bucket: w.approved, Key: key, VersionId: f.pinned.versionId }),
      );
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      await expect(
        w.s3.send(new DeleteObjectCommand({ Bucket: w.approved, Key: key, VersionId: f.pinned.versionId })),
      ).rejects.toThrow();
    }
    const manifestBytes = await bytesOf(
      w.approved,
      baselineManifestKey('fraud-score', versionOf(arn)),
      rec.baselines.manifest.versionId,
    );
    expect(sha256hex(manifestBytes)).toBe(rec.baselines.manifest.sha256);
    const manifest = JSON.parse(manifestBytes.toString()) as BaselineManifest;
    expect(manifest).toEqual({
      schema: 'model-baseline/1',
      modelPackage: arn,
      files: rec.baselines.files.map((f) => ({
        file: f.file,
        bytes: f.pinned.bytes,
        sha256: f.pinned.sha256,
        source: f.source,
      })),
    });
  });

  test('a baseline file rewritten after the decision: the version the gate saw is pinned, not the new one', async () => {
    const { arn, reports } = await withBaseline();
    const before = await w.s3.send(
      new ListObjectVersionsCommand({ Bucket: w.artifacts, Prefix: `${reports}baseline-constraints.json` }),
    );
    await new Promise((r) => setTimeout(r, 1100)); // LastModified is kept to the second
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.artifacts,
        Key: `${reports}baseline-constraints.json`,
        Body: '{"features":[]}',
      }),
    );
    await pin()(stateChange(arn, 'Approved'));
    const rec = await pinRecord(arn);
    if (rec.baselines?.status !== 'pinned') throw new Error('not pinned');
    const constraints = rec.baselines.files.find((f) => f.file === 'baseline-constraints.json')!;
    expect(constraints.source.versionId).toBe(before.Versions![0].VersionId);
    expect(
      JSON.parse(
        (await bytesOf(w.approved, baselineKey('fraud-score', versionOf(arn), 'baseline-constraints.json'))).toString(),
      ),
    ).toEqual(CONSTRAINTS);
  });

  test('no constraints in the run: the model data is pinned, the baseline is not, and the pin record says why', async () => {
    const { arn } = await withBaseline({});
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
    const rec = await pinRecord(arn);
    expect(rec.containers).toHaveLength(1);
    expect(rec.baselines).toEqual({
      status: 'none',
      reason: expect.stringMatching(
        /baseline-constraints\.json did not exist when the approval gate decided .*the monitoring job needs it$/,
      ),
    });
    expect(
      (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `baselines/${where(arn)}/` })))
        .Versions ?? [],
    ).toEqual([]);
  });

  test('constraints written only after the decision do not count', async () => {
    const { arn, reports } = await withBaseline({});
    await new Promise((r) => setTimeout(r, 1100));
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.artifacts,
        Key: `${reports}baseline-constraints.json`,
        Body: JSON.stringify(CONSTRAINTS),
      }),
    );
    await pin()(stateChange(arn, 'Approved'));
    expect((await pinRecord(arn)).baselines).toMatchObject({ status: 'none' });
  });

  test('a version registered without a drift baseline: nothing pinned of it, reason names the record', async () => {
    const arn = await version(w, 'fraud-score', { pin: false, reports: { ...GOOD, baseline: undefined } });
    // The gate blocks on the missing baseline; a person approves anyway.
    expect(await w.status(arn)).toBe('Approved');
    await pin()(stateChange(arn, 'Approved'));
    expect((await pinRecord(arn)).baselines).toEqual({
      status: 'none',
      reason: expect.stringMatching(/^the approval record kept no baseline statistics \(missing/),
    });
  });
});

describe('refusals: other bytes are never pinned', () => {
  test('the recorded SHA-256 is not the bytes of the recorded version: refused with both digests, nothing written, a retry refuses again', async () => {
    const { arn } = await withBaseline();
    const record = (await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord;
    const forged = 'f'.repeat(64);
    // Records are write-once: a later round is how another writer's record would appear.
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: `approval/${where(arn)}/round-2.json`,
        Body: JSON.stringify({
          ...record,
          round: 2,
          inputs: { ...record.inputs, baseline: { ...record.inputs.baseline, sha256: forged } },
        }),
      }),
    );
    const result = await pin()(stateChange(arn, 'Approved'));
    expect(result).toEqual({
      pinned: false,
      reason: `baseline: s3://${w.artifacts}/${record.inputs.baseline.uri!.slice(`s3://${w.artifacts}/`.length)} version ${record.inputs.baseline.versionId} has SHA-256 ${record.inputs.baseline.sha256}, not the ${forged} the approval record kept; nothing of it is pinned`,
    });
    const [refused] = await refusals(arn);
    expect((await w.json(refused)).reason).toBe(result.reason);
    expect((await w.keys(`pins/${where(arn)}/`)).some((k) => k.endsWith('pin.json'))).toBe(false);
    expect(
      (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `baselines/${where(arn)}/` })))
        .Versions ?? [],
    ).toEqual([]);
    // Idempotent: the retry reaches the same refusal, and still writes nothing.
    expect(await pin()(stateChange(arn, 'Approved'))).toEqual(result);
    expect(
      (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `baselines/${where(arn)}/` })))
        .Versions ?? [],
    ).toEqual([]);
  });

  test('the baseline key already holds other bytes: refused, never overwritten', async () => {
    const { arn } = await withBaseline();
    const key = baselineKey('fraud-score', versionOf(arn), 'baseline-constraints.json');
    const planted = await w.s3.send(
      new PutObjectCommand({
        Bucket: w.approved,
        Key: key,
        Body: '{"features":[{"name":"amount","inferred_type":"String"}]}',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const result = await pin()(stateChange(arn, 'Approved'));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(`^baseline: ${key} already holds other bytes .* it is never overwritten$`),
      ),
    });
    expect((await versionsOf(key)).map((v) => v.VersionId)).toEqual([planted.VersionId]);
    expect((await w.keys(`pins/${where(arn)}/`)).some((k) => k.endsWith('pin.json'))).toBe(false);
  });

  test('the recorded statistics version deleted: refused as gone (not retried forever)', async () => {
    const { arn } = await withBaseline();
    const record = (await w.record(`approval/${where(arn)}/round-1.json`)) as ApprovalRecord;
    await w.s3.send(
      new DeleteObjectCommand({
        Bucket: w.artifacts,
        Key: record.inputs.baseline.uri!.slice(`s3://${w.artifacts}/`.length),
        VersionId: record.inputs.baseline.versionId,
      }),
    );
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(
          `^baseline: the approved version ${record.inputs.baseline.versionId} of .*baseline-statistics\\.json no longer exists`,
        ),
      ),
    });
  });
});

describe('exactly once', () => {
  const baselineVersions = async (arn: string) => {
    const listed =
      (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `baselines/${where(arn)}/` })))
        .Versions ?? [];
    return listed.map((v) => `${v.Key}@${v.VersionId}`).sort();
  };

  test('a redelivery replays; a retry after a crash before the pin record takes the same copies; one version per key', async () => {
    const { arn } = await withBaseline();
    await pin()(stateChange(arn, 'Approved'));
    const first = await pinRecord(arn);
    const written = await baselineVersions(arn);
    expect(written).toHaveLength(4); // three files and the manifest
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true, replayed: true });
    // As if the first run had stopped after its copies, before writing its record.
    await w.s3.send(new DeleteObjectCommand({ Bucket: w.records, Key: `pins/${where(arn)}/pin.json` }));
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true, replayed: false });
    const second = await pinRecord(arn);
    // The same copies (the retry extends their lock: retainUntil is counted from its own run).
    const sameCopies = (r: PinRecord) =>
      JSON.parse(JSON.stringify(r.baselines), (k, v) => (k === 'retainUntil' ? undefined : v));
    expect(sameCopies(second)).toEqual(sameCopies(first));
    expect(second.baselines?.status).toBe('pinned');
    expect(await baselineVersions(arn)).toEqual(written);
  });

  test('a write whose answer is lost (carried out, then a reset): the copy is found and taken, not written again', async () => {
    const { arn } = await withBaseline();
    const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
    let lost = 0;
    const flaky = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: unknown) => {
              const out = await real(c);
              if (c instanceof PutObjectCommand && String(c.input.Key).startsWith('baselines/') && lost < 2) {
                lost++;
                throw new S3ServiceException({
                  name: 'RequestTimeout',
                  $fault: 'client',
                  message: 'socket hang up',
                  $metadata: { httpStatusCode: 400 },
                });
              }
              return out;
            }
          : Reflect.get(t, p),
    });
    expect(await pin(flaky)(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true, replayed: false });
    expect(lost).toBe(2);
    const rec = await pinRecord(arn);
    expect(rec.baselines?.status).toBe('pinned');
    expect(await baselineVersions(arn)).toHaveLength(4);
  });

  test('a failed write that did not happen is thrown (the event is retried), never recorded as a refusal', async () => {
    const { arn } = await withBaseline();
    const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
    const failing = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: unknown) => {
              if (c instanceof PutObjectCommand && String(c.input.Key).endsWith('baseline-constraints.json'))
                throw new S3ServiceException({
                  name: 'InternalError',
                  $fault: 'server',
                  message: 'internal',
                  $metadata: { httpStatusCode: 500 },
                });
              return real(c);
            }
          : Reflect.get(t, p),
    });
    await expect(pin(failing)(stateChange(arn, 'Approved'))).rejects.toThrow(/internal/);
    expect(await refusals(arn)).toEqual([]);
    // The retry completes, reusing the statistics copy the failed run made.
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
    expect(await baselineVersions(arn)).toHaveLength(4);
  });

  test('two concurrent runs: one pin record, one version per baseline key', async () => {
    const { arn } = await withBaseline();
    const [a, b] = await Promise.all([pin()(stateChange(arn, 'Approved')), pin()(stateChange(arn, 'Approved'))]);
    expect([a.pinned, b.pinned]).toEqual([true, true]);
    expect(await baselineVersions(arn)).toHaveLength(4);
  });
});
