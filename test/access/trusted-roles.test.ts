/**
 * Roles the guardrails trust by identity cannot be lent to an admin's own
 * code. OnlyApproversApprove exempts the approval gate by exact ARN, the
 * artifact bucket lets only the training roles' path write the gate's
 * evidence, and the staging deployment gate lets only the pipeline's gate
 * step role invoke it. Lambda, SageMaker and CodeBuild trust policies cannot
 * name the function, job or project that uses a role, so a role passed to a
 * function or job an admin owns acts as the trusted one; iam:PassRole is the
 * only control (IAM User Guide, "Grant a user permissions to pass a role to an
 * AWS service"). Asked of the synthesized SCPs and the roles the templates
 * deploy, with an environment or tooling admin (AdministratorAccess, no
 * boundary) as the attacker.
 */
import { synthesizeEstate } from '../support/estate';
import { TRAINING_ROLE_PATH } from '../../lib/delivery/names';
import { EstateModel, memberAdmin, RoleModel } from './estate-model';
import { Answer, ask, Principal, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const admin = memberAdmin;
const asRole = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
const execRole = (account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`;
const statements = (a: Answer) => a.by.map((b) => b.statement);
const SERVICE: Record<string, string> = {
  'lambda.amazonaws.com': 'lambda',
  'sagemaker.amazonaws.com': 'sagemaker',
  'codebuild.amazonaws.com': 'codebuild',
};

/** The service a role trusts (the one it would be passed to). */
function serviceOf(r: RoleModel): string {
  const services = [r.trust?.Statement ?? []]
    .flat()
    .flatMap((s: any) => [s.Principal?.Service ?? []].flat()) as string[];
  const known = services.filter((s) => SERVICE[s]);
  if (known.length !== 1) throw new Error(`${r.arn} trusts ${services.join(', ')}`);
  return known[0];
}

/**
 * Every deployed role something trusts by identity, found in the templates
 * rather than from the SCP: the roles OnlyApproversApprove names, the roles
 * under the training path the artifact bucket trusts, and the roles a Lambda
 * permission of another account names (the pipeline's gate step role, trusted
 * by staging's deployment gate).
 */
function trustedRoles(): Array<{ role: RoleModel; why: string }> {
  const approvers = scps.flatMap((p) => [p.policy.Statement].flat()).find((s: any) => s.Sid === 'OnlyApproversApprove')
    .Condition.ArnNotLike['aws:PrincipalArn'] as string[];
  // The statement names patterns (`<org>-<env>-appro*`, one per environment): every deployed role they match.
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
        .join('.*')}$`,
    );
  const found: Array<{ role: RoleModel; why: string }> = [];
  for (const arn of approvers) {
    // Break-glass is named too; it is a person's role, assumed, never passed (it trusts no service).
    if (arn.endsWith(`:role/${model.synth.config.organization.breakGlassRoleName}`)) continue;
    for (const role of model.roles.filter((r) => glob(arn.replace('arn:*:', 'arn:aws:')).test(r.arn)))
      found.push({ role, why: 'OnlyApproversApprove' });
  }
  for (const role of model.roles.filter((r) => r.arn.includes(`:role${TRAINING_ROLE_PATH}`)))
    found.push({ role, why: 'writes the evidence' });
  for (const t of model.templates) {
    for (const r of Object.values(t.resources).filter((x) => x.Type === 'AWS::Lambda::Permission')) {
      const principal = String(model.resolve(t, r.Properties?.Principal) ?? '');
      const role = model.roles.find((x) => x.arn === principal);
      if (role) found.push({ role, why: `invokes ${t.key}'s ${String(model.resolve(t, r.Properties?.FunctionName))}` });
    }
  }
  return found;
}

