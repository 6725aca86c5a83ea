/**
 * Baseline copier: a deploy-time step (a CloudFormation custom resource in the endpoint's shard) that puts the drift
 * baseline of a monitored prod endpoint's champion where the estate's monitoring job reads it,
 * `monitoring/<endpoint>/baseline/` of prod's capture bucket.
 *
 * It reads the champion version's pinned baseline from the promotion source's approved-model bucket
 * (`baselines/<model>/<version>/`, written once and locked by the model pinner, lambdas/model-pinner): first the
 * manifest, then each file it lists, and checks each file's SHA-256 against it before writing anything. Only when
 * every file is verified are they written, each with its SHA-256 (S3 refuses a body that does not match it); a baseline
 * file of the previous champion that this version does not have is removed, so the job never compares live traffic
 * with another version's segment baseline. Then `baseline-source.json` names the version and the manifest.
 *
 * It acts as the endpoint's own copier role (assumed per request): that role reads only its model's baselines (the
 * staging bucket admits it by exact ARN) and writes only its endpoint's baseline prefix. Create and Update copy (an
 * Update is a new champion, or a changed pin); Delete leaves the files, which are retained evidence of what the
 * endpoint was monitored against. A retry copies the same bytes again, and skips a file whose target already holds
 * them. A read S3 refuses with 403 may be a missing key (without s3:ListBucket, S3 answers 403 for a key that does not
 * exist: Amazon S3 API Reference, GetObject, Permissions), so the reason names both.
 */
import { createHash } from 'node:crypto';
import * as https from 'node:https';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  BASELINE_FILES,
  BaselineFile,
  baselineKey,
  BaselineManifest,
  baselineManifestKey,
  REQUIRED_BASELINE_FILES,
} from '../model-pinner/approved-tag';
import { errorText } from '../shared/s3-objects';
import { visible } from '../shared/strict-json';

export interface BaselineCopyProperties {
  /** The endpoint's copier role, assumed for every S3 call. */
  readonly RoleArn: string;
  readonly SourceBucket: string;
  readonly ModelId: string;
  /** The champion's package version (CloudFormation passes properties as strings). */
  readonly Version: string;
  readonly TargetBucket: string;
  readonly EndpointName: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: BaselineCopyProperties & { readonly ServiceToken?: string };
}

export interface CopierDeps {
  /** An S3 client acting as `roleArn`. */
  readonly s3For: (roleArn: string) => Promise<S3Client>;
}

export interface CopyResult {
  readonly version: number;
  readonly manifestSha256: string;
  readonly written: readonly BaselineFile[];
  /** Files already holding these bytes (a retry). */
  readonly unchanged: readonly BaselineFile[];
  /** Files of a previous champion this version has none of. */
  readonly removed: readonly BaselineFile[];
}

/** Why the copy is not made; no retry of the same version would change it. */
export class BaselineRefusal extends Error {}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SAFE_NAME = /^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$/;
export const BASELINE_SOURCE_FILE = 'baseline-source.json';
export const targetPrefix = (endpoint: string): string => `monitoring/${endpoint}/baseline/`;
const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

