/**
 * No RAM share out of the environment accounts, on every estate the tests know (test/support/estates.ts): an
 * environment account's administrator cannot create a resource share, add resources or principals to one, allow
 * external principals on it, widen its permission or promote a policy-created share; neither can the account's
 * deploy (the estate shares nothing); break-glass may. A shared subnet (VPC sharing) would take another account's
 * instances, whose interfaces are that account's, so NoInstancesInTheNetworks would not bind them, and an account
 * outside the organization is bound by no SCP. Defence in depth: an organization member launching into an estate
 * subnet is denied on the subnet (RunInstances authorizes on it).
 *
 * What IAM authorizes, from the pinned Service Authorization Reference snapshot (asserted below):
 * `ram:CreateResourceShare` names no resource type (a policy must give Resource "*"), so the statement binds the
 * environment accounts' principals (`aws:PrincipalAccount`, a global key present on every request); the other
 * writes authorize on the `resource-share`, which only its owner changes.
 * Each denial has a removal check: without the action the same request is allowed.
 */
import { EstateConfig } from '../../lib/config';
import { scpContext } from '../../lib/stacks/organization-stack';
import { cdkDeploymentRoleArn, serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { actionDetails, globalConditionKey } from '../../policies/validation/service-authorization';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, memberAdmin } from './estate-model';
import { ask, Principal, scpsWith } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const configs = new Map(ESTATES.map((e) => [e.name, e.config()]));

type Scps = Array<{ name: string; policy: any }>;
const scpsOf = (config: EstateConfig): Scps =>
  serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));
const roleWithAdmin = (arn: string, account: string): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});
const deployOf = (account: string, region: string) =>
  roleWithAdmin(cdkDeploymentRoleArn(account, region).replace('arn:*:', 'arn:aws:'), account);
const withoutAction = (scps: Scps, sid: string, action: string) =>
  scpsWith(scps, sid, (s) => ({ ...s, Action: [s.Action].flat().filter((a: string) => a !== action) }));
const withoutResource = (scps: Scps, sid: string, part: string) =>
  scpsWith(scps, sid, (s) => ({ ...s, Resource: [s.Resource].flat().filter((r: string) => !r.includes(part)) }));

const SHARE = 'resource-share/7ab63972-b505-7e2a-420d-6f5d3de0a3a7';
/** [action, resource asked (`*` or the share), request context]: each way a share of the estate's subnets is opened. */
const SHARE_WRITES: Array<[string, 'any' | 'share', Record<string, string | string[]>]> = [
  [
    'ram:CreateResourceShare',
    'any',
    {
      'ram:RequestedResourceType': 'ec2:Subnet',
      'ram:ResourceArn': 'arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-0estate',
    },
  ],
  // A share created empty, or with the admin's own resource, then given the subnet or another principal.
  ['ram:AssociateResourceShare', 'share', { 'ram:RequestedResourceType': 'ec2:Subnet' }],
  // An organization-only share opened to any account.
  ['ram:UpdateResourceShare', 'share', { 'ram:RequestedAllowsExternalPrincipals': 'true' }],
  ['ram:AssociateResourceSharePermission', 'share', {}],
  ['ram:PromoteResourceShareCreatedFromPolicy', 'share', {}],
];

