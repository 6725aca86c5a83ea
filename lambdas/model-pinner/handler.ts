/**
 * Model pinner: runs when a governed package becomes Approved (by the gate or
 * by a person) and pins its model data, so that what was approved is what is
 * served.
 *
 * For each container it copies the model data version the approval record
 * kept (the version the gate saw when it decided, not whatever the key holds
 * now) into the Object Lock bucket of approved models, at a key fixed by the
 * package and container (`models/<group>/<version>/<container>/model.tar.gz`,
 * `pinnedKey`), written once: the copy is a multipart upload whose completion
 * carries `If-None-Match: *` (the bucket policy refuses any creation at
 * `models/` without it, and any `If-Match` overwrite), so a key never gets a
 * second version. Then it locks that version in COMPLIANCE mode, marks the
 * source version with the tag `estate-approved`, and writes
 * `pins/<group>/<version>/pin.json` once, with both version ids, the SHA-256
 * and the package's image. Prod's models read that key (constructs/
 * model-endpoint.ts), never the training bucket. The deployment gate refuses a
 * promotion until the record exists and the package, the copy and the source
 * still match it.
 *
 * The copy is server-side (UploadPartCopy, parts of `partBytes`, at most 5 GiB
 * each and 10,000 of them), so model data of any size S3 holds is pinned. The
 * pinner reads each part's range of the approved version itself and hashes it:
 * the record's SHA-256 is the whole object's, computed from the bytes, and each
 * part's SHA-256 goes with the completion, where S3 refuses a part whose copy
 * does not have it (Amazon S3 API Reference, CompleteMultipartUpload,
 * x-amz-checksum-sha256 of each part). The copy is read back: its size, and
 * S3's checksum of it (the composite of the part checksums, `<b64>-<parts>`,
 * or the whole object's) must be what the pinner computed. A run that fails
 * part-way aborts its upload; one killed part-way leaves an incomplete upload
 * that the bucket's lifecycle rule removes, and the retry starts afresh.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EVIDENCE_PREFIX } from '../model-approval-gate/evidence';
import type { ApprovalRecord } from '../model-approval-gate/handler';
import { errorText, listKeys, parseS3Uri, readRecord, writeRecordOnce } from '../shared/s3-objects';
import { visible } from '../shared/strict-json';

import {
  APPROVED_TAG,
  BASELINE_FILES,
  BaselineFile,
  baselineKey,
  BaselineManifest,
  baselineManifestKey,
  pinnedKey,
  REQUIRED_BASELINE_FILES,
} from './approved-tag';

export { APPROVED_TAG, BASELINE_FILES, baselineKey, baselineManifestKey, pinnedKey };
export type { BaselineManifest };
/** A baseline file larger than this is not read into the pinner's memory (the Evaluate step's run to a few MB). */
export const MAX_BASELINE_BYTES = 64 * 1024 ** 2;
/** The reports of a training run, `training/<group>/<run>/reports/`: where the approval gate read the baseline. */
const REPORTS_DIR = new RegExp(`^(${EVIDENCE_PREFIX}[^/]+/[^/]+/reports/)baseline-statistics\\.json$`);
/**
 * UploadPartCopy's limit for one part, and a multipart upload's limits (Amazon S3 User Guide, multipart upload limits).
 */
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PARTS = 10_000;
/** Part size unless the object needs larger parts to stay within 10,000. */
export const DEFAULT_PART_BYTES = 512 * 1024 ** 2;
const PACKAGE_ARN =
  /^arn:(aws[a-z-]{0,10}):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):model-package\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,8})$/;
const ROUND_RECORD = /\/round-(\d{1,6})\.json$/;
/**
 * Model data of a training run, `training/<group>/<run>/model/...`: the only keys the pinner's role may read
 * (lib/stacks/model-governance-stack.ts).
 */
