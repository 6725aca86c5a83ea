/**
 * Model pinner: runs when a governed package becomes Approved (by the gate or
 * by a person) and pins its model data, so that what was approved is what is
 * served.
 *
 * For each container it copies the model data version the approval record
 * kept (the version the gate saw when it decided, not whatever the key holds
 * now) into the Object Lock bucket of approved models, with S3 computing the
 * SHA-256 of the copy (CopyObject with ChecksumAlgorithm SHA256), locks that
 * version in COMPLIANCE mode, marks the source version with the tag
 * `estate-approved` (prod may read only versions so marked: the bucket policy
 * conditions its read on the tag, and only this role may set it), and writes
 * `pins/<group>/<version>/pin.json` once, with both version ids and the
 * SHA-256. The deployment gate refuses a promotion until that record exists
 * and the source and the copy still match it.
 *
 * Why asynchronous and server-side: model data runs to gigabytes, more than a
 * one-minute gate can read and hash; CopyObject copies inside S3 (up to 5 GiB,
 * its limit for one request) and S3 computes the checksum. Larger model data
 * is refused with the reason recorded (a multipart copy's SHA-256 is a
 * checksum of part checksums, not of the object; see the README), so such a
 * model is not promoted until it is pinned another way.
 */
import {
  CopyObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { ApprovalRecord } from '../model-approval-gate/handler';
import { errorText, listKeys, parseS3Uri, readRecord, writeRecordOnce } from '../shared/s3-objects';
import { visible } from '../shared/strict-json';

import { APPROVED_TAG } from './approved-tag';

export { APPROVED_TAG };
/** CopyObject's limit for one request (Amazon S3 API Reference, CopyObject). */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;
const PACKAGE_ARN = /^arn:(aws[a-z-]{0,10}):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):model-package\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,8})$/;
const ROUND_RECORD = /\/round-(\d{1,6})\.json$/;

export interface PinnerDeps {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly home: { readonly partition: string; readonly region: string; readonly account: string };
  readonly recordBucket: string;
  readonly artifactBucket: string;
  /** Object Lock bucket the approved model data is copied into. */
  readonly approvedBucket: string;
  /** Days each pinned copy is locked in COMPLIANCE mode. */
  readonly retainDays: number;
  readonly now?: () => Date;
  /** For tests: the largest object copied in one request. */
  readonly maxCopyBytes?: number;
}

export interface PinnedContainer {
  readonly source: { readonly uri: string; readonly versionId: string; readonly bytes?: number };
  readonly pinned: { readonly uri: string; readonly versionId: string; readonly sha256: string; readonly retainUntil: string };
}

export interface PinRecord {
  readonly schema: 'model-pin/1';
  readonly modelPackage: { readonly arn: string; readonly group: string; readonly version: number };
  /** The approval round whose model data was pinned. */
  readonly approvalRecord: string;
  readonly containers: readonly PinnedContainer[];
  readonly at: string;
}

export interface PinResult {
  readonly pinned: boolean;
  readonly record?: string;
  readonly replayed?: boolean;
  readonly reason?: string;
}

