/**
 * Prod's deploy-time baseline copy, against moto: the real pinner pins a version's baseline in the approved-model
 * bucket, and the copier (lambdas/baseline-copier) puts the champion's into `monitoring/<endpoint>/baseline/` of a
 * capture bucket, verifying each file's SHA-256 against the pinner's manifest before writing anything. A retry is
 * idempotent (no new object versions), an Update to a new champion rewrites the files and removes a segment baseline
 * the new version does not have, Delete leaves the files, and bytes that are not the manifest's are refused with the
 * reason CloudFormation shows.
 *
 * moto answers a missing key 404 whatever the caller's grants. S3 answers 403 AccessDenied to a caller without
 * s3:ListBucket on the bucket (Amazon S3 API Reference, GetObject, Permissions: "If you don't have the s3:ListBucket
 * permission, Amazon S3 returns an HTTP status code 403 Access Denied error"), which the copier's role is: a proxy
 * answers as S3 would for that case.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  BASELINE_SOURCE_FILE,
  baselineCopier,
  BaselineCopyProperties,
  customResource,
  CustomResourceEvent,
  targetPrefix,
} from '../../lambdas/baseline-copier/handler';
import { baselineKey, baselineManifestKey, PinRecord } from '../../lambdas/model-pinner/handler';
import { evaluation } from './fixtures';
import { version } from './promotion';
import { approvalWorld, ApprovalWorld, GOOD, REGION } from './world';

let w: ApprovalWorld;
const capture = 'baseline-copy-capture';
beforeAll(async () => {
  w = await approvalWorld('baseline-copy');
  await w.s3.send(
    new CreateBucketCommand({ Bucket: capture, CreateBucketConfiguration: { LocationConstraint: REGION } }),
  );
  await w.s3.send(new PutBucketVersioningCommand({ Bucket: capture, VersioningConfiguration: { Status: 'Enabled' } }));
}, 60_000);
afterAll(async () => w?.stop());

const CONSTRAINTS = { version: 0.0, features: [{ name: 'amount', inferred_type: 'Fractional', completeness: 1 }] };
const SEGMENTS = {
  version: 0.0,
  segments: { 'high-value': { definition: 'amount >= 10000', statistics: { features: [] } } },
};
const versionOf = (arn: string) => Number(arn.split('/').pop());
const text = async (bucket: string, key: string) =>
  await (await w.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
/** Every object version and delete marker under the endpoint's baseline prefix. */
const targetVersions = async (endpoint: string) => {
  const listed = await w.s3.send(new ListObjectVersionsCommand({ Bucket: capture, Prefix: targetPrefix(endpoint) }));
  return [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`).sort();
};
const liveKeys = async (endpoint: string) => {
  const listed = await w.s3.send(new ListObjectVersionsCommand({ Bucket: capture, Prefix: targetPrefix(endpoint) }));
  const latest = [
    ...(listed.Versions ?? []),
    ...(listed.DeleteMarkers ?? []).map((d) => ({ ...d, deleted: true })),
  ].filter((v) => v.IsLatest);
  return latest
    .filter((v) => !('deleted' in v))
    .map((v) => v.Key!.slice(targetPrefix(endpoint).length))
    .sort();
};

/**
 * A fraud-score version approved and pinned by the real gate and pinner, its run having written these baseline files.
 */
async function pinnedVersion(
  files: { segments?: boolean; constraints?: boolean } = { segments: true, constraints: true },
) {
  const run = await w.run('fraud-score');
  const put = (name: string, body: unknown) =>
    w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: `${run.prefix}reports/${name}`, Body: JSON.stringify(body) }),
    );
  if (files.constraints !== false) await put('baseline-constraints.json', CONSTRAINTS);
  if (files.segments) await put('baseline-segment-statistics.json', SEGMENTS);
  const arn = await version(w, 'fraud-score', {
    execution: run.arn,
    reports: { ...GOOD, evaluation: evaluation(0.9) },
  });
  const pin = (await w.json(`pins/${arn.split('/').slice(-2).join('/')}/pin.json`)) as unknown as PinRecord;
  return { arn, v: versionOf(arn), pin };
}

const props = (endpoint: string, v: number | string): BaselineCopyProperties => ({
  RoleArn: `arn:aws:iam::333333333333:role/${endpoint}-baseline-copy`,
  SourceBucket: w.approved,
  ModelId: 'fraud-score',
  Version: String(v),
  TargetBucket: capture,
  EndpointName: endpoint,
});
const copier = (s3?: S3Client) => baselineCopier({ s3For: async () => s3 ?? w.s3 });

/** S3 as it answers a role without s3:ListBucket: a missing key is 403 AccessDenied, not 404. */
function withoutListBucket(s3: S3Client): S3Client {
  const real = s3.send.bind(s3) as (c: unknown) => Promise<unknown>;
  return new Proxy(s3, {
    get: (t, p) =>
      p === 'send'
        ? async (c: unknown) => {
            try {
              return await real(c);
            } catch (e) {
              if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
                throw new S3ServiceException({
                  name: 'AccessDenied',
                  $fault: 'client',
                  message: 'Access Denied',
                  $metadata: { httpStatusCode: 403 },
                });
              throw e;
            }
          }
        : Reflect.get(t, p),
  });
}

describe('the champion baseline reaches the endpoint, verified', () => {
  test('copied byte for byte from the pinned files, with a source record; a retry writes nothing new', async () => {
    const { arn, v, pin } = await pinnedVersion();
    expect(pin.baselines?.status).toBe('pinned');
    const done = await copier()(props('prod-fraud-a', v));
    expect(done).toEqual({
      version: v,
      manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      written: ['baseline-statistics.json', 'baseline-constraints.json', 'baseline-segment-statistics.json'],
      unchanged: [],
      removed: [],
    });
    for (const file of [
      'baseline-statistics.json',
      'baseline-constraints.json',
      'baseline-segment-statistics.json',
    ] as const) {
      expect(await text(capture, `${targetPrefix('prod-fraud-a')}${file}`)).toBe(
        await text(w.approved, baselineKey('fraud-score', v, file)),
      );
    }
    const source = JSON.parse(await text(capture, `${targetPrefix('prod-fraud-a')}${BASELINE_SOURCE_FILE}`));
    expect(source).toMatchObject({
      model: 'fraud-score',
      version: v,
      manifest: { uri: `s3://${w.approved}/${baselineManifestKey('fraud-score', v)}`, sha256: done.manifestSha256 },
    });
    expect(pin.modelPackage.arn).toBe(arn);
    const before = await targetVersions('prod-fraud-a');
    const again = await copier()(props('prod-fraud-a', v));
    expect(again).toMatchObject({
      written: [],
      unchanged: ['baseline-statistics.json', 'baseline-constraints.json', 'baseline-segment-statistics.json'],
      removed: [],
    });
    expect(await targetVersions('prod-fraud-a')).toEqual(before);
  });

  test('a new champion (Update): its files replace the old ones, and a segment baseline it does not have is removed', async () => {
    const old = await pinnedVersion({ segments: true });
    const next = await pinnedVersion({ segments: false });
    await copier()(props('prod-fraud-b', old.v));
    expect(await liveKeys('prod-fraud-b')).toEqual([
      'baseline-constraints.json',
      'baseline-segment-statistics.json',
      'baseline-source.json',
      'baseline-statistics.json',
    ]);
    const done = await copier()(props('prod-fraud-b', next.v));
    expect(done.removed).toEqual(['baseline-segment-statistics.json']);
    const settled = await targetVersions('prod-fraud-b');
    expect((await copier()(props('prod-fraud-b', next.v))).removed).toEqual([]);
    expect(await targetVersions('prod-fraud-b')).toEqual(settled);
    expect(await liveKeys('prod-fraud-b')).toEqual([
      'baseline-constraints.json',
      'baseline-source.json',
      'baseline-statistics.json',
    ]);
    expect(JSON.parse(await text(capture, `${targetPrefix('prod-fraud-b')}${BASELINE_SOURCE_FILE}`)).version).toBe(
      next.v,
    );
  });
});

