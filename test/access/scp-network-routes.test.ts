/**
 * No route or endpoint out of the environments' isolated networks, on every
 * estate the tests know (test/support/estates.ts): an environment account's
 * administrator (an Identity Center AdministratorAccess session, no boundary)
 * cannot add a route (to any target), re-associate a subnet, add a VPC endpoint
 * or widen one's policy, or create a customer gateway; the estate's deploy (the
 * CDK bootstrap's CloudFormation execution role of that account) still creates
 * and updates its endpoints and route-table associations; break-glass may.
 * Each denial has a removal check: without the statement (or the one action)
 * the same request is allowed, so no assertion passes vacuously.
 *
 * What IAM authorizes, from the pinned Service Authorization Reference snapshot
 * (asserted below): `ec2:CreateRoute` and `ec2:ReplaceRoute` authorize on the
 * route table alone (no resource type for the target), so one deny on the
 * route table covers every target; `ec2:CreateVpcEndpoint` on the VPC and the
 * new endpoint, `ec2:ModifyVpcEndpoint` on the endpoint (its policy is a
 * request parameter no condition key shows, hence the whole call is denied).
 *
 * The policy holding these statements is attached at the organization's root
 * (the units and accounts carry four policies each, the most a target takes
 * besides FullAWSAccess): it binds every member account, so each of its
 * statements must name only the environment accounts' resources.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EstateConfig } from '../../lib/config';
import { OrganizationStack, scpContext } from '../../lib/stacks/organization-stack';
import { cdkDeploymentRoleArn, serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { actionDetails } from '../../policies/validation/service-authorization';
import { synthesizeEstate } from '../support/estate';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, EstateModel, memberAdmin } from './estate-model';
import { ask, Principal, scpsWith, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const configs = new Map(ESTATES.map((e) => [e.name, e.config()]));

type Scps = Array<{ name: string; policy: any }>;
const scpsOf = (config: EstateConfig): Scps =>
  serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));

/**
 * A role with AdministratorAccess (what the bootstrap's execution role and break-glass hold; the SCPs are the
 * question).
 */
const roleWithAdmin = (arn: string, account: string): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});
const deployOf = (account: string, region: string) =>
  roleWithAdmin(cdkDeploymentRoleArn(account, region).replace('arn:*:', 'arn:aws:'), account);

/** One statement with one action taken out: the entry that closes one gap. */
const withoutAction = (scps: Scps, sid: string, action: string) =>
  scpsWith(scps, sid, (s) => ({ ...s, Action: s.Action.filter((a: string) => a !== action) }));

/** The requests, as IAM authorizes them: [action, resource type of the ARN asked, id, request context]. */
const ROUTE_AND_ENDPOINT_CHANGES: Array<[string, string, string, Record<string, string | string[]>]> = [
  // A default route to an internet gateway, a VPN gateway, a peering, a transit gateway or an ENI of an
  // instance homed in another VPC: the target is a request parameter, the table the only resource.
  ['ec2:CreateRoute', 'route-table', 'rtb-0estate', {}],
  ['ec2:ReplaceRoute', 'route-table', 'rtb-0estate', {}],
  // The S3 gateway endpoint's policy widened to any bucket.
  ['ec2:ModifyVpcEndpoint', 'vpc-endpoint', 'vpce-0s3gateway', {}],
  // An interface endpoint to another account's PrivateLink service...
  [
    'ec2:CreateVpcEndpoint',
    'vpc-endpoint',
    '*',
    { 'ec2:VpceServiceOwner': '210987654321', 'ec2:VpceServiceName': 'com.amazonaws.vpce.eu-west-1.vpce-svc-0outside' },
  ],
  // ... or an AWS one (S3) with the default full-access policy, on a route table of the admin's own.
  [
    'ec2:CreateVpcEndpoint',
    'vpc',
    'vpc-0estate',
    { 'ec2:VpceServiceOwner': 'amazon', 'ec2:VpceServiceName': 'com.amazonaws.eu-west-1.s3' },
  ],
  // An estate subnet moved to that route table.
  ['ec2:ReplaceRouteTableAssociation', 'route-table', 'rtb-0admins', {}],
  ['ec2:AssociateRouteTable', 'route-table', 'rtb-0admins', {}],
];

