/**
 * Who may write, overwrite, delete and mark what is pinned, asked of the
 * synthesized estate as IAM decides it (identity policy, boundary, SCPs,
 * bucket policy: test/access/simulate.ts). moto enforces none of this, so the
 * S3 requests are described as S3 authorizes them, from its documentation:
 *
 * - a creation (PutObject, CopyObject, CompleteMultipartUpload) is
 *   s3:PutObject with s3:ObjectCreationOperation true, and carries
 *   s3:if-none-match / s3:if-match when the request has those headers; the
 *   parts of a multipart upload (CreateMultipartUpload, UploadPart,
 *   UploadPartCopy) are s3:PutObject with s3:ObjectCreationOperation false and
 *   no conditional header (Amazon S3 User Guide, "Enforce conditional writes
 *   on Amazon S3 buckets"; Service Authorization Reference, Amazon S3,
 *   condition keys of PutObject);
 * - a copy of an object that has tags, with the default COPY tagging
 *   directive, needs s3:GetObjectTagging on the source and s3:PutObjectTagging
 *   on the target (AWS Knowledge Center, "Why can't I copy an object between
 *   two Amazon S3 buckets?": "You must have s3:GetObjectTagging permission for
 *   the source object and s3:PutObjectTagging permission for objects in the
 *   destination bucket"); with a version in the copy source, the version
 *   actions (s3:GetObjectVersion, s3:GetObjectVersionTagging);
 * - a copy with the REPLACE directive and tags is a PutObject naming them
 *   (s3:RequestObjectTagKeys) and needs s3:PutObjectTagging as well.
 *
 * Each denial is asked again with the deciding statement removed, to show it
 * is that statement that decides.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, RoleModel } from '../access/estate-model';
import { Answer, ask, Principal, without } from '../access/simulate';
import { APPROVED_TAG, pinnedKey } from '../../lambdas/model-pinner/handler';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;
beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const staging = () => model.synth.config.environments.find((e) => e.name === 'staging')!;
const asRole = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
/**
 * The same role with every S3 action on every resource (as a broad grant helper would give): only resource policies and
 * SCPs stand.
 */
const overGranted = (r: RoleModel): Principal => ({
  ...asRole(r),
  identityPolicies: [
    {
      name: 'over',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    },
  ],
});
const pinner = () => model.role('staging/ModelGovernance', 'ModelPinner/Role');
const training = () =>
  model.roles.find((r) => r.key.startsWith('staging/') && r.arn.includes(':role/estate-training/'))!;
const bucketPolicy = (fragment: string) => model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', fragment);
const approvedBucket = () => `approved-models-${staging().account}-${staging().region}`;
const artifactBucket = () => `model-artifacts-${staging().account}-${staging().region}`;
const deciding = (a: Answer) => a.by.map((b) => b.statement);

async function s3(
  principal: Principal,
  action: string,
  bucket: string,
  key: string,
  policy: unknown,
  context: Record<string, string | string[]> = {},
) {
  return ask({
    scps,
    principal,
    action,
    resource: `arn:aws:s3:::${bucket}/${key}`,
    resourceAccount: staging().account,
    region: staging().region,
    resourcePolicy: policy,
    context,
  });
}