export function baselineCopier(deps: CopierDeps) {
  return async function copy(props: BaselineCopyProperties): Promise<CopyResult> {
    const version = Number(props.Version);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new BaselineRefusal(
        `Version must be a whole package version of 1 or more, not ${visible(String(props.Version)).slice(0, 40)}`,
      );
    if (!SAFE_NAME.test(props.ModelId ?? ''))
      throw new BaselineRefusal(
        `ModelId must be a model package group name, not ${visible(String(props.ModelId)).slice(0, 80)}`,
      );
    if (!SAFE_NAME.test(props.EndpointName ?? ''))
      throw new BaselineRefusal(
        `EndpointName must be an endpoint name, not ${visible(String(props.EndpointName)).slice(0, 80)}`,
      );
    const s3 = await deps.s3For(props.RoleArn);
    const read = async (key: string): Promise<Buffer> => {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: props.SourceBucket, Key: key }));
        return Buffer.from(await got.Body!.transformToByteArray());
      } catch (e) {
        const status = statusOf(e);
        if (status === 404 || status === 403) {
          throw new BaselineRefusal(
            `s3://${props.SourceBucket}/${key} cannot be read (${status}: ${errorText(e).slice(0, 160)}): ${status === 403 ? 'the key does not exist (S3 answers 403 for a missing key to a role without s3:ListBucket) or this role may not read it' : 'it does not exist'}; version ${version} of ${props.ModelId} has no pinned baseline this endpoint can copy`,
          );
        }
        throw e;
      }
    };

    // The manifest the pinner wrote once for this version: which files, and their SHA-256.
    const manifestBytes = await read(baselineManifestKey(props.ModelId, version));
    const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
    let manifest: BaselineManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as BaselineManifest;
    } catch {
      throw new BaselineRefusal(`the baseline manifest of ${props.ModelId} version ${version} is not JSON`);
    }
    const files = Array.isArray(manifest?.files) ? manifest.files : [];
    if (manifest?.schema !== 'model-baseline/1' || files.length === 0)
      throw new BaselineRefusal(
        `the baseline manifest of ${props.ModelId} version ${version} is not a model-baseline/1 manifest listing files`,
      );
    const listed = new Set<string>();
    for (const f of files) {
      if (
        !(BASELINE_FILES as readonly string[]).includes(f?.file) ||
        !SHA256_HEX.test(f?.sha256 ?? '') ||
        listed.has(f.file)
      ) {
        throw new BaselineRefusal(
          `the baseline manifest of ${props.ModelId} version ${version} lists ${visible(JSON.stringify(f)).slice(0, 200)}, which is not one of ${BASELINE_FILES.join(', ')} with a SHA-256, once`,
        );
      }
      listed.add(f.file);
    }
    const missing = REQUIRED_BASELINE_FILES.filter((f) => !listed.has(f));
    if (missing.length > 0)
      throw new BaselineRefusal(
        `the baseline of ${props.ModelId} version ${version} has no ${missing.join(' or ')}, which the monitoring job needs`,
      );

    // Every file verified before anything is written: a mismatch leaves the endpoint's current baseline as it was.
    const verified: { file: BaselineFile; body: Buffer; sha256: string }[] = [];
    for (const f of files) {
      const body = await read(baselineKey(props.ModelId, version, f.file));
      const sha256 = createHash('sha256').update(body).digest('hex');
      if (sha256 !== f.sha256) {
        throw new BaselineRefusal(
          `${f.file} of ${props.ModelId} version ${version} has SHA-256 ${sha256}, not the ${f.sha256} its manifest records; nothing is written`,
        );
      }
      verified.push({ file: f.file, body, sha256 });
    }

    const prefix = targetPrefix(props.EndpointName);
    const written: BaselineFile[] = [];
    const unchanged: BaselineFile[] = [];
    for (const v of verified) {
      const checksum = Buffer.from(v.sha256, 'hex').toString('base64');
      if (await holds(s3, props.TargetBucket, `${prefix}${v.file}`, checksum, v.body.length)) {
        unchanged.push(v.file);
        continue;
      }
      await s3.send(
        new PutObjectCommand({
          Bucket: props.TargetBucket,
          Key: `${prefix}${v.file}`,
          Body: v.body,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: checksum,
          ContentType: 'application/json',
        }),
      );
      written.push(v.file);
    }
    const removed: BaselineFile[] = [];
    for (const file of BASELINE_FILES.filter((f) => !listed.has(f))) {
      // Only a file that is there: in a versioned bucket every delete adds a delete marker, so a retry would add more.
      if (!(await exists(s3, props.TargetBucket, `${prefix}${file}`))) continue;
      await s3.send(new DeleteObjectCommand({ Bucket: props.TargetBucket, Key: `${prefix}${file}` }));
      removed.push(file);
    }
    const source = {
      schema: 'monitoring-baseline-source/1',
      model: props.ModelId,
      version,
      manifest: {
        uri: `s3://${props.SourceBucket}/${baselineManifestKey(props.ModelId, version)}`,
        sha256: manifestSha256,
      },
      files: verified.map((v) => ({ file: v.file, sha256: v.sha256 })),
    };
    const sourceBody = Buffer.from(JSON.stringify(source, null, 2));
    const sourceChecksum = createHash('sha256').update(sourceBody).digest('base64');
    if (!(await holds(s3, props.TargetBucket, `${prefix}${BASELINE_SOURCE_FILE}`, sourceChecksum, sourceBody.length))) {
      await s3.send(
        new PutObjectCommand({
          Bucket: props.TargetBucket,
          Key: `${prefix}${BASELINE_SOURCE_FILE}`,
          Body: sourceBody,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: sourceChecksum,
          ContentType: 'application/json',
        }),
      );
    }
    return { version, manifestSha256, written, unchanged, removed };
  };
}

