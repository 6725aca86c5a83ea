/**
 * Every role created in an environment account carries the workload boundary
 * (`<org>-<env>-workload-boundary`), and keeps it (RolesCarryTheBoundary,
 * with ProtectKeysAndBoundaries for its removal): an admin's role without it,
 * or under a policy the admin wrote, would be a way around the ceiling the
 * estate's roles live under. The estate's own deploy still creates every role
 * of every environment template, each of which names its boundary.
 *
 * `iam:PermissionsBoundary` is listed for iam:CreateRole and
 * iam:PutRolePermissionsBoundary in the Service Authorization Reference
 * snapshot (type ARN); a request without a boundary has no such key, and the
 * negated operator then matches (IAM User Guide, "Condition operators":
 * negated operators match when the key is absent), so leaving the boundary out
 * is denied.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, memberAdmin, TemplateInfo } from './estate-model';
import { ask, Principal, scpsWith, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;
let org: string;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
  org = model.synth.config.organization.name;
});

const environments = () => model.synth.config.environments;
const env = (name: string) => environments().find((e) => e.name === name)!;
const boundaryArn = (account: string, envName: string) =>
  `arn:aws:iam::${account}:policy/${org}-${envName}-workload-boundary`;
const execRole = (account: string, region: string) =>
  memberAdmin(account, `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`);
const breakGlass = (account: string) =>
  memberAdmin(account, `arn:aws:iam::${account}:role/${model.synth.config.organization.breakGlassRoleName}`);
const create = (
  principal: Principal,
  account: string,
  region: string,
  role: string,
  boundary?: string,
  policies = scps,
) =>
  ask({
    scps: policies,
    principal,
    action: 'iam:CreateRole',
    resource: `arn:aws:iam::${account}:role/${role}`,
    resourceAccount: account,
    region,
    context: boundary ? { 'iam:PermissionsBoundary': boundary } : {},
  });

/** Every role of every environment template, with the boundary ARN its template names. */
function templateRoles() {
  const out: Array<{ t: TemplateInfo; id: string; name: string; path: string; boundary?: string }> = [];
  for (const t of model.templates.filter((x) => x.key.includes('/'))) {
    for (const [id, r] of Object.entries(t.resources).filter(([, x]) => x.Type === 'AWS::IAM::Role')) {
      const p = r.Properties ?? {};
      out.push({
        t,
        id,
        name: String(model.resolve(t, p.RoleName) ?? id),
        path: String(p.Path ?? '/'),
        boundary: p.PermissionsBoundary ? String(model.resolve(t, p.PermissionsBoundary)) : undefined,
      });
    }
  }
  return out;
}

describe("the estate's own roles", () => {
  test('every role of every environment template names a boundary: the workload boundary of its environment, or (the break-glass role) its own', () => {
    const roles = templateRoles();
    expect(roles.length).toBeGreaterThan(30);
    const breakGlassName = model.synth.config.organization.breakGlassRoleName;
    for (const r of roles) {
      const envName = r.t.key.split('/')[0];
      const expected =
        r.name === breakGlassName ? expect.stringMatching(/BreakGlassBoundary/) : boundaryArn(r.t.account, envName);
      expect([r.t.key, r.id, r.boundary]).toEqual([r.t.key, r.id, expected]);
    }
  });

  test('the deploy (the execution role of each account) creates every one of them under the SCPs, its boundary in the request', async () => {
    for (const r of templateRoles()) {
      const a = await create(
        execRole(r.t.account, r.t.region),
        r.t.account,
        r.t.region,
        `${r.path.replace(/^\//, '')}${r.name}`,
        r.boundary,
      );
      expect([r.t.key, r.id, a.decision]).toEqual([r.t.key, r.id, 'allowed']);
    }
  });

  test('no principal is exempt: the execution role too is denied a role without the boundary; the break-glass role (its own boundary) is outside the statement by name, and only the deploy and break-glass can create that name (ProtectTheEstate)', async () => {
    const { account, region } = env('prod');
    const a = await create(execRole(account, region), account, region, 'no-boundary');
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['RolesCarryTheBoundary']]);
    const bg = model.synth.config.organization.breakGlassRoleName;
    const mine = await create(memberAdmin(account), account, region, bg, `arn:aws:iam::${account}:policy/anything`);
    expect([mine.decision, mine.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectTheEstate']]);
    // Without the name's exclusion the deploy could not create the break-glass role.
    const withoutExclusion = scpsWith(scps, 'RolesCarryTheBoundary', (s) => ({
      ...s,
      NotResource: s.NotResource.filter((r: string) => !r.endsWith(`/${bg}`)),
    }));
    const [breakGlassRole] = templateRoles().filter((r) => r.name === bg && r.t.account === account);
    expect(
      (await create(execRole(account, region), account, region, bg, breakGlassRole.boundary, withoutExclusion))
        .decision,
    ).toBe('denied');
  });
});