describe.each(ESTATES.map((e) => [e.name]))('%s', (name) => {
  const config = configs.get(name)!;
  const scps = scpsOf(config);
  const breakGlass = (account: string) =>
    roleWithAdmin(`arn:aws:iam::${account}:role/${config.organization.breakGlassRoleName}`, account);

  test.each(SHARE_WRITES)(
    "%s (on %s): denied to every environment's admin and deploy in each of its regions, allowed to break-glass; without the action in NoResourceShares, allowed",
    async (action, on, context) => {
      for (const e of config.environments) {
        for (const region of [e.region, e.auditReplicaRegion]) {
          const resource = on === 'any' ? '*' : `arn:aws:ram:${region}:${e.account}:${SHARE}`;
          const q = { action, resource, resourceAccount: e.account, region, context };
          for (const principal of [memberAdmin(e.account), deployOf(e.account, region)]) {
            const a = await ask({ ...q, scps, principal });
            expect([e.name, region, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
              e.name,
              region,
              principal.arn,
              'denied',
              ['NoResourceShares'],
            ]);
          }
          expect([e.name, region, (await ask({ ...q, scps, principal: breakGlass(e.account) })).decision]).toEqual([
            e.name,
            region,
            'allowed',
          ]);
          expect([
            e.name,
            region,
            (
              await ask({
                ...q,
                scps: withoutAction(scps, 'NoResourceShares', action),
                principal: memberAdmin(e.account),
              })
            ).decision,
          ]).toEqual([e.name, region, 'allowed']);
        }
      }
    },
  );

  test("a role of an environment account named like break-glass with a path, or another account's break-glass, gets no exemption", async () => {
    for (const e of config.environments) {
      const q = {
        action: 'ram:CreateResourceShare',
        resource: '*',
        resourceAccount: e.account,
        region: e.region,
        scps,
      };
      const lookAlikes = [
        `arn:aws:iam::${e.account}:role/team/${config.organization.breakGlassRoleName}`,
        `arn:aws:iam::${e.account}:role/${config.organization.breakGlassRoleName}-2`,
      ];
      for (const arn of lookAlikes)
        expect([arn, (await ask({ ...q, principal: roleWithAdmin(arn, e.account) })).decision]).toEqual([
          arn,
          'denied',
        ]);
    }
  });

  test("an administrator of an account outside the estate, bound by the root's policy too, still shares its own resources", async () => {
    const outsider = '246813579024';
    expect(config.environments.map((e) => e.account)).not.toContain(outsider);
    for (const [action, on, context] of SHARE_WRITES) {
      const resource = on === 'any' ? '*' : `arn:aws:ram:eu-west-1:${outsider}:${SHARE}`;
      const a = await ask({
        scps,
        principal: memberAdmin(outsider),
        action,
        resource,
        resourceAccount: outsider,
        region: 'eu-west-1',
        context,
      });
      expect([action, a.decision]).toEqual([action, 'allowed']);
    }
  });

  test('an instance another member account launches in an environment subnet (were one shared) is denied on the subnet; break-glass of the environment may; without the subnets in NoInstancesInTheNetworks, allowed', async () => {
    const others = ['246813579024', ...(config.delivery ? [config.delivery.account] : [])];
    for (const e of config.environments) {
      const subnet = `arn:aws:ec2:${e.region}:${e.account}:subnet/subnet-0estate`;
      for (const other of others.filter((o) => o !== e.account)) {
        // The share is emulated as the subnet's resource policy, so IAM's cross-account check passes as it does for a
        // shared subnet.
        const shared = {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${other}:root` },
              Action: 'ec2:RunInstances',
              Resource: subnet,
            },
          ],
        };
        const q = {
          action: 'ec2:RunInstances',
          resource: subnet,
          resourceAccount: e.account,
          region: e.region,
          resourcePolicy: shared,
        };
        const a = await ask({ ...q, scps, principal: memberAdmin(other) });
        expect([e.name, other, a.decision, a.by.map((b) => b.statement)]).toEqual([
          e.name,
          other,
          'denied',
          ['NoInstancesInTheNetworks'],
        ]);
        expect([
          e.name,
          other,
          (
            await ask({
              ...q,
              scps: withoutResource(scps, 'NoInstancesInTheNetworks', ':subnet/'),
              principal: memberAdmin(other),
            })
          ).decision,
        ]).toEqual([e.name, other, 'allowed']);
      }
      const own = { action: 'ec2:RunInstances', resource: subnet, resourceAccount: e.account, region: e.region, scps };
      expect([e.name, (await ask({ ...own, principal: breakGlass(e.account) })).decision]).toEqual([e.name, 'allowed']);
    }
  });
});

describe('what IAM authorizes these calls on (the reference snapshot), which the statements rely on', () => {
  test('CreateResourceShare names no resource type, so only a statement on "*" holds it', () => {
    expect(actionDetails('ram', 'CreateResourceShare')!.resourceTypes).toEqual([]);
  });

  test.each([
    'AssociateResourceShare',
    'UpdateResourceShare',
    'AssociateResourceSharePermission',
    'PromoteResourceShareCreatedFromPolicy',
  ])('ram:%s authorizes on the resource-share', (action) => {
    expect(
      actionDetails('ram', action)!
        .resourceTypes.filter((r) => r.required)
        .map((r) => r.name),
    ).toContain('resource-share');
  });

  test('aws:PrincipalAccount is a global condition key', () => {
    expect(globalConditionKey('aws:PrincipalAccount')).toBeDefined();
  });

  test('ec2:RunInstances requires the subnet among its resources', () => {
    expect(
      actionDetails('ec2', 'RunInstances')!
        .resourceTypes.filter((r) => r.required)
        .map((r) => r.name),
    ).toContain('subnet');
  });
});
