/**
 * Who can become a persona or break-glass, asked as IAM decides an
 * sts:AssumeRole: the caller's identity policy (AdministratorAccess, so only
 * the trust can refuse), the organization's SCPs, and the role's trust policy
 * as deployed (read from the synthesized templates). A principal of the
 * trusted account that the config does not name cannot assume the approver or
 * break-glass, MFA or not; the named one can; with the trust's condition
 * removed (the old trust of the account root) the unnamed one could.
 *
 * Identity Center role ARNs: `role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<permission
 * set>_<16-character suffix>` (IAM Identity Center User Guide, "Referencing permission sets in resource policies"). Run
 * on the example estate (trust in each environment's own account) and on the four-environment estate (an identity
 * account; a role and an IAM user named besides permission sets).
 */
import { personaPrincipals, Persona, PERSONAS } from '../../lib/config/access';
import type { EstateConfig } from '../../lib/config';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { synthesizeEstate } from '../support/estate';
import { FOUR_ENVIRONMENTS, REPOSITORY_ESTATE } from '../support/estates';
import { ADMINISTRATOR_ACCESS, EstateModel, memberAdmin, RoleModel } from './estate-model';
import { ask, Principal } from './simulate';

const ROLE_OF: Record<Persona, [stack: string, path: string]> = {
  dataScientist: ['ModelGovernance', 'Personas/DataScientist/'],
  mlEngineer: ['ModelGovernance', 'Personas/MlEngineer/'],
  modelRiskApprover: ['ModelGovernance', 'Personas/ModelRiskApprover/'],
  auditor: ['ModelGovernance', 'Personas/Auditor/'],
  breakGlass: ['Foundation', 'BreakGlass/Role/'],
};

const SUFFIX = '0123456789abcdef';
const sso = (account: string, permissionSet: string, region: string | undefined = 'eu-west-1', suffix = SUFFIX) =>
  `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/${region ? `${region}/` : ''}AWSReservedSSO_${permissionSet}_${suffix}`;

/** A caller with administrator rights of its own: only the role's trust can refuse it. */
const caller = (arn: string, account: string, mfa: boolean): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
  person: mfa,
});

