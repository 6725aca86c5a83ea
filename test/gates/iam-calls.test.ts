/**
 * IAM that matches what the gates do, on the synthesized estate:
 *
 * - every AWS call each handler's bundle makes is listed here, and each is
 *   granted to that handler's role: adding a call without a grant (or without
 *   updating this list) fails;
 * - the approval gate's explicit deny on approving high-risk packages;
 * - S3's documented 403-without-ListBucket behaviour, which moto does not
 *   enforce, emulated from the role's synthesized policy: "If the object you
 *   request doesn't exist, the error that Amazon S3 returns depends on whether
 *   you also have the s3:ListBucket permission. If you have the s3:ListBucket
 *   permission on the bucket, Amazon S3 returns an HTTP status code 404 (Not
 *   Found) error. If you don't have the s3:ListBucket permission, Amazon S3
 *   returns an HTTP status code 403 (Access Denied) error."
 *   (Amazon S3 API Reference, GetObject, "Permissions"). The real handler runs
 *   against moto through that emulation and still tells missing from forbidden.
 */
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { S3Client } from '@aws-sdk/client-s3';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { deploymentGate } from '../../lambdas/deployment-gate/handler';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { shadowTrafficOf } from '../../lambdas/deployment-gate/shadow-traffic';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { synthesizeEstate } from '../support/estate';
import { GOOD, approvalWorld, ApprovalWorld, stateChange } from './world';

const ROOT = path.resolve(__dirname, '..', '..');

/** SDK package to IAM service prefix, and commands whose IAM action is named otherwise. */
const SERVICE: Record<string, string> = {
  'client-s3': 's3',
  'client-sagemaker': 'sagemaker',
  'client-sns': 'sns',
  'client-cloudwatch': 'cloudwatch',
  'client-cloudtrail': 'cloudtrail',
};
const ACTION_OF: Record<string, string[]> = {
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  's3:HeadObject': ['s3:GetObject'],
  // CopyObject is authorized as a read of the source and a write of the target (Amazon S3 API Reference, CopyObject).
  's3:CopyObject': ['s3:GetObjectVersion', 's3:PutObject'],
  // A multipart upload's calls are authorized as s3:PutObject; UploadPartCopy also as a read of the source (the pinner
  // names a version in CopySource, so s3:GetObjectVersion) (Amazon S3 User Guide, multipart upload and permissions).
  's3:CreateMultipartUpload': ['s3:PutObject'],
  's3:UploadPartCopy': ['s3:GetObjectVersion', 's3:PutObject'],
  's3:CompleteMultipartUpload': ['s3:PutObject'],
};
/**
 * Calls made with a VersionId are authorized as the version action ("you need the s3:GetObjectVersion permission to
 * access a specific version", GetObject, Permissions; likewise HeadObject, Get/PutObjectTagging).
 */
const VERSIONED: Record<string, string> = {
  's3:GetObject': 's3:GetObjectVersion',
  's3:HeadObject': 's3:GetObjectVersion',
  's3:GetObjectTagging': 's3:GetObjectVersionTagging',
  's3:PutObjectTagging': 's3:PutObjectVersionTagging',
};

