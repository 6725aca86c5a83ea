/**
 * Model approval beyond the workload boundary: an environment admin (no
 * boundary) cannot approve, cannot make a role an approver, cannot change an
 * approved package's content without a new decision, and cannot rewrite the
 * gate. Asked of the synthesized SCPs and the roles the environment templates
 * deploy (their exact ARNs).
 */
import { synthesizeEstate } from '../support/estate';
import { ADMINISTRATOR_ACCESS, EstateModel, RoleModel } from './estate-model';
import { Answer, ask, Principal, scpsWithout, without } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const staging = () => model.synth.config.environments.find((e) => e.name === 'staging')!;
const asPrincipal = (r: RoleModel, person = false): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
  person,
});
const admin = (arn?: string, tags?: Record<string, string>): Principal => {
  const { account } = staging();
  return {
    arn:
      arn ??
      `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
    account,
    identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    tags,
    person: true,
  };
};
const highRisk = () => model.synth.config.models.find((m) => m.riskTier === 'high')!.id;
const lowerRisk = () => model.synth.config.models.find((m) => m.riskTier !== 'high')!.id;
const update = (
  principal: Principal,
  modelId: string,
  context: Record<string, string> = {},
  policies = scps,
): Promise<Answer> => {
  const { account, region } = staging();
  return ask({
    scps: policies,
    principal,
    action: 'sagemaker:UpdateModelPackage',
    resource: `arn:aws:sagemaker:${region}:${account}:model-package/${modelId}/3`,
    resourceAccount: account,
    region,
    context,
  });
};
const APPROVE = { 'sagemaker:ModelApprovalStatus': 'Approved' };
const statements = (a: Answer) => a.by.map((b) => b.statement);

describe('only the approver and the gate approve, by exact ARN (H1)', () => {
  test('the SCP names exactly the approver persona and approval gate roles each environment template deploys (one `<org>-<env>-appro*` pattern per environment, whose names ProtectTheEstate reserves)', () => {
    const named = new Set<string>(
      scps
        .flatMap((p) => [p.policy.Statement].flat())
        .find((s: any) => s.Sid === 'OnlyApproversApprove')
        .Condition.ArnNotLike['aws:PrincipalArn'].filter(
          (a: string) => !a.endsWith(`:role/${model.synth.config.organization.breakGlassRoleName}`),
        ),
    );
    const deployed = model.synth.config.environments
      .flatMap((e) => [
        model.role(`${e.name}/ModelGovernance`, 'Personas/ModelRiskApprover'),
        model.role(`${e.name}/ModelGovernance`, 'ApprovalGate/Role'),
      ])
      .map((r) => r.arn.replace('arn:aws:', 'arn:*:'));
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
          .join('.*')}$`,
      );
    // Each pattern matches the two roles of its environment, and every deployed one is matched by exactly one pattern.
    expect(named.size).toBe(model.synth.config.environments.length);
    for (const pattern of named)
      expect([pattern, deployed.filter((arn) => glob(pattern).test(arn)).length]).toEqual([pattern, 2]);
    for (const arn of deployed)
      expect([arn, [...named].filter((pattern) => glob(pattern).test(arn)).length]).toEqual([arn, 1]);
  });

  test('an admin with no boundary cannot set a package Approved (OnlyApproversApprove); without the statement the admin could', async () => {
    const denied = await update(admin(), lowerRisk(), APPROVE);
    expect([denied.decision, statements(denied)]).toEqual(['denied', ['OnlyApproversApprove']]);
    expect((await update(admin(), lowerRisk(), APPROVE, scpsWithout(scps, 'OnlyApproversApprove'))).decision).toBe(
      'allowed',
    );
  });

  test('a role an admin creates and tags estate:approver, with no boundary, cannot approve either', async () => {
    const { account } = staging();
    expect(
      (
        await update(
          admin(`arn:aws:iam::${account}:role/my-approver`, { 'estate:approver': 'true' }),
          lowerRisk(),
          APPROVE,
        )
      ).decision,
    ).toBe('denied');
  });

  test('an admin cannot tag an estate role estate:approver (the role carries the estate tag: ProtectEstateAlerting)', async () => {
    const { account, region } = staging();
    const ds = model.role('staging/ModelGovernance', 'Personas/DataScientist');
    const a = await ask({
      scps,
      principal: admin(),
      action: 'iam:TagRole',
      resource: ds.arn,
      resourceAccount: account,
      region,
      resourceTags: ds.tags,
      context: { 'aws:TagKeys': ['estate:approver'], 'aws:RequestTag/estate:approver': 'true' },
    });
    expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectEstateAlerting']]);
  });

  test('the approver approves any governed package; the gate approves a lower-risk one and never a high-risk one', async () => {
    const approver = asPrincipal(model.role('staging/ModelGovernance', 'Personas/ModelRiskApprover'), true);
    const gate = asPrincipal(model.role('staging/ModelGovernance', 'ApprovalGate/Role'));
    expect((await update(approver, highRisk(), APPROVE)).decision).toBe('allowed');
    expect((await update(gate, lowerRisk(), APPROVE)).decision).toBe('allowed');
    const high = await update(gate, highRisk(), APPROVE);
    expect([high.decision, statements(high)]).toEqual(['denied', ['NeverApproveHighRisk']]);
    // The gate's other decisions still go through.
    expect((await update(gate, highRisk(), { 'sagemaker:ModelApprovalStatus': 'Rejected' })).decision).toBe('allowed');
  });
});

