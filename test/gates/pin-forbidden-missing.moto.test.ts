/**
 * The pinner reads the approved model data version in the artifact bucket. Without s3:ListBucket, S3 answers a
 * request for an object or version that does not exist with 403 AccessDenied, not 404 (Amazon S3 API Reference,
 * GetObject, Permissions: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403
 * Access Denied error"); whether a ListBucket grant conditioned on s3:prefix counts there is not documented, so the
 * emulation here answers every missing artifact 403, whatever the grant. moto does not enforce IAM, so a client proxy
 * does. The pinner asks the key's version listing (its s3:ListBucketVersions, scoped to model data prefixes) whether
 * the version is gone: gone is a recorded refusal; a 403 on a version that is there is thrown (retried, then
 * dead-lettered), never recorded as final.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { modelPinner, PinRecord } from '../../lambdas/model-pinner/handler';
import { pinnerDeps, version } from './promotion';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pin-forbidden');
}, 60_000);
afterAll(async () => w?.stop());

const denied = () =>
  new S3ServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: 'Access Denied',
    $metadata: { httpStatusCode: 403 },
  });

/**
 * The pinner's S3 as AWS answers it: a missing key or version of the artifact bucket reads as 403; `deny` forbids reads
 * outright.
 */
function withoutListBucket(s3: S3Client, bucket: string, deny = false): S3Client {
  const real = s3.send.bind(s3) as (c: unknown) => Promise<unknown>;
  return new Proxy(s3, {
    get: (t, p) =>
      p === 'send'
        ? async (c: { input?: { Bucket?: string; CopySource?: string } }) => {
            const onArtifacts =
              c.input?.Bucket === bucket || String(c.input?.CopySource ?? '').startsWith(`${bucket}/`);
            if (deny && onArtifacts && c instanceof GetObjectCommand) throw denied();
            try {
              return await real(c);
            } catch (e) {
              const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
              const name = (e as Error).name;
              if (onArtifacts && (status === 404 || /NoSuch|NotFound|InvalidRequest/.test(name))) throw denied();
              throw e;
            }
          }
        : Reflect.get(t, p),
  });
}

const refusalsOf = async (v: string) => (await w.keys(`pins/fraud-score/${v}/`)).filter((k) => /refused-/.test(k));

async function approvedAndDeleted() {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const kept = ((await w.record(`approval/fraud-score/${v}/round-1.json`)) as ApprovalRecord).modelData![0];
  expect(kept).toMatchObject({ status: 'ok' });
  const key = kept.uri!.replace(`s3://${w.artifacts}/`, '');
  const versions = await w.s3.send(new ListObjectVersionsCommand({ Bucket: w.artifacts, Prefix: key }));
  expect(versions.Versions?.some((x) => x.VersionId === kept.versionId)).toBe(true);
  await w.s3.send(new DeleteObjectCommand({ Bucket: w.artifacts, Key: key, VersionId: kept.versionId }));
  return { arn, v, key, kept };
}

test('an approved version deleted before pinning, read as 403, is refused and recorded, not retried into the dead-letter queue', async () => {
  const { arn, v, kept } = await approvedAndDeleted();
  const outcome = await modelPinner(pinnerDeps(w, { s3: withoutListBucket(w.s3, w.artifacts) }))(
    stateChange(arn, 'Approved'),
  );
  expect(outcome).toMatchObject({
    pinned: false,
    reason: expect.stringMatching(
      new RegExp(`approved version ${kept.versionId} of .* no longer exists .*AccessDenied`),
    ),
  });
  expect(await refusalsOf(v)).toHaveLength(1);
  expect(await w.keys(`pins/fraud-score/${v}/pin.json`)).toEqual([]);
});

test('a deleted approved version whose key has a newer version is still refused: only the approved version is pinned', async () => {
  const { arn, v, key } = await approvedAndDeleted();
  await w.s3.send(
    new PutObjectCommand({ Bucket: w.artifacts, Key: key, Body: 'other weights written after approval' }),
  );
  const outcome = await modelPinner(pinnerDeps(w, { s3: withoutListBucket(w.s3, w.artifacts) }))(
    stateChange(arn, 'Approved'),
  );
  expect(outcome).toMatchObject({ pinned: false, reason: expect.stringMatching(/no longer exists/) });
  expect(await refusalsOf(v)).toHaveLength(1);
});

