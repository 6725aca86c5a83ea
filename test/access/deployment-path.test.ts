/**
 * The deployment role's exemption cannot be claimed or borrowed, and the
 * estate's own deploy path still passes every SCP. Asked of the SCPs as the
 * Organization stack synthesizes them, with an environment admin as the
 * attacker: any member-account principal with AdministratorAccess and no
 * boundary (an Identity Center permission-set role). SCPs bind it; they do
 * not bind the management account or service-linked roles (Organizations
 * User Guide, "SCP effects on permissions").
 */
import { synthesizeEstate } from '../support/estate';
import { ADMINISTRATOR_ACCESS, EstateModel, memberAdmin } from './estate-model';
import { Answer, ask, Principal, scpsWith, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const env = (name: string) => model.synth.config.environments.find((e) => e.name === name)!;
const admin = memberAdmin;
const execRole = (account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`;
const deployRoleArn = (account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-${region}`;
/** The CDK bootstrap's deploy role trusts its own account and the tooling account (`cdk bootstrap --trust`). */
const deployRoleTrust = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: [`arn:aws:iam::${account}:root`, `arn:aws:iam::${model.synth.config.delivery!.account}:root`] },
      Action: 'sts:AssumeRole',
    },
  ],
});

/** The pipeline's own role as the Delivery template deploys it (under its IAM path), with its identity policies. */
const pipelineRole = (): Principal => {
  const r = model.role('Delivery', 'CodePipeline/Role');
  return { arn: r.arn, account: r.account, identityPolicies: r.identityPolicies };
};

type Ask = {
  principal: Principal;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  resourcePolicy?: unknown;
  policies?: typeof scps;
};
const asked = (account: string, region: string, a: Ask): Promise<Answer> =>
  ask({
    scps: a.policies ?? scps,
    principal: a.principal,
    action: a.action,
    resource: a.resource,
    resourceAccount: account,
    region,
    context: a.context,
    resourcePolicy: a.resourcePolicy,
  });
const statements = (a: Answer) => a.by.map((b) => b.statement);

describe('the deployment exemption cannot be claimed by creating a role of its name', () => {
  test('an admin cannot create a role named like the execution role (ProtectTheDeploymentRoles); without the statement it could', async () => {
    const { account, region } = env('prod');
    const lookAlike = `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-anything`;
    const denied = await asked(account, region, {
      principal: admin(account),
      action: 'iam:CreateRole',
      resource: lookAlike,
    });
    expect([denied.decision, statements(denied)]).toEqual(['denied', ['ProtectTheDeploymentRoles']]);
    expect(
      (
        await asked(account, region, {
          principal: admin(account),
          action: 'iam:CreateRole',
          resource: lookAlike,
          policies: scpsWithout(scps, 'ProtectTheDeploymentRoles'),
        })
      ).decision,
    ).toBe('allowed');
  });

  test("the exemption names each account: a role of the execution role's name for another account is not exempt; with an any-account pattern it would be", async () => {
    const { account, region } = env('prod');
    const other = env('dev').account;
    const trail = `arn:aws:cloudtrail:${region}:${account}:trail/${model.synth.config.organization.name}-prod-audit`;
    // A role in prod named as dev's execution role (its creation is denied too: the first test).
    const foreignName = admin(account, `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${other}-${region}`);
    expect(
      (await asked(account, region, { principal: foreignName, action: 'cloudtrail:StopLogging', resource: trail }))
        .decision,
    ).toBe('denied');
    expect(
      (
        await asked(account, region, {
          principal: admin(account, execRole(account, region)),
          action: 'cloudtrail:StopLogging',
          resource: trail,
        })
      ).decision,
    ).toBe('allowed');
    const anyAccount = scpsWith(scps, 'ProtectTheEstate', (s) => ({
      ...s,
      Condition: {
        ArnNotLike: {
          'aws:PrincipalArn': [
            ...s.Condition.ArnNotLike['aws:PrincipalArn'],
            'arn:*:iam::*:role/cdk-hnb659fds-cfn-exec-role-*',
          ],
        },
      },
    }));
    expect(
      (
        await asked(account, region, {
          principal: foreignName,
          action: 'cloudtrail:StopLogging',
          resource: trail,
          policies: anyAccount,
        })
      ).decision,
    ).toBe('allowed');
  });

  test.each([
    'iam:UpdateAssumeRolePolicy',
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:PutRolePermissionsBoundary',
    'iam:TagRole',
    'iam:DeleteRole',
  ])(
    'an admin cannot %s the real execution or deploy role; break-glass can (re-bootstrap); without ProtectTheDeploymentRoles the admin could',
    async (action) => {
      const { account, region } = env('prod');
      for (const role of [execRole(account, region), deployRoleArn(account, region)]) {
        expect([
          role,
          (await asked(account, region, { principal: admin(account), action, resource: role })).decision,
        ]).toEqual([role, 'denied']);
        const breakGlass = admin(
          account,
          `arn:aws:iam::${account}:role/${model.synth.config.organization.breakGlassRoleName}`,
        );
        expect([
          role,
          (await asked(account, region, { principal: breakGlass, action, resource: role })).decision,
        ]).toEqual([role, 'allowed']);
        expect([
          role,
          (
            await asked(account, region, {
              principal: admin(account),
              action,
              resource: role,
              policies: scpsWithout(scps, 'ProtectTheDeploymentRoles'),
            })
          ).decision,
        ]).toEqual([role, 'allowed']);
      }
    },
  );
});

