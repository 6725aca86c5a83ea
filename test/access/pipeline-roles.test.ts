/**
 * Only the pipeline deploys, not everyone in the tooling account. The CDK
 * bootstrap's deploy role of every account trusts the tooling account
 * (`cdk bootstrap --trust`), and as that role anyone may pass the execution
 * role, which is exempt from the guardrails. So the bootstrap roles may be
 * assumed only by the pipeline's own roles (an IAM path only the deploy
 * creates roles under), those roles cannot be passed to anything else, and
 * the builds that run as them are started and changed only by the pipeline
 * and the deploy. Asked of the synthesized SCPs and the Delivery template,
 * with a tooling-account admin (AdministratorAccess, no boundary) as the
 * attacker.
 */
import { synthesizeEstate } from '../support/estate';
import { PIPELINE_ROLE_PATH } from '../../lib/delivery/names';
import { ADMINISTRATOR_ACCESS, EstateModel, memberAdmin, RoleModel } from './estate-model';
import { Answer, ask, Principal, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const tooling = () => model.synth.config.delivery!.account;
const home = () => model.synth.config.organization.homeRegion;
const admin = memberAdmin;
const asRole = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
const statements = (a: Answer) => a.by.map((b) => b.statement);
const bootstrapRole = (kind: string, account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-${kind}-${account}-${region}`;
/** A bootstrap role's trust: its own account and the tooling account (`cdk bootstrap --trust <tooling>`). */
const bootstrapTrust = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: [`arn:aws:iam::${account}:root`, `arn:aws:iam::${tooling()}:root`] },
      Action: 'sts:AssumeRole',
    },
  ],
});
const deliveryRoles = () => model.roles.filter((r) => r.key === 'Delivery');
/** Delivery roles whose grants reach the bootstrap roles (by name, or by the bootstrap's role tag). */
const assumingRoles = () =>
  deliveryRoles().filter((r) => /cdk-hnb659fds-|aws-cdk:bootstrap-role/.test(JSON.stringify(r.identityPolicies)));

describe("the pipeline's roles are under their own path", () => {
  test("every role of the Delivery stack but the gate step's (whose ARN staging's gate names) is under the path, those that reach the bootstrap roles among them", () => {
    const roles = deliveryRoles();
    expect(roles.length).toBeGreaterThan(5);
    const outside = roles
      .filter((r) => !r.arn.includes(`:role${PIPELINE_ROLE_PATH}`))
      .map((r) => r.arn.split('/').pop());
    expect(outside).toEqual([`${model.synth.config.organization.name}-pipeline-deployment-gate`]);
    expect(assumingRoles().length).toBeGreaterThanOrEqual(3);
  });

  test('no tooling admin can create a role under the path or change one (ProtectTheEstate), nor pass one to a service (NoBorrowingTrustedRoles)', async () => {
    const created = await ask({
      scps,
      principal: admin(tooling()),
      action: 'iam:CreateRole',
      resource: `arn:aws:iam::${tooling()}:role${PIPELINE_ROLE_PATH}mine`,
      resourceAccount: tooling(),
      region: home(),
    });
    expect([created.decision, statements(created)]).toEqual(['denied', ['ProtectTheEstate']]);
    for (const r of deliveryRoles().filter((x) => x.arn.includes(`:role${PIPELINE_ROLE_PATH}`))) {
      const put = await ask({
        scps,
        principal: admin(tooling()),
        action: 'iam:PutRolePolicy',
        resource: r.arn,
        resourceAccount: tooling(),
        region: home(),
        resourceTags: r.tags,
      });
      expect([r.arn, put.decision]).toEqual([r.arn, 'denied']);
      for (const service of ['codebuild.amazonaws.com', 'codepipeline.amazonaws.com']) {
        const pass = await ask({
          scps,
          principal: admin(tooling()),
          action: 'iam:PassRole',
          resource: r.arn,
          resourceAccount: tooling(),
          region: home(),
          context: { 'iam:PassedToService': service },
        });
        expect([r.arn, service, pass.decision, statements(pass)]).toEqual([
          r.arn,
          service,
          'denied',
          ['NoBorrowingTrustedRoles'],
        ]);
      }
    }
  });
});

describe("only the pipeline's roles assume the bootstrap roles (BootstrapRolesOnlyFromThePipeline)", () => {
  test("a tooling admin cannot assume any environment's deploy or publishing role, nor the tooling account's own; without the statement it could", async () => {
    const targets = [
      ...model.synth.config.environments.map((e) => [e.account, e.region] as const),
      [tooling(), home()] as const,
    ];
    for (const [account, region] of targets) {
      for (const kind of ['deploy-role', 'file-publishing-role', 'image-publishing-role']) {
        const q = {
          action: 'sts:AssumeRole',
          resource: bootstrapRole(kind, account, region),
          resourceAccount: account,
          region,
          resourcePolicy: bootstrapTrust(account),
        };
        const a = await ask({ scps, principal: admin(tooling()), ...q });
        expect([q.resource, a.decision, statements(a)]).toEqual([
          q.resource,
          'denied',
          ['BootstrapRolesOnlyFromThePipeline'],
        ]);
        expect([
          q.resource,
          (
            await ask({
              scps: scpsWithout(scps, 'BootstrapRolesOnlyFromThePipeline'),
              principal: admin(tooling()),
              ...q,
            })
          ).decision,
        ]).toEqual([q.resource, 'allowed']);
      }
    }
  });

  test("a tooling role outside the path (the gate step's, fixed name) cannot either", async () => {
    const gate = deliveryRoles().find((r) => !r.arn.includes(`:role${PIPELINE_ROLE_PATH}`))!;
    const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
    const a = await ask({
      scps,
      principal: { ...asRole(gate), identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }] },
      action: 'sts:AssumeRole',
      resource: bootstrapRole('deploy-role', prod.account, prod.region),
      resourceAccount: prod.account,
      region: prod.region,
      resourcePolicy: bootstrapTrust(prod.account),
    });
    expect([a.decision, statements(a)]).toEqual(['denied', ['BootstrapRolesOnlyFromThePipeline']]);
  });

  test("the pipeline still deploys: every bootstrap role a Delivery role's own grants reach (asked without SCPs) it still assumes under them", async () => {
    const denied: string[] = [];
    let reached = 0;
    const targets = [
      ...model.synth.config.environments.flatMap(
        (e) =>
          [
            [e.account, e.region],
            [e.account, e.auditReplicaRegion],
          ] as const,
      ),
      [tooling(), home()] as const,
    ];
    for (const r of assumingRoles()) {
      for (const [account, region] of targets) {
        for (const kind of ['deploy', 'file-publishing', 'image-publishing']) {
          const role = bootstrapRole(`${kind}-role`, account, region);
          // The bootstrap template tags each role with its kind (the self-mutation's grant is scoped by it).
          const q = {
            principal: asRole(r),
            action: 'sts:AssumeRole',
            resource: role,
            resourceAccount: account,
            region,
            resourcePolicy: bootstrapTrust(account),
            resourceTags: { 'aws-cdk:bootstrap-role': kind },
            context: { 'iam:ResourceTag/aws-cdk:bootstrap-role': kind },
          };
          if ((await ask({ scps: [], ...q })).decision !== 'allowed') continue;
          reached++;
          const a = await ask({ scps, ...q });
          if (a.decision !== 'allowed') denied.push(`${r.path} -> ${role}: ${statements(a).join(', ')}`);
        }
      }
    }
    // The pipeline role reaches each environment's deploy roles, the asset role their publishing roles, the
    // self-mutation the tooling account's.
    expect(reached).toBeGreaterThan(8);
    expect(denied).toEqual([]);
  });
});

describe("the pipeline's builds and definition change only through the pipeline and the deploy (ProtectThePipeline)", () => {
  const projects = () => {
    const t = model.template('Delivery');
    return Object.entries(t.resources)
      .filter(([, r]) => r.Type === 'AWS::CodeBuild::Project')
      .map(([id]) => ({
        id,
        arn: `arn:aws:codebuild:${t.region}:${t.account}:project/${id}`,
        tags: model.tagsOf('Delivery', id),
      }));
  };

  test.each([
    'codebuild:StartBuild',
    'codebuild:StartBuildBatch',
    'codebuild:RetryBuild',
    'codebuild:UpdateProject',
    'codebuild:DeleteProject',
  ])(
    "a tooling admin cannot %s on any of the pipeline's projects (synth, self-mutation, assets, gate step); without the statement it could",
    async (action) => {
      const list = projects();
      expect(list.length).toBeGreaterThanOrEqual(3);
      for (const p of list) {
        expect([p.id, p.tags['estate:organization']]).toEqual([p.id, model.synth.config.organization.name]);
        const q = { action, resource: p.arn, resourceAccount: tooling(), region: home(), resourceTags: p.tags };
        const a = await ask({ scps, principal: admin(tooling()), ...q });
        expect([p.id, a.decision, statements(a)]).toEqual([p.id, 'denied', ['ProtectThePipeline']]);
        expect([
          p.id,
          (await ask({ scps: scpsWithout(scps, 'ProtectThePipeline'), principal: admin(tooling()), ...q })).decision,
        ]).toEqual([p.id, 'allowed']);
      }
    },
  );

  test("the pipeline's CodeBuild action role starts every project, with its own grants; the tooling execution role updates them", async () => {
    const action = model.roles.find((r) => r.key === 'Delivery' && /Pipeline\/CodeBuildActionRole/.test(r.path));
    expect(action).toBeDefined();
    const exec = admin(tooling(), `arn:aws:iam::${tooling()}:role/cdk-hnb659fds-cfn-exec-role-${tooling()}-${home()}`);
    for (const p of projects()) {
      const started = await ask({
        scps,
        principal: asRole(action!),
        action: 'codebuild:StartBuild',
        resource: p.arn,
        resourceAccount: tooling(),
        region: home(),
        resourceTags: p.tags,
      });
      expect([p.id, started.decision]).toEqual([p.id, 'allowed']);
      const updated = await ask({
        scps,
        principal: exec,
        action: 'codebuild:UpdateProject',
        resource: p.arn,
        resourceAccount: tooling(),
        region: home(),
        resourceTags: p.tags,
      });
      expect([p.id, updated.decision]).toEqual([p.id, 'allowed']);
    }
  });

  test.each([
    'codepipeline:UpdatePipeline',
    'codepipeline:DeletePipeline',
    'codepipeline:UntagResource',
    'codepipeline:TagResource',
  ])(
    "a tooling admin cannot %s the estate's pipeline; the tooling execution role can; without the statement the admin could",
    async (action) => {
      const t = model.template('Delivery');
      const id = model.resourceId('Delivery', 'AWS::CodePipeline::Pipeline', 'CodePipeline');
      const arn = `arn:aws:codepipeline:${home()}:${tooling()}:${String(model.resolve(t, t.resources[id].Properties?.Name))}`;
      const tags = model.tagsOf('Delivery', id);
      const q = { action, resource: arn, resourceAccount: tooling(), region: home(), resourceTags: tags };
      const a = await ask({ scps, principal: admin(tooling()), ...q });
      expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectThePipeline']]);
      expect(
        (
          await ask({
            scps,
            principal: admin(
              tooling(),
              `arn:aws:iam::${tooling()}:role/cdk-hnb659fds-cfn-exec-role-${tooling()}-${home()}`,
            ),
            ...q,
          })
        ).decision,
      ).toBe('allowed');
      expect(
        (await ask({ scps: scpsWithout(scps, 'ProtectThePipeline'), principal: admin(tooling()), ...q })).decision,
      ).toBe('allowed');
    },
  );
});
