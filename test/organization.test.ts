/** Organization guardrails: every service control policy statement, the size limit, and where they are attached. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { compliancePacks } from '../lib/compliance/nag-packs';
import { OrganizationStack, scpContext } from '../lib/stacks/organization-stack';
import {
  GLOBAL_SERVICE_ACTIONS,
  INSTANCE_STORAGE_TYPE_PATTERNS,
  policySize,
  SCP_SIZE_LIMIT,
  serviceControlPolicies,
} from '../policies/scp/service-control-policies';
import { hasInstanceStorage } from '../constructs/aws-facts';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';
import { expandAction } from '../policies/validation/service-authorization';

const estate = defaultEstateConfig();
const policies = serviceControlPolicies(scpContext(estate));
const statement = (policy: string, sid: string) =>
  policies.find((p) => p.name === policy)!.document.Statement.find((s) => s.Sid === sid)!;
/** A statement's actions as the Service Authorization Reference snapshot expands its wildcards. */
const expanded = (s: { Action?: string | string[] }) => [s.Action ?? []].flat().flatMap((a) => expandAction(a));
const breakGlassArns = ['111111111111', '222222222222', '333333333333'].map(
  (a) => `arn:*:iam::${a}:role/estate-break-glass`,
);
// One per account the estate deploys to, any region (README, "Who is exempt").
const deployArns = ['111111111111', '222222222222', '333333333333', estate.delivery!.account].map(
  (a) => `arn:*:iam::${a}:role/cdk-hnb659fds-cfn-exec-role-${a}-*`,
);
const breakGlass = { ArnNotLike: { 'aws:PrincipalArn': breakGlassArns } };
const breakGlassOrDeploy = { ArnNotLike: { 'aws:PrincipalArn': [...breakGlassArns, ...deployArns] } };

