/** Organization guardrails: every service control policy statement, the size limit, and where they are attached. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrganizationStack } from '../lib/stacks/organization-stack';
import { compliancePacks } from '../lib/compliance/nag-packs';
import { GLOBAL_SERVICE_ACTIONS, policySize, SCP_SIZE_LIMIT, serviceControlPolicies } from '../policies/scp/service-control-policies';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';

const estate = defaultEstateConfig();
const policies = serviceControlPolicies({ organization: 'examplebank', allowedRegions: ['eu-west-1', 'eu-central-1'], breakGlassRoleName: 'estate-break-glass' });
const statement = (policy: string, sid: string) => policies.find((p) => p.name === policy)!.document.Statement.find((s) => s.Sid === sid)!;
const breakGlass = { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/estate-break-glass' } };

describe('service control policies', () => {
  test('three policies with exactly these statements', () => {
    expect(Object.fromEntries(policies.map((p) => [p.name, p.document.Statement.map((s) => s.Sid)]))).toEqual({
      'baseline-guardrails': ['DenyLeavingTheOrganization', 'DenyRootUser', 'ProtectTheAuditTrail', 'ProtectDetectiveControls', 'ProtectCustomerKeys'],
      'region-allow-list': ['DenyOutsideAllowedRegions'],
      'sagemaker-guardrails': ['RequireVpcSubnets', 'RequireVolumeKey', 'RequireOutputKey', 'RequireNetworkIsolation', 'DenyNotebookInternetAccess', 'DenyStudioInternetAccess'],
    });
    for (const p of policies) for (const s of p.document.Statement) expect(s.Effect).toBe('Deny');
  });

  test.each(policies.map((p) => [p.name, p] as const))('%s fits in the 5,120-character limit', (_name, policy) => {
    expect(policySize(policy)).toBeLessThanOrEqual(SCP_SIZE_LIMIT);
  });

  test('no account may leave the organization, and the root user can do nothing', () => {
    expect(statement('baseline-guardrails', 'DenyLeavingTheOrganization')).toMatchObject({ Action: 'organizations:LeaveOrganization', Resource: '*' });
    expect(statement('baseline-guardrails', 'DenyRootUser')).toMatchObject({ Action: '*', Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } } });
  });

  test("the estate's trails cannot be stopped, deleted or re-pointed but by the break-glass role", () => {
    expect(statement('baseline-guardrails', 'ProtectTheAuditTrail')).toEqual({
      Sid: 'ProtectTheAuditTrail',
      Effect: 'Deny',
      Action: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors', 'cloudtrail:PutInsightSelectors'],
      Resource: 'arn:aws:cloudtrail:*:*:trail/examplebank-*',
      Condition: breakGlass,
    });
  });

  test('GuardDuty, Security Hub and Config cannot be switched off, and keys cannot be deleted or disabled', () => {
    const detective = statement('baseline-guardrails', 'ProtectDetectiveControls');
    expect(detective.Action).toEqual(expect.arrayContaining(['guardduty:DeleteDetector', 'securityhub:DisableSecurityHub', 'config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder']));
    expect(detective.Condition).toEqual(breakGlass);
    expect(statement('baseline-guardrails', 'ProtectCustomerKeys')).toMatchObject({ Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation'], Condition: breakGlass });
  });

  test('only the allowed regions, with global services and the break-glass role exempt', () => {
    const s = statement('region-allow-list', 'DenyOutsideAllowedRegions');
    expect(s.NotAction).toEqual(GLOBAL_SERVICE_ACTIONS);
    expect(s.NotAction).toEqual(expect.arrayContaining(['iam:*', 'sts:*', 'organizations:*', 'support:*']));
    expect(s.NotAction).not.toEqual(expect.arrayContaining(['sagemaker:*', 's3:*', 'kms:*']));
    expect(s.Condition).toEqual({ StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] }, ...breakGlass });
  });

  test('SageMaker jobs and models need VPC subnets, customer keys and network isolation; no internet from notebooks or Studio', () => {
    expect(statement('sagemaker-guardrails', 'RequireVpcSubnets')).toMatchObject({ Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } });
    expect(statement('sagemaker-guardrails', 'RequireVpcSubnets').Action).toEqual(expect.arrayContaining(['sagemaker:CreateTrainingJob', 'sagemaker:CreateModel', 'sagemaker:CreateProcessingJob']));
    expect(statement('sagemaker-guardrails', 'RequireVolumeKey')).toMatchObject({ Condition: { Null: { 'sagemaker:VolumeKmsKey': 'true' } } });
    expect(statement('sagemaker-guardrails', 'RequireVolumeKey').Action).not.toContain('sagemaker:CreateModel');
    expect(statement('sagemaker-guardrails', 'RequireOutputKey')).toMatchObject({ Condition: { Null: { 'sagemaker:OutputKmsKey': 'true' } } });
    expect(statement('sagemaker-guardrails', 'RequireNetworkIsolation')).toMatchObject({ Condition: { Bool: { 'sagemaker:NetworkIsolation': 'false' } } });
    expect(statement('sagemaker-guardrails', 'DenyNotebookInternetAccess')).toMatchObject({ Condition: { StringEquals: { 'sagemaker:DirectInternetAccess': 'Enabled' } } });
    expect(statement('sagemaker-guardrails', 'DenyStudioInternetAccess')).toMatchObject({ Condition: { StringEquals: { 'sagemaker:AppNetworkAccessType': 'PublicInternetOnly' } } });
  });
});

describe('the organization stack', () => {
  const app = new App({ context: cdkJsonContext() });
  const stack = new OrganizationStack(app, 'Organization', { estate });
  const template = Template.fromStack(stack);

  test('lives in the management account and home region, with termination protection', () => {
    expect([stack.account, stack.region, stack.terminationProtection]).toEqual(['999999999999', 'eu-west-1', true]);
  });

  test('has a Security OU and an ML Workloads OU under the root, with one OU per environment type beneath it', () => {
    const units = template.findResources('AWS::Organizations::OrganizationalUnit');
    const byName = Object.fromEntries(Object.entries(units).map(([id, u]: [string, any]) => [u.Properties.Name, { id, parent: u.Properties.ParentId }]));
    expect(Object.keys(byName).sort()).toEqual(['ML Dev', 'ML Prod', 'ML Staging', 'ML Workloads', 'Security']);
    expect(byName.Security.parent).toBe('r-ex4m');
    expect(byName['ML Workloads'].parent).toBe('r-ex4m');
    for (const name of ['ML Dev', 'ML Staging', 'ML Prod']) expect(byName[name].parent).toEqual({ 'Fn::GetAtt': [byName['ML Workloads'].id, 'Id'] });
  });

  test('each policy is attached to both top OUs and to every environment account, and retained', () => {
    const scps = template.findResources('AWS::Organizations::Policy');
    expect(Object.values(scps).map((p: any) => p.Properties.Name).sort()).toEqual([
      'examplebank-baseline-guardrails',
      'examplebank-region-allow-list',
      'examplebank-sagemaker-guardrails',
    ]);
    for (const p of Object.values(scps) as any[]) {
      expect(p.Properties.Type).toBe('SERVICE_CONTROL_POLICY');
      expect(p.DeletionPolicy).toBe('Retain');
      expect(p.Properties.TargetIds).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^SecurityUnit/), 'Id'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^MLWorkloadsUnit/), 'Id'] },
        ...estate.environments.map((e) => e.account),
        estate.delivery!.account,
      ]);
    }
  });

  test('passes every compliance pack', () => {
    for (const pack of compliancePacks()) expect([pack.name, pack.validateScope(stack).violations]).toEqual([pack.name, []]);
  });
});
