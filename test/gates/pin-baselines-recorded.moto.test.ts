/**
 * Every drift baseline file is pinned at exactly the S3 version the approval gate read and recorded, against moto.
 * The gate records, for each file the pinner copies, its version id and the SHA-256 of the bytes it read (or why it
 * has none); the pinner copies those versions, verifies their bytes, and never picks a version by time. A rewrite in
 * the decision's own second, a deleted recorded version, bytes that are not the recorded digest, a file the gate
 * could not read, and a record from before per-file baseline records are each refused or pin no baseline, saying why.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { approvalGate, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { baselineKey, modelPinner, PinRecord } from '../../lambdas/model-pinner/handler';
import { evaluation } from './fixtures';
import { approvalDeps, person, pinnerDeps } from './promotion';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pin-baselines-recorded');
}, 60_000);
afterAll(async () => w?.stop());

const CONSTRAINTS = { version: 0.0, features: [{ name: 'amount', inferred_type: 'Fractional', completeness: 1 }] };
const REWRITTEN = { version: 0.0, features: [{ name: 'amount', inferred_type: 'String', completeness: 0 }] };
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
const pinRecord = async (arn: string) => (await w.json(`pins/${where(arn)}/pin.json`)) as unknown as PinRecord;
const approvalOf = async (arn: string, round = 1) =>
  (await w.record(`approval/${where(arn)}/round-${round}.json`)) as ApprovalRecord;
const pinned = async (arn: string) =>
  (
    (await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.approved, Prefix: `baselines/${where(arn)}/` })))
      .Versions ?? []
  ).length;
const pin = () => modelPinner(pinnerDeps(w));

/**
 * A governed version of fraud-score whose run wrote statistics (the world's), constraints and segment statistics;
 * decided by the gate (with `s3` if given), then Approved.
 */
async function decided(s3?: S3Client) {
  const run = await w.run('fraud-score');
  const reports = `${run.prefix}reports/`;
  const put = (name: string, body: string) =>
    w.s3.send(new PutObjectCommand({ Bucket: w.artifacts, Key: `${reports}${name}`, Body: body }));
  await put('baseline-constraints.json', JSON.stringify(CONSTRAINTS));
  await put('baseline-segment-statistics.json', JSON.stringify(SEGMENTS));
  const arn = await w.register('fraud-score', {
    execution: run.arn,
    reports: { ...GOOD, evaluation: evaluation(0.9) },
  });
  await approvalGate({ ...approvalDeps(w), ...(s3 ? { s3 } : {}) })(stateChange(arn));
  if ((await w.status(arn)) !== 'Approved') await person(w, arn, 'Approved');
  return { arn, reports, put };
}

/**
 * Writes a later round of the version's decision record (records are write-once: another writer's record would appear
 * as a later round).
 */
async function laterRound(arn: string, patch: (r: ApprovalRecord) => object) {
  const record = await approvalOf(arn);
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: `approval/${where(arn)}/round-2.json`,
      Body: JSON.stringify({ ...record, round: 2, ...patch(record) }),
    }),
  );
  return record;
}

describe('the gate records every baseline file it read', () => {
  test('version id and SHA-256 of the bytes read, for each file the pinner copies; an absent file is recorded missing; existing inputs kept', async () => {
    const { arn, reports } = await decided();
    const record = await approvalOf(arn);
    const files = record.baselineFiles!;
    expect(Object.keys(files)).toEqual([
      'baseline-statistics.json',
      'baseline-constraints.json',
      'baseline-score-statistics.json',
      'baseline-segment-statistics.json',
    ]);
    // The statistics entry is the very read the drift check used.
    expect(files['baseline-statistics.json']).toEqual({
      status: 'ok',
      uri: record.inputs.baseline.uri,
      versionId: record.inputs.baseline.versionId,
      sha256: record.inputs.baseline.sha256,
    });
    for (const file of ['baseline-constraints.json', 'baseline-segment-statistics.json'] as const) {
      const entry = files[file]!;
      expect(entry).toMatchObject({
        status: 'ok',
        uri: `s3://${w.artifacts}/${reports}${file}`,
        versionId: expect.any(String),
      });
      expect(entry.sha256).toBe(sha256hex(await bytesOf(w.artifacts, `${reports}${file}`, entry.versionId)));
    }
    expect(files['baseline-score-statistics.json']).toMatchObject({
      status: 'missing',
      uri: `s3://${w.artifacts}/${reports}baseline-score-statistics.json`,
      reason: expect.stringMatching(/does not exist/),
    });
    expect(record.inputs.baseline).toMatchObject({ status: 'ok' });
  });
});