const MODEL_DATA_KEY = new RegExp(`^${EVIDENCE_PREFIX}[^/]+/[^/]+/model/[^/].*$`);

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
  /**
   * Size of each copied part (default 512 MiB; at least S3's 5 MiB but for the last, which tests against moto lower);
   * raised where the object would need over 10,000 parts.
   */
  readonly partBytes?: number;
}

export interface PinnedContainer {
  readonly source: { readonly uri: string; readonly versionId: string; readonly bytes?: number };
  /** The container's image as the package names it (prod runs it with the pinned copy). */
  readonly image?: string;
  readonly pinned: {
    readonly uri: string;
    readonly versionId: string;
    /** SHA-256 of the whole object (base64), computed by the pinner from the approved version's bytes. */
    readonly sha256: string;
    /** S3's checksum of the copy as HeadObject reports it (composite of the part checksums for a multipart copy). */
    readonly s3Checksum?: string;
    readonly parts?: number;
    readonly bytes?: number;
    readonly retainUntil: string;
  };
}

/**
 * A version's drift baseline as pinned: each file written once, locked, with the manifest prod's copy verifies against.
 */
export type PinnedBaselines =
  | {
      readonly status: 'pinned';
      readonly manifest: { readonly uri: string; readonly versionId: string; readonly sha256: string };
      readonly files: readonly {
        readonly file: BaselineFile;
        readonly source: { readonly uri: string; readonly versionId: string };
        readonly pinned: {
          readonly uri: string;
          readonly versionId: string;
          readonly sha256: string;
          readonly bytes: number;
          readonly retainUntil: string;
        };
      }[];
    }
  /**
   * Nothing pinned, and why (prod's baseline copy refuses such a version for a monitored endpoint, naming the reason).
   */
  | { readonly status: 'none'; readonly reason: string };

export interface PinRecord {
  readonly schema: 'model-pin/1';
  readonly modelPackage: { readonly arn: string; readonly group: string; readonly version: number };
  /** The approval round whose model data was pinned. */
  readonly approvalRecord: string;
  readonly containers: readonly PinnedContainer[];
  /** The version's drift baseline, copied with its model data (absent from pins made before baselines were pinned). */
  readonly baselines?: PinnedBaselines;
  readonly at: string;
}

export interface PinResult {
  readonly pinned: boolean;
  readonly record?: string;
  readonly replayed?: boolean;
  readonly reason?: string;
}

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const nameOf = (e: unknown) => (e instanceof Error ? e.name : '');

/** Part size for an object of `bytes`: the configured size, raised so that 10,000 parts cover it (S3's limit). */
export function partSizeFor(bytes: number, partBytes = DEFAULT_PART_BYTES): number {
  return Math.max(partBytes, Math.ceil(bytes / MAX_PARTS));
}

/**
 * S3's composite SHA-256 of a multipart object: SHA-256 of the parts' binary digests, then `-<parts>` (Amazon S3 User
 * Guide, checksums of multipart objects).
 */
export function compositeSha256(partDigests: readonly Buffer[]): string {
  return `${createHash('sha256').update(Buffer.concat(partDigests)).digest('base64')}-${partDigests.length}`;
}

/** Why a thrown error means the copy cannot be made from that version (no retry will help). */
class Refusal extends Error {}

