/**
 * Reading reports and writing decision records in S3, failing closed.
 *
 * Missing versus forbidden: S3 answers a GET of a key that does not exist with
 * 404 only to a caller allowed s3:ListBucket on the bucket, and with 403 to
 * anyone else ("If you don't have the s3:ListBucket permission, Amazon S3
 * returns an HTTP status code 403 (Access Denied) error", GetObject, Amazon S3
 * API Reference). The gates hold s3:ListBucket only for the prefixes they
 * read, so a 403 is settled by listing the key: absent from the listing, it
 * is missing; listed, it is there but forbidden. Records are read only after
 * a listing has shown they exist.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { FetchedReport } from './decision';
import { parseStrictJson, visible } from './strict-json';

/** Reports larger than this are refused rather than read (1 MiB). */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** S3's longest object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.{1,1024})$/s.exec(uri);
  return match && Buffer.byteLength(match[2]) <= MAX_KEY_BYTES ? { bucket: match[1], key: match[2] } : undefined;
}

const statusOf = (e: unknown) =>
  e instanceof S3ServiceException
    ? e.$metadata?.httpStatusCode
    : (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const nameOf = (e: unknown) => (e instanceof Error ? e.name : String(e));
export const errorText = (e: unknown) => visible(`${nameOf(e)}: ${(e as Error)?.message ?? ''}`).slice(0, 300);
const isMissing = (e: unknown) => statusOf(e) === 404 || nameOf(e) === 'NoSuchKey';
const isForbidden = (e: unknown) => statusOf(e) === 403 || nameOf(e) === 'AccessDenied';

export interface FetchOptions {
  /** Buckets reports may be read from. */
  readonly buckets: readonly string[];
  /** When set, the key must start with it (the evidence prefix of one pipeline execution). */
  readonly prefix?: string;
  readonly maxBytes?: number;
}

/** A version of an object and the SHA-256 its bytes must have. */
export interface Pinned {
  readonly versionId: string;
  readonly sha256: string;
}

/**
 * Fetches and strictly parses one JSON report, with the object version read
 * and the SHA-256 of its bytes. Only s3:// URIs in the allowed buckets (and
 * prefix) are read; a missing object is 'missing', an unusable one
 * 'invalid', and an AWS failure (after the client's retries) 'unavailable'.
 */
export function fetchReport(s3: S3Client, uri: string | undefined, options: FetchOptions): Promise<FetchedReport> {
  return fetchWith(s3, uri, options, (l) => new GetObjectCommand({ Bucket: l.bucket, Key: l.key }));
}

/**
 * Like fetchReport, but reads only `pinned.versionId` of the object, and only
 * if its bytes have `pinned.sha256` (the evidence as a gate read it before: a
 * later write to the key is a new version, which is not read). GetObject with
 * a VersionId is authorized as s3:GetObjectVersion (Amazon S3 API Reference,
 * GetObject, "Permissions").
 */
export function fetchPinnedReport(
  s3: S3Client,
  uri: string | undefined,
  options: FetchOptions,
  pinned: Pinned,
): Promise<FetchedReport> {
  return fetchWith(
    s3,
    uri,
    options,
    (l) => new GetObjectCommand({ Bucket: l.bucket, Key: l.key, VersionId: pinned.versionId }),
    pinned,
  );
}

async function fetchWith(
  s3: S3Client,
  uri: string | undefined,
  options: FetchOptions,
  get: (l: S3Location) => GetObjectCommand,
  pinned?: Pinned,
): Promise<FetchedReport> {
  if (!uri) return { status: 'missing', reason: 'the model package names no such report' };
  const location = parseS3Uri(uri);
  if (!location)
    return {
      status: 'invalid',
      uri: visible(uri).slice(0, 300),
      reason: `${visible(uri).slice(0, 300)} is not an s3:// URI`,
    };
  if (!options.buckets.includes(location.bucket)) {
    return { status: 'invalid', uri, reason: `${uri} is outside the allowed buckets (${options.buckets.join(', ')})` };
  }
  if (
    options.prefix !== undefined &&
    (!location.key.startsWith(options.prefix) || location.key.split('/').includes('..'))
  ) {
    return {
      status: 'invalid',
      uri,
      reason: `${uri} is outside the evidence prefix s3://${location.bucket}/${options.prefix} that only the training pipeline writes`,
    };
  }
  const maxBytes = options.maxBytes ?? MAX_REPORT_BYTES;
  let bytes: Uint8Array;
  let versionId: string | undefined;
  try {
    const res = await s3.send(get(location));
    const size = res.ContentLength ?? Number.POSITIVE_INFINITY;
    if (size > maxBytes) {
      (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { status: 'invalid', uri, reason: `${uri} is ${size} bytes, over the ${maxBytes}-byte limit` };
    }
    bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
    versionId = res.VersionId;
  } catch (e) {
    const what = pinned ? `${uri} version ${pinned.versionId}` : uri;
    if (isMissing(e) || (pinned && nameOf(e) === 'NoSuchVersion'))
      return { status: 'missing', uri, reason: `${what} does not exist` };
    if (isForbidden(e)) return settleForbidden(s3, uri, location, e, pinned?.versionId);
    return { status: 'unavailable', uri, reason: errorText(e) };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (pinned && (versionId !== pinned.versionId || sha256 !== pinned.sha256)) {
    return {
      status: 'invalid',
      uri,
      versionId,
      sha256,
      reason: `${uri} version ${visible(String(versionId))} has SHA-256 ${sha256}, not the recorded version ${pinned.versionId} with SHA-256 ${pinned.sha256}`,
    };
  }
  const parsed = parseStrictJson(Buffer.from(bytes).toString('utf8'));
  if (!parsed.ok) return { status: 'invalid', uri, versionId, sha256, reason: `${uri} ${parsed.reason}`.slice(0, 400) };
  return { status: 'ok', uri, versionId, sha256, json: parsed.json };
}

/** A 403 on GET: missing if a listing of the key does not show it, otherwise forbidden. */
async function settleForbidden(
  s3: S3Client,
  uri: string,
  location: S3Location,
  error: unknown,
  versionId?: string,
): Promise<FetchedReport> {
  try {
    const keys = await listKeys(s3, location.bucket, location.key, 1);
    if (!keys.includes(location.key))
      return { status: 'missing', uri, reason: `${uri}${versionId ? ` version ${versionId}` : ''} does not exist` };
  } catch (e) {
    return {
      status: 'unavailable',
      uri,
      reason: `${errorText(error)}; listing it to tell missing from forbidden failed: ${errorText(e)}`,
    };
  }
  return { status: 'unavailable', uri, reason: `${uri} exists but may not be read: ${errorText(error)}` };
}

/** Keys under `prefix` (all pages, or the first `max`). */
export async function listKeys(
  s3: S3Client,
  bucket: string,
  prefix: string,
  max = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        ...(Number.isFinite(max) ? { MaxKeys: max } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated && keys.length < max ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/**
 * Writes a record once: the put fails if the key exists, so a record is
 * never overwritten (the bucket's Object Lock also keeps every version).
 * Returns false when a record was already there.
 *
 * A conditional write that meets a concurrent one may be answered 409
 * ConditionalRequestConflict instead of 412 ("On a 409 failure you should
 * retry the upload", Amazon S3 API Reference, PutObject, If-None-Match): it
 * is retried once; a second 409 is settled as a lost race when a record is
 * now there (the caller reads it), and thrown otherwise.
 */
export async function writeRecordOnce(s3: S3Client, location: S3Location, record: unknown): Promise<boolean> {
  if (Buffer.byteLength(location.key) > MAX_KEY_BYTES)
    throw new Error(`record key of ${Buffer.byteLength(location.key)} bytes exceeds S3's ${MAX_KEY_BYTES}`);
  const put = () =>
    s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: JSON.stringify(record, null, 2),
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    );
  const lost = (e: unknown) => statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed';
  const conflict = (e: unknown) => statusOf(e) === 409 || nameOf(e) === 'ConditionalRequestConflict';
  try {
    await put();
    return true;
  } catch (e) {
    if (lost(e)) return false;
    if (!conflict(e)) throw e;
  }
  try {
    await put();
    return true;
  } catch (e) {
    if (lost(e)) return false;
    if (conflict(e) && (await readRecord(s3, location)) !== undefined) return false;
    throw e;
  }
}

/** Reads a JSON record the caller has seen in a listing (or just written). */
export async function readRecord<T>(s3: S3Client, location: S3Location): Promise<T | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return JSON.parse((await res.Body?.transformToString('utf-8')) ?? '') as T;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}