describe('a pinned key is written once, never overwritten, never deleted', () => {
  const key = () => pinnedKey('credit-default', 3, 0);
  const policy = () => bucketPolicy('ApprovedModels/Policy');

  test("the pinner's multipart copy goes through: its parts (no conditional header) and its completion with If-None-Match", async () => {
    const parts = await s3(asRole(pinner()), 's3:PutObject', approvedBucket(), key(), policy(), {
      's3:ObjectCreationOperation': 'false',
    });
    expect(parts.decision).toBe('allowed');
    const complete = await s3(asRole(pinner()), 's3:PutObject', approvedBucket(), key(), policy(), {
      's3:ObjectCreationOperation': 'true',
      's3:if-none-match': '*',
    });
    expect(complete.decision).toBe('allowed');
  });

  test('a creation without If-None-Match is denied even to the pinner (PinnedKeysWrittenOnce); without the statement it is allowed', async () => {
    const ctx = { 's3:ObjectCreationOperation': 'true' };
    const denied = await s3(asRole(pinner()), 's3:PutObject', approvedBucket(), key(), policy(), ctx);
    expect([denied.decision, deciding(denied)]).toEqual(['denied', ['PinnedKeysWrittenOnce']]);
    expect(
      (
        await s3(
          asRole(pinner()),
          's3:PutObject',
          approvedBucket(),
          key(),
          without(policy(), 'PinnedKeysWrittenOnce'),
          ctx,
        )
      ).decision,
    ).toBe('allowed');
  });

  test('an overwrite with If-Match is denied even to the pinner, If-None-Match alongside or not (PinnedKeysNeverOverwritten)', async () => {
    const ctx = {
      's3:ObjectCreationOperation': 'true',
      's3:if-none-match': '*',
      's3:if-match': '"etag-of-the-pinned-copy"',
    };
    const denied = await s3(asRole(pinner()), 's3:PutObject', approvedBucket(), key(), policy(), ctx);
    expect([denied.decision, deciding(denied)]).toEqual(['denied', ['PinnedKeysNeverOverwritten']]);
    expect(
      (
        await s3(
          asRole(pinner()),
          's3:PutObject',
          approvedBucket(),
          key(),
          without(policy(), 'PinnedKeysNeverOverwritten'),
          ctx,
        )
      ).decision,
    ).toBe('allowed');
    const alone = await s3(asRole(pinner()), 's3:PutObject', approvedBucket(), key(), policy(), {
      's3:ObjectCreationOperation': 'true',
      's3:if-match': '"etag"',
    });
    expect([alone.decision, deciding(alone)]).toEqual([
      'denied',
      ['PinnedKeysWrittenOnce', 'PinnedKeysNeverOverwritten'],
    ]);
  });

  test('nobody deletes there, the pinner given s3:* included (a delete marker would hide the key prod reads)', async () => {
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion']) {
      const denied = await s3(overGranted(pinner()), action, approvedBucket(), key(), policy());
      expect([action, denied.decision, deciding(denied)]).toEqual([action, 'denied', ['PinnedKeysNeverDeleted']]);
      expect([
        action,
        (await s3(overGranted(pinner()), action, approvedBucket(), key(), without(policy(), 'PinnedKeysNeverDeleted')))
          .decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test('a training role given s3:* cannot write there at all, conditional header or not', async () => {
    const a = await s3(overGranted(training()), 's3:PutObject', approvedBucket(), key(), policy(), {
      's3:ObjectCreationOperation': 'true',
      's3:if-none-match': '*',
    });
    expect([a.decision, deciding(a)]).toEqual(['denied', ['OnlyThePinnerWrites']]);
  });
});

describe('nobody but the pinner produces an object carrying the approval mark, copying included', () => {
  const source = 'training/credit-default/exec-1/model/model.tar.gz';
  const target = 'training/credit-default/exec-2/model/model.tar.gz';
  const policy = () => bucketPolicy('ModelArtifacts/Policy');

  /** The requests S3 authorizes for a CopyObject of a tagged version within the artifact bucket (see the header). */
  function copyRequests(directive: 'COPY' | 'REPLACE', tags: string[]) {
    const requests: Array<[string, string, Record<string, string | string[]>]> = [
      ['s3:GetObjectVersion', source, {}],
      [
        's3:PutObject',
        target,
        {
          's3:ObjectCreationOperation': 'true',
          's3:x-amz-copy-source': `${artifactBucket()}/${source}`,
          ...(directive === 'REPLACE' && tags.length ? { 's3:RequestObjectTagKeys': tags } : {}),
        },
      ],
    ];
    if (directive === 'COPY')
      requests.push(['s3:GetObjectVersionTagging', source, {}], ['s3:PutObjectTagging', target, {}]);
    if (directive === 'REPLACE' && tags.length)
      requests.push(['s3:PutObjectTagging', target, { 's3:RequestObjectTagKeys': tags }]);
    return requests;
  }
  async function copy(principal: Principal, directive: 'COPY' | 'REPLACE', tags: string[], resourcePolicy = policy()) {
    const answers = [];
    for (const [action, key, context] of copyRequests(directive, tags))
      answers.push({ action, answer: await s3(principal, action, artifactBucket(), key, resourcePolicy, context) });
    const refused = answers.filter((a) => a.answer.decision === 'denied');
    return {
      allowed: refused.length === 0,
      refused: refused.map((a) => `${a.action}: ${deciding(a.answer).join(',') || 'no grant'}`),
    };
  }

  test("the training role as synthesized: a copy that keeps the tags is refused (its tags are the pinner's to write)", async () => {
    const result = await copy(asRole(training()), 'COPY', []);
    expect(result.allowed).toBe(false);
    expect(result.refused).toEqual(
      expect.arrayContaining([expect.stringMatching(/^s3:PutObjectTagging: .*OnlyThePinnerTags/)]),
    );
  });

  test('a training role given s3:* everywhere: the tag-keeping copy is still refused by OnlyThePinnerTags; without that statement it goes through and the mark travels', async () => {
    const result = await copy(overGranted(training()), 'COPY', []);
    expect(result).toEqual({ allowed: false, refused: ['s3:PutObjectTagging: OnlyThePinnerTags'] });
    expect(await copy(overGranted(training()), 'COPY', [], without(policy(), 'OnlyThePinnerTags'))).toEqual({
      allowed: true,
      refused: [],
    });
  });

  test('naming the mark in a REPLACE copy is refused twice over (OnlyThePinnerMarksApproved, OnlyThePinnerTags)', async () => {
    const result = await copy(overGranted(training()), 'REPLACE', [APPROVED_TAG]);
    expect(result.allowed).toBe(false);
    expect(result.refused).toEqual([
      's3:PutObject: OnlyThePinnerMarksApproved',
      's3:PutObjectTagging: OnlyThePinnerMarksApproved,OnlyThePinnerTags',
    ]);
  });

  test('a copy that drops the tags goes through for an over-granted training role (the copy carries no mark), and the pinner may tag', async () => {
    expect(await copy(overGranted(training()), 'REPLACE', [])).toEqual({ allowed: true, refused: [] });
    const tag = await s3(asRole(pinner()), 's3:PutObjectVersionTagging', artifactBucket(), source, policy(), {
      's3:RequestObjectTagKeys': [APPROVED_TAG],
    });
    expect(tag.decision).toBe('allowed');
  });
});

describe('every call the pinner makes is allowed as IAM decides it: identity policy, the workload boundary, SCPs, bucket policies', () => {
  const pkg = () => `arn:aws:sagemaker:${staging().region}:${staging().account}:model-package/credit-default/3`;
  const records = () => {
    const t = model.template('staging/ModelGovernance');
    return model.bucketName(
      t,
      model.resourceId('staging/ModelGovernance', 'AWS::S3::Bucket', 'DecisionRecords/Resource'),
    );
  };
  const modelData = 'training/credit-default/exec-1/model/model.tar.gz';
  /**
   * Each call of lambdas/model-pinner/handler.ts as S3 and SageMaker authorize it (test/gates/iam-calls.test.ts lists
   * the actions).
   */
  const calls = (): Array<{
    call: string;
    action: string;
    resource: string;
    policy?: unknown;
    context?: Record<string, string | string[]>;
  }> => {
    const rec = (key: string) => `arn:aws:s3:::${records()}/${key}`;
    const art = (key: string) => `arn:aws:s3:::${artifactBucket()}/${key}`;
    const app = (key: string) => `arn:aws:s3:::${approvedBucket()}/${key}`;
    const recordsPolicy = bucketPolicy('DecisionRecords/Policy');
    const artifactsPolicy = bucketPolicy('ModelArtifacts/Policy');
    const approvedPolicy = bucketPolicy('ApprovedModels/Policy');
    const pinned = pinnedKey('credit-default', 3, 0);
    return [
      {
        call: 'ListObjectsV2 pins/',
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${records()}`,
        policy: recordsPolicy,
        context: { 's3:prefix': 'pins/credit-default/3/' },
      },
      {
        call: 'ListObjectsV2 approval/',
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${records()}`,
        policy: recordsPolicy,
        context: { 's3:prefix': 'approval/credit-default/3/' },
      },
      {
        call: 'GetObject approval round',
        action: 's3:GetObject',
        resource: rec('approval/credit-default/3/round-1.json'),
        policy: recordsPolicy,
      },
      { call: 'DescribeModelPackage', action: 'sagemaker:DescribeModelPackage', resource: pkg() },
      {
        call: 'GetObject range of the approved version',
        action: 's3:GetObjectVersion',
        resource: art(modelData),
        policy: artifactsPolicy,
      },
      {
        call: 'CreateMultipartUpload / UploadPartCopy (target)',
        action: 's3:PutObject',
        resource: app(pinned),
        policy: approvedPolicy,
        context: { 's3:ObjectCreationOperation': 'false' },
      },
      {
        call: 'UploadPartCopy (source version)',
        action: 's3:GetObjectVersion',
        resource: art(modelData),
        policy: artifactsPolicy,
      },
      {
        call: 'CompleteMultipartUpload If-None-Match',
        action: 's3:PutObject',
        resource: app(pinned),
        policy: approvedPolicy,
        context: { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' },
      },
      {
        call: 'AbortMultipartUpload',
        action: 's3:AbortMultipartUpload',
        resource: app(pinned),
        policy: approvedPolicy,
      },
      { call: 'HeadObject pinned key', action: 's3:GetObject', resource: app(pinned), policy: approvedPolicy },
      {
        call: 'HeadObject pinned version',
        action: 's3:GetObjectVersion',
        resource: app(pinned),
        policy: approvedPolicy,
      },
      {
        call: 'PutObjectRetention',
        action: 's3:PutObjectRetention',
        resource: app(pinned),
        policy: approvedPolicy,
        context: { 's3:object-lock-mode': 'COMPLIANCE' },
      },
      {
        call: 'GetObjectTagging (version)',
        action: 's3:GetObjectVersionTagging',
        resource: art(modelData),
        policy: artifactsPolicy,
      },
      {
        call: 'PutObjectTagging (version) the mark',
        action: 's3:PutObjectVersionTagging',
        resource: art(modelData),
        policy: artifactsPolicy,
        context: { 's3:RequestObjectTagKeys': [APPROVED_TAG] },
      },
      {
        call: 'PutObject pin record If-None-Match',
        action: 's3:PutObject',
        resource: rec('pins/credit-default/3/pin.json'),
        policy: recordsPolicy,
        context: { 's3:ObjectCreationOperation': 'true', 's3:if-none-match': '*' },
      },
    ];
  };
  const askAs = (principal: Principal, c: ReturnType<typeof calls>[number]) =>
    ask({
      scps,
      principal,
      action: c.action,
      resource: c.resource,
      resourceAccount: staging().account,
      region: staging().region,
      resourcePolicy: c.policy,
      context: c.context ?? {},
    });

  test('each is allowed', async () => {
    const refused: string[] = [];
    for (const c of calls()) {
      const a = await askAs(asRole(pinner()), c);
      if (a.decision !== 'allowed') refused.push(`${c.call}: ${deciding(a).join(',') || 'no grant'}`);
    }
    expect(refused).toEqual([]);
  });

  test('the emulation has teeth: under the boundary as it was (no s3:PutObjectVersionTagging) marking the approved version is refused; the pinner may not update a package', async () => {
    const r = pinner();
    const old = JSON.parse(JSON.stringify(r.boundary!.policy).replace('"s3:PutObjectVersionTagging",', ''));
    const tagging = calls().find((c) => c.action === 's3:PutObjectVersionTagging')!;
    expect((await askAs({ ...asRole(r), boundary: { name: 'old', policy: old } }, tagging)).decision).toBe('denied');
    const decide = await askAs(asRole(r), {
      call: 'UpdateModelPackage Approved',
      action: 'sagemaker:UpdateModelPackage',
      resource: pkg(),
      context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
    });
    expect(decide.decision).toBe('denied');
  });
});

describe('the approved-model bucket cleans up after a pinner run killed part-way', () => {
  test('incomplete multipart uploads are aborted after a day (they hold no object, only storage)', () => {
    const t = model.template('staging/ModelGovernance');
    const id = model.resourceId('staging/ModelGovernance', 'AWS::S3::Bucket', 'ApprovedModels/Resource');
    expect(model.bucketName(t, id)).toBe(approvedBucket());
    expect(t.resources[id].Properties.LifecycleConfiguration.Rules).toContainEqual({
      Id: 'AbortIncompletePinCopies',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
  });
});