export function modelPinner(deps: PinnerDeps) {
  const now = deps.now ?? (() => new Date());
  return async function handle(event: {
    detail?: { ModelPackageArn?: string; ModelApprovalStatus?: string };
  }): Promise<PinResult> {
    const arn = event?.detail?.ModelPackageArn;
    const m = typeof arn === 'string' ? PACKAGE_ARN.exec(arn) : null;
    if (!m || m[1] !== deps.home.partition || m[2] !== deps.home.region || m[3] !== deps.home.account)
      return { pinned: false, reason: 'the event names no model package of this account' };
    const [, , , , group, version] = m;
    const base = `pins/${group}/${version}/`;
    const pinKey = `${base}pin.json`;
    const existing = await listKeys(deps.s3, deps.recordBucket, base);
    if (existing.includes(pinKey)) return { pinned: true, record: pinKey, replayed: true };

    // The package as it is now: a person may have changed their mind since the event.
    const described = await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn! }));
    if (described.ModelApprovalStatus !== 'Approved')
      return {
        pinned: false,
        reason: `the package is ${visible(String(described.ModelApprovalStatus))}, not Approved: nothing is pinned`,
      };

    const refuse = async (reason: string): Promise<PinResult> => {
      await writeRecordOnce(
        deps.s3,
        { bucket: deps.recordBucket, key: `${base}refused-${now().toISOString()}.json` },
        { schema: 'model-pin-refused/1', modelPackage: arn, reason, at: now().toISOString() },
      );
      return { pinned: false, reason };
    };

    const approval = await latestModelData(group, version);
    if (!approval)
      return refuse('no approval record kept the model data versions, so there is no approved version to pin');
    const containers = described.InferenceSpecification?.Containers ?? [];
    if (containers.length === 0) return refuse('the package names no inference container');
    const retainUntil = new Date(now().getTime() + deps.retainDays * 86_400_000);
    const pinned: PinnedContainer[] = [];
    for (const [i, c] of containers.entries()) {
      const uri = c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri;
      const kept = approval.record.modelData?.[i];
      const source = uri ? parseS3Uri(uri) : undefined;
      if (!uri || !source) return refuse(`container ${i} names no S3 model data`);
      if (c.ModelDataSource?.S3DataSource && c.ModelDataSource.S3DataSource.CompressionType !== 'Gzip')
        return refuse(
          `container ${i}: ${visible(uri).slice(0, 300)} is uncompressed model data under a prefix; only one compressed object is pinned`,
        );
      if (!kept || kept.uri !== uri || kept.status !== 'ok' || !kept.versionId) {
        return refuse(
          `container ${i}: the approval record kept no version of ${visible(uri).slice(0, 300)} (${kept ? `${kept.status}${kept.reason ? `: ${kept.reason}` : ''}` : 'not recorded'})`,
        );
      }
      if (source.bucket !== deps.artifactBucket) return refuse(`container ${i}: ${uri} is outside the artifact bucket`);
      if (!MODEL_DATA_KEY.test(source.key))
        return refuse(
          `container ${i}: ${visible(uri).slice(0, 300)} is not a training run's model data (${EVIDENCE_PREFIX}<group>/<run>/model/...), which is all the pinner copies`,
        );
      if (kept.bytes === undefined || !Number.isSafeInteger(kept.bytes) || kept.bytes <= 0)
        return refuse(
          `container ${i}: the approval record kept no size of ${uri} (${kept.bytes ?? 'none'}), so its parts cannot be planned`,
        );
      const target = pinnedKey(group, version, i);
      try {
        const copy = await copyOnce(source, kept.versionId, kept.bytes, target);
        await deps.s3.send(
          new PutObjectRetentionCommand({
            Bucket: deps.approvedBucket,
            Key: target,
            VersionId: copy.versionId,
            Retention: { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil },
          }),
        );
        const tags =
          (
            await fromSource(source, kept.versionId, () =>
              deps.s3.send(
                new GetObjectTaggingCommand({ Bucket: source.bucket, Key: source.key, VersionId: kept.versionId }),
              ),
            )
          ).TagSet ?? [];
        await fromSource(source, kept.versionId, () =>
          deps.s3.send(
            new PutObjectTaggingCommand({
              Bucket: source.bucket,
              Key: source.key,
              VersionId: kept.versionId,
              Tagging: {
                TagSet: [
                  ...tags.filter((t) => t.Key !== APPROVED_TAG),
                  { Key: APPROVED_TAG, Value: `${group}/${version}` },
                ],
              },
            }),
          ),
        );
        // What the lock is now, read back rather than assumed.
        const head = await deps.s3.send(
          new HeadObjectCommand({
            Bucket: deps.approvedBucket,
            Key: target,
            VersionId: copy.versionId,
            ChecksumMode: 'ENABLED',
          }),
        );
        if (head.ChecksumSHA256 !== copy.s3Checksum || head.ObjectLockMode !== 'COMPLIANCE')
          return refuse(
            `container ${i}: the copy ${target} reads back with checksum ${head.ChecksumSHA256} and lock ${head.ObjectLockMode}`,
          );
        pinned.push({
          source: { uri, versionId: kept.versionId, bytes: kept.bytes },
          image: c.Image,
          pinned: {
            uri: `s3://${deps.approvedBucket}/${target}`,
            versionId: copy.versionId,
            sha256: copy.sha256,
            s3Checksum: copy.s3Checksum,
            parts: copy.parts,
            bytes: kept.bytes,
            retainUntil: retainUntil.toISOString(),
          },
        });
      } catch (e) {
        if (e instanceof Refusal) return refuse(`container ${i}: ${e.message}`);
        // Anything else may pass on a retry (the event is retried, then dead-lettered): only a source version that the
        // listing shows is gone (fromSource), or a copy that is other bytes, is final.
        throw e;
      }
    }
    let baselines: PinnedBaselines;
    try {
      baselines = await pinBaselines(arn!, group, version, approval.record, retainUntil);
    } catch (e) {
      if (e instanceof Refusal) return refuse(`baseline: ${e.message}`);
      throw e;
    }
    const record: PinRecord = {
      schema: 'model-pin/1',
      modelPackage: { arn: arn!, group, version: Number(version) },
      approvalRecord: approval.key,
      containers: pinned,
      baselines,
      at: now().toISOString(),
    };
    if (!(await writeRecordOnce(deps.s3, { bucket: deps.recordBucket, key: pinKey }, record))) {
      // A concurrent run pinned first: its record is the pin (both runs found the same copy at the fixed key).
      return { pinned: true, record: pinKey, replayed: true };
    }
    return { pinned: true, record: pinKey, replayed: false };
  };

  /**
   * Pins the version's drift baseline beside its model data: each baseline file of the training run's reports at
   * exactly the S3 version the approval record kept for it (`baselineFiles`, the gate's own read), whose bytes must
   * hash to the SHA-256 recorded with it; a version is never chosen by time. Each is read and hashed here, written once
   * at `baselines/<group>/<version>/<file>` with If-None-Match and its SHA-256 (S3 refuses bytes that are not them),
   * and locked in COMPLIANCE mode; then the manifest, the same way. A key that holds other bytes, or a recorded version
   * whose bytes are not the recorded SHA-256, is a Refusal (never overwritten, never taken). A version without a
   * recorded baseline, a record from before per-file baseline records, a file the gate could not read, or a run without
   * baseline constraints, pins no baseline and says why (`none`): its model data is still pinned, and prod's baseline
   * copy refuses it for a monitored endpoint with that reason.
   */
  async function pinBaselines(
    arn: string,
    group: string,
    version: string,
    approval: ApprovalRecord,
    retainUntil: Date,
  ): Promise<PinnedBaselines> {
    const recorded = approval.inputs?.baseline;
    if (!recorded || recorded.status !== 'ok' || !recorded.uri || !recorded.versionId || !recorded.sha256) {
      return {
        status: 'none',
        reason: `the approval record kept no baseline statistics (${recorded ? `${visible(String(recorded.status))}${recorded.reason ? `: ${visible(recorded.reason).slice(0, 300)}` : ''}` : 'not recorded'})`,
      };
    }
    const at = parseS3Uri(recorded.uri);
    const dir = at && at.bucket === deps.artifactBucket ? REPORTS_DIR.exec(at.key)?.[1] : undefined;
    if (!at || !dir)
      return {
        status: 'none',
        reason: `the recorded baseline ${visible(recorded.uri).slice(0, 300)} is not a training run's baseline-statistics.json in the artifact bucket (${EVIDENCE_PREFIX}<group>/<run>/reports/)`,
      };
    // Exactly the versions the gate read and recorded, each with the SHA-256 of the bytes it read: never one chosen by
    // time (a rewrite within the decision's second, or a skewed clock, would otherwise pass a file the gate never saw).
    const seen = approval.baselineFiles;
    if (!seen) {
      return {
        status: 'none',
        reason: `the approval record (decided ${visible(String(approval.decidedAt)).slice(0, 40)}) predates per-file baseline records: it names the version of baseline-statistics.json only, so no other baseline file is known to be what the gate saw; a new approval pins them`,
      };
    }
    const sources: { file: BaselineFile; key: string; versionId: string; sha256: string }[] = [];
    for (const file of BASELINE_FILES) {
      const key = `${dir}${file}`;
      const uri = `s3://${at.bucket}/${key}`;
      // The statistics are the drift check's own read (inputs.baseline, checked above; the gate records the same read
      // in baselineFiles): their bytes must hash to what the decision was made on.
      if (file === 'baseline-statistics.json') {
        sources.push({ file, key, versionId: recorded.versionId, sha256: recorded.sha256 });
        continue;
      }
      const entry = seen[file];
      if (!entry)
        return {
          status: 'none',
          reason: `the approval record names no version of ${uri}; only what the gate recorded is pinned`,
        };
      if (entry.status === 'missing' && !REQUIRED_BASELINE_FILES.includes(file)) continue;
      if (entry.status === 'missing')
        return {
          status: 'none',
          reason: `${uri} did not exist when the approval gate decided (${visible(String(approval.decidedAt)).slice(0, 40)}); the monitoring job needs it`,
        };
      if (entry.status !== 'ok')
        return {
          status: 'none',
          reason: `the approval gate could not use ${uri} (${visible(String(entry.status)).slice(0, 20)}${entry.reason ? `: ${visible(entry.reason).slice(0, 300)}` : ''}); no other version of it is taken`,
        };
      if (entry.uri !== uri || !entry.versionId || !/^[0-9a-f]{64}$/.test(entry.sha256 ?? '')) {
        return {
          status: 'none',
          reason: `the approval record's entry for ${file} (${visible(String(entry.uri)).slice(0, 300)}) is not ${uri} with a version id and a hex SHA-256`,
        };
      }
      sources.push({ file, key, versionId: entry.versionId, sha256: entry.sha256! });
    }
    // Every file is read and verified before any is written: a refused baseline leaves nothing in the approved bucket.
    const verified: { source: (typeof sources)[number]; body: Buffer; sha256: string }[] = [];
    for (const source of sources) {
      const location = { bucket: at.bucket, key: source.key };
      const got = await fromSource(location, source.versionId, () =>
        deps.s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: source.key, VersionId: source.versionId })),
      );
      if ((got.ContentLength ?? 0) > MAX_BASELINE_BYTES)
        throw new Refusal(
          `s3://${at.bucket}/${source.key} version ${source.versionId} is ${got.ContentLength} bytes, over the ${MAX_BASELINE_BYTES} a baseline file may have`,
        );
      const body = Buffer.from(await got.Body!.transformToByteArray());
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (sha256 !== source.sha256) {
        throw new Refusal(
          `s3://${at.bucket}/${source.key} version ${source.versionId} has SHA-256 ${sha256}, not the ${source.sha256} the approval record kept; nothing of it is pinned`,
        );
      }
      verified.push({ source, body, sha256 });
    }
    const files: Extract<PinnedBaselines, { status: 'pinned' }>['files'][number][] = [];
    for (const { source, body, sha256 } of verified) {
      const target = baselineKey(group, version, source.file);
      const written = await writeOnce(target, body, sha256, retainUntil);
      files.push({
        file: source.file,
        source: { uri: `s3://${at.bucket}/${source.key}`, versionId: source.versionId },
        pinned: {
          uri: `s3://${deps.approvedBucket}/${target}`,
          versionId: written,
          sha256,
          bytes: body.length,
          retainUntil: retainUntil.toISOString(),
        },
      });
    }
    // No time in it: a retry writes the same bytes, so a manifest already there from an earlier run is taken as it is.
    const manifest: BaselineManifest = {
      schema: 'model-baseline/1',
      modelPackage: arn,
      files: files.map((f) => ({ file: f.file, bytes: f.pinned.bytes, sha256: f.pinned.sha256, source: f.source })),
    };
    const body = Buffer.from(JSON.stringify(manifest, null, 2));
    const sha256 = createHash('sha256').update(body).digest('hex');
    const manifestKey = baselineManifestKey(group, version);
    const versionId = await writeOnce(manifestKey, body, sha256, retainUntil);
    return {
      status: 'pinned',
      manifest: { uri: `s3://${deps.approvedBucket}/${manifestKey}`, versionId, sha256 },
      files,
    };
  }

  /**
   * Writes `body` to `target` once (If-None-Match, with its SHA-256 for S3 to check) and locks it. A key already
   * written (412: an earlier run of this pin, or a concurrent one) is taken only if it is these bytes; any other
   * failure may be this very write with its answer lost, so the key is read too, and if nothing is there the original
   * error is thrown for a retry.
   */
  async function writeOnce(target: string, body: Buffer, sha256hex: string, retainUntil: Date): Promise<string> {
    const checksum = Buffer.from(sha256hex, 'hex').toString('base64');
    let versionId: string;
    try {
      const put = await deps.s3.send(
        new PutObjectCommand({
          Bucket: deps.approvedBucket,
          Key: target,
          Body: body,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: checksum,
          IfNoneMatch: '*',
          ContentType: 'application/json',
        }),
      );
      versionId = put.VersionId!;
    } catch (e) {
      const precondition = statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed';
      const there = await deps.s3
        .send(new HeadObjectCommand({ Bucket: deps.approvedBucket, Key: target, ChecksumMode: 'ENABLED' }))
        .catch((headError: unknown) => {
          throw precondition ? headError : e;
        });
      if (there.ContentLength !== body.length || there.ChecksumSHA256 !== checksum) {
        throw new Refusal(
          `${target} already holds other bytes (${there.ContentLength} bytes, SHA-256 ${there.ChecksumSHA256 ?? 'unknown'}), not these (${body.length} bytes, SHA-256 ${checksum}); it is never overwritten`,
        );
      }
      versionId = there.VersionId!;
    }
    await deps.s3.send(
      new PutObjectRetentionCommand({
        Bucket: deps.approvedBucket,
        Key: target,
        VersionId: versionId,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil },
      }),
    );
    const head = await deps.s3.send(
      new HeadObjectCommand({
        Bucket: deps.approvedBucket,
        Key: target,
        VersionId: versionId,
        ChecksumMode: 'ENABLED',
      }),
    );
    if (head.ChecksumSHA256 !== checksum || head.ObjectLockMode !== 'COMPLIANCE')
      throw new Refusal(`${target} reads back with SHA-256 ${head.ChecksumSHA256} and lock ${head.ObjectLockMode}`);
    return versionId;
  }

  /**
   * Copies one version into `target`, once: reads and hashes each part's range of the version, copies that range
   * server-side, and completes only if the key has no object yet. When it has one (a run before this one completed,
   * or a concurrent run), that copy is taken only if it is these bytes.
   */
  async function copyOnce(source: { bucket: string; key: string }, versionId: string, bytes: number, target: string) {
    const partSize = partSizeFor(bytes, deps.partBytes);
    if (partSize > MAX_PART_BYTES) throw new Refusal(`${bytes} bytes need parts over S3's ${MAX_PART_BYTES} bytes`);
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(versionId)}`;
    const upload = await deps.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: deps.approvedBucket,
        Key: target,
        ChecksumAlgorithm: 'SHA256',
        Metadata: { 'source-version-id': versionId },
      }),
    );
    const uploadId = upload.UploadId!;
    const whole = createHash('sha256');
    const digests: Buffer[] = [];
    const parts: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = [];
    let completed = false;
    try {
      for (let start = 0, n = 1; start < bytes; start += partSize, n++) {
        const end = Math.min(start + partSize, bytes) - 1;
        // The pinner's own reading of the range: the part's SHA-256 and the whole object's.
        const got = await fromSource(source, versionId, () =>
          deps.s3.send(
            new GetObjectCommand({
              Bucket: source.bucket,
              Key: source.key,
              VersionId: versionId,
              Range: `bytes=${start}-${end}`,
            }),
          ),
        );
        const part = createHash('sha256');
        let read = 0;
        for await (const chunk of got.Body as AsyncIterable<Uint8Array>) {
          part.update(chunk);
          whole.update(chunk);
          read += chunk.length;
        }
        if (read !== end - start + 1)
          throw new Refusal(
            `the approved version ${versionId} is not the ${bytes} bytes the approval record kept (part ${n} read ${read} bytes)`,
          );
        const digest = part.digest();
        digests.push(digest);
        const copied = await fromSource(source, versionId, () =>
          deps.s3.send(
            new UploadPartCopyCommand({
              Bucket: deps.approvedBucket,
              Key: target,
              UploadId: uploadId,
              PartNumber: n,
              CopySource: copySource,
              CopySourceRange: `bytes=${start}-${end}`,
            }),
          ),
        );
        const theirs = copied.CopyPartResult?.ChecksumSHA256;
        if (theirs && theirs !== digest.toString('base64'))
          throw new Refusal(
            `part ${n} was copied with SHA-256 ${theirs}, but its bytes read ${digest.toString('base64')}`,
          );
        parts.push({ PartNumber: n, ETag: copied.CopyPartResult!.ETag!, ChecksumSHA256: digest.toString('base64') });
      }
      const sha256 = whole.digest('base64');
      const composite = compositeSha256(digests);
      // S3 reports a multipart object's checksum as the composite (HeadObject with "-<parts>", some readers without
      // it); each form is computed here from the bytes the pinner read, as is the whole object's.
      const expected = new Set([composite, composite.replace(/-\d+$/, ''), sha256]);
      let versionIdOfCopy: string;
      try {
        const done = await deps.s3.send(
          new CompleteMultipartUploadCommand({
            Bucket: deps.approvedBucket,
            Key: target,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            IfNoneMatch: '*',
          }),
        );
        completed = true;
        versionIdOfCopy = done.VersionId!;
      } catch (e) {
        const precondition = statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed';
        // 412: the key was written before, by an earlier run of this pin or a concurrent one. Any other failure may be
        // this very completion carried out with its answer lost: the SDK's retry of it is then answered 404
        // NoSuchUpload ("the multipart upload might have been aborted or completed", Amazon S3 API Reference,
        // CompleteMultipartUpload, Errors). Either way the key is read: only these bytes are taken, and when the key
        // cannot be read (nothing there: 403 without s3:ListBucket on that bucket) the original error is thrown so
        // that the event is retried.
        const there = await deps.s3
          .send(new HeadObjectCommand({ Bucket: deps.approvedBucket, Key: target, ChecksumMode: 'ENABLED' }))
          .catch((headError: unknown) => {
            throw precondition ? headError : e;
          });
        if (there.ContentLength !== bytes || !expected.has(there.ChecksumSHA256 ?? '')) {
          throw new Refusal(
            `${target} already holds other bytes (${there.ContentLength} bytes, checksum ${there.ChecksumSHA256}), not the approved version's (${bytes} bytes, SHA-256 ${sha256}); it is never overwritten`,
          );
        }
        versionIdOfCopy = there.VersionId!;
      }
      const head = await deps.s3.send(
        new HeadObjectCommand({
          Bucket: deps.approvedBucket,
          Key: target,
          VersionId: versionIdOfCopy,
          ChecksumMode: 'ENABLED',
        }),
      );
      if (head.ContentLength !== bytes || !expected.has(head.ChecksumSHA256 ?? '')) {
        throw new Refusal(
          `the copy ${target} reads back as ${head.ContentLength} bytes with checksum ${head.ChecksumSHA256}, not ${bytes} bytes with ${composite}`,
        );
      }
      return { versionId: versionIdOfCopy, sha256, s3Checksum: head.ChecksumSHA256!, parts: parts.length };
    } finally {
      // A run that stops part-way leaves no upload behind (one killed outright leaves it to the lifecycle rule).
      if (!completed)
        await deps.s3
          .send(new AbortMultipartUploadCommand({ Bucket: deps.approvedBucket, Key: target, UploadId: uploadId }))
          .catch(() => undefined);
    }
  }

  /**
   * Runs a call on the approved source version. When it fails, whether the version is gone is asked of S3 directly:
   * a missing key or version answers GetObject 403, not 404, to a role without s3:ListBucket (Amazon S3 API
   * Reference, GetObject, Permissions), so neither status settles it. The version listing of the key (the role's
   * s3:ListBucketVersions, scoped to model data prefixes) does: a version it does not list is gone, and that is
   * final (Refusal). Otherwise the call's own error is thrown, and the event retried.
   */
  async function fromSource<T>(
    source: { bucket: string; key: string },
    versionId: string,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof Refusal) throw e;
      let present: boolean;
      try {
        present = await versionListed(source, versionId);
      } catch {
        throw e;
      }
      if (!present)
        throw new Refusal(
          `the approved version ${versionId} of s3://${source.bucket}/${source.key} no longer exists (S3 lists no such version; the read answered ${errorText(e).slice(0, 200)})`,
        );
      throw e;
    }
  }

  async function versionListed(source: { bucket: string; key: string }, versionId: string): Promise<boolean> {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await deps.s3.send(
        new ListObjectVersionsCommand({ Bucket: source.bucket, Prefix: source.key, KeyMarker, VersionIdMarker }),
      );
      if ((page.Versions ?? []).some((v) => v.Key === source.key && v.VersionId === versionId)) return true;
      if (!page.IsTruncated) return false;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
  }

  /**
   * The latest approval round that read every container's model data (status ok); failing that, the latest that kept
   * any (its statuses give the refusal its reason). A later round that could not read the model data (a transient
   * error, recorded `unavailable`) does not hide an earlier round's reading.
   */
  async function latestModelData(
    group: string,
    version: string,
  ): Promise<{ key: string; record: ApprovalRecord } | undefined> {
    const base = `approval/${group}/${version}/`;
    const rounds = (await listKeys(deps.s3, deps.recordBucket, base))
      .filter((k) => !k.slice(base.length).includes('/'))
      .map((k) => ROUND_RECORD.exec(k))
      .filter((x): x is RegExpExecArray => !!x)
      .map((x) => Number(x[1]))
      .sort((a, b) => b - a);
    let fallback: { key: string; record: ApprovalRecord } | undefined;
    for (const round of rounds) {
      const key = `${base}round-${round}.json`;
      const record = await readRecord<ApprovalRecord>(deps.s3, { bucket: deps.recordBucket, key });
      if (!record?.modelData || record.modelData.length === 0) continue;
      if (record.modelData.every((d) => d.status === 'ok' && d.versionId)) return { key, record };
      fallback ??= { key, record };
    }
    return fallback;
  }
}

let bound: ReturnType<typeof modelPinner> | undefined;

export async function handler(event: {
  detail?: { ModelPackageArn?: string; ModelApprovalStatus?: string };
}): Promise<PinResult> {
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