describe("a trusted role cannot be passed to an admin's own function, job or project (NoBorrowingTrustedRoles)", () => {
  test("the trusted roles include each environment's approver and approval gate, a training role, and the pipeline's gate step role", () => {
    const found = trustedRoles();
    const names = found.map((f) => f.role.arn.split('/').pop()!);
    for (const e of model.synth.config.environments)
      expect(names).toEqual(
        expect.arrayContaining([`examplebank-${e.name}-approver`, `examplebank-${e.name}-approval-gate`]),
      );
    expect(names).toContain('examplebank-pipeline-deployment-gate');
    expect(found.filter((f) => f.why === 'writes the evidence').length).toBeGreaterThan(0);
  });

  test('no admin may pass any of them to the service it trusts (persona roles to Lambda); without the statement every one could be', async () => {
    const passed: string[] = [];
    const withoutIt = scpsWithout(scps, 'NoBorrowingTrustedRoles');
    let asked = 0;
    for (const { role, why } of trustedRoles()) {
      const service = role.arn.endsWith('-approver') ? 'lambda.amazonaws.com' : serviceOf(role);
      const q = {
        principal: admin(role.account),
        action: 'iam:PassRole',
        resource: role.arn,
        resourceAccount: role.account,
        region: role.region,
        context: { 'iam:PassedToService': service },
      };
      const a = await ask({ scps, ...q });
      asked++;
      if (a.decision !== 'denied' || !statements(a).includes('NoBorrowingTrustedRoles'))
        passed.push(`${role.arn} (${why}) to ${service}: ${a.decision}`);
      expect([role.arn, (await ask({ scps: withoutIt, ...q })).decision]).toEqual([role.arn, 'allowed']);
    }
    expect(asked).toBeGreaterThan(7);
    expect(passed).toEqual([]);
  });

  test('a role an admin names like a trusted one is refused at creation, and could not act as the approver anyway (exact ARN)', async () => {
    const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
    const lookAlike = `arn:aws:iam::${prod.account}:role${TRAINING_ROLE_PATH}mine`;
    const boundary = `arn:aws:iam::${prod.account}:policy/${model.synth.config.organization.name}-prod-workload-boundary`;
    const a = await ask({
      scps,
      principal: admin(prod.account),
      action: 'iam:CreateRole',
      resource: lookAlike,
      resourceAccount: prod.account,
      region: prod.region,
      context: { 'iam:PermissionsBoundary': boundary },
    });
    expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectTheEstate']]);
  });
});

describe('the estate still passes its trusted roles', () => {
  test("the execution role of each role's account and region passes it (CloudFormation creates the gate functions, training pipelines and gate step project)", async () => {
    const denied: string[] = [];
    for (const { role } of trustedRoles()) {
      const service = role.arn.endsWith('-approver') ? 'lambda.amazonaws.com' : serviceOf(role);
      const a = await ask({
        scps,
        principal: admin(role.account, execRole(role.account, role.region)),
        action: 'iam:PassRole',
        resource: role.arn,
        resourceAccount: role.account,
        region: role.region,
        context: { 'iam:PassedToService': service },
      });
      if (a.decision !== 'allowed') denied.push(`${role.arn}: ${statements(a).join(', ')}`);
    }
    expect(denied).toEqual([]);
  });

  test('each training role passes itself to the jobs its pipeline starts, with its own identity policies; not another training role', async () => {
    const training = model.roles.filter((r) => r.arn.includes(`:role${TRAINING_ROLE_PATH}`));
    expect(training.length).toBeGreaterThan(0);
    for (const role of training) {
      // The boundary passes a role by its estate:environment tag (the passed role's tags are the resource's).
      const self = await ask({
        scps,
        principal: asRole(role),
        action: 'iam:PassRole',
        resource: role.arn,
        resourceAccount: role.account,
        region: role.region,
        resourceTags: role.tags,
        context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
      });
      expect([role.arn, self.decision]).toEqual([role.arn, 'allowed']);
      const other = training.find((r) => r.account === role.account && r.arn !== role.arn);
      if (other) {
        const a = await ask({
          scps,
          principal: asRole(role),
          action: 'iam:PassRole',
          resource: other.arn,
          resourceAccount: role.account,
          region: role.region,
          resourceTags: other.tags,
          context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
        });
        expect([role.arn, other.arn, a.decision]).toEqual([role.arn, other.arn, 'denied']);
      }
    }
  });
});

