/**
 * Who may read and write the pinned baselines and a prod endpoint's monitoring baseline, asked of the synthesized
 * estate as IAM decides it (identity policy, workload boundary, SCPs, bucket policy, the prod S3 gateway endpoint's
 * policy: test/access/simulate.ts). moto enforces none of this.
 *
 * A cross-account read needs both the reader's identity policy and the bucket's policy (Amazon S3 User Guide, "Bucket
 * owner granting cross-account bucket permissions"). A denied read of a key is answered 403 whether or not the key
 * exists, and a permitted read of a missing key is 403 too unless the caller has s3:ListBucket on the bucket (Amazon S3
 * API Reference, GetObject, Permissions: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP
 * status code 403 Access Denied error"); the copier role has s3:ListBucket on neither bucket (asserted below), so to it
 * every refusal here is S3's 403, and the copier reports a 403 as "missing, or not readable"
 * (test/gates/baseline-copy.moto.test.ts emulates that answer against moto).
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, RoleModel } from './estate-model';
import { Answer, ask, Principal, without } from './simulate';
import { baselineKey, pinnedKey } from '../../lambdas/model-pinner/handler';
import { targetPrefix } from '../../lambdas/baseline-copier/handler';
import { baselineCopies } from '../../lib/delivery/baseline-copies';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;
beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const env = (name: string) => model.synth.config.environments.find((e) => e.name === name)!;
const asRole = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
const deciding = (a: Answer) => a.by.map((b) => b.statement);
const approvedBucket = () => `approved-models-${env('staging').account}-${env('staging').region}`;
const captureBucket = () => `inference-capture-${env('prod').account}-${env('prod').region}`;
const approvedPolicy = () =>
  model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ApprovedModels/Policy');
const s3Endpoint = () => ({
  name: 'prod S3 gateway endpoint',
  policy: model.policyOf('prod/Foundation', 'AWS::EC2::VPCEndpoint', 'S3Endpoint', 'PolicyDocument'),
});
/** The copier role of a prod model's endpoint, wherever its shard is. */
const copier = (modelId: string) => {
  const found = model.roles.filter(
    (r) =>
      r.key.startsWith('prod/Endpoints') &&
      r.logicalId.startsWith(modelId.replace(/-/g, '')) &&
      r.logicalId.includes('BaselineCopyRole'),
  );
  if (found.length !== 1) throw new Error(`${found.length} baseline copy roles of ${modelId}`);
  return found[0];
};
const copierFunction = (modelId: string) => {
  const shard = copier(modelId).key;
  return model.roles.find((r) => r.key === shard && r.logicalId.startsWith('BaselineCopierFunctionRole'))!;
};

/**
 * A read of the staging approved-model bucket from prod, as S3 authorizes it (identity side in prod, bucket side in
 * staging, through prod's S3 endpoint).
 */
const readApproved = (p: Principal, key: string, policy: unknown = approvedPolicy()) =>
  ask({
    scps,
    principal: p,
    action: 's3:GetObject',
    resource: `arn:aws:s3:::${approvedBucket()}/${key}`,
    resourceAccount: env('staging').account,
    region: env('staging').region,
    resourcePolicy: policy,
    endpointPolicies: [s3Endpoint()],
  });
const onCapture = (p: Principal, action: string, key: string) =>
  ask({
    scps,
    principal: p,
    action,
    resource: `arn:aws:s3:::${captureBucket()}/${key}`,
    resourceAccount: env('prod').account,
    region: env('prod').region,
    endpointPolicies: [s3Endpoint()],
    context: action === 's3:PutObject' ? { 's3:ObjectCreationOperation': 'true' } : {},
  });

