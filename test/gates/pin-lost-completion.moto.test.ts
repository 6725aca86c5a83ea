/**
 * The pinner's multipart copy completes with If-None-Match. A completion whose response is lost (a timeout, a
 * connection reset) is retried by the SDK; the upload has by then been completed, and S3 answers the retry 404
 * NoSuchUpload (Amazon S3 API Reference, CompleteMultipartUpload, Errors: NoSuchUpload, "The specified multipart
 * upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or
 * completed", HTTP 404). moto cannot lose an answer, so a client proxy does: the completion is carried out, then
 * answered as the retry would be. The pinner must find the completed copy (these bytes) and pin it, never record
 * that the approved version is gone; a failure it cannot explain is thrown, so that the event is retried.
 */
import {
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { modelPinner, pinnedKey, PinRecord } from '../../lambdas/model-pinner/handler';
import { pinnerDeps, version } from './promotion';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pin-lostcomplete');
}, 60_000);
afterAll(async () => w?.stop());

const noSuchUpload = () =>
  new S3ServiceException({
    name: 'NoSuchUpload',
    $fault: 'client',
    message:
      'The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.',
    $metadata: { httpStatusCode: 404 },
  });
const internal = () =>
  new S3ServiceException({
    name: 'InternalError',
    $fault: 'server',
    message: 'We encountered an internal error. Please try again.',
    $metadata: { httpStatusCode: 500 },
  });

/** `s3` whose calls of `kind` go through `when(real call)`. */
function intercept(
  s3: S3Client,
  kind: new (...a: never[]) => unknown,
  when: (call: () => Promise<unknown>) => Promise<unknown>,
): S3Client {
  const real = s3.send.bind(s3) as (c: unknown) => Promise<unknown>;
  return new Proxy(s3, {
    get: (t, p) =>
      p === 'send' ? async (c: unknown) => (c instanceof kind ? when(() => real(c)) : real(c)) : Reflect.get(t, p),
  });
}

async function outcomeOf(run: () => Promise<unknown>) {
  try {
    return { outcome: await run(), thrown: undefined };
  } catch (e) {
    return { outcome: undefined, thrown: e };
  }
}

const refusalsOf = async (v: string) => (await w.keys(`pins/fraud-score/${v}/`)).filter((k) => /refused-/.test(k));

test('a completion carried out whose answer was lost: the copy at the key is found, locked and pinned, with no refusal', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const kept = ((await w.record(`approval/fraud-score/${v}/round-1.json`)) as ApprovalRecord).modelData![0];
  const s3 = intercept(w.s3, CompleteMultipartUploadCommand, async (call) => {
    await call();
    throw noSuchUpload();
  });
  const { outcome, thrown } = await outcomeOf(() => modelPinner(pinnerDeps(w, { s3 }))(stateChange(arn, 'Approved')));
  expect(thrown).toBeUndefined();
  expect(outcome).toMatchObject({ pinned: true, replayed: false });
  expect(await refusalsOf(v)).toEqual([]);
  const pin = (await w.record(`pins/fraud-score/${v}/pin.json`)) as unknown as PinRecord;
  const copy = await w.s3.send(
    new HeadObjectCommand({
      Bucket: w.approved,
      Key: pinnedKey('fraud-score', v, 0),
      VersionId: pin.containers[0].pinned.versionId,
    }),
  );
  expect(copy.ContentLength).toBe(kept.bytes);
  expect(copy.ObjectLockMode).toBe('COMPLIANCE');
  // The copy is the approved version's bytes.
  const [a, b] = await Promise.all([
    w.s3
      .send(
        new GetObjectCommand({
          Bucket: w.artifacts,
          Key: kept.uri!.replace(`s3://${w.artifacts}/`, ''),
          VersionId: kept.versionId,
        }),
      )
      .then((r) => r.Body!.transformToString()),
    w.s3
      .send(new GetObjectCommand({ Bucket: w.approved, Key: pinnedKey('fraud-score', v, 0) }))
      .then((r) => r.Body!.transformToString()),
  ]);
  expect(b).toBe(a);
});

test('a completion that failed before anything was written is thrown for a retry, and the retry pins', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const s3 = intercept(w.s3, CompleteMultipartUploadCommand, async () => {
    throw noSuchUpload();
  });
  const first = await outcomeOf(() => modelPinner(pinnerDeps(w, { s3 }))(stateChange(arn, 'Approved')));
  expect(first.thrown).toBeDefined();
  expect(await refusalsOf(v)).toEqual([]);
  expect(await w.keys(`pins/fraud-score/${v}/pin.json`)).toEqual([]);
  // EventBridge's retry.
  expect(await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
  expect(await refusalsOf(v)).toEqual([]);
});

test('a transient error reading the approved version is thrown for a retry, never recorded as final', async () => {
  const arn = await version(w, 'fraud-score', { pin: false });
  const v = arn.split('/').pop()!;
  const s3 = intercept(w.s3, GetObjectCommand, async () => {
    throw internal();
  });
  const { thrown } = await outcomeOf(() => modelPinner(pinnerDeps(w, { s3 }))(stateChange(arn, 'Approved')));
  expect((thrown as Error)?.name).toBe('InternalError');
  expect(await refusalsOf(v)).toEqual([]);
  expect(await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'))).toMatchObject({ pinned: true });
});