describe("a training pipeline keeps its role when an update leaves RoleArn out, so its definition is the deploy's", () => {
  test.each(['sagemaker:UpdatePipeline', 'sagemaker:UpdatePipelineVersion', 'sagemaker:DeletePipeline'])(
    "an admin cannot %s a training pipeline the estate deploys; the execution role can; an admin's own pipeline stays its own; without the statement the admin could",
    async (action) => {
      const pipelines: Array<{ arn: string; account: string; region: string }> = [];
      for (const t of model.templates) {
        for (const r of Object.values(t.resources).filter((x) => x.Type === 'AWS::SageMaker::Pipeline')) {
          pipelines.push({
            arn: `arn:aws:sagemaker:${t.region}:${t.account}:pipeline/${String(model.resolve(t, r.Properties?.PipelineName)).toLowerCase()}`,
            account: t.account,
            region: t.region,
          });
        }
      }
      expect(pipelines.length).toBeGreaterThan(0);
      for (const p of pipelines) {
        const q = { action, resource: p.arn, resourceAccount: p.account, region: p.region };
        const a = await ask({ scps, principal: admin(p.account), ...q });
        expect([p.arn, a.decision, statements(a)]).toEqual([p.arn, 'denied', ['NoBorrowingTrustedRoles']]);
        expect([
          p.arn,
          (await ask({ scps, principal: admin(p.account, execRole(p.account, p.region)), ...q })).decision,
        ]).toEqual([p.arn, 'allowed']);
        expect([
          p.arn,
          (await ask({ scps: scpsWithout(scps, 'NoBorrowingTrustedRoles'), principal: admin(p.account), ...q }))
            .decision,
        ]).toEqual([p.arn, 'allowed']);
      }
      const own = pipelines[0];
      expect(
        (
          await ask({
            scps,
            principal: admin(own.account),
            action,
            resource: `arn:aws:sagemaker:${own.region}:${own.account}:pipeline/team-experiment`,
            resourceAccount: own.account,
            region: own.region,
          })
        ).decision,
      ).toBe('allowed');
    },
  );
});

describe("estate resources stay in the estate's stacks and keys behind their aliases", () => {
  test.each(['cloudformation:CreateStackRefactor', 'cloudformation:ExecuteStackRefactor'])(
    'an admin cannot %s an estate stack (moving its resources into a stack it owns); the deploy role can; without DeployOnlyThroughTheDeployRole the admin could',
    async (action) => {
      const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
      const stack = `arn:aws:cloudformation:${prod.region}:${prod.account}:stack/prod-Foundation/0f9a8b70-0000-11ef-0000-000000000000`;
      const q = { action, resource: stack, resourceAccount: prod.account, region: prod.region };
      const a = await ask({ scps, principal: admin(prod.account), ...q });
      expect([a.decision, statements(a)]).toEqual(['denied', ['DeployOnlyThroughTheDeployRole']]);
      const deployRole = `arn:aws:iam::${prod.account}:role/cdk-hnb659fds-deploy-role-${prod.account}-${prod.region}`;
      expect((await ask({ scps, principal: admin(prod.account, deployRole), ...q })).decision).toBe('allowed');
      expect(
        (await ask({ scps: scpsWithout(scps, 'DeployOnlyThroughTheDeployRole'), principal: admin(prod.account), ...q }))
          .decision,
      ).toBe('allowed');
    },
  );

  test("no admin can re-point, delete or re-create any alias the estate deploys (the pipeline's `alias/<org>/pipeline-artifacts` included); the execution role can", async () => {
    const open: string[] = [];
    const aliases: string[] = [];
    for (const t of model.templates) {
      for (const r of Object.values(t.resources).filter((x) => x.Type === 'AWS::KMS::Alias')) {
        const name = String(model.resolve(t, r.Properties?.AliasName));
        const arn = `arn:aws:kms:${t.region}:${t.account}:${name}`;
        aliases.push(arn);
        for (const action of ['kms:UpdateAlias', 'kms:DeleteAlias', 'kms:CreateAlias']) {
          const a = await ask({
            scps,
            principal: admin(t.account),
            action,
            resource: arn,
            resourceAccount: t.account,
            region: t.region,
          });
          if (a.decision !== 'denied') open.push(`${t.key} ${action} ${name}`);
        }
        const exec = await ask({
          scps,
          principal: admin(t.account, execRole(t.account, t.region)),
          action: 'kms:UpdateAlias',
          resource: arn,
          resourceAccount: t.account,
          region: t.region,
        });
        expect([arn, exec.decision]).toEqual([arn, 'allowed']);
      }
    }
    expect(aliases.some((a) => a.endsWith('/pipeline-artifacts'))).toBe(true);
    expect(open).toEqual([]);
  });
});