/** Every `new XCommand(` of the SDK packages in the handler's bundle inputs, as IAM actions. */
function actionsOf(entry: string): string[] {
  const out = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  const imports = new Map<string, string>();
  // esbuild keeps `require("@aws-sdk/client-x")` for externals; each command is read off its import binding.
  for (const m of code.matchAll(/var (\w+) = require\("@aws-sdk\/(client-[a-z0-9-]+)"\)/g)) imports.set(m[1], m[2]);
  const actions = new Set<string>();
  for (const m of code.matchAll(/new (\w+)\.(\w+)Command\((\{[^}]*)?/g)) {
    const pkg = imports.get(m[1]);
    if (!pkg) throw new Error(`${entry}: ${m[1]}.${m[2]}Command is not from a known SDK package`);
    const action = `${SERVICE[pkg]}:${m[2]}`;
    if (VERSIONED[action] && /\bVersionId\b/.test(m[3] ?? '')) actions.add(VERSIONED[action]);
    else for (const a of ACTION_OF[action] ?? [action]) actions.add(a);
  }
  return [...actions].sort();
}

const CALLS: Record<string, { entry: string; role: RegExp; actions: string[] }> = {
  'approval gate': {
    entry: 'lambdas/model-approval-gate/handler.ts',
    role: /^ApprovalGateRole/,
    actions: [
      'cloudwatch:PutMetricData',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sagemaker:DescribeModelPackage',
      'sagemaker:DescribePipelineExecution',
      'sagemaker:ListPipelineExecutionSteps',
      'sagemaker:UpdateModelPackage',
      'sns:Publish',
    ],
  },
  'deployment gate': {
    entry: 'lambdas/deployment-gate/handler.ts',
    role: /^DeploymentGateRole/,
    actions: [
      'cloudtrail:LookupEvents',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:GetMetricStatistics',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:PutObject',
      'sagemaker:DescribeEndpoint',
      'sagemaker:DescribeEndpointConfig',
      'sagemaker:DescribeModel',
      'sagemaker:DescribeModelPackage',
      'sagemaker:ListModelPackages',
    ],
  },
  'model pinner': {
    entry: 'lambdas/model-pinner/handler.ts',
    role: /^ModelPinnerRole/,
    actions: [
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:GetObjectVersionTagging',
      's3:ListBucket',
      's3:ListBucketVersions',
      's3:PutObject',
      's3:PutObjectRetention',
      's3:PutObjectVersionTagging',
      'sagemaker:DescribeModelPackage',
    ],
  },
  'review reminder': {
    entry: 'lambdas/review-reminder/handler.ts',
    role: /^ReviewReminderRole/,
    actions: ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sns:Publish'],
  },
};

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
};
let statementsOf: (role: RegExp) => Statement[];
let allTemplates: Record<string, { toJSON(): unknown }>;
let resolve: (value: unknown) => unknown;