describe('an approved package cannot change without a new decision (H2)', () => {
  // UpdateModelPackage takes InferenceSpecification, AdditionalInferenceSpecificationsToAdd, SourceUri and
  // CustomerMetadataProperties (SageMaker API Reference, UpdateModelPackage); a request with none of
  // ModelApprovalStatus carries no sagemaker:ModelApprovalStatus, so a positive status condition never sees it.
  test.each([
    ['the approval gate', 'ApprovalGate/Role', false],
    ['the model-risk approver', 'Personas/ModelRiskApprover', true],
  ])(
    '%s cannot update a high-risk package without stating a status (NoUpdateWithoutAStatus); without the statement it could',
    async (_name, fragment, person) => {
      const role = asPrincipal(model.role('staging/ModelGovernance', fragment), person);
      const denied = await update(role, highRisk());
      expect([denied.decision, statements(denied)]).toEqual(['denied', ['NoUpdateWithoutAStatus']]);
      expect((await update(role, highRisk(), {}, scpsWithout(scps, 'NoUpdateWithoutAStatus'))).decision).toBe(
        'allowed',
      );
    },
  );

  test('nor can an admin', async () => {
    expect((await update(admin(), lowerRisk())).decision).toBe('denied');
  });

  test("the gate's function cannot be given new code or configuration by an admin (ProtectEstateAlerting, on its estate tag); without it, it could", async () => {
    // A configuration update that keeps the function in its VPC (one that leaves the VPC out is FunctionsOnlyInAVpc's).
    const keepsVpc = (action: string): Record<string, string> =>
      action === 'lambda:UpdateFunctionConfiguration' ? { 'lambda:VpcIds': 'vpc-0estate' } : {};
    const { account, region } = staging();
    const t = model.template('staging/ModelGovernance');
    const id = model.resourceId('staging/ModelGovernance', 'AWS::Lambda::Function', 'ApprovalGate/Function');
    const tags = model.tagsOf('staging/ModelGovernance', id);
    expect(tags['estate:organization']).toBe(model.synth.config.organization.name);
    const fn = `arn:aws:lambda:${region}:${account}:function:${model.resolve(t, t.resources[id].Properties?.FunctionName) ?? id}`;
    for (const action of ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:UntagResource']) {
      const a = await ask({
        scps,
        principal: admin(),
        action,
        resource: fn,
        resourceAccount: account,
        region,
        resourceTags: tags,
        context: action.endsWith('UntagResource') ? { 'aws:TagKeys': ['estate:organization'] } : keepsVpc(action),
      });
      expect([action, a.decision]).toEqual([action, 'denied']);
      expect([
        action,
        (
          await ask({
            scps: scpsWithout(scps, 'ProtectEstateAlerting'),
            principal: admin(),
            action,
            resource: fn,
            resourceAccount: account,
            region,
            resourceTags: tags,
            context: keepsVpc(action),
          })
        ).decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test("the boundary's own approval deny still binds a role that carries it (defence in depth)", async () => {
    const ds = model.role('staging/ModelGovernance', 'Personas/DataScientist');
    const overGranted: Principal = {
      ...asPrincipal(ds, true),
      identityPolicies: [
        {
          name: 'over',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sagemaker:*', Resource: '*' }] },
        },
      ],
    };
    const a = await update(overGranted, lowerRisk(), APPROVE, scpsWithout(scps, 'OnlyApproversApprove'));
    expect([a.decision, statements(a)]).toEqual(['denied', ['DenyApprovalByOthers']]);
    expect(
      (
        await update(
          { ...overGranted, boundary: { name: 'b', policy: without(ds.boundary!.policy, 'DenyApprovalByOthers') } },
          lowerRisk(),
          APPROVE,
          scpsWithout(scps, 'OnlyApproversApprove'),
        )
      ).decision,
    ).toBe('allowed');
  });
});

describe("the gate's evidence is written only by the training pipelines (H4)", () => {
  const evidence = () => {
    const { account, region } = staging();
    return {
      account,
      region,
      policy: model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy'),
      bucket: `arn:aws:s3:::model-artifacts-${account}-${region}`,
      key: `arn:aws:s3:::model-artifacts-${account}-${region}/training/${lowerRisk()}/exec-1/reports/evaluation.json`,
    };
  };

  test('the path the bucket trusts cannot be claimed: an admin cannot create or re-trust a role under /estate-training/ (ProtectTheEstate); without it the admin could', async () => {
    const { account, region } = evidence();
    const forged = `arn:aws:iam::${account}:role/estate-training/forger`;
    for (const action of ['iam:CreateRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy']) {
      // Under the workload boundary, so that only the path is in question (RolesCarryTheBoundary).
      const context = {
        'iam:PermissionsBoundary': `arn:aws:iam::${account}:policy/${model.synth.config.organization.name}-staging-workload-boundary`,
      };
      const a = await ask({
        scps,
        principal: admin(),
        action,
        resource: forged,
        resourceAccount: account,
        region,
        context,
      });
      expect([action, a.decision, statements(a)]).toEqual([action, 'denied', ['ProtectTheEstate']]);
      expect([
        action,
        (
          await ask({
            scps: scpsWithout(scps, 'ProtectTheEstate'),
            principal: admin(),
            action,
            resource: forged,
            resourceAccount: account,
            region,
            context,
          })
        ).decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test('S3 replication (s3:ReplicateObject, how a replication rule writes) into the evidence prefix is denied by the bucket; with the old action list it was allowed', async () => {
    const { account, region, policy, key } = evidence();
    const replicator: Principal = {
      arn: `arn:aws:iam::${account}:role/some-replication-role`,
      account,
      identityPolicies: [
        {
          name: 'r',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ReplicateDelete'],
                Resource: '*',
              },
            ],
          },
        },
      ],
    };
    const old = {
      ...policy,
      Statement: [policy.Statement]
        .flat()
        .map((s: any) =>
          s.Sid === 'EvidenceWrittenOnlyByTrainingPipelines'
            ? { ...s, Action: [s.Action].flat().filter((a: string) => !a.startsWith('s3:Replicate')) }
            : s,
        ),
    };
    for (const action of ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ReplicateDelete']) {
      const a = await ask({
        scps,
        principal: replicator,
        action,
        resource: key,
        resourceAccount: account,
        region,
        resourcePolicy: policy,
      });
      expect([action, a.decision, statements(a)]).toEqual([
        action,
        'denied',
        ['EvidenceWrittenOnlyByTrainingPipelines'],
      ]);
      expect([
        action,
        (
          await ask({
            scps,
            principal: replicator,
            action,
            resource: key,
            resourceAccount: account,
            region,
            resourcePolicy: old,
          })
        ).decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test("the artifact bucket's policy (which holds the evidence rule) cannot be changed or removed by an admin; without ProtectTheEstate it could", async () => {
    const { account, region, bucket } = evidence();
    // EgressOnlyByTheDeploy denies policies and replication of every environment bucket as well
    // (test/access/scp-egress.test.ts): taken out, so that ProtectTheEstate is asked alone.
    const alone = scpsWithout(scps, 'EgressOnlyByTheDeploy');
    for (const action of ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutReplicationConfiguration']) {
      expect([
        action,
        (await ask({ scps: alone, principal: admin(), action, resource: bucket, resourceAccount: account, region }))
          .decision,
      ]).toEqual([action, 'denied']);
      expect([
        action,
        (
          await ask({
            scps: scpsWithout(alone, 'ProtectTheEstate'),
            principal: admin(),
            action,
            resource: bucket,
            resourceAccount: account,
            region,
          })
        ).decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test('the training pipeline of the model still writes its evidence', async () => {
    const { account, region, policy } = evidence();
    const trainer = model.roles.find((r) => r.account === account && r.arn.includes(':role/estate-training/'))!;
    const writes: string[] = [];
    for (const id of model.synth.config.models.map((m) => m.id)) {
      const key = `arn:aws:s3:::model-artifacts-${account}-${region}/training/${id}/exec-1/reports/evaluation.json`;
      if (
        (
          await ask({
            scps,
            principal: asPrincipal(trainer),
            action: 's3:PutObject',
            resource: key,
            resourceAccount: account,
            region,
            resourcePolicy: policy,
          })
        ).decision === 'allowed'
      )
        writes.push(id);
    }
    expect(writes.length).toBeGreaterThan(0);
  });
});
