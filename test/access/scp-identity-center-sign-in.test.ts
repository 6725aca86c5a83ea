/**
 * Signing in to an environment through IAM Identity Center cannot be
 * re-pointed by the environment's administrator, on every estate the tests
 * know (test/support/estates.ts).
 *
 * Without `organization.identityAccount`, persona and break-glass roles trust
 * Identity Center permission sets only (the config refuses `role:` and `user:`
 * entries then: test/access/trust-config.test.ts), i.e. the roles Identity
 * Center provisions in the environment account itself,
 * `role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<suffix>`.
 * Those roles are changed only by Identity Center ("this role is only
 * modifiable by AWS"), but each trusts, for `sts:AssumeRoleWithSAML`, the
 * account's SAML provider `AWSSSO_<id>_DO_NOT_DELETE`: an ordinary IAM SAML
 * provider a member-account admin may delete (AWS re:Post and Control Tower
 * practitioners document restoring it after an accidental delete) and so
 * create again under the same name, or update, with the metadata of an IdP of
 * the admin's own. A forged assertion would then sign in as any permission
 * set's role, the approver's and break-glass's among them, which their roles
 * trust by name; AssumeRoleWithSAML has no IAM principal an SCP could bind,
 * so the provider is what must hold. Identity Center writes it through its
 * service-linked role AWSServiceRoleForSSO ("to manage AWS resources, including
 * IAM roles, policies, and SAML IdP on your behalf": IAM Identity Center User
 * Guide, "Using service-linked roles for IAM Identity Center"), which SCPs do
 * not bind (Organizations User Guide, "SCP effects on permissions").
 */
import { EstateConfig } from '../../lib/config';
import { scpContext } from '../../lib/stacks/organization-stack';
import { cdkDeploymentRoleArn, serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { expandAction } from '../../policies/validation/service-authorization';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, memberAdmin } from './estate-model';
import { ask, Principal, scpsWith, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const WRITES = ['iam:CreateSAMLProvider', 'iam:UpdateSAMLProvider', 'iam:DeleteSAMLProvider'];
const roleWithAdmin = (arn: string, account: string): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});

describe.each(ESTATES.map((e) => [e.name, e]))('%s', (_name, estate) => {
  const config: EstateConfig = estate.config();
  const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }));
  const provider = (e: { account: string }) =>
    `arn:aws:iam::${e.account}:saml-provider/AWSSSO_0a1b2c3d4e5f6a7b_DO_NOT_DELETE`;

  test.each(WRITES)(
    "%s of Identity Center's SAML provider: denied to every environment's admin and its deploy; break-glass may; without ProtectIdentityCenterSignIn the admin may",
    async (action) => {
      for (const e of config.environments) {
        const q = { action, resource: provider(e), resourceAccount: e.account, region: e.region };
        for (const principal of [
          memberAdmin(e.account),
          roleWithAdmin(cdkDeploymentRoleArn(e.account, e.region).replace('arn:*:', 'arn:aws:'), e.account),
        ]) {
          const a = await ask({ ...q, scps, principal });
          expect([e.name, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
            e.name,
            principal.arn,
            'denied',
            ['ProtectIdentityCenterSignIn'],
          ]);
        }
        const breakGlass = roleWithAdmin(
          `arn:aws:iam::${e.account}:role/${config.organization.breakGlassRoleName}`,
          e.account,
        );
        expect([e.name, (await ask({ ...q, scps, principal: breakGlass })).decision]).toEqual([e.name, 'allowed']);
        expect([
          e.name,
          (
            await ask({
              ...q,
              scps: scpsWithout(scps, 'ProtectIdentityCenterSignIn'),
              principal: memberAdmin(e.account),
            })
          ).decision,
        ]).toEqual([e.name, 'allowed']);
      }
    },
  );

  test.each(WRITES)(
    "%s of the provider named in another case (IAM role names are not distinguished by case; whether provider names are is not documented): denied too; with the statement's old `AWSSSO_*` the admin could",
    async (action) => {
      const old = scpsWith(scps, 'ProtectIdentityCenterSignIn', (x) => ({
        ...x,
        Resource: x.Resource.map((r: string) => r.replace(/saml-provider\/.*$/, 'saml-provider/AWSSSO_*')),
      }));
      for (const e of config.environments) {
        for (const name of ['awssso_0a1b2c3d4e5f6a7b_do_not_delete', 'AwsSso_0A1B2C3D4E5F6A7B_Do_Not_Delete']) {
          const q = {
            action,
            resource: `arn:aws:iam::${e.account}:saml-provider/${name}`,
            resourceAccount: e.account,
            region: e.region,
            principal: memberAdmin(e.account),
          };
          const a = await ask({ ...q, scps });
          expect([e.name, name, a.decision, a.by.map((b) => b.statement)]).toEqual([
            e.name,
            name,
            'denied',
            ['ProtectIdentityCenterSignIn'],
          ]);
          expect([e.name, name, (await ask({ ...q, scps: old })).decision]).toEqual([e.name, name, 'allowed']);
        }
      }
    },
  );

  test("a permission-set role (the approver's, say) is bound like any admin: it cannot re-point the sign-in to itself either", async () => {
    for (const e of config.environments) {
      const approverSet = roleWithAdmin(
        `arn:aws:iam::${e.account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ModelRiskApprover_0123456789abcdef`,
        e.account,
      );
      const a = await ask({
        action: 'iam:UpdateSAMLProvider',
        resource: provider(e),
        resourceAccount: e.account,
        region: e.region,
        scps,
        principal: approverSet,
      });
      expect([e.name, a.decision]).toEqual([e.name, 'denied']);
    }
  });

  test("the admin's own SAML providers, which no estate role trusts, stay the admin's; so do reads of Identity Center's", async () => {
    for (const e of config.environments) {
      for (const action of WRITES) {
        const own = await ask({
          scps,
          principal: memberAdmin(e.account),
          action,
          resource: `arn:aws:iam::${e.account}:saml-provider/CorporateIdP`,
          resourceAccount: e.account,
          region: e.region,
        });
        expect([e.name, action, own.decision]).toEqual([e.name, action, 'allowed']);
      }
      const read = await ask({
        scps,
        principal: memberAdmin(e.account),
        action: 'iam:GetSAMLProvider',
        resource: provider(e),
        resourceAccount: e.account,
        region: e.region,
      });
      expect([e.name, read.decision]).toEqual([e.name, 'allowed']);
    }
  });

  test("the statement's actions are exactly the three writes (no read, no tag), and taking one out opens exactly that one", async () => {
    const s = serviceControlPolicies(scpContext(config))
      .flatMap((p) => p.document.Statement)
      .find((x) => x.Sid === 'ProtectIdentityCenterSignIn')!;
    expect(
      [s.Action]
        .flat()
        .flatMap((a) => expandAction(a!))
        .sort(),
    ).toEqual([...WRITES].sort());
    // Removal of one action opens exactly that action.
    const e = config.environments[0];
    const open = scpsWith(scps, 'ProtectIdentityCenterSignIn', (x) => ({
      ...x,
      Action: x.Action.filter((a: string) => a !== 'iam:DeleteSAMLProvider'),
    }));
    const q = {
      scps: open,
      principal: memberAdmin(e.account),
      resource: provider(e),
      resourceAccount: e.account,
      region: e.region,
    };
    expect((await ask({ ...q, action: 'iam:DeleteSAMLProvider' })).decision).toBe('allowed');
    expect((await ask({ ...q, action: 'iam:UpdateSAMLProvider' })).decision).toBe('denied');
  });
});