describe('the pinner copies exactly the recorded versions', () => {
  test('constraints rewritten right after the decision, in its own second: the recorded version is pinned, not the rewrite', async () => {
    const { arn, reports, put } = await decided();
    const recorded = (await approvalOf(arn)).baselineFiles!['baseline-constraints.json']!;
    // No pause: the rewrite's LastModified is the decision's second (or earlier, on a skewed clock).
    await put('baseline-constraints.json', JSON.stringify(REWRITTEN));
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
    const rec = await pinRecord(arn);
    if (rec.baselines?.status !== 'pinned') throw new Error(`not pinned: ${JSON.stringify(rec.baselines)}`);
    const constraints = rec.baselines.files.find((f) => f.file === 'baseline-constraints.json')!;
    expect(constraints.source).toEqual({
      uri: `s3://${w.artifacts}/${reports}baseline-constraints.json`,
      versionId: recorded.versionId,
    });
    expect(constraints.pinned.sha256).toBe(recorded.sha256);
    expect(
      JSON.parse(
        (await bytesOf(w.approved, baselineKey('fraud-score', versionOf(arn), 'baseline-constraints.json'))).toString(),
      ),
    ).toEqual(CONSTRAINTS);
  });

  test('the recorded constraints version deleted: the pin is refused as gone, nothing of the baseline written', async () => {
    const { arn, reports } = await decided();
    const recorded = (await approvalOf(arn)).baselineFiles!['baseline-constraints.json']!;
    // A later version written, then the recorded one removed: a timestamp pick would take the later one.
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.artifacts,
        Key: `${reports}baseline-constraints.json`,
        Body: JSON.stringify(REWRITTEN),
      }),
    );
    await w.s3.send(
      new DeleteObjectCommand({
        Bucket: w.artifacts,
        Key: `${reports}baseline-constraints.json`,
        VersionId: recorded.versionId,
      }),
    );
    const result = await pin()(stateChange(arn, 'Approved'));
    expect(result).toMatchObject({
      pinned: false,
      reason: expect.stringMatching(
        new RegExp(
          `^baseline: the approved version ${recorded.versionId} of .*baseline-constraints\\.json no longer exists`,
        ),
      ),
    });
    expect((await w.keys(`pins/${where(arn)}/`)).some((k) => k.endsWith('pin.json'))).toBe(false);
    expect(await pinned(arn)).toBe(0);
  });

  test('the recorded SHA-256 of the segment statistics is not their bytes: refused with both digests, nothing of the baseline written', async () => {
    const { arn } = await decided();
    const forged = 'e'.repeat(64);
    const record = await laterRound(arn, (r) => ({
      baselineFiles: {
        ...r.baselineFiles,
        'baseline-segment-statistics.json': { ...r.baselineFiles!['baseline-segment-statistics.json'], sha256: forged },
      },
    }));
    const entry = record.baselineFiles!['baseline-segment-statistics.json']!;
    const result = await pin()(stateChange(arn, 'Approved'));
    expect(result).toEqual({
      pinned: false,
      reason: `baseline: ${entry.uri} version ${entry.versionId} has SHA-256 ${entry.sha256}, not the ${forged} the approval record kept; nothing of it is pinned`,
    });
    expect(await pinned(arn)).toBe(0);
  });

  test('a record from before per-file baseline records: no baseline pinned, the reason says a new approval is needed; model data still pinned', async () => {
    const { arn } = await decided();
    await laterRound(arn, (r) => ({ ...r, round: 2, baselineFiles: undefined }));
    expect(await pin()(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
    const rec = await pinRecord(arn);
    expect(rec.containers).toHaveLength(1);
    expect(rec.baselines).toEqual({
      status: 'none',
      reason: expect.stringMatching(/predates per-file baseline records: .*a new approval pins them$/),
    });
    expect(await pinned(arn)).toBe(0);
  });

  test("a record that names no version of one file, or another run's file, pins no baseline", async () => {
    const dropped = await decided();
    await laterRound(dropped.arn, (r) => ({
      baselineFiles: { ...r.baselineFiles, 'baseline-segment-statistics.json': undefined },
    }));
    await pin()(stateChange(dropped.arn, 'Approved'));
    expect((await pinRecord(dropped.arn)).baselines).toEqual({
      status: 'none',
      reason: expect.stringMatching(
        /names no version of .*baseline-segment-statistics\.json; only what the gate recorded is pinned$/,
      ),
    });

    const other = await decided();
    const borrowed = (await approvalOf(dropped.arn)).baselineFiles!['baseline-constraints.json'];
    await laterRound(other.arn, (r) => ({
      baselineFiles: { ...r.baselineFiles, 'baseline-constraints.json': borrowed },
    }));
    await pin()(stateChange(other.arn, 'Approved'));
    expect((await pinRecord(other.arn)).baselines).toMatchObject({
      status: 'none',
      reason: expect.stringMatching(/is not s3:\/\/.*baseline-constraints\.json with a version id and a hex SHA-256$/),
    });
    expect(await pinned(other.arn)).toBe(0);
  });

  test('constraints the gate could not read (S3 failed it): recorded unavailable, no baseline pinned, no later version taken', async () => {
    const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
    const failing = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: unknown) => {
              if (c instanceof GetObjectCommand && String(c.input.Key).endsWith('/baseline-constraints.json'))
                throw new S3ServiceException({
                  name: 'SlowDown',
                  $fault: 'server',
                  message: 'Please reduce your request rate.',
                  $metadata: { httpStatusCode: 503 },
                });
              return real(c);
            }
          : Reflect.get(t, p),
    });
    const { arn } = await decided(failing);
    expect((await approvalOf(arn)).baselineFiles!['baseline-constraints.json']).toMatchObject({
      status: 'unavailable',
      reason: expect.stringMatching(/SlowDown/),
    });
    await pin()(stateChange(arn, 'Approved'));
    expect((await pinRecord(arn)).baselines).toEqual({
      status: 'none',
      reason: expect.stringMatching(
        /^the approval gate could not use .*baseline-constraints\.json \(unavailable: SlowDown.*\); no other version of it is taken$/,
      ),
    });
    expect(await pinned(arn)).toBe(0);
  });

  test('constraints that are not JSON: recorded invalid with their version and digest, no baseline pinned', async () => {
    const run = await w.run('fraud-score');
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.artifacts,
        Key: `${run.prefix}reports/baseline-constraints.json`,
        Body: '{"features": [',
      }),
    );
    const arn = await w.register('fraud-score', {
      execution: run.arn,
      reports: { ...GOOD, evaluation: evaluation(0.9) },
    });
    await approvalGate(approvalDeps(w))(stateChange(arn));
    if ((await w.status(arn)) !== 'Approved') await person(w, arn, 'Approved');
    expect((await approvalOf(arn)).baselineFiles!['baseline-constraints.json']).toMatchObject({
      status: 'invalid',
      versionId: expect.any(String),
      sha256: sha256hex('{"features": ['),
    });
    await pin()(stateChange(arn, 'Approved'));
    expect((await pinRecord(arn)).baselines).toMatchObject({
      status: 'none',
      reason: expect.stringMatching(/could not use .*\(invalid: /),
    });
  });
});