describe.each([
  ['the example estate', REPOSITORY_ESTATE.config],
  ['the four-environment estate', FOUR_ENVIRONMENTS.config],
])('persona and break-glass trust on %s', (_name, load) => {
  let config: EstateConfig;
  let model: EstateModel;
  let scps: Array<{ name: string; policy: any }>;
  beforeAll(() => {
    config = load();
    model = new EstateModel(synthesizeEstate(config));
    scps = config.organization.managementAccount
      ? serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }))
      : [];
  });

  const roleOf = (env: string, persona: Persona): RoleModel =>
    model.role(`${env}/${ROLE_OF[persona][0]}`, ROLE_OF[persona][1]);
  const assume = async (
    principal: Principal,
    role: RoleModel,
    trust: unknown = role.trust,
    context?: Record<string, string>,
  ) =>
    (
      await ask({
        scps,
        principal,
        action: 'sts:AssumeRole',
        resource: role.arn,
        resourceAccount: role.account,
        region: role.region,
        resourcePolicy: trust,
        context,
      })
    ).decision;

  test('every persona and break-glass role of every environment: each named principal can assume it, and only from the account people sign in from', async () => {
    let asked = 0;
    for (const env of config.environments) {
      for (const persona of PERSONAS) {
        const role = roleOf(env.name, persona);
        const named = personaPrincipals(config, env, persona);
        const callers: Array<[string, Principal, Record<string, string>?]> = [
          ...named.permissionSets.flatMap((ps): Array<[string, Principal]> => [
            [`permission set ${ps} (regional path)`, caller(sso(named.account, ps), named.account, false)],
            [
              `permission set ${ps} (identity source in us-east-1: no region segment)`,
              caller(sso(named.account, ps, undefined), named.account, false),
            ],
          ]),
          ...named.roles.map((r): [string, Principal] => [
            `role ${r}`,
            caller(`arn:aws:iam::${named.account}:role/${r}`, named.account, false),
          ]),
          ...named.users.map((u): [string, Principal, Record<string, string>] => [
            `user ${u} with MFA`,
            caller(`arn:aws:iam::${named.account}:user/${u}`, named.account, true),
            { 'aws:PrincipalType': 'User' },
          ]),
        ];
        expect(callers.length).toBeGreaterThan(0);
        for (const [who, principal, context] of callers) {
          expect([env.name, persona, who, await assume(principal, role, role.trust, context)]).toEqual([
            env.name,
            persona,
            who,
            'allowed',
          ]);
          asked++;
        }
        // The same names in another account are not trusted (the environment's own account when people sign in
        // elsewhere).
        const elsewhere = named.account === env.account ? '999999999990' : env.account;
        for (const ps of named.permissionSets) {
          expect([
            env.name,
            persona,
            elsewhere,
            await assume(caller(sso(elsewhere, ps), elsewhere, true), role),
          ]).toEqual([env.name, persona, elsewhere, 'denied']);
          asked++;
        }
      }
    }
    expect(asked).toBeGreaterThanOrEqual(config.environments.length * PERSONAS.length * 2);
  });

  test.each(['modelRiskApprover', 'breakGlass'] as const)(
    'a principal of the trusted account that is not named cannot assume the %s role, MFA or not; with the trust condition removed an admin could',
    async (persona) => {
      for (const env of config.environments) {
        const role = roleOf(env.name, persona);
        const named = personaPrincipals(config, env, persona);
        const account = named.account;
        const ps = named.permissionSets[0] ?? 'ModelRiskApprover';
        const strangers: Array<[string, Principal, Record<string, string>?]> = [
          ['an administrator (Identity Center AdministratorAccess, MFA)', memberAdmin(account), undefined],
          [
            'an IAM user an admin made, with MFA',
            caller(`arn:aws:iam::${account}:user/mallory`, account, true),
            { 'aws:PrincipalType': 'User' },
          ],
          [
            `a role named like ${ps}'s outside the Identity Center path`,
            caller(`arn:aws:iam::${account}:role/AWSReservedSSO_${ps}_${SUFFIX}`, account, true),
            undefined,
          ],
          [
            `a role named like ${ps}'s under another path`,
            caller(`arn:aws:iam::${account}:role/aws-reserved/other/AWSReservedSSO_${ps}_${SUFFIX}`, account, true),
            undefined,
          ],
          [
            `permission set ${ps}_Admin (the name as a prefix)`,
            caller(sso(account, `${ps}_Admin`), account, true),
            undefined,
          ],
          [`permission set x${ps} (the name as a suffix)`, caller(sso(account, `x${ps}`), account, true), undefined],
          [`${ps} with a longer suffix`, caller(sso(account, ps, 'eu-west-1', `${SUFFIX}0`), account, true), undefined],
          ...config.environments
            .filter((e) => e.name !== env.name)
            .slice(0, 1)
            .map((e): [string, Principal, undefined] => {
              const other = roleOf(e.name, persona);
              return [`the ${persona} role of ${e.name}`, caller(other.arn, other.account, true), undefined];
            }),
          ...named.users.map((u): [string, Principal, Record<string, string>] => [
            `named user ${u} without MFA`,
            caller(`arn:aws:iam::${account}:user/${u}`, account, false),
            { 'aws:PrincipalType': 'User' },
          ]),
        ];
        for (const [who, principal, context] of strangers) {
          expect([env.name, who, await assume(principal, role, role.trust, context)]).toEqual([
            env.name,
            who,
            'denied',
          ]);
        }
        // The control removed: the trust of the account root alone (with MFA, as before) admits the administrator.
        const statements = [role.trust.Statement].flat();
        expect(
          statements.every(
            (s: any) => s.Condition?.ArnLike?.['aws:PrincipalArn'] || s.Condition?.ArnEquals?.['aws:PrincipalArn'],
          ),
        ).toBe(true);
        const rootOnly = {
          ...role.trust,
          Statement: statements.map((s: any) => ({
            ...s,
            Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
          })),
        };
        expect([env.name, await assume(memberAdmin(account), role, rootOnly)]).toEqual([env.name, 'allowed']);
        expect([
          env.name,
          await assume(caller(`arn:aws:iam::${account}:user/mallory`, account, true), role, rootOnly, {
            'aws:PrincipalType': 'User',
          }),
        ]).toEqual([env.name, 'allowed']);
      }
    },
  );

  test('every trust statement names its principals by aws:PrincipalArn: no persona or break-glass role trusts a whole account', () => {
    const personRoles = model.roles.filter((r) =>
      Object.values(ROLE_OF).some(([stack, path]) => r.key.endsWith(`/${stack}`) && r.path.includes(path)),
    );
    expect(personRoles).toHaveLength(config.environments.length * PERSONAS.length);
    for (const role of personRoles) {
      for (const s of [role.trust.Statement].flat()) {
        const arns = [s.Condition?.ArnLike?.['aws:PrincipalArn'] ?? s.Condition?.ArnEquals?.['aws:PrincipalArn']]
          .flat()
          .filter(Boolean);
        expect([role.arn, arns.length > 0]).toEqual([role.arn, true]);
        for (const arn of arns)
          expect([role.arn, arn]).toEqual([
            role.arn,
            expect.stringMatching(/^arn:aws:iam::\d{12}:(role|user)\/[^*]*(\*\/AWSReservedSSO_[\w+=,.@-]+_\?{16})?$/),
          ]);
      }
    }
  });
});