beforeAll(() => {
  const { templates } = synthesizeEstate();
  allTemplates = templates;
  const template = templates['staging/ModelGovernance'].toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = template.Resources;
  const bucketNames: Record<string, string> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::S3::Bucket') continue;
    if (id.startsWith('DecisionRecords')) bucketNames[id] = 'iam-records';
    else if (id.startsWith('ModelArtifacts')) bucketNames[id] = 'iam-artifacts';
    else if (id.startsWith('ApprovedModels')) bucketNames[id] = 'iam-approved';
    else bucketNames[id] = id.toLowerCase();
  }
  resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map((p) => resolve(p)).join(sep);
      }
      if ('Ref' in o) {
        const ref = o.Ref as string;
        return (
          (
            { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012' } as Record<
              string,
              string
            >
          )[ref] ??
          bucketNames[ref] ??
          ref
        );
      }
      if ('Fn::GetAtt' in o) {
        const [id, attr] = o['Fn::GetAtt'] as [string, string];
        return bucketNames[id] && attr === 'Arn' ? `arn:aws:s3:::${bucketNames[id]}` : `${id}.${attr}`;
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return typeof v === 'string' ? v.replace(/model-artifacts-\d{12}-[a-z0-9-]+/g, 'iam-artifacts') : v;
  };
  statementsOf = (role) => {
    const roleId = Object.keys(resources).find((id) => resources[id].Type === 'AWS::IAM::Role' && role.test(id));
    if (!roleId) throw new Error(`no role ${role}`);
    const policies = Object.values(resources).filter(
      (r) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`),
    );
    const attached = resources[roleId].Properties.ManagedPolicyArns as unknown[] | undefined;
    const byArn = Object.entries(resources)
      .filter(([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(attached ?? []).includes(`"${id}"`))
      .map(([, r]) => r);
    return [...new Set([...policies, ...byArn])].flatMap(
      (p) => resolve((p.Properties.PolicyDocument as { Statement: Statement[] }).Statement) as Statement[],
    );
  };
}, 600_000);

const list = (x: string | string[] | undefined) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

describe('every AWS call of each handler is granted to its role', () => {
  test.each(Object.entries(CALLS))(
    '%s: the calls in its bundle are exactly the listed ones',
    (_name, { entry, actions }) => {
      expect(actionsOf(entry)).toEqual(actions);
    },
  );

  test.each(Object.entries(CALLS))('%s: each listed call is allowed by its role', (_name, { role, actions }) => {
    const allowed = statementsOf(role)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => list(s.Action));
    for (const action of actions)
      expect({ action, granted: allowed.includes(action) }).toEqual({ action, granted: true });
  });

  test('the listing grants are scoped by prefix, not the whole bucket', () => {
    const approval = statementsOf(CALLS['approval gate'].role).filter((s) => list(s.Action).includes('s3:ListBucket'));
    expect(approval.map((s) => s.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['training/*'] } },
      { StringLike: { 's3:prefix': ['approval/*'] } },
    ]);
    const deployment = statementsOf(CALLS['deployment gate'].role).filter((s) =>
      list(s.Action).includes('s3:ListBucket'),
    );
    expect(deployment.map((s) => s.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['training/*'] } },
      { StringLike: { 's3:prefix': ['deployment/*', 'approval/*', 'pins/*'] } },
      // A shadow's captured traffic: only the reports of this environment's (staging's) endpoints.
      { StringLike: { 's3:prefix': ['monitoring/staging-*/reports/*'] } },
    ]);
    // Evaluations only at a recorded version, from the evidence prefix; the current version only of model data.
    const artifactReads = statementsOf(CALLS['deployment gate'].role).filter(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Resource as string[]).some((r) => String(r).startsWith('arn:aws:s3:::iam-artifacts/')),
    );
    expect(artifactReads.map((s) => [s.Action, s.Resource])).toEqual([
      ['s3:GetObjectVersion', 'arn:aws:s3:::iam-artifacts/training/*'],
      ['s3:GetObject', 'arn:aws:s3:::iam-artifacts/training/*/*/model/*'],
    ]);
    const pinner = statementsOf(CALLS['model pinner'].role).filter((s) => list(s.Action).includes('s3:ListBucket'));
    expect(pinner.map((s) => [s.Resource, s.Condition])).toEqual([
      ['arn:aws:s3:::iam-records', { StringLike: { 's3:prefix': ['approval/*', 'pins/*'] } }],
      // Whether an approved version is gone, from its key's version listing: model data prefixes only.
      ['arn:aws:s3:::iam-artifacts', { StringLike: { 's3:prefix': ['training/*/*/model/*'] } }],
      // Which version of a baseline file the gate saw, and whether a recorded one is gone: baseline files of runs only.
      ['arn:aws:s3:::iam-artifacts', { StringLike: { 's3:prefix': ['training/*/*/reports/baseline-*'] } }],
    ]);
    // The pinner reads and marks only model data versions, writes only the approved-model bucket's models/ and the pin
    // records.
    const writes = statementsOf(CALLS['model pinner'].role).filter(
      (s) => s.Effect === 'Allow' && list(s.Action).some((a) => a.startsWith('s3:Put')),
    );
    expect(writes.map((s) => [s.Sid, s.Resource])).toEqual([
      ['WritePinRecords', 'arn:aws:s3:::iam-records/pins/*'],
      ['CopyApprovedVersion', 'arn:aws:s3:::iam-artifacts/training/*/*/model/*'],
      ['WriteAndLockPinnedCopy', 'arn:aws:s3:::iam-approved/models/*'],
      ['WriteAndLockPinnedBaselines', 'arn:aws:s3:::iam-approved/baselines/*'],
    ]);
  });
});

describe('the approval gate role can never approve a high-risk package', () => {
  test('an explicit deny on UpdateModelPackage to Approved for every high-risk group', () => {
    const deny = statementsOf(CALLS['approval gate'].role).find((s) => s.Sid === 'NeverApproveHighRisk');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Action: expect.arrayContaining(['sagemaker:UpdateModelPackage', 'sagemaker:CreateModelPackage']),
      Resource: 'arn:aws:sagemaker:eu-west-1:222222222222:model-package/credit-default/*',
      Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } },
    });
  });
});

describe('the evidence prefix is written only by the training pipelines', () => {
  type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const resourcesOf = (key: string) => (allTemplates[key].toJSON() as { Resources: Resources }).Resources;

  test("the artifact bucket denies every write and delete under training/ to every principal outside the training roles' path", () => {
    const policy = Object.values(resourcesOf('staging/ModelGovernance')).find(
      (r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket).includes('ModelArtifacts'),
    )!;
    const statements = resolve((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) as Array<
      Statement & { Principal: unknown }
    >;
    const deny = statements.find((st) => st.Sid === 'EvidenceWrittenOnlyByTrainingPipelines');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: 'arn:aws:s3:::iam-artifacts/training/*',
    });
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'])
      expect(list(deny!.Action)).toContain(action);
    // Prod reads the pinned copies (every prod model of the example has a training pipeline), nothing of this bucket;
    // only the pinner may set the approval mark.
    expect(statements.find((st) => st.Sid === 'ProdReadsApprovedArtifacts')).toBeUndefined();
    expect(statements.find((st) => st.Sid === 'OnlyThePinnerMarksApproved')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      Resource: 'arn:aws:s3:::iam-artifacts/*',
      Condition: {
        'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': ['estate-approved'] },
        ArnNotEquals: { 'aws:PrincipalArn': expect.stringMatching(/^ModelPinnerRole.*\.Arn$/) },
      },
    });
    expect(deny!.Condition!.ArnNotLike['aws:PrincipalArn']).toEqual([
      'arn:aws:iam::222222222222:role/estate-training/*',
      expect.stringMatching(/^ModelPinnerRole.*\.Arn$/),
    ]);
  });

  test('the approved-model bucket: Object Lock on, each version locked by the pinner, which alone may write there', () => {
    const resources = resourcesOf('staging/ModelGovernance');
    const bucket = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('ApprovedModels'),
    )![1];
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const policy = Object.values(resources).find(
      (r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket).includes('ApprovedModels'),
    )!;
    const statements = resolve((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) as Array<
      Statement & { Principal: unknown }
    >;
    const deny = statements.find((st) => st.Sid === 'OnlyThePinnerWrites')!;
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: 'arn:aws:s3:::iam-approved/*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': expect.stringMatching(/^ModelPinnerRole.*\.Arn$/) } },
    });
    for (const action of [
      's3:PutObject',
      's3:DeleteObjectVersion',
      's3:PutObjectRetention',
      's3:BypassGovernanceRetention',
    ])
      expect(list(deny.Action)).toContain(action);
  });

  test('every training pipeline role carries that path, and no persona or gate role does', () => {
    const roles = Object.entries(allTemplates).flatMap(([key]) =>
      Object.entries(resourcesOf(key))
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([id, r]) => ({ key, id, path: r.Properties.Path })),
    );
    const training = roles.filter((r) => /Training.*Role/.test(r.id) && !/Guard|Starter|Trigger/.test(r.id));
    expect(training.length).toBeGreaterThan(0);
    for (const r of training) expect(r).toMatchObject({ path: '/estate-training/' });
    for (const r of roles.filter((x) => /Personas|Gate|Reminder|Pinner|BreakGlass/.test(x.id)))
      expect(r.path).not.toBe('/estate-training/');
  });
});

describe("the estate's image repositories", () => {
  type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
  // The repositories of an environment, over its repository stacks (lib/stacks/image-repositories-stack.ts).
  const repositoriesOf = (env: string) =>
    Object.entries(allTemplates)
      .filter(([key]) => key.startsWith(`${env}/`))
      .flatMap(([, t]) =>
        Object.values((t.toJSON() as { Resources: Resources }).Resources).filter(
          (r) => r.Type === 'AWS::ECR::Repository',
        ),
      );

  test('each repository the config names in an account exists there: tags immutable, scanned on push, customer key, retained', () => {
    // Staging serves package versions (their images are the training repositories'), and the credit model's shadow by
    // image.
    expect(
      repositoriesOf('staging')
        .map((r) => r.Properties.RepositoryName)
        .sort(),
    ).toEqual(['credit-default', 'credit-default-train', 'fraud-score-train', 'ml-processing']);
    expect(
      repositoriesOf('dev')
        .map((r) => r.Properties.RepositoryName)
        .sort(),
    ).toEqual(['credit-default', 'deposit-forecast', 'fraud-score-neuron']);
    expect(repositoriesOf('prod')).toEqual([]);
    // Each in its own stack, none in the governance stacks that once held them all.
    for (const env of ['dev', 'staging', 'prod'])
      expect(
        Object.values((allTemplates[`${env}/ModelGovernance`].toJSON() as { Resources: Resources }).Resources).filter(
          (r) => r.Type === 'AWS::ECR::Repository',
        ),
      ).toEqual([]);
    for (const key of ['staging', 'dev']) {
      for (const r of repositoriesOf(key)) {
        expect(r.Properties).toMatchObject({
          ImageTagMutability: 'IMMUTABLE',
          ImageScanningConfiguration: { ScanOnPush: true },
          EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: expect.anything() },
        });
        expect(r.DeletionPolicy).toBe('Retain');
      }
    }
  });

  test('exactly the serving accounts may pull from the promotion source, and only pull', () => {
    for (const r of repositoriesOf('staging')) {
      const policy = resolve(r.Properties.RepositoryPolicyText) as { Statement: Statement[] };
      expect(policy.Statement).toHaveLength(1);
      expect(policy.Statement[0]).toMatchObject({
        Sid: 'ServingAccountsPull',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::333333333333:root' },
      });
      expect(list(policy.Statement[0].Action).sort()).toEqual([
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetDownloadUrlForLayer',
      ]);
    }
    for (const r of repositoriesOf('dev')) expect(r.Properties.RepositoryPolicyText).toBeUndefined();
  });
});

/**
 * An S3 client that answers as S3 would to a principal with `statements`:
 * GET/PUT outside the granted resources and LIST outside the granted prefixes
 * are 403, and a GET of a missing key is 403 unless s3:ListBucket is granted
 * on the whole bucket without condition (the documented behaviour above).
 */
function asPrincipal(s3: S3Client, statements: Statement[]): S3Client {
  const allows = (action: string, resource: string, prefix?: string) =>
    statements.some(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Action).includes(action) &&
        list(s.Resource as string | string[]).some((r) => glob(r, resource)) &&
        (!s.Condition ||
          (prefix !== undefined && list(s.Condition.StringLike?.['s3:prefix']).some((p) => glob(p, prefix)))),
    );
  const unconditionalList = (bucket: string) =>
    statements.some(
      (s) =>
        s.Effect === 'Allow' &&
        list(s.Action).includes('s3:ListBucket') &&
        !s.Condition &&
        list(s.Resource as string[]).includes(`arn:aws:s3:::${bucket}`),
    );
  const denied = () =>
    Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  const real = s3.send.bind(s3) as (c: unknown) => Promise<unknown>;
  return new Proxy(s3, {
    get(target, prop) {
      if (prop !== 'send') return Reflect.get(target, prop);
      return async (command: {
        constructor: { name: string };
        input: { Bucket: string; Key?: string; Prefix?: string; VersionId?: string };
      }) => {
        const { Bucket, Key, Prefix, VersionId } = command.input;
        switch (command.constructor.name) {
          case 'GetObjectCommand':
            // "To return a different version, use the versionId subresource. ... you need the s3:GetObjectVersion
            // permission" (GetObject, Permissions): a version read is s3:GetObjectVersion, not s3:GetObject.
            if (!allows(VersionId ? 's3:GetObjectVersion' : 's3:GetObject', `arn:aws:s3:::${Bucket}/${Key}`))
              throw denied();
            try {
              return await real(command);
            } catch (e) {
              if (['NoSuchKey', 'NoSuchVersion'].includes((e as Error).name) && !unconditionalList(Bucket))
                throw denied();
              throw e;
            }
          case 'HeadObjectCommand':
            // HeadObject is authorized as GetObject (GetObjectVersion with a VersionId), with the same 403 for a
            // missing key.
            if (!allows(VersionId ? 's3:GetObjectVersion' : 's3:GetObject', `arn:aws:s3:::${Bucket}/${Key}`))
              throw denied();
            try {
              return await real(command);
            } catch (e) {
              if (
                ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 ||
                  (e as Error).name === 'NotFound') &&
                !unconditionalList(Bucket)
              )
                throw denied();
              throw e;
            }
          case 'PutObjectCommand':
            if (!allows('s3:PutObject', `arn:aws:s3:::${Bucket}/${Key}`)) throw denied();
            return real(command);
          case 'ListObjectsV2Command':
            if (!allows('s3:ListBucket', `arn:aws:s3:::${Bucket}`, Prefix ?? '')) throw denied();
            return real(command);
          default:
            throw new Error(`the emulation does not know ${command.constructor.name}`);
        }
      };
    },
  });
}

describe("S3's 403 for a missing key without s3:ListBucket, emulated from the synthesized policy", () => {
  let w: ApprovalWorld;
  beforeAll(async () => {
    w = await approvalWorld('iam');
  }, 60_000);
  afterAll(async () => w?.stop());
  const gateAs = (statements: Statement[]) => approvalGate({ ...w.deps, s3: asPrincipal(w.s3, statements) });

  test('the first event of a package, before any record exists, is decided (no 403 on a record not yet written)', async () => {
    const arn = await w.register('fraud-score');
    const result = await gateAs(statementsOf(CALLS['approval gate'].role))(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'approve', round: 1, notified: true });
    expect(await w.status(arn)).toBe('Approved');
  });

  test('a report that does not exist reads as missing and rejects, it does not hold', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', {
      execution: run.arn,
      reports: { ...GOOD, bias: undefined },
      uris: { bias: `s3://${w.artifacts}/${run.prefix}reports/bias.json` },
    });
    const result = await gateAs(statementsOf(CALLS['approval gate'].role))(stateChange(arn));
    expect(result.outcome).toBe('reject');
    expect(await w.status(arn)).toBe('Rejected');
    const rec = await w.record(result.record!);
    expect(rec.inputs.bias).toMatchObject({
      status: 'missing',
      reason: expect.stringMatching(/bias.json does not exist/),
    });
  });

  test('a report outside the evidence prefix is forbidden to the role, and a hand registration that names one is held', async () => {
    const arn = await w.register('fraud-score', { execution: false });
    const result = await gateAs(statementsOf(CALLS['approval gate'].role))(stateChange(arn));
    expect(result.outcome).toBe('hold');
    expect(await w.status(arn)).toBe('PendingManualApproval');
    // Reported as what it is (hand-registered), not as evidence the role could not read.
    const rec = await w.record(result.record!);
    expect(rec.inputs.evaluation).toMatchObject({ status: 'not-read' });
    expect(rec.reasons.join(' ')).toMatch(/hand-registered package is reviewed by a person/);
    expect(rec.reasons.join(' ')).not.toMatch(/could not be read|AccessDenied/);
  });

  test('the emulation has teeth: without the scoped s3:ListBucket grants, the first event cannot be decided', async () => {
    const arn = await w.register('fraud-score');
    const withoutList = statementsOf(CALLS['approval gate'].role).filter(
      (s) => !list(s.Action).includes('s3:ListBucket'),
    );
    await expect(gateAs(withoutList)(stateChange(arn))).rejects.toThrow(/Access Denied/);
    expect(await w.status(arn)).toBe('PendingManualApproval');
  });
});