describe.each(ESTATES.map((e) => [e.name]))('%s', (name) => {
  const config = configs.get(name)!;
  const scps = scpsOf(config);
  const breakGlass = (account: string) =>
    roleWithAdmin(`arn:aws:iam::${account}:role/${config.organization.breakGlassRoleName}`, account);

  test.each(ROUTE_AND_ENDPOINT_CHANGES)(
    "%s on a %s: denied to every environment's admin, allowed to its deploy and break-glass; without the action in NetworkChangesOnlyByTheDeploy, allowed to the admin",
    async (action, type, id, context) => {
      for (const e of config.environments) {
        const q = {
          action,
          resource: `arn:aws:ec2:${e.region}:${e.account}:${type}/${id}`,
          resourceAccount: e.account,
          region: e.region,
          context,
        };
        const admin = await ask({ ...q, scps, principal: memberAdmin(e.account) });
        expect([e.name, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
          e.name,
          'denied',
          ['NetworkChangesOnlyByTheDeploy'],
        ]);
        // In the other allowed region too (the region allow-list does not stop it there).
        const elsewhere = await ask({
          ...q,
          region: e.auditReplicaRegion,
          resource: q.resource.replace(e.region, e.auditReplicaRegion),
          scps,
          principal: memberAdmin(e.account),
        });
        expect([e.name, e.auditReplicaRegion, elsewhere.decision, elsewhere.by.map((b) => b.statement)]).toEqual([
          e.name,
          e.auditReplicaRegion,
          'denied',
          ['NetworkChangesOnlyByTheDeploy'],
        ]);
        // The deploy of this account in each region it deploys to (the exemption's region is a wildcard).
        for (const region of [e.region, e.auditReplicaRegion]) {
          const deploy = await ask({
            ...q,
            region,
            resource: q.resource.replace(e.region, region),
            scps,
            principal: deployOf(e.account, region),
          });
          expect([e.name, region, deploy.decision]).toEqual([e.name, region, 'allowed']);
        }
        expect([e.name, (await ask({ ...q, scps, principal: breakGlass(e.account) })).decision]).toEqual([
          e.name,
          'allowed',
        ]);
        const open = await ask({
          ...q,
          scps: withoutAction(scps, 'NetworkChangesOnlyByTheDeploy', action),
          principal: memberAdmin(e.account),
        });
        expect([e.name, open.decision]).toEqual([e.name, 'allowed']);
      }
    },
  );

  test("a customer gateway (the first step of a site-to-site VPN) is denied to every environment's admin and to its deploy, which creates none; break-glass may; without the action, allowed", async () => {
    const action = 'ec2:CreateCustomerGateway';
    for (const e of config.environments) {
      const q = {
        action,
        resource: `arn:aws:ec2:${e.region}:${e.account}:customer-gateway/*`,
        resourceAccount: e.account,
        region: e.region,
      };
      for (const principal of [memberAdmin(e.account), deployOf(e.account, e.region)]) {
        const a = await ask({ ...q, scps, principal });
        expect([e.name, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
          e.name,
          principal.arn,
          'denied',
          ['DenyNetworkEscape'],
        ]);
      }
      expect([e.name, (await ask({ ...q, scps, principal: breakGlass(e.account) })).decision]).toEqual([
        e.name,
        'allowed',
      ]);
      expect([
        e.name,
        (await ask({ ...q, scps: withoutAction(scps, 'DenyNetworkEscape', action), principal: memberAdmin(e.account) }))
          .decision,
      ]).toEqual([e.name, 'allowed']);
    }
  });

  test.each([
    ['ec2:RunInstances', 'network-interface/*'],
    ['ec2:AttachNetworkInterface', 'network-interface/eni-0estate'],
  ])(
    "%s (an instance homed in an estate subnet and another VPC, a proxy that needs no route): denied to every environment's admin and deploy, allowed to break-glass; without the action, allowed",
    async (action, resource) => {
      for (const e of config.environments) {
        const q = {
          action,
          resource: `arn:aws:ec2:${e.region}:${e.account}:${resource}`,
          resourceAccount: e.account,
          region: e.region,
        };
        for (const principal of [memberAdmin(e.account), deployOf(e.account, e.region)]) {
          const a = await ask({ ...q, scps, principal });
          expect([e.name, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
            e.name,
            principal.arn,
            'denied',
            ['NoInstancesInTheNetworks'],
          ]);
        }
        expect([e.name, (await ask({ ...q, scps, principal: breakGlass(e.account) })).decision]).toEqual([
          e.name,
          'allowed',
        ]);
        expect([
          e.name,
          (
            await ask({
              ...q,
              scps: withoutAction(scps, 'NoInstancesInTheNetworks', action),
              principal: memberAdmin(e.account),
            })
          ).decision,
        ]).toEqual([e.name, 'allowed']);
      }
    },
  );

  test('the interfaces SageMaker and Lambda need are still created by the roles they act as (CreateNetworkInterface is not denied)', async () => {
    for (const e of config.environments) {
      const a = await ask({
        scps,
        principal: roleWithAdmin(`arn:aws:iam::${e.account}:role/estate-training/${e.name}-training-role`, e.account),
        action: 'ec2:CreateNetworkInterface',
        resource: `arn:aws:ec2:${e.region}:${e.account}:network-interface/*`,
        resourceAccount: e.account,
        region: e.region,
      });
      expect([e.name, a.decision]).toEqual([e.name, 'allowed']);
    }
  });

  test.each([
    ['vpc-lattice:CreateServiceNetworkVpcAssociation', 'servicenetworkvpcassociation/snva-0estate'],
    ['vpc-lattice:CreateResourceGateway', 'resourcegateway/rgw-0estate'],
    ['vpc-lattice:CreateTargetGroup', 'targetgroup/tg-0estate'],
  ])(
    "%s (a VPC Lattice path that needs no route): denied to every environment's admin and deploy, allowed to break-glass; without the action, allowed",
    async (action, resource) => {
      for (const e of config.environments) {
        const q = {
          action,
          resource: `arn:aws:vpc-lattice:${e.region}:${e.account}:${resource}`,
          resourceAccount: e.account,
          region: e.region,
        };
        for (const principal of [memberAdmin(e.account), deployOf(e.account, e.region)]) {
          const a = await ask({ ...q, scps, principal });
          expect([e.name, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
            e.name,
            principal.arn,
            'denied',
            ['DenyLatticePaths'],
          ]);
        }
        expect([e.name, (await ask({ ...q, scps, principal: breakGlass(e.account) })).decision]).toEqual([
          e.name,
          'allowed',
        ]);
        expect([
          e.name,
          (
            await ask({
              ...q,
              scps: withoutAction(scps, 'DenyLatticePaths', action),
              principal: memberAdmin(e.account),
            })
          ).decision,
        ]).toEqual([e.name, 'allowed']);
      }
    },
  );

  test("the exemption is the deploy of the same account: a role in an environment named like another account's execution role, or like it with a path, gets none", async () => {
    for (const e of config.environments) {
      const q = {
        action: 'ec2:CreateRoute',
        resource: `arn:aws:ec2:${e.region}:${e.account}:route-table/rtb-0estate`,
        resourceAccount: e.account,
        region: e.region,
        scps,
      };
      const others = [
        ...new Set([
          ...config.environments.map((o) => o.account),
          ...(config.delivery ? [config.delivery.account] : []),
        ]),
      ].filter((a) => a !== e.account);
      const lookAlikes = [
        ...others.map((o) => `arn:aws:iam::${e.account}:role/cdk-hnb659fds-cfn-exec-role-${o}-${e.region}`),
        `arn:aws:iam::${e.account}:role/team/cdk-hnb659fds-cfn-exec-role-${e.account}-${e.region}`,
        `arn:aws:iam::${e.account}:role/cdk-hnb659fds-deploy-role-${e.account}-${e.region}`,
      ];
      for (const arn of lookAlikes)
        expect([arn, (await ask({ ...q, principal: roleWithAdmin(arn, e.account) })).decision]).toEqual([
          arn,
          'denied',
        ]);
    }
  });

  test("the statements of a policy at the root name only the environment accounts' own resources, each account once, so that no other account of the organization is bound", () => {
    const atRoot = serviceControlPolicies(scpContext(config)).filter((p) => p.attachment === 'root');
    // The egress policy at the root binds by principal account (test/access/scp-egress.test.ts).
    expect(atRoot.map((p) => p.name)).toEqual(['environment-guardrails', 'egress-guardrails']);
    const accounts = [...new Set(config.environments.map((e) => e.account))].sort();
    const resources: Record<string, (a: string) => string[]> = {
      DenyNetworkEscape: (a) => [`arn:*:ec2:*:${a}:*`],
      NetworkChangesOnlyByTheDeploy: (a) => [`arn:*:ec2:*:${a}:*`],
      NoInstancesInTheNetworks: (a) => [`arn:*:ec2:*:${a}:network-interface/*`, `arn:*:ec2:*:${a}:subnet/*`],
      DenyLatticePaths: (a) => [`arn:*:vpc-lattice:*:${a}:*`],
      ProtectIdentityCenterSignIn: (a) => [`arn:*:iam::${a}:saml-provider/??????_*_??_???_??????`],
    };
    // RAM's CreateResourceShare authorizes on no resource: that statement binds the accounts' principals instead.
    const byPrincipal = ['NoResourceShares'];
    // Every subnet but theirs, for their principals alone: no other account is bound.
    const notTheirs = 'OnlyTheirOwnSubnets';
    expect(atRoot[0].document.Statement.map((s) => s.Sid)).toEqual([
      ...Object.keys(resources).slice(0, 3),
      notTheirs,
      ...byPrincipal,
      ...Object.keys(resources).slice(3),
    ]);
    for (const s of atRoot[0].document.Statement) {
      if (s.Sid === notTheirs) {
        expect([s.Resource, [s.NotResource].flat().sort(), Object.keys(s.Condition ?? {})]).toEqual([
          undefined,
          accounts.map((a) => `arn:*:ec2:*:${a}:*`).sort(),
          ['StringEquals'],
        ]);
        expect([s.Condition?.StringEquals?.['aws:PrincipalAccount']].flat().sort()).toEqual(accounts);
        continue;
      }
      expect([s.Sid, s.NotResource, s.NotAction]).toEqual([s.Sid, undefined, undefined]);
      if (byPrincipal.includes(s.Sid!)) {
        expect([
          s.Sid,
          s.Resource,
          [s.Condition?.StringEquals?.['aws:PrincipalAccount']].flat().sort(),
          Object.keys(s.Condition ?? {}).sort(),
        ]).toEqual([s.Sid, '*', accounts, ['ArnNotLike', 'StringEquals']]);
        continue;
      }
      expect([s.Sid, [s.Resource].flat().sort()]).toEqual([s.Sid, accounts.flatMap(resources[s.Sid!]).sort()]);
    }
  });

  test("an administrator of an account outside the estate, bound by the root's policy too, still changes its own routes and endpoints", async () => {
    const outsider = '246813579024';
    expect(config.environments.map((e) => e.account)).not.toContain(outsider);
    for (const [action, type, id, context] of [
      ...ROUTE_AND_ENDPOINT_CHANGES,
      ['ec2:CreateCustomerGateway', 'customer-gateway', '*', {}] as const,
    ]) {
      const a = await ask({
        scps,
        principal: memberAdmin(outsider),
        action,
        resource: `arn:aws:ec2:eu-west-1:${outsider}:${type}/${id}`,
        resourceAccount: outsider,
        region: 'eu-west-1',
        context: { ...context },
      });
      expect([action, a.decision]).toEqual([action, 'allowed']);
    }
    const lattice = await ask({
      scps,
      principal: memberAdmin(outsider),
      action: 'vpc-lattice:CreateServiceNetworkVpcAssociation',
      resource: `arn:aws:vpc-lattice:eu-west-1:${outsider}:servicenetworkvpcassociation/snva-1`,
      resourceAccount: outsider,
      region: 'eu-west-1',
    });
    expect(lattice.decision).toBe('allowed');
    const saml = await ask({
      scps,
      principal: memberAdmin(outsider),
      action: 'iam:UpdateSAMLProvider',
      resource: `arn:aws:iam::${outsider}:saml-provider/AWSSSO_0a1b2c3d4e5f6a7b_DO_NOT_DELETE`,
      resourceAccount: outsider,
      region: 'eu-west-1',
    });
    expect(saml.decision).toBe('allowed');
  });
});