describe('the example estate has a copy for each monitored prod endpoint', () => {
  test('fraud-score and credit-default, each at its champion (the version with the most weight), each with its own role', () => {
    const copies = baselineCopies(model.synth.config, env('prod'));
    expect(copies.map((c) => [c.model.id, c.championVersion, c.roleName])).toEqual(
      model.synth.config.models
        .filter(
          (m) =>
            m.endpoints.prod &&
            !m.endpoints.prod.awaitingApproval &&
            (m.endpoints.prod.monitoring?.dataQuality ?? true) !== false,
        )
        .filter((m) => copies.some((c) => c.model.id === m.id))
        .map((m) => [
          m.id,
          [...m.endpoints.prod.variants].sort((a, b) => b.weight - a.weight)[0].modelPackageVersion,
          `prod-${m.id}-baseline-copy`,
        ]),
    );
    expect(copies.map((c) => c.model.id).sort()).toEqual(['credit-default', 'fraud-score']);
    for (const c of copies)
      expect(copier(c.model.id).arn).toBe(`arn:aws:iam::${env('prod').account}:role/${c.roleName}`);
  });
});

describe("a copier reads only its own model's pinned baselines", () => {
  test("its model's baseline: allowed, by its identity policy and the bucket's statement naming its exact role ARN", async () => {
    const a = await readApproved(
      asRole(copier('fraud-score')),
      baselineKey('fraud-score', 1, 'baseline-statistics.json'),
    );
    expect(a.decision).toBe('allowed');
    const bucketGrant = a.by.find((b) => b.policyType === 'resource');
    expect(bucketGrant?.statement).toMatch(/^ProdCopiesBaseline\d+$/);
    // Without that statement the cross-account read has no grant on the bucket's side.
    expect(
      (
        await readApproved(
          asRole(copier('fraud-score')),
          baselineKey('fraud-score', 1, 'baseline-statistics.json'),
          without(approvedPolicy(), bucketGrant!.statement),
        )
      ).decision,
    ).toBe('denied');
  });

  test("another model's baseline: 403", async () => {
    expect(
      (await readApproved(asRole(copier('fraud-score')), baselineKey('credit-default', 3, 'baseline-statistics.json')))
        .decision,
    ).toBe('denied');
    expect(
      (await readApproved(asRole(copier('credit-default')), baselineKey('fraud-score', 1, 'baseline-statistics.json')))
        .decision,
    ).toBe('denied');
  });

  test("another model's baseline with the copier's own grant widened to every baseline: still 403 (the bucket admits it to its model only)", async () => {
    const wide = {
      ...asRole(copier('fraud-score')),
      identityPolicies: [
        {
          name: 'wide',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${approvedBucket()}/*` }],
          },
        },
      ],
    };
    expect((await readApproved(wide, baselineKey('credit-default', 3, 'baseline-statistics.json'))).decision).toBe(
      'denied',
    );
    expect((await readApproved(wide, baselineKey('fraud-score', 1, 'baseline-statistics.json'))).decision).toBe(
      'allowed',
    );
  });

  test('models/ (the pinned model data) and the manifest of another model: 403', async () => {
    expect((await readApproved(asRole(copier('fraud-score')), pinnedKey('fraud-score', 1, 0))).decision).toBe('denied');
    expect(
      (await readApproved(asRole(copier('fraud-score')), 'baselines/credit-default/3/manifest.json')).decision,
    ).toBe('denied');
  });

  test('no listing of either bucket: to the copier a missing key is 403, as S3 documents', async () => {
    const list = (bucket: string, account: string, region: string) =>
      ask({
        scps,
        principal: asRole(copier('fraud-score')),
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket}`,
        resourceAccount: account,
        region,
        resourcePolicy: bucket === approvedBucket() ? approvedPolicy() : undefined,
        context: { 's3:prefix': 'baselines/fraud-score/' },
      });
    expect((await list(approvedBucket(), env('staging').account, env('staging').region)).decision).toBe('denied');
    expect((await list(captureBucket(), env('prod').account, env('prod').region)).decision).toBe('denied');
  });

  test("another prod role (the endpoint's own execution role) may not read the baselines: the bucket admits the copier's exact ARN only", async () => {
    const execution = model.roles.find(
      (r) => r.key.startsWith('prod/Endpoints') && r.logicalId.startsWith('fraudscoreEndpointExecutionRole'),
    )!;
    expect(execution).toBeDefined();
    const widened = {
      ...asRole(execution),
      identityPolicies: [
        ...execution.identityPolicies,
        {
          name: 'wide',
          policy: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${approvedBucket()}/baselines/*` },
            ],
          },
        },
      ],
    };
    expect((await readApproved(widened, baselineKey('fraud-score', 1, 'baseline-statistics.json'))).decision).toBe(
      'denied',
    );
  });
});

describe("a copier writes only its own endpoint's baseline prefix", () => {
  const own = (m: string) => `${targetPrefix(`prod-${m}`)}baseline-statistics.json`;

  test('its prefix: PutObject, GetObject (its HeadObject) and DeleteObject allowed', async () => {
    for (const action of ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'])
      expect([action, (await onCapture(asRole(copier('fraud-score')), action, own('fraud-score'))).decision]).toEqual([
        action,
        'allowed',
      ]);
  });

  test("another endpoint's prefix: 403", async () => {
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:GetObject'])
      expect([
        action,
        (await onCapture(asRole(copier('fraud-score')), action, own('credit-default'))).decision,
      ]).toEqual([action, 'denied']);
  });

  test("its endpoint's reports, captures and labels: 403", async () => {
    for (const key of [
      'monitoring/prod-fraud-score/reports/job-1/report.json',
      'capture/prod-fraud-score/champion/2026/12/02/a.jsonl',
      'monitoring/prod-fraud-score/ground-truth/x.jsonl',
    ]) {
      expect([key, (await onCapture(asRole(copier('fraud-score')), 's3:PutObject', key)).decision]).toEqual([
        key,
        'denied',
      ]);
    }
  });
});

describe('the shard function acts only as its copiers', () => {
  test("it may assume its shard's copier role, not the endpoint's execution role, and reads no bucket itself", async () => {
    const fn = copierFunction('fraud-score');
    const assume = (arn: string) =>
      ask({
        scps,
        principal: asRole(fn),
        action: 'sts:AssumeRole',
        resource: arn,
        resourceAccount: env('prod').account,
        region: env('prod').region,
      });
    expect((await assume(copier('fraud-score').arn)).decision).toBe('allowed');
    const execution = model.roles.find(
      (r) => r.key.startsWith('prod/Endpoints') && r.logicalId.startsWith('fraudscoreEndpointExecutionRole'),
    )!;
    expect((await assume(execution.arn)).decision).toBe('denied');
    expect((await readApproved(asRole(fn), baselineKey('fraud-score', 1, 'baseline-statistics.json'))).decision).toBe(
      'denied',
    );
    expect(
      (await onCapture(asRole(fn), 's3:PutObject', `${targetPrefix('prod-fraud-score')}baseline-statistics.json`))
        .decision,
    ).toBe('denied');
  });

  test("each copier role trusts only its shard's function role", () => {
    const trust = copier('fraud-score').trust as any;
    const statements = [trust.Statement].flat();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole' });
    expect(JSON.stringify(statements[0].Principal)).toMatch(/BaselineCopierFunctionRole/);
  });
});

describe('pinned baselines are written once, as pinned model data are', () => {
  const pinner = () => model.role('staging/ModelGovernance', 'ModelPinner/Role');
  const training = () =>
    model.roles.find((r) => r.key.startsWith('staging/') && r.arn.includes(':role/estate-training/'))!;
  const put = (p: Principal, context: Record<string, string>, policy: unknown = approvedPolicy()) =>
    ask({
      scps,
      principal: p,
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${approvedBucket()}/${baselineKey('fraud-score', 4, 'baseline-constraints.json')}`,
      resourceAccount: env('staging').account,
      region: env('staging').region,
      resourcePolicy: policy,
      context,
    });

  test('the pinner with If-None-Match: allowed; without it: denied by PinnedKeysWrittenOnce (allowed once that statement is removed)', async () => {
    expect(
      (await put(asRole(pinner()), { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' })).decision,
    ).toBe('allowed');
    const bare = await put(asRole(pinner()), { 's3:ObjectCreationOperation': 'true' });
    expect([bare.decision, deciding(bare)]).toEqual(['denied', ['PinnedKeysWrittenOnce']]);
    expect(
      (
        await put(
          asRole(pinner()),
          { 's3:ObjectCreationOperation': 'true' },
          without(approvedPolicy(), 'PinnedKeysWrittenOnce'),
        )
      ).decision,
    ).toBe('allowed');
  });

  test('an overwrite (If-Match) is denied to the pinner; a training role cannot write there at all', async () => {
    const over = await put(asRole(pinner()), {
      's3:ObjectCreationOperation': 'true',
      's3:if-none-match': '*',
      's3:if-match': '"etag"',
    });
    expect([over.decision, deciding(over)]).toEqual(['denied', ['PinnedKeysNeverOverwritten']]);
    const t = training();
    const wide = {
      arn: t.arn,
      account: t.account,
      identityPolicies: [
        {
          name: 'over',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
        },
      ],
      boundary: t.boundary,
      tags: t.tags,
    };
    const denied = await put(wide, { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' });
    expect([denied.decision, deciding(denied)]).toEqual(['denied', ['OnlyThePinnerWrites']]);
  });

  test('nobody deletes a pinned baseline, the pinner given s3:* included', async () => {
    const p = pinner();
    const wide = {
      ...asRole(p),
      identityPolicies: [
        {
          name: 'over',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
        },
      ],
    };
    const del = await ask({
      scps,
      principal: wide,
      action: 's3:DeleteObject',
      resource: `arn:aws:s3:::${approvedBucket()}/${baselineKey('fraud-score', 4, 'manifest.json' as never)}`,
      resourceAccount: env('staging').account,
      region: env('staging').region,
      resourcePolicy: approvedPolicy(),
    });
    expect([del.decision, deciding(del)]).toEqual(['denied', ['PinnedKeysNeverDeleted']]);
  });

  test("the pinner's baseline calls are granted: the run's baseline versions, listing them, and writing, locking and reading back the copies", async () => {
    const artifacts = `model-artifacts-${env('staging').account}-${env('staging').region}`;
    const artifactsPolicy = model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy');
    const source = 'training/fraud-score/exec-1/reports/baseline-constraints.json';
    const target = `arn:aws:s3:::${approvedBucket()}/${baselineKey('fraud-score', 4, 'baseline-constraints.json')}`;
    const calls: Array<[string, string, unknown, Record<string, string>]> = [
      ['s3:ListBucketVersions', `arn:aws:s3:::${artifacts}`, artifactsPolicy, { 's3:prefix': source }],
      ['s3:GetObjectVersion', `arn:aws:s3:::${artifacts}/${source}`, artifactsPolicy, {}],
      ['s3:PutObject', target, approvedPolicy(), { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' }],
      ['s3:PutObjectRetention', target, approvedPolicy(), { 's3:object-lock-mode': 'COMPLIANCE' }],
      ['s3:GetObject', target, approvedPolicy(), {}],
      ['s3:GetObjectVersion', target, approvedPolicy(), {}],
    ];
    const refused: string[] = [];
    for (const [action, resource, policy, context] of calls) {
      const a = await ask({
        scps,
        principal: asRole(pinner()),
        action,
        resource,
        resourceAccount: env('staging').account,
        region: env('staging').region,
        resourcePolicy: policy,
        context,
      });
      if (a.decision !== 'allowed') refused.push(`${action} ${resource}`);
    }
    expect(refused).toEqual([]);
    // And not the run's other reports, nor its model data listing beyond the baseline files.
    const other = await ask({
      scps,
      principal: asRole(pinner()),
      action: 's3:GetObjectVersion',
      resource: `arn:aws:s3:::${artifacts}/training/fraud-score/exec-1/reports/evaluation.json`,
      resourceAccount: env('staging').account,
      region: env('staging').region,
      resourcePolicy: artifactsPolicy,
    });
    expect(other.decision).toBe('denied');
  });
});