describe("an admin's roles in an environment account", () => {
  test.each(['dev', 'staging', 'prod'])(
    '%s: a role without a boundary is denied by RolesCarryTheBoundary; allowed without the statement',
    async (name) => {
      const { account, region } = env(name);
      const a = await create(memberAdmin(account), account, region, 'my-own-role');
      expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['RolesCarryTheBoundary']]);
      expect(
        (
          await create(
            memberAdmin(account),
            account,
            region,
            'my-own-role',
            undefined,
            scpsWithout(scps, 'RolesCarryTheBoundary'),
          )
        ).decision,
      ).toBe('allowed');
    },
  );

  test.each(['dev', 'staging', 'prod'])(
    "%s: a role under the environment's workload boundary is allowed",
    async (name) => {
      const { account, region } = env(name);
      expect(
        (await create(memberAdmin(account), account, region, 'my-own-role', boundaryArn(account, name))).decision,
      ).toBe('allowed');
    },
  );

  test('a boundary of the admin\'s own (any other policy) is denied; so is AWS\'s AdministratorAccess as a "boundary"', async () => {
    const { account, region } = env('prod');
    for (const boundary of [
      `arn:aws:iam::${account}:policy/my-boundary`,
      'arn:aws:iam::aws:policy/AdministratorAccess',
      `arn:aws:iam::${account}:policy/prod-Foundation-BreakGlassBoundary1234-ABCD`,
    ]) {
      const a = await create(memberAdmin(account), account, region, 'my-own-role', boundary);
      expect([boundary, a.decision, a.by.map((b) => b.statement)]).toEqual([
        boundary,
        'denied',
        ['RolesCarryTheBoundary'],
      ]);
    }
  });

  test('a look-alike boundary cannot be minted: CreatePolicy under the estate name is denied (ProtectTheEstate); without iam:CreatePolicy there it is allowed', async () => {
    const { account, region } = env('prod');
    const q = {
      action: 'iam:CreatePolicy',
      resource: `arn:aws:iam::${account}:policy/${org}-mine-workload-boundary`,
      resourceAccount: account,
      region,
    };
    const a = await ask({ scps, principal: memberAdmin(account), ...q });
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectTheEstate']]);
    const withoutCreate = scpsWith(scps, 'ProtectTheEstate', (s) => ({
      ...s,
      Action: s.Action.map((x: string) => (x === 'iam:*tePolicy*' ? 'iam:DeletePolicy' : x)),
    }));
    expect((await ask({ scps: withoutCreate, principal: memberAdmin(account), ...q })).decision).toBe('allowed');
    // The deploy creates the estate's policies.
    expect((await ask({ scps, principal: execRole(account, region), ...q })).decision).toBe('allowed');
  });

  test('the boundary cannot be replaced by another (PutRolePermissionsBoundary) or removed (DeleteRolePermissionsBoundary)', async () => {
    const { account, region } = env('prod');
    const role = { resource: `arn:aws:iam::${account}:role/my-own-role`, resourceAccount: account, region };
    const put = (boundary: string, policies = scps) =>
      ask({
        scps: policies,
        principal: memberAdmin(account),
        action: 'iam:PutRolePermissionsBoundary',
        ...role,
        context: { 'iam:PermissionsBoundary': boundary },
      });
    const other = await put(`arn:aws:iam::${account}:policy/my-boundary`);
    expect([other.decision, other.by.map((b) => b.statement)]).toEqual(['denied', ['RolesCarryTheBoundary']]);
    expect(
      (await put(`arn:aws:iam::${account}:policy/my-boundary`, scpsWithout(scps, 'RolesCarryTheBoundary'))).decision,
    ).toBe('allowed');
    expect((await put(boundaryArn(account, 'prod'))).decision).toBe('allowed');
    const removed = await ask({
      scps,
      principal: memberAdmin(account),
      action: 'iam:DeleteRolePermissionsBoundary',
      ...role,
      context: { 'iam:PermissionsBoundary': boundaryArn(account, 'prod') },
    });
    expect([removed.decision, removed.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectKeysAndBoundaries']]);
  });

  test('break-glass too creates roles under the boundary, but for the bootstrap roles a re-bootstrap creates as the CDK defines them', async () => {
    const { account, region } = env('prod');
    expect((await create(breakGlass(account), account, region, 'emergency-role')).decision).toBe('denied');
    expect(
      (await create(breakGlass(account), account, region, 'emergency-role', boundaryArn(account, 'prod'))).decision,
    ).toBe('allowed');
    expect(
      (await create(breakGlass(account), account, region, `cdk-hnb659fds-cfn-exec-role-${account}-${region}`)).decision,
    ).toBe('allowed');
    // An admin still cannot create a bootstrap role (ProtectTheDeploymentRoles), with or without a boundary.
    expect(
      (
        await create(
          memberAdmin(account),
          account,
          region,
          `cdk-hnb659fds-cfn-exec-role-${account}-x`,
          boundaryArn(account, 'prod'),
        )
      ).decision,
    ).toBe('denied');
  });

  test('the tooling account is not bound (its pipeline roles carry no workload boundary)', async () => {
    const tooling = model.synth.config.delivery!.account;
    expect(
      (await create(memberAdmin(tooling), tooling, model.synth.config.organization.homeRegion, 'build-helper'))
        .decision,
    ).toBe('allowed');
  });
});