export function modelPinner(deps: PinnerDeps) {
  const now = deps.now ?? (() => new Date());
  return async function handle(event: { detail?: { ModelPackageArn?: string; ModelApprovalStatus?: string } }): Promise<PinResult> {
    const arn = event?.detail?.ModelPackageArn;
    const m = typeof arn === 'string' ? PACKAGE_ARN.exec(arn) : null;
    if (!m || m[1] !== deps.home.partition || m[2] !== deps.home.region || m[3] !== deps.home.account) return { pinned: false, reason: 'the event names no model package of this account' };
    const [, , , , group, version] = m;
    const base = `pins/${group}/${version}/`;
    const pinKey = `${base}pin.json`;
    const existing = await listKeys(deps.s3, deps.recordBucket, base);
    if (existing.includes(pinKey)) return { pinned: true, record: pinKey, replayed: true };

    // The package as it is now: a person may have changed their mind since the event.
    const described = await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn! }));
    if (described.ModelApprovalStatus !== 'Approved') return { pinned: false, reason: `the package is ${visible(String(described.ModelApprovalStatus))}, not Approved: nothing is pinned` };

    const refuse = async (reason: string): Promise<PinResult> => {
      await writeRecordOnce(deps.s3, { bucket: deps.recordBucket, key: `${base}refused-${now().toISOString()}.json` }, { schema: 'model-pin-refused/1', modelPackage: arn, reason, at: now().toISOString() });
      return { pinned: false, reason };
    };

    const approval = await latestModelData(group, version);
    if (!approval) return refuse('no approval record kept the model data versions, so there is no approved version to pin');
    const containers = described.InferenceSpecification?.Containers ?? [];
    if (containers.length === 0) return refuse('the package names no inference container');
    const retainUntil = new Date(now().getTime() + deps.retainDays * 86_400_000);
    const pinned: PinnedContainer[] = [];
    for (const [i, c] of containers.entries()) {
      const uri = c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri;
      const kept = approval.record.modelData?.[i];
      const source = uri ? parseS3Uri(uri) : undefined;
      if (!uri || !source) return refuse(`container ${i} names no S3 model data`);
      if (!kept || kept.uri !== uri || kept.status !== 'ok' || !kept.versionId) {
        return refuse(`container ${i}: the approval record kept no version of ${visible(uri).slice(0, 300)} (${kept ? `${kept.status}${kept.reason ? `: ${kept.reason}` : ''}` : 'not recorded'})`);
      }
      if (source.bucket !== deps.artifactBucket) return refuse(`container ${i}: ${uri} is outside the artifact bucket`);
      const limit = deps.maxCopyBytes ?? MAX_COPY_BYTES;
      if (kept.bytes === undefined || kept.bytes > limit) return refuse(`container ${i}: ${uri} is ${kept.bytes ?? 'an unknown number of'} bytes, over the ${limit} bytes one server-side copy takes`);
      const target = `models/${group}/${version}/${i}/${source.key.split('/').pop()}`;
      try {
        // The recorded version, not the current one: a write to the key since the decision is not what was approved.
        const copy = await deps.s3.send(
          new CopyObjectCommand({
            Bucket: deps.approvedBucket,
            Key: target,
            CopySource: `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(kept.versionId)}`,
            ChecksumAlgorithm: 'SHA256',
            // The copy carries no tags of the source (copying them would need tagging permissions on the copy).
            TaggingDirective: 'REPLACE',
          }),
        );
        const versionId = copy.VersionId;
        const sha256 = copy.CopyObjectResult?.ChecksumSHA256;
        if (!versionId || !sha256) return refuse(`container ${i}: the copy of ${uri} returned no version id or SHA-256`);
        await deps.s3.send(new PutObjectRetentionCommand({ Bucket: deps.approvedBucket, Key: target, VersionId: versionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil } }));
        const tags = (await deps.s3.send(new GetObjectTaggingCommand({ Bucket: source.bucket, Key: source.key, VersionId: kept.versionId }))).TagSet ?? [];
        await deps.s3.send(
          new PutObjectTaggingCommand({
            Bucket: source.bucket,
            Key: source.key,
            VersionId: kept.versionId,
            Tagging: { TagSet: [...tags.filter((t) => t.Key !== APPROVED_TAG), { Key: APPROVED_TAG, Value: `${group}/${version}` }] },
          }),
        );
        // What the lock and checksum are now, read back rather than assumed.
        const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.approvedBucket, Key: target, VersionId: versionId, ChecksumMode: 'ENABLED' }));
        if (head.ChecksumSHA256 !== sha256 || head.ObjectLockMode !== 'COMPLIANCE') return refuse(`container ${i}: the copy ${target} reads back with SHA-256 ${head.ChecksumSHA256} and lock ${head.ObjectLockMode}`);
        pinned.push({
          source: { uri, versionId: kept.versionId, bytes: kept.bytes },
          pinned: { uri: `s3://${deps.approvedBucket}/${target}`, versionId, sha256, retainUntil: retainUntil.toISOString() },
        });
      } catch (e) {
        const text = errorText(e);
        if (/NoSuchVersion|NoSuchKey|404|does not exist|not found/i.test(text)) return refuse(`container ${i}: the approved version ${kept.versionId} of ${uri} no longer exists: ${text}`);
        // Anything else may pass on a retry (the event is retried, then dead-lettered).
        throw e;
      }
    }
    const record: PinRecord = { schema: 'model-pin/1', modelPackage: { arn: arn!, group, version: Number(version) }, approvalRecord: approval.key, containers: pinned, at: now().toISOString() };
    if (!(await writeRecordOnce(deps.s3, { bucket: deps.recordBucket, key: pinKey }, record))) {
      // A concurrent run pinned first: its record is the pin (this run's copies stay locked, unreferenced).
      return { pinned: true, record: pinKey, replayed: true };
    }
    return { pinned: true, record: pinKey, replayed: false };
  };

  /** The latest approval round that kept the model data versions. */
  async function latestModelData(group: string, version: string): Promise<{ key: string; record: ApprovalRecord } | undefined> {
    const base = `approval/${group}/${version}/`;
    const rounds = (await listKeys(deps.s3, deps.recordBucket, base))
      .filter((k) => !k.slice(base.length).includes('/'))
      .map((k) => ROUND_RECORD.exec(k))
      .filter((x): x is RegExpExecArray => !!x)
      .map((x) => Number(x[1]))
      .sort((a, b) => b - a);
    for (const round of rounds) {
      const key = `${base}round-${round}.json`;
      const record = await readRecord<ApprovalRecord>(deps.s3, { bucket: deps.recordBucket, key });
      if (record?.modelData && record.modelData.length > 0) return { key, record };
    }
    return undefined;
  }
}

let bound: ReturnType<typeof modelPinner> | undefined;

export async function handler(event: { detail?: { ModelPackageArn?: string; ModelApprovalStatus?: string } }): Promise<PinResult> {
  if (!bound) {
    const env = (name: string) => {
      const value = process.env[name];
      if (!value) throw new Error(`environment variable ${name} is not set`);
      return value;
    };
    const retry = { maxAttempts: 4 };
    bound = modelPinner({
      sagemaker: new SageMakerClient(retry),
      s3: new S3Client(retry),
      home: { partition: env('PARTITION'), region: env('AWS_REGION'), account: env('ACCOUNT_ID') },
      recordBucket: env('RECORD_BUCKET'),
      artifactBucket: env('ARTIFACT_BUCKET'),
      approvedBucket: env('APPROVED_BUCKET'),
      retainDays: Number(env('RETAIN_DAYS')),
    });
  }
  return bound(event);
}