describe('the execution role cannot be borrowed', () => {
  test('an admin cannot pass the execution role to CloudFormation; the deploy role can; without DeployOnlyThroughTheDeployRole the admin could', async () => {
    const { account, region } = env('prod');
    const pass = (principal: Principal, policies = scps) =>
      asked(account, region, {
        principal,
        action: 'iam:PassRole',
        resource: execRole(account, region),
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
        policies,
      });
    const denied = await pass(admin(account));
    expect([denied.decision, statements(denied)]).toEqual(['denied', ['DeployOnlyThroughTheDeployRole']]);
    expect((await pass(admin(account, deployRoleArn(account, region)))).decision).toBe('allowed');
    expect((await pass(admin(account), scpsWithout(scps, 'DeployOnlyThroughTheDeployRole'))).decision).toBe('allowed');
  });

  // A stack keeps its service role, and "other users that have permissions to perform operations on this
  // stack are able to use this role, regardless of whether those users have the iam:PassRole permission"
  // (CloudFormation User Guide, "CloudFormation service role"): an update of prod's Foundation stack by an
  // admin would run as the execution role, which is exempt from the detection guardrails.
  test.each([
    'cloudformation:UpdateStack',
    'cloudformation:CreateChangeSet',
    'cloudformation:ExecuteChangeSet',
    'cloudformation:DeleteStack',
  ])(
    "an admin cannot %s on the estate's stacks (which run as the execution role); the deploy role can; without the statement the admin could",
    async (action) => {
      const { account, region } = env('prod');
      const stack = `arn:aws:cloudformation:${region}:${account}:stack/prod-Foundation/0f9a8b70-0000-11ef-0000-000000000000`;
      expect((await asked(account, region, { principal: admin(account), action, resource: stack })).decision).toBe(
        'denied',
      );
      expect(
        (
          await asked(account, region, {
            principal: admin(account, deployRoleArn(account, region)),
            action,
            resource: stack,
          })
        ).decision,
      ).toBe('allowed');
      expect(
        (
          await asked(account, region, {
            principal: admin(account),
            action,
            resource: stack,
            policies: scpsWithout(scps, 'DeployOnlyThroughTheDeployRole'),
          })
        ).decision,
      ).toBe('allowed');
      // A stack the estate does not own stays the admin's.
      expect(
        (
          await asked(account, region, {
            principal: admin(account),
            action,
            resource: `arn:aws:cloudformation:${region}:${account}:stack/team-tools/1`,
          })
        ).decision,
      ).toBe('allowed');
    },
  );

  test("an environment admin cannot assume the deploy role; the pipeline's role and break-glass can; without BootstrapRolesOnlyFromThePipeline the admin could", async () => {
    const { account, region } = env('prod');
    const assume = (principal: Principal, policies = scps) =>
      ask({
        scps: policies,
        principal,
        action: 'sts:AssumeRole',
        resource: deployRoleArn(account, region),
        resourceAccount: account,
        region,
        resourcePolicy: deployRoleTrust(account),
      });
    const denied = await assume(admin(account));
    expect([denied.decision, statements(denied)]).toEqual(['denied', ['BootstrapRolesOnlyFromThePipeline']]);
    const pipeline = pipelineRole();
    expect((await assume(pipeline)).decision).toBe('allowed');
    expect(
      (
        await assume(
          admin(account, `arn:aws:iam::${account}:role/${model.synth.config.organization.breakGlassRoleName}`),
        )
      ).decision,
    ).toBe('allowed');
    expect((await assume(admin(account), scpsWithout(scps, 'BootstrapRolesOnlyFromThePipeline'))).decision).toBe(
      'allowed',
    );
  });
});