describe('what IAM authorizes these calls on (the reference snapshot), which the statements rely on', () => {
  test.each([
    ['ec2:CreateRoute', ['route-table']],
    ['ec2:ReplaceRoute', ['route-table']],
    ['ec2:ModifyVpcEndpoint', ['vpc-endpoint']],
    ['ec2:CreateVpcEndpoint', ['vpc', 'vpc-endpoint']],
    ['ec2:AssociateRouteTable', ['route-table']],
    ['ec2:ReplaceRouteTableAssociation', ['route-table']],
    ['ec2:CreateCustomerGateway', ['customer-gateway']],
    ['ec2:RunInstances', ['image', 'instance', 'network-interface', 'security-group', 'subnet']],
    ['ec2:AttachNetworkInterface', ['instance', 'network-interface']],
    ['vpc-lattice:CreateServiceNetworkVpcAssociation', ['ServiceNetwork', 'ServiceNetworkVpcAssociation']],
    ['vpc-lattice:CreateResourceGateway', ['ResourceGateway']],
    ['vpc-lattice:CreateTargetGroup', ['TargetGroup']],
  ])('%s requires %j: a resource in the environment account on every request', (action, required) => {
    const [service, name] = action.split(':');
    const details = actionDetails(service, name)!;
    expect(
      details.resourceTypes
        .filter((r) => r.required)
        .map((r) => r.name)
        .sort(),
    ).toEqual(required);
  });

  test("a route's target is no resource of CreateRoute: denying on the route table is the only way to hold every target", () => {
    const types = actionDetails('ec2', 'CreateRoute')!.resourceTypes.map((r) => r.name);
    expect(types).toEqual(['route-table']);
  });
});