describe('service control policies', () => {
  test('four policies for the units and accounts (with FullAWSAccess, the most a target takes) and two for the root, with exactly these statements', () => {
    expect(Object.fromEntries(policies.map((p) => [p.name, p.attachment]))).toEqual({
      'baseline-guardrails': 'units-and-accounts',
      'detection-guardrails': 'units-and-accounts',
      'region-allow-list': 'units-and-accounts',
      'sagemaker-guardrails': 'units-and-accounts',
      'environment-guardrails': 'root',
      'egress-guardrails': 'root',
    });
    expect(Object.fromEntries(policies.map((p) => [p.name, p.document.Statement.map((s) => s.Sid)]))).toEqual({
      'baseline-guardrails': [
        'ProtectKeysAndBoundaries',
        'ProtectTheEstate',
        'ProtectTheDeploymentRoles',
        'DeployOnlyThroughTheDeployRole',
        'RolesCarryTheBoundary',
        'BootstrapRolesOnlyFromThePipeline',
      ],
      'detection-guardrails': [
        'ProtectDetectiveControls',
        'DenySuppressingFindings',
        'DenySuppressingFindingsV2',
        'ProtectEstateAlerting',
        'NoUpdateWithoutAStatus',
        'ProtectThePipeline',
      ],
      'region-allow-list': [
        'DenyLeavingTheOrganization',
        'DenyRootUser',
        'NoBorrowingTrustedRoles',
        'PublishOnlyThroughTheBootstrap',
        'DenyIamUsers',
        'DenyChangingSeverityLabel',
        'DenyChangingSeverityNormalized',
        'DenyChangingSeverityV2',
        'DenyOutsideAllowedRegions',
      ],
      'sagemaker-guardrails': [
        'RequireVpcSubnets',
        'RequireVpcSubnetsInline',
        'RequireVolumeKey',
        'RequireVolumeKeyAlways',
        'RequireOutputKey',
        'RequireOutputKeyInline',
        'RequireNetworkIsolation',
        'RequireNetworkIsolationInline',
        'DenyNotebookInternetAccess',
        'DenyStudioInternetAccess',
        'DenyUnguardableCompute',
        'ComponentsRunModels',
        'OnlyApproversApprove',
        'DenyStudioInternetAccessLater',
      ],
      'environment-guardrails': [
        'DenyNetworkEscape',
        'NetworkChangesOnlyByTheDeploy',
        'NoInstancesInTheNetworks',
        'OnlyTheirOwnSubnets',
        'NoResourceShares',
        'DenyLatticePaths',
        'ProtectIdentityCenterSignIn',
      ],
      'egress-guardrails': ['FunctionsOnlyInAVpc', 'EgressOnlyByTheDeploy'],
    });
    for (const p of policies) for (const s of p.document.Statement) expect(s.Effect).toBe('Deny');
  });

  test.each(policies.map((p) => [p.name, p] as const))('%s fits in the 5,120-character limit', (_name, policy) => {
    expect(policySize(policy)).toBeLessThanOrEqual(SCP_SIZE_LIMIT);
  });

  test('no account may leave the organization, and the root user can do nothing', () => {
    expect(statement('region-allow-list', 'DenyLeavingTheOrganization')).toMatchObject({
      Action: 'organizations:LeaveOrganization',
      Resource: '*',
    });
    expect(statement('region-allow-list', 'DenyRootUser')).toMatchObject({
      Action: '*',
      Condition: { StringLike: { 'aws:PrincipalArn': 'arn:*:iam::*:root' } },
    });
  });

  test("the estate's trails cannot be stopped, deleted or re-pointed but by break-glass or the deployment role, which creates them", () => {
    const s = statement('baseline-guardrails', 'ProtectTheEstate');
    expect(expanded(s)).toEqual(
      expect.arrayContaining([
        'cloudtrail:StopLogging',
        'cloudtrail:DeleteTrail',
        'cloudtrail:UpdateTrail',
        'cloudtrail:PutEventSelectors',
        'cloudtrail:PutInsightSelectors',
      ]),
    );
    expect(s.Resource).toContain('arn:*:cloudtrail:*:*:trail/examplebank-*');
    expect(s.Condition).toEqual(breakGlassOrDeploy);
  });

  test('the deployment exemption names each account exactly (the region suffix alone is a pattern), never any account', () => {
    const exempt = policies
      .flatMap((p) =>
        p.document.Statement.flatMap(
          (st) => [(st.Condition?.ArnNotLike as any)?.['aws:PrincipalArn'] ?? []].flat() as string[],
        ),
      )
      .filter((a) => a.includes('cfn-exec-role'));
    expect(exempt.length).toBeGreaterThan(0);
    for (const arn of exempt) expect(arn).toMatch(/^arn:\*:iam::(\d{12}):role\/cdk-hnb659fds-cfn-exec-role-\1-\*$/);
    expect(JSON.stringify(policies.map((p) => p.document.Statement.map((st) => st.Condition)))).not.toContain(
      'iam::*:role/cdk-hnb659fds-cfn-exec-role',
    );
  });

  test('the break-glass exemption names the environment accounts only: a role of that name elsewhere is not exempt', () => {
    for (const p of policies) {
      for (const s of p.document.Statement) {
        const exempt = [(s.Condition?.ArnNotLike as any)?.['aws:PrincipalArn'] ?? []].flat() as string[];
        for (const arn of exempt)
          expect(arn).toMatch(/^arn:\*:iam::(111111111111|222222222222|333333333333|444444444444):role\//);
      }
    }
    expect(JSON.stringify(policies.map((p) => p.document.Statement.map((s) => s.Condition)))).not.toContain(
      'iam::*:role/estate-break-glass',
    );
  });

  test('detection, alerting, audit buckets, key policies and aliases, the boundary and the break-glass role: changed only by break-glass or the deployment role', () => {
    const detective = statement('detection-guardrails', 'ProtectDetectiveControls');
    expect(detective.Action).toEqual(
      expect.arrayContaining([
        'guardduty:DeleteDetector',
        'guardduty:CreateFilter',
        'guardduty:Create*Set',
        'securityhub:DisableSecurityHub*',
        'config:StopConfigurationRecorder',
        'config:Put*Recorder',
        'config:*DeliveryChannel',
      ]),
    );
    expect(detective.Condition).toEqual(breakGlassOrDeploy);
    expect(statement('detection-guardrails', 'DenySuppressingFindings').Condition).toEqual({
      StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': 'SUPPRESSED' },
      ...breakGlass,
    });
    expect(statement('detection-guardrails', 'ProtectEstateAlerting').Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/estate:organization': 'examplebank' },
      ...breakGlassOrDeploy,
    });
    expect(statement('detection-guardrails', 'ProtectEstateAlerting').Action).toContain('kms:PutKeyPolicy');
    const estate = statement('baseline-guardrails', 'ProtectTheEstate');
    expect(expanded(estate)).toEqual(
      expect.arrayContaining([
        's3:PutBucketPolicy',
        's3:PutReplicationConfiguration',
        's3:DeleteBucket',
        'kms:UpdateAlias',
        'iam:CreatePolicyVersion',
        'iam:UpdateAssumeRolePolicy',
        'iam:TagRole',
      ]),
    );
    expect(estate.Resource).toEqual(
      expect.arrayContaining([
        'arn:*:kms:*:*:alias/examplebank-*',
        'arn:*:iam::*:policy/examplebank-*',
        'arn:*:iam::*:policy/prod-*',
        'arn:*:iam::*:role/estate-break-glass',
        'arn:*:s3:::*-foundation-audit*',
      ]),
    );
    // Key deletion and boundary removal stay break-glass only: the deployment role retains keys and keeps boundaries.
    expect(statement('baseline-guardrails', 'ProtectKeysAndBoundaries')).toMatchObject({
      Action: [
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
        'kms:DisableKeyRotation',
        'iam:DeleteRolePermissionsBoundary',
      ],
      Condition: breakGlass,
    });
  });

  test('only the allowed regions, with global services and the break-glass role exempt', () => {
    const s = statement('region-allow-list', 'DenyOutsideAllowedRegions');
    expect(s.NotAction).toEqual(GLOBAL_SERVICE_ACTIONS);
    expect(s.NotAction).toEqual(expect.arrayContaining(['iam:*', 'sts:*', 'organizations:*', 'support:*']));
    expect(s.NotAction).not.toEqual(expect.arrayContaining(['sagemaker:*', 's3:*', 'kms:*']));
    expect(s.Condition).toEqual({
      StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] },
      ...breakGlass,
    });
    expect(s.NotAction).toEqual(
      expect.arrayContaining([
        's3:ListAllMyBuckets',
        's3:GetAccountPublicAccessBlock',
        'sso:*',
        'cur:*',
        'pricing:*',
        'ec2:DescribeRegions',
      ]),
    );
  });

  test('SageMaker jobs and models need VPC subnets, customer keys and network isolation, with the current keys; omission denies too', () => {
    expect(statement('sagemaker-guardrails', 'RequireVpcSubnets')).toMatchObject({
      Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
    });
    expect(statement('sagemaker-guardrails', 'RequireVpcSubnets').Action).toEqual(
      expect.arrayContaining([
        'sagemaker:CreateTrainingJob',
        'sagemaker:CreateModel',
        'sagemaker:CreateProcessingJob',
        'sagemaker:CreateNotebookInstance',
        'sagemaker:CreateDomain',
      ]),
    );
    expect(statement('sagemaker-guardrails', 'RequireVpcSubnets').Action).not.toContain('sagemaker:CreateTransformJob');
    expect(statement('sagemaker-guardrails', 'RequireVolumeKey').Condition).toEqual({
      Null: { 'sagemaker:VolumeKmsKeyArn': 'true', 'sagemaker:InstanceTypes': 'false' },
      'ForAllValues:StringNotLike': { 'sagemaker:InstanceTypes': INSTANCE_STORAGE_TYPE_PATTERNS },
    });
    expect(statement('sagemaker-guardrails', 'RequireOutputKey')).toMatchObject({
      Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true' } },
    });
    expect(statement('sagemaker-guardrails', 'RequireNetworkIsolation')).toMatchObject({
      Condition: { BoolIfExists: { 'sagemaker:NetworkIsolation': 'false' } },
    });
    expect(statement('sagemaker-guardrails', 'DenyNotebookInternetAccess')).toMatchObject({
      Condition: { StringNotEquals: { 'sagemaker:DirectInternetAccess': 'Disabled' } },
    });
    expect(statement('sagemaker-guardrails', 'DenyStudioInternetAccess')).toMatchObject({
      Condition: { StringNotEquals: { 'sagemaker:AppNetworkAccessType': 'VpcOnly' } },
    });
    expect(JSON.stringify(policies)).not.toMatch(/"sagemaker:(VolumeKmsKey|OutputKmsKey)"/);
  });

  test('routes, route-table associations and VPC endpoints of the environment accounts change only by the deployment role or break-glass; VPNs and gateways by break-glass only', () => {
    const ec2 = ['111111111111', '222222222222', '333333333333'].map((a) => `arn:*:ec2:*:${a}:*`);
    expect(statement('environment-guardrails', 'NetworkChangesOnlyByTheDeploy')).toEqual({
      Sid: 'NetworkChangesOnlyByTheDeploy',
      Effect: 'Deny',
      Action: [
        'ec2:CreateRoute',
        'ec2:ReplaceRoute',
        'ec2:CreateVpcEndpoint',
        'ec2:ModifyVpcEndpoint',
        'ec2:AssociateRouteTable',
        'ec2:ReplaceRouteTableAssociation',
      ],
      Resource: ec2,
      Condition: breakGlassOrDeploy,
    });
    expect(statement('environment-guardrails', 'DenyNetworkEscape')).toMatchObject({
      Resource: ec2,
      Condition: breakGlass,
    });
    expect(statement('environment-guardrails', 'DenyNetworkEscape').Action).toEqual(
      expect.arrayContaining([
        'ec2:AttachInternetGateway',
        'ec2:CreateCustomerGateway',
        'ec2:CreateVpnConnection',
        'ec2:CreateVpcEndpointServiceConfiguration',
      ]),
    );
  });

  test('the volume-key exemption covers exactly the instance-storage families the estate omits the key for', () => {
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.]/g, '\\.'))
          .join('.*')}$`,
      );
    const exempt = (t: string) => INSTANCE_STORAGE_TYPE_PATTERNS.some((p) => glob(p).test(t));
    for (const t of [
      'ml.g4dn.xlarge',
      'ml.g5.2xlarge',
      'ml.g6e.xlarge',
      'ml.p4d.24xlarge',
      'ml.p4de.24xlarge',
      'ml.p5.48xlarge',
      'ml.m5d.large',
      'ml.c5d.xlarge',
      'ml.r5d.large',
      'ml.p3dn.24xlarge',
    ]) {
      expect([t, hasInstanceStorage(t), exempt(t)]).toEqual([t, true, true]);
    }
    for (const t of [
      'ml.m5.xlarge',
      'ml.c5.2xlarge',
      'ml.inf2.xlarge',
      'ml.trn1.32xlarge',
      'ml.p3.2xlarge',
      'ml.t3.medium',
    ]) {
      expect([t, hasInstanceStorage(t), exempt(t)]).toEqual([t, false, false]);
    }
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
    const byName = Object.fromEntries(
      Object.entries(units).map(([id, u]: [string, any]) => [u.Properties.Name, { id, parent: u.Properties.ParentId }]),
    );
    expect(Object.keys(byName).sort()).toEqual(['ML Dev', 'ML Prod', 'ML Staging', 'ML Workloads', 'Security']);
    expect(byName.Security.parent).toBe('r-ex4m');
    expect(byName['ML Workloads'].parent).toBe('r-ex4m');
    for (const name of ['ML Dev', 'ML Staging', 'ML Prod'])
      expect(byName[name].parent).toEqual({ 'Fn::GetAtt': [byName['ML Workloads'].id, 'Id'] });
  });

  test('each policy is attached to both top OUs and to every environment account, but the network and egress policies at the root; all retained', () => {
    const scps = template.findResources('AWS::Organizations::Policy');
    expect(
      Object.values(scps)
        .map((p: any) => p.Properties.Name)
        .sort(),
    ).toEqual([
      'examplebank-baseline-guardrails',
      'examplebank-detection-guardrails',
      'examplebank-egress-guardrails',
      'examplebank-environment-guardrails',
      'examplebank-region-allow-list',
      'examplebank-sagemaker-guardrails',
    ]);
    for (const p of Object.values(scps) as any[]) {
      expect(p.Properties.Type).toBe('SERVICE_CONTROL_POLICY');
      expect(p.DeletionPolicy).toBe('Retain');
      if (['examplebank-environment-guardrails', 'examplebank-egress-guardrails'].includes(p.Properties.Name)) {
        expect(p.Properties.TargetIds).toEqual(['r-ex4m']);
        continue;
      }
      expect(p.Properties.TargetIds).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^SecurityUnit/), 'Id'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^MLWorkloadsUnit/), 'Id'] },
        ...estate.environments.map((e) => e.account),
        estate.delivery!.account,
      ]);
    }
  });

  test('passes every compliance pack', () => {
    for (const pack of compliancePacks())
      expect([pack.name, pack.validateScope(stack).violations]).toEqual([pack.name, []]);
  });
});