describe("the estate's own deploy path passes the new denials", () => {
  test('for every stack of every environment: the pipeline assumes the deploy role, which passes the exact execution role and creates and executes change sets', async () => {
    const pipeline = pipelineRole();
    const denied: string[] = [];
    let calls = 0;
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      const stack = `arn:aws:cloudformation:${t.region}:${t.account}:stack/${t.key.replace('/', '-')}/0f9a8b70-0000-11ef-0000-000000000000`;
      const deployer = admin(t.account, deployRoleArn(t.account, t.region));
      const answers: Array<[string, Answer]> = [
        [
          'sts:AssumeRole',
          await ask({
            scps,
            principal: pipeline,
            action: 'sts:AssumeRole',
            resource: deployRoleArn(t.account, t.region),
            resourceAccount: t.account,
            region: t.region,
            resourcePolicy: deployRoleTrust(t.account),
          }),
        ],
        [
          'iam:PassRole',
          await asked(t.account, t.region, {
            principal: deployer,
            action: 'iam:PassRole',
            resource: execRole(t.account, t.region),
            context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
          }),
        ],
        ...(await Promise.all(
          ['CreateChangeSet', 'ExecuteChangeSet', 'DescribeChangeSet', 'DeleteChangeSet'].map(
            async (a) =>
              [
                `cloudformation:${a}`,
                await asked(t.account, t.region, {
                  principal: deployer,
                  action: `cloudformation:${a}`,
                  resource: stack,
                }),
              ] as [string, Answer],
          ),
        )),
      ];
      for (const [action, a] of answers) {
        calls++;
        if (a.decision !== 'allowed') denied.push(`${t.key} ${action}: ${statements(a).join(', ')}`);
      }
    }
    expect(calls).toBeGreaterThan(30);
    expect(denied).toEqual([]);
  });

  test('the execution role of every account and region the estate deploys to is exempt, by a pattern naming its account', () => {
    const exempt = [
      ...new Set(
        scps
          .flatMap((p) =>
            [p.policy.Statement]
              .flat()
              .flatMap((s: any) => [s.Condition?.ArnNotLike?.['aws:PrincipalArn'] ?? []].flat()),
          )
          .filter((a: string) => a.includes('cfn-exec-role')),
      ),
    ] as string[];
    const like = (pattern: string, arn: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((x) => x.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(arn);
    const deployedTo = new Set(
      model.templates.filter((t) => t.key.includes('/')).map((t) => execRole(t.account, t.region)),
    );
    for (const arn of deployedTo) expect([arn, exempt.some((p) => like(p, arn))]).toEqual([arn, true]);
    // Each pattern names one account, twice (the role's account and its name's), never any account.
    for (const pattern of exempt)
      expect(pattern).toMatch(/^arn:\*:iam::(\d{12}):role\/cdk-[a-z0-9]+-cfn-exec-role-\1-\*$/);
  });
});

describe('the root user, in any partition (L1)', () => {
  test('a member account root is denied everything in aws and aws-us-gov alike; with the old arn:aws: pattern the GovCloud root was not', async () => {
    const { account, region } = env('prod');
    const root = (partition: string): Principal => ({
      arn: `arn:${partition}:iam::${account}:root`,
      account,
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    });
    const listKeys = (principal: Principal, policies = scps) =>
      ask({ scps: policies, principal, action: 'kms:ListKeys', resource: '*', resourceAccount: account, region });
    for (const partition of ['aws', 'aws-us-gov', 'aws-cn']) {
      const a = await listKeys(root(partition));
      expect([partition, a.decision, statements(a)]).toEqual([partition, 'denied', ['DenyRootUser']]);
    }
    const old = scpsWith(scps, 'DenyRootUser', (s) => ({
      ...s,
      Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } },
    }));
    expect((await listKeys(root('aws-us-gov'), old)).decision).toBe('allowed');
  });
});