/**
 * Whether the key holds an object: 404, or 403 (a missing key to a role without s3:ListBucket), is no; anything else is
 * thrown.
 */
async function exists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    const status = statusOf(e);
    if (status === 404 || status === 403) return false;
    throw e;
  }
}

/** Whether the key already holds these bytes. Any failure to tell (403 for a missing key, 404) means it does not. */
async function holds(s3: S3Client, bucket: string, key: string, checksum: string, bytes: number): Promise<boolean> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return head.ChecksumSHA256 === checksum && head.ContentLength === bytes;
  } catch {
    return false;
  }
}

export type Respond = (url: string, body: string) => Promise<void>;

/** The custom resource's lifecycle around the copy; the answer goes to CloudFormation's pre-signed URL. */
export function customResource(deps: CopierDeps & { respond: Respond }) {
  const copy = baselineCopier(deps);
  return async function handle(
    event: CustomResourceEvent,
  ): Promise<{ Status: 'SUCCESS' | 'FAILED'; Reason?: string; Data?: Record<string, string> }> {
    const physical = event.PhysicalResourceId ?? `${event.ResourceProperties?.EndpointName ?? 'unknown'}-baseline`;
    let answer: { Status: 'SUCCESS' | 'FAILED'; Reason?: string; Data?: Record<string, string> };
    if (event.RequestType === 'Delete') {
      // The copied baseline is evidence of what the endpoint was monitored against: it stays (and the capture bucket
      // locks it).
      answer = { Status: 'SUCCESS', Reason: 'the baseline files are kept as evidence' };
    } else {
      try {
        const done = await copy(event.ResourceProperties);
        answer = {
          Status: 'SUCCESS',
          Data: { Version: String(done.version), ManifestSha256: done.manifestSha256 },
          Reason: `version ${done.version}: wrote ${done.written.join(', ') || 'nothing'}; unchanged ${done.unchanged.join(', ') || 'none'}`,
        };
      } catch (e) {
        answer = {
          Status: 'FAILED',
          Reason: (e instanceof BaselineRefusal ? e.message : `the copy failed: ${errorText(e)}`).slice(0, 3500),
        };
      }
    }
    await deps.respond(
      event.ResponseURL,
      JSON.stringify({
        ...answer,
        PhysicalResourceId: physical,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
      }),
    );
    return answer;
  };
}

/**
 * PUT of the answer to the pre-signed URL (Lambda-backed custom resources: the response object), through the S3 gateway
 * endpoint.
 */
const putResponse: Respond = (url, body) =>
  new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`the response URL answered ${res.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });

let bound: ReturnType<typeof customResource> | undefined;

export async function handler(event: CustomResourceEvent) {
  if (!bound) {
    const sts = new STSClient({ maxAttempts: 4 });
    bound = customResource({
      respond: putResponse,
      s3For: async (roleArn) => {
        const { Credentials } = await sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'baseline-copy', DurationSeconds: 900 }),
        );
        return new S3Client({
          maxAttempts: 4,
          credentials: {
            accessKeyId: Credentials!.AccessKeyId!,
            secretAccessKey: Credentials!.SecretAccessKey!,
            sessionToken: Credentials!.SessionToken,
          },
        });
      },
    });
  }
  return bound(event);
}