describe('the Organization stack attaches the network and egress policies at the root, the others to the units and accounts', () => {
  const config = configs.get(REPOSITORY_ESTATE.name)!;
  const template = Template.fromStack(new OrganizationStack(new App(), 'Organization', { estate: config }));
  const targets = Object.fromEntries(
    Object.values(template.findResources('AWS::Organizations::Policy')).map((p: any) => [
      p.Properties.Name,
      p.Properties.TargetIds,
    ]),
  );
  const org = config.organization.name;

  test('environment-guardrails and egress-guardrails at the root only', () => {
    expect(targets[`${org}-environment-guardrails`]).toEqual([config.organization.rootId]);
    expect(targets[`${org}-egress-guardrails`]).toEqual([config.organization.rootId]);
  });

  test('the four others at both top OUs and every environment and tooling account, not the root', () => {
    for (const name of ['baseline-guardrails', 'detection-guardrails', 'region-allow-list', 'sagemaker-guardrails']) {
      expect(targets[`${org}-${name}`]).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^SecurityUnit/), 'Id'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^MLWorkloadsUnit/), 'Id'] },
        ...config.environments.map((e) => e.account),
        config.delivery!.account,
      ]);
    }
  });
});

describe("the estate's own deploy: every route-table association and VPC endpoint of every environment template, created and updated by that account's execution role under the synthesized SCPs", () => {
  let model: EstateModel;
  let scps: Scps;
  beforeAll(() => {
    model = new EstateModel(synthesizeEstate());
    scps = model.scps();
  });

  test('the Organization template carries the network policy (so the synthesized SCPs are the ones asked)', () => {
    expect(scps.map((p) => p.name)).toContain(`${model.synth.config.organization.name}-environment-guardrails`);
  });

  test('CreateVpcEndpoint, ModifyVpcEndpoint, AssociateRouteTable (and CreateRoute, for any route a template adds) are allowed to the deploy, denied to an admin', async () => {
    const calls: Array<[string, string, string, string]> = [];
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      for (const [id, r] of Object.entries(t.resources)) {
        const arn = (type: string) => `arn:aws:ec2:${t.region}:${t.account}:${type}/${id}`;
        if (r.Type === 'AWS::EC2::VPCEndpoint') {
          calls.push(
            [t.key, 'ec2:CreateVpcEndpoint', arn('vpc-endpoint'), t.account],
            [t.key, 'ec2:CreateVpcEndpoint', arn('vpc'), t.account],
            [t.key, 'ec2:ModifyVpcEndpoint', arn('vpc-endpoint'), t.account],
          );
        }
        if (r.Type === 'AWS::EC2::SubnetRouteTableAssociation')
          calls.push(
            [t.key, 'ec2:AssociateRouteTable', arn('route-table'), t.account],
            [t.key, 'ec2:ReplaceRouteTableAssociation', arn('route-table'), t.account],
          );
        if (r.Type === 'AWS::EC2::Route')
          calls.push(
            [t.key, 'ec2:CreateRoute', arn('route-table'), t.account],
            [t.key, 'ec2:ReplaceRoute', arn('route-table'), t.account],
          );
      }
    }
    // Every environment has its S3 and DynamoDB gateway endpoints, interface endpoints and subnet associations.
    const envs = model.synth.config.environments;
    const count = (e: string, action: string) =>
      calls.filter(([key, a]) => key.startsWith(`${e}/`) && a === action).length;
    for (const e of envs) {
      expect([
        e.name,
        count(e.name, 'ec2:ModifyVpcEndpoint') >= 2,
        count(e.name, 'ec2:AssociateRouteTable') >= 2,
      ]).toEqual([e.name, true, true]);
    }
    const denied: string[] = [];
    for (const [key, action, resource, account] of calls) {
      const region = resource.split(':')[3];
      const deploy = await ask({
        scps,
        principal: deployOf(account, region),
        action,
        resource,
        resourceAccount: account,
        region,
      });
      if (deploy.decision !== 'allowed')
        denied.push(`${key} ${action} ${resource}: ${deploy.by.map((b) => b.statement).join(', ')}`);
      const admin = await ask({
        scps,
        principal: memberAdmin(account),
        action,
        resource,
        resourceAccount: account,
        region,
      });
      if (admin.decision !== 'denied') denied.push(`admin allowed ${key} ${action} ${resource}`);
    }
    expect(denied).toEqual([]);
    // Removal check on the synthesized policies: without the statement, the admin may.
    const [, action, resource, account] = calls.find(([, a]) => a === 'ec2:ModifyVpcEndpoint')!;
    const region = resource.split(':')[3];
    expect(
      (
        await ask({
          scps: scpsWithout(scps, 'NetworkChangesOnlyByTheDeploy'),
          principal: memberAdmin(account),
          action,
          resource,
          resourceAccount: account,
          region,
        })
      ).decision,
    ).toBe('allowed');
  });
});