test('control: with S3 answering 404 the same deletion is refused and recorded', async () => {
  const { arn, v } = await approvedAndDeleted();
  const outcome = await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  expect(outcome).toMatchObject({ pinned: false, reason: expect.stringMatching(/no longer exists/) });
  expect(await refusalsOf(v)).toHaveLength(1);
});

test('a 403 on an approved version that is still there is thrown for a retry, not recorded as gone', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  let thrown: unknown;
  await modelPinner(pinnerDeps(w, { s3: withoutListBucket(w.s3, w.artifacts, true) }))(
    stateChange(arn, 'Approved'),
  ).catch((e) => (thrown = e));
  expect((thrown as Error)?.name).toBe('AccessDenied');
  expect(await refusalsOf(v)).toEqual([]);
  expect(await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
});

test('a failing version listing leaves the read error thrown, not a refusal', async () => {
  const { arn, v } = await approvedAndDeleted();
  const base = withoutListBucket(w.s3, w.artifacts);
  const send = base.send.bind(base) as (c: unknown) => Promise<unknown>;
  const s3 = new Proxy(base, {
    get: (t, p) =>
      p === 'send'
        ? async (c: unknown) => (c instanceof ListObjectVersionsCommand ? Promise.reject(denied()) : send(c))
        : Reflect.get(t, p),
  });
  await expect(modelPinner(pinnerDeps(w, { s3 }))(stateChange(arn, 'Approved'))).rejects.toMatchObject({
    name: 'AccessDenied',
  });
  expect(await refusalsOf(v)).toEqual([]);
});

test('model data outside training/<group>/<run>/model/ is refused with a recorded reason', async () => {
  const arn = await version(w, 'fraud-score', {
    pin: false,
    modelData: `s3://${w.artifacts}/training/fraud-score/loose-model.tar.gz`,
  });
  const v = arn.split('/').pop()!;
  const approval = (await w.record(`approval/fraud-score/${v}/round-1.json`)) as ApprovalRecord | undefined;
  const outcome = await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  // The approval gate read it (any key under training/ is evidence to it); the pinner copies only a run's model data.
  expect(approval?.modelData?.[0]).toMatchObject({ status: 'ok' });
  expect(outcome).toMatchObject({ pinned: false, reason: expect.stringMatching(/is not a training run's model data/) });
  expect(await refusalsOf(v)).toHaveLength(1);
  expect(await w.keys(`pins/fraud-score/${v}/pin.json`)).toEqual([]);
});

test('a later round that recorded the model data unavailable does not hide an earlier round that read it', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const round1 = (await w.record(`approval/fraud-score/${v}/round-1.json`)) as ApprovalRecord;
  const round2 = {
    ...round1,
    modelData: round1.modelData!.map((d) => ({
      uri: d.uri,
      status: 'unavailable',
      reason: 'SlowDown: please reduce your request rate',
    })),
  };
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: `approval/fraud-score/${v}/round-2.json`,
      Body: JSON.stringify(round2),
    }),
  );
  const outcome = await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  expect(outcome).toMatchObject({ pinned: true });
  const pin = (await w.record(`pins/fraud-score/${v}/pin.json`)) as unknown as PinRecord;
  expect(pin.approvalRecord).toBe(`approval/fraud-score/${v}/round-1.json`);
  expect(pin.containers[0].source.versionId).toBe(round1.modelData![0].versionId);
});

test('control: when no round read the model data, the refusal names the latest status', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const round1 = (await w.record(`approval/fraud-score/${v}/round-1.json`)) as ApprovalRecord;
  const unread = {
    ...round1,
    modelData: round1.modelData!.map((d) => ({ uri: d.uri, status: 'unavailable', reason: 'SlowDown' })),
  };
  await w.s3.send(new DeleteObjectCommand({ Bucket: w.records, Key: `approval/fraud-score/${v}/round-1.json` }));
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: `approval/fraud-score/${v}/round-2.json`,
      Body: JSON.stringify(unread),
    }),
  );
  const outcome = await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  expect(outcome).toMatchObject({
    pinned: false,
    reason: expect.stringMatching(/kept no version .*unavailable: SlowDown/),
  });
  expect(await refusalsOf(v)).toHaveLength(1);
});
