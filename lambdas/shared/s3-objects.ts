/** Reading reports and writing decision records in S3, failing closed. */
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { FetchedReport } from './decision';

/** Reports larger than this are refused rather than read (1 MiB). */
export const MAX_REPORT_BYTES = 1024 * 1024;

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

const statusOf = (e: unknown) => (e instanceof S3ServiceException ? e.$metadata?.httpStatusCode : undefined);
const nameOf = (e: unknown) => (e instanceof Error ? e.name : String(e));

/**
 * Fetches and parses one JSON report. Only s3:// URIs in `allowedBuckets` are
 * read; a missing object is 'missing', an unusable one 'invalid', and an AWS
 * failure (after the client's retries) 'unavailable'.
 */
export async function fetchReport(s3: S3Client, uri: string | undefined, allowedBuckets: readonly string[], maxBytes = MAX_REPORT_BYTES): Promise<FetchedReport> {
  if (!uri) return { status: 'missing', reason: 'the model package names no such report' };
  const location = parseS3Uri(uri);
  if (!location) return { status: 'invalid', uri, reason: `${uri} is not an s3:// URI` };
  if (!allowedBuckets.includes(location.bucket)) {
    return { status: 'invalid', uri, reason: `${uri} is outside the allowed buckets (${allowedBuckets.join(', ')})` };
  }
  let text: string;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    const size = res.ContentLength ?? Number.POSITIVE_INFINITY;
    if (size > maxBytes) {
      (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { status: 'invalid', uri, reason: `${uri} is ${size} bytes, over the ${maxBytes}-byte limit` };
    }
    text = (await res.Body?.transformToString('utf-8')) ?? '';
  } catch (e) {
    if (statusOf(e) === 404 || nameOf(e) === 'NoSuchKey') return { status: 'missing', uri, reason: `${uri} does not exist` };
    return { status: 'unavailable', uri, reason: `${nameOf(e)}: ${(e as Error).message ?? ''}`.slice(0, 300) };
  }
  try {
    return { status: 'ok', uri, json: JSON.parse(text) };
  } catch (e) {
    return { status: 'invalid', uri, reason: `${uri} is not valid JSON: ${(e as Error).message}`.slice(0, 300) };
  }
}

/**
 * Writes a decision record once: the put fails if the key exists, so a record
 * is never overwritten (the bucket's Object Lock also keeps every version).
 * Returns false when a record was already there.
 */
export async function writeRecordOnce(s3: S3Client, location: S3Location, record: unknown): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: JSON.stringify(record, null, 2),
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    );
    return true;
  } catch (e) {
    if (statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed') return false;
    throw e;
  }
}

/** Reads a JSON record, or undefined when there is none. */
export async function readRecord<T>(s3: S3Client, location: S3Location): Promise<T | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return JSON.parse((await res.Body?.transformToString('utf-8')) ?? '') as T;
  } catch (e) {
    if (statusOf(e) === 404 || nameOf(e) === 'NoSuchKey') return undefined;
    throw e;
  }
}
