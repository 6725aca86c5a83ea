/**
 * Security Hub's OCSF (V2) findings are as protected as its ASFF ones.
 *
 * `BatchUpdateFindings and BatchUpdateFindingsV2 both use
 * securityhub:BatchUpdateFindings in the Action element ... restrict access to
 * specific finding fields or field values by using the
 * securityhub:OCSFSyntaxPath/<fieldName> condition key, where <fieldName> is
 * one of ... SeverityId, StatusId, or Comment` (Security Hub API Reference,
 * BatchUpdateFindingsV2). A V2 request carries no ASFF key, so the ASFF
 * statements never apply to it: each field needs its own statement.
 *
 * OCSF status_id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived,
 * 99 Other (OCSF Detection Finding). New, In Progress and Resolved stay open
 * to analysts, as NEW, NOTIFIED and RESOLVED are for ASFF findings.
 *
 * The V2 automation rules (which can rewrite severity and status of every
 * matching finding) and the V2 hub switches are in ProtectDetectiveControls:
 * asked here for every V2 write action of the reference snapshot that can
 * change what a finding says or whether findings are produced.
 */
import { defaultEstateConfig } from '../support/estate';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { actionDetails, expandAction } from '../../policies/validation/service-authorization';
import { memberAdmin } from './estate-model';
import { Answer, ask, Principal, scpsWithout } from './simulate';

const config = defaultEstateConfig();
const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }));
const prod = config.environments.find((e) => e.type === 'prod')!;
const admin = memberAdmin(prod.account);
const breakGlass = memberAdmin(
  prod.account,
  `arn:aws:iam::${prod.account}:role/${config.organization.breakGlassRoleName}`,
);
const execRole = memberAdmin(
  prod.account,
  `arn:aws:iam::${prod.account}:role/cdk-hnb659fds-cfn-exec-role-${prod.account}-${prod.region}`,
);
const hubV2 = `arn:aws:securityhub:${prod.region}:${prod.account}:hubv2/0123456789abcdef`;
const update = (principal: Principal, context: Record<string, string>, policies = scps): Promise<Answer> =>
  ask({
    scps: policies,
    principal,
    action: 'securityhub:BatchUpdateFindings',
    resource: hubV2,
    resourceAccount: prod.account,
    region: prod.region,
    context,
  });
const statements = (a: Answer) => a.by.map((b) => b.statement);
const SEVERITY = 'securityhub:OCSFSyntaxPath/SeverityId';
const STATUS = 'securityhub:OCSFSyntaxPath/StatusId';
const COMMENT = 'securityhub:OCSFSyntaxPath/Comment';

describe('an OCSF finding cannot be lowered (DenyChangingSeverityV2)', () => {
  test.each(['0', '1', '2', '6'])(
    'SeverityId %s: denied to the admin, and to break-glass; allowed without the statement',
    async (severity) => {
      const a = await update(admin, { [SEVERITY]: severity });
      expect([a.decision, statements(a)]).toEqual(['denied', ['DenyChangingSeverityV2']]);
      expect((await update(breakGlass, { [SEVERITY]: severity })).decision).toBe('denied');
      expect(
        (await update(admin, { [SEVERITY]: severity }, scpsWithout(scps, 'DenyChangingSeverityV2'))).decision,
      ).toBe('allowed');
    },
  );

  test('severity hidden among a comment and an In Progress status is still denied', async () => {
    const a = await update(admin, { [SEVERITY]: '1', [COMMENT]: 'triaged', [STATUS]: '2' });
    expect([a.decision, statements(a)]).toEqual(['denied', ['DenyChangingSeverityV2']]);
  });

  test('the ASFF statements alone would let it through (the request carries no ASFF key)', async () => {
    expect((await update(admin, { [SEVERITY]: '1' }, scpsWithout(scps, 'DenyChangingSeverityV2'))).decision).toBe(
      'allowed',
    );
    for (const sid of ['DenyChangingSeverityLabel', 'DenyChangingSeverityNormalized', 'DenySuppressingFindings']) {
      expect(scps.flatMap((p) => [p.policy.Statement].flat()).some((s: any) => s.Sid === sid)).toBe(true);
    }
  });
});

describe('an OCSF finding cannot be suppressed or archived (DenySuppressingFindingsV2)', () => {
  test.each(['3', '5', '6', '99', '0'])(
    'StatusId %s: denied to the admin and break-glass; allowed without the statement',
    async (status) => {
      const a = await update(admin, { [STATUS]: status });
      expect([a.decision, statements(a)]).toEqual(['denied', ['DenySuppressingFindingsV2']]);
      expect((await update(breakGlass, { [STATUS]: status })).decision).toBe('denied');
      expect((await update(admin, { [STATUS]: status }, scpsWithout(scps, 'DenySuppressingFindingsV2'))).decision).toBe(
        'allowed',
      );
    },
  );

  test.each([
    ['New', '1'],
    ['In Progress', '2'],
    ['Resolved', '4'],
  ])('triage stays open: %s (StatusId %s) with a comment', async (_name, status) => {
    expect((await update(admin, { [STATUS]: status, [COMMENT]: 'looked at it' })).decision).toBe('allowed');
  });

  test('a comment alone stays open', async () => {
    expect((await update(admin, { [COMMENT]: 'looked at it' })).decision).toBe('allowed');
  });

  test('the ASFF SUPPRESSED statement does not see an OCSF status', async () => {
    expect((await update(admin, { [STATUS]: '3' }, scpsWithout(scps, 'DenySuppressingFindingsV2'))).decision).toBe(
      'allowed',
    );
  });
});

describe('V2 automation rules and hub switches: only the deployment role and break-glass (ProtectDetectiveControls)', () => {
  // Every V2 write of the snapshot that rewrites findings (automation rules apply severity and status
  // to every match) or stops findings being produced.
  const v2 = expandAction('securityhub:*V2').filter((a) => /:(Create|Update)AutomationRuleV2$|:Disable/.test(a));

  test('the reference snapshot has the V2 actions this asks about', () => {
    expect(v2.sort()).toEqual([
      'securityhub:CreateAutomationRuleV2',
      'securityhub:DisableSecurityHubFeatureV2',
      'securityhub:DisableSecurityHubV2',
      'securityhub:UpdateAutomationRuleV2',
    ]);
  });

  test.each(expandAction('securityhub:*V2').filter((a) => /:(Create|Update)AutomationRuleV2$|:Disable/.test(a)))(
    '%s: denied to the admin by ProtectDetectiveControls; the deployment role and break-glass may; allowed without the statement',
    async (action) => {
      // The resource the reference names for the action, or `*` where it names none.
      const types = actionDetails('securityhub', action.split(':')[1])!.resourceTypes.map((r) => r.name);
      const resource = types.includes('automation-rulev2')
        ? `arn:aws:securityhub:${prod.region}:${prod.account}:automation-rulev2/r1`
        : types.includes('hubv2')
          ? hubV2
          : types.length === 0
            ? '*'
            : `unexpected ${types}`;
      const q = { action, resource, resourceAccount: prod.account, region: prod.region };
      const a = await ask({ scps, principal: admin, ...q });
      expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectDetectiveControls']]);
      expect((await ask({ scps, principal: execRole, ...q })).decision).toBe('allowed');
      expect((await ask({ scps, principal: breakGlass, ...q })).decision).toBe('allowed');
      expect(
        (await ask({ scps: scpsWithout(scps, 'ProtectDetectiveControls'), principal: admin, ...q })).decision,
      ).toBe('allowed');
    },
  );
});
