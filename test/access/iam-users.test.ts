/**
 * No account of the estate mints IAM users: people sign in through Identity
 * Center. An IAM user an admin creates, with a password or access key and a
 * virtual MFA device, is a principal of the account that carries
 * `aws:MultiFactorAuthPresent`, which an Identity Center session does not; any
 * role that trusts the account root with MFA would accept it. Asked of the
 * SCPs as the Organization stack builds them.
 */
import { defaultEstateConfig, synthesizeEstate } from '../support/estate';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { EstateModel, memberAdmin } from './estate-model';
import { ask, scpsWithout } from './simulate';

const config = defaultEstateConfig();
const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }));
const accounts = [...config.environments.map((e) => e.account), config.delivery!.account];
const admin = memberAdmin;

describe("no IAM users in the estate's accounts (DenyIamUsers)", () => {
  test.each([
    'iam:CreateUser',
    'iam:CreateLoginProfile',
    'iam:UpdateLoginProfile',
    'iam:CreateAccessKey',
    'iam:EnableMFADevice',
  ])(
    'no admin of any environment or the tooling account may %s, break-glass neither; without the statement an admin could',
    async (action) => {
      for (const account of accounts) {
        const q = {
          action,
          resource: `arn:aws:iam::${account}:user/mallory`,
          resourceAccount: account,
          region: config.organization.homeRegion,
        };
        const a = await ask({ scps, principal: admin(account), ...q });
        expect([account, a.decision, a.by.map((b) => b.statement)]).toEqual([account, 'denied', ['DenyIamUsers']]);
        expect([
          account,
          (await ask({ scps: scpsWithout(scps, 'DenyIamUsers'), principal: admin(account), ...q })).decision,
        ]).toEqual([account, 'allowed']);
      }
      const prod = config.environments.find((e) => e.name === 'prod')!;
      const breakGlass = admin(
        prod.account,
        `arn:aws:iam::${prod.account}:role/${config.organization.breakGlassRoleName}`,
      );
      expect(
        (
          await ask({
            scps,
            principal: breakGlass,
            action,
            resource: `arn:aws:iam::${prod.account}:user/mallory`,
            resourceAccount: prod.account,
            region: prod.region,
          })
        ).decision,
      ).toBe('denied');
    },
  );

  test('the estate deploys no IAM user, login profile or access key (its own deploy is not blocked)', () => {
    const model = new EstateModel(synthesizeEstate());
    const found = model.templates.flatMap((t) =>
      Object.entries(t.resources)
        .filter(([, r]) => /^AWS::IAM::(User|AccessKey|UserToGroupAddition)$/.test(r.Type))
        .map(([id]) => `${t.key} ${id}`),
    );
    expect(model.templates.length).toBeGreaterThan(10);
    expect(found).toEqual([]);
  });
});