describe('refusals name their reason; nothing is half written', () => {
  test("a pinned file whose bytes are not the manifest's SHA-256: refused before any write, and a retry refuses the same way", async () => {
    const { v, pin } = await pinnedVersion();
    if (pin.baselines?.status !== 'pinned') throw new Error('not pinned');
    // Other bytes at the key (moto does not enforce the bucket's write-once policy; a later version is what a read
    // gets).
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.approved,
        Key: baselineKey('fraud-score', v, 'baseline-constraints.json'),
        Body: '{"features":[]}',
      }),
    );
    const recorded = pin.baselines.files.find((f) => f.file === 'baseline-constraints.json')!.pinned.sha256;
    const refusal = new RegExp(
      `^baseline-constraints\\.json of fraud-score version ${v} has SHA-256 [0-9a-f]{64}, not the ${recorded} its manifest records; nothing is written$`,
    );
    await expect(copier()(props('prod-fraud-c', v))).rejects.toThrow(refusal);
    expect(await targetVersions('prod-fraud-c')).toEqual([]);
    await expect(copier()(props('prod-fraud-c', v))).rejects.toThrow(refusal);
    expect(await targetVersions('prod-fraud-c')).toEqual([]);
  });

  test('a version pinned without a baseline: refused, naming the missing manifest (404 in moto, 403 as S3 answers this role)', async () => {
    const { v, pin } = await pinnedVersion({ constraints: false });
    expect(pin.baselines).toMatchObject({ status: 'none' });
    await expect(copier()(props('prod-fraud-d', v))).rejects.toThrow(
      new RegExp(
        `^s3://${w.approved}/baselines/fraud-score/${v}/manifest\\.json cannot be read \\(404: .*it does not exist; version ${v} of fraud-score has no pinned baseline this endpoint can copy$`,
      ),
    );
    await expect(copier(withoutListBucket(w.s3))(props('prod-fraud-d', v))).rejects.toThrow(
      /cannot be read \(403: .*the key does not exist \(S3 answers 403 for a missing key to a role without s3:ListBucket\) or this role may not read it/,
    );
    expect(await targetVersions('prod-fraud-d')).toEqual([]);
  });

  test('a manifest that lacks the constraints, lists a file twice or an unknown file, or is not JSON: refused', async () => {
    const { v } = await pinnedVersion();
    const manifest = JSON.parse(await text(w.approved, baselineManifestKey('fraud-score', v)));
    const cases: [unknown, RegExp][] = [
      [
        { ...manifest, files: manifest.files.filter((f: { file: string }) => f.file !== 'baseline-constraints.json') },
        /has no baseline-constraints\.json, which the monitoring job needs/,
      ],
      [{ ...manifest, files: [...manifest.files, manifest.files[0]] }, /which is not one of .* with a SHA-256, once/],
      [
        { ...manifest, files: [...manifest.files, { file: '../../other/key.json', sha256: 'a'.repeat(64) }] },
        /which is not one of/,
      ],
      [{ ...manifest, schema: 'other/1' }, /is not a model-baseline\/1 manifest listing files/],
      ['{not json', /is not JSON/],
    ];
    for (const [body, reason] of cases) {
      await w.s3.send(
        new PutObjectCommand({
          Bucket: w.approved,
          Key: baselineManifestKey('fraud-score', v),
          Body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      );
      await expect(copier()(props('prod-fraud-e', v))).rejects.toThrow(reason);
    }
    expect(await targetVersions('prod-fraud-e')).toEqual([]);
  });

  test('bad properties: refused with the field and value', async () => {
    await expect(copier()({ ...props('prod-fraud-f', 1), Version: 'latest' })).rejects.toThrow(
      'Version must be a whole package version of 1 or more, not latest',
    );
    await expect(copier()({ ...props('prod-fraud-f', 1), ModelId: '../models' })).rejects.toThrow(
      'ModelId must be a model package group name, not ../models',
    );
    await expect(copier()({ ...props('prod-fraud-f', 1), EndpointName: 'a/b' })).rejects.toThrow(
      'EndpointName must be an endpoint name, not a/b',
    );
  });
});

describe('as a CloudFormation custom resource', () => {
  const event = (
    type: CustomResourceEvent['RequestType'],
    p: BaselineCopyProperties,
    physical?: string,
  ): CustomResourceEvent => ({
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/answer',
    StackId: 'arn:aws:cloudformation:eu-west-1:333333333333:stack/prod-Endpoints14/x',
    RequestId: `req-${type}`,
    LogicalResourceId: 'fraudscoreBaselineCopy',
    PhysicalResourceId: physical,
    ResourceProperties: p,
  });

  test('Create copies and answers SUCCESS; Delete answers SUCCESS and leaves every file; a refusal answers FAILED with its reason', async () => {
    const answers: { url: string; body: Record<string, unknown> }[] = [];
    const handle = customResource({
      s3For: async () => w.s3,
      respond: async (url, body) => void answers.push({ url, body: JSON.parse(body) }),
    });
    const { v } = await pinnedVersion();
    expect(await handle(event('Create', props('prod-fraud-g', v)))).toMatchObject({
      Status: 'SUCCESS',
      Data: { Version: String(v) },
    });
    expect(answers[0]).toMatchObject({
      url: expect.stringMatching(/^https:\/\/cloudformation-custom-resource-response-/),
      body: {
        Status: 'SUCCESS',
        PhysicalResourceId: 'prod-fraud-g-baseline',
        RequestId: 'req-Create',
        LogicalResourceId: 'fraudscoreBaselineCopy',
      },
    });
    const kept = await targetVersions('prod-fraud-g');
    expect(await handle(event('Delete', props('prod-fraud-g', v), 'prod-fraud-g-baseline'))).toMatchObject({
      Status: 'SUCCESS',
    });
    expect(answers[1].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'prod-fraud-g-baseline' });
    expect(await targetVersions('prod-fraud-g')).toEqual(kept);
    expect(await liveKeys('prod-fraud-g')).toHaveLength(4);
    const failed = await handle(event('Update', props('prod-fraud-g', 9999), 'prod-fraud-g-baseline'));
    expect(failed).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/baselines\/fraud-score\/9999\/manifest\.json cannot be read/),
    });
    expect(answers[2].body).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: 'prod-fraud-g-baseline',
      Reason: failed.Reason,
    });
    // The failed Update left the previous champion's baseline in place.
    expect(await targetVersions('prod-fraud-g')).toEqual(kept);
  });
});