describe('the deployment gate as its role: missing is not forbidden, evaluations read by version', () => {
  let w: ApprovalWorld;
  beforeAll(async () => {
    // Its own moto server, with the bucket names the synthesized policy is resolved to.
    w = await approvalWorld('iam');
  }, 60_000);
  afterAll(async () => w?.stop());
  const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
  const gateAs = (statements: Statement[]) =>
    deploymentGate(deploymentDeps(w, { s3: asPrincipal(w.s3, statements), now: afterBake }));
  async function served(endpoint: string, auc = 0.99) {
    const arn = await version(w, 'fraud-score', { auc });
    await endpointAlarm(w.cloudwatch, endpoint);
    await stagingEndpoint(w.sagemaker, endpoint, { challenger: arn });
    await traffic(w.cloudwatch, endpoint, 'challenger', 500, -30);
    return { requestId: `iam-${endpoint}`, modelPackageArn: arn, stagingEndpointName: endpoint };
  }

  test('the first promotion of a version (no answer recorded yet) is decided, reading the evaluations by version', async () => {
    const request = await served('iam-first');
    const result = await gateAs(statementsOf(CALLS['deployment gate'].role))(request);
    expect(result).toMatchObject({ pass: true, answer: 1 });
  });

  test('an evaluation version that no longer exists reads as missing, not as forbidden', async () => {
    const request = await served('iam-missing');
    const [group, v] = request.modelPackageArn.split('/').slice(-2);
    const evaluation = (await w.record(`approval/${group}/${v}/round-1.json`)).inputs.evaluation;
    await w.s3.send(
      new DeleteObjectCommand({
        Bucket: w.artifacts,
        Key: evaluation.uri!.replace(`s3://${w.artifacts}/`, ''),
        VersionId: evaluation.versionId,
      }),
    );
    const result = await gateAs(statementsOf(CALLS['deployment gate'].role))(request);
    expect(result.pass).toBe(false);
    expect(result.reasons.join('\n')).toMatch(/challenger evaluation: .* does not exist/);
    expect(result.reasons.join('\n')).not.toMatch(/AccessDenied|may not be read/);
  });

  test('the emulation has teeth: without s3:GetObjectVersion the evaluation is forbidden, and without the listing grants nothing is decided', async () => {
    const request = await served('iam-teeth');
    const all = statementsOf(CALLS['deployment gate'].role);
    const noVersionRead = all.map((s) => ({ ...s, Action: list(s.Action).filter((a) => a !== 's3:GetObjectVersion') }));
    const forbidden = await gateAs(noVersionRead)(request);
    expect(forbidden.pass).toBe(false);
    expect(forbidden.reasons.join('\n')).toMatch(/challenger evaluation: .* exists but may not be read: AccessDenied/);
    const withoutList = all.filter((s) => !list(s.Action).includes('s3:ListBucket'));
    await expect(gateAs(withoutList)({ ...request, requestId: 'iam-teeth-2' })).rejects.toThrow(/Access Denied/);
  });

  test("a shadow's captured-traffic reports: read as its role for this environment's endpoints, missing reads as missing, another environment's are forbidden", async () => {
    const all = statementsOf(CALLS['deployment gate'].role);
    const listing = all.find((s) => s.Sid === 'ListShadowTrafficReports')!;
    const capture = String(listing.Resource).replace('arn:aws:s3:::', '');
    await w.s3.send(
      new CreateBucketCommand({
        Bucket: capture,
        CreateBucketConfiguration: { LocationConstraint: w.moto.clientConfig.region as never },
      }),
    );
    const cells = { true_positives: 10, false_positives: 0, false_negatives: 0, true_negatives: 40 };
    const figures = (shadow: boolean) => ({
      shadow,
      rows: 50,
      decision_threshold: 0.5,
      confusion_matrix: cells,
      segments: {
        'high-value': {
          definition: { feature: 'amount', range: { min: 10000 } },
          support: 50,
          positives: 10,
          confusion_matrix: cells,
        },
      },
    });
    const liveSince = new Date('2026-12-01T00:00:00Z');
    const now = new Date('2026-12-04T00:00:00Z');
    for (const endpoint of ['staging-iam-shadow', 'prod-iam-shadow']) {
      await w.s3.send(
        new PutObjectCommand({
          Bucket: capture,
          Key: `monitoring/${endpoint}/reports/${endpoint}-mon-d2026120300/report.json`,
          Body: JSON.stringify({
            endpoint,
            result: { variants: { challenger: figures(true), champion: figures(false) } },
          }),
        }),
      );
    }
    const asRole = { s3: asPrincipal(w.s3, all), captureBucket: capture };
    expect(await shadowTrafficOf(asRole, 'staging-iam-shadow', 'challenger', 'champion', liveSince, now)).toMatchObject(
      { ok: true, windows: ['monitoring/staging-iam-shadow/reports/staging-iam-shadow-mon-d2026120300/report.json'] },
    );
    // Nothing reported for this endpoint yet: the listing is granted, so it reads as missing, not as forbidden.
    expect(await shadowTrafficOf(asRole, 'staging-iam-quiet', 'challenger', 'champion', liveSince, now)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^no daily monitoring report under/),
    });
    // Another environment's endpoint is not the gate's to read: denied, and the comparison is not made.
    expect(await shadowTrafficOf(asRole, 'prod-iam-shadow', 'challenger', 'champion', liveSince, now)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/could not be read: .*Access Denied/),
    });
    // The emulation has teeth: without the report grant the read is forbidden.
    const withoutRead = all.filter((s) => s.Sid !== 'ReadShadowTrafficReports');
    expect(
      await shadowTrafficOf(
        { ...asRole, s3: asPrincipal(w.s3, withoutRead) },
        'staging-iam-shadow',
        'challenger',
        'champion',
        liveSince,
        now,
      ),
    ).toMatchObject({ ok: false, reason: expect.stringMatching(/Access Denied/) });
  });
});
