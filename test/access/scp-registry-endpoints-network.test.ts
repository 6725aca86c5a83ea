/**
 * What an environment account's administrator (an Identity Center
 * AdministratorAccess session, no boundary) cannot do to the model registry's
 * resource policies, the approver names, the VPC's routes out,
 * inline monitoring jobs and endpoint volume keys; and what the estate's own
 * deployment still may. The organization's SCPs of the example estate plus
 * FullAWSAccess, evaluated with iam-simulate (./simulate.ts). Each guard has a
 * removal check: with the statement (or only the entries that close the gap)
 * taken out, the same request is allowed, so the assertion cannot pass vacuously.
 */
import { scpContext } from '../../lib/stacks/organization-stack';
import { validateEstateConfig } from '../../lib/config/load';
import { approvalGateRoleName, approverRoleName } from '../../lib/delivery/names';
import {
  cdkDeploymentRoleArn,
  INSTANCE_STORAGE_TYPE_PATTERNS,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { configProblems, exampleConfig } from '../support/config-problems';
import { defaultEstateConfig } from '../support/estate';
import { ADMINISTRATOR_ACCESS, memberAdmin } from './estate-model';
import { ask, Principal, scpsWith } from './simulate';

const config = defaultEstateConfig();
const ctx = scpContext(config);
const scps = serviceControlPolicies(ctx).map((p) => ({ name: p.name, policy: p.document }));
const env = (name: string) => config.environments.find((e) => e.name === name)!;
const staging = env('staging');
const prod = env('prod');
const org = config.organization.name;
const model = config.models[0].id;

/** The CloudFormation execution role of the CDK bootstrap: the estate's deploy. */
const deployOf = (account: string, region: string): Principal => ({
  arn: cdkDeploymentRoleArn(account, region).replace('arn:*:', 'arn:aws:'),
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});

/** One statement with some of its actions or resources taken out: the entries that close one gap. */
const withoutEntries = (sid: string, drop: (entry: string) => boolean) =>
  scpsWith(scps, sid, (s) => ({
    ...s,
    ...(Array.isArray(s.Action) ? { Action: s.Action.filter((a: string) => !drop(a)) } : {}),
    ...(Array.isArray(s.Resource) ? { Resource: s.Resource.filter((r: string) => !drop(r)) } : {}),
  }));

describe("the model registry's resource policies are written by the deploy alone", () => {
  const group = `arn:aws:sagemaker:${staging.region}:${staging.account}:model-package-group/${model}`;
  const groupActions = ['sagemaker:PutModelPackageGroupPolicy', 'sagemaker:DeleteModelPackageGroupPolicy'];

  test.each(groupActions)(
    'an environment admin is denied %s on a model package group; the deploy is not',
    async (action) => {
      const admin = await ask({
        principal: memberAdmin(staging.account),
        action,
        resource: group,
        resourceAccount: staging.account,
        region: staging.region,
        scps,
      });
      expect([action, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
        action,
        'denied',
        ['ProtectDetectiveControls'],
      ]);
      const deploy = await ask({
        principal: deployOf(staging.account, staging.region),
        action,
        resource: group,
        resourceAccount: staging.account,
        region: staging.region,
        scps,
      });
      expect(deploy.decision).toBe('allowed');
      // Removal check: without these two actions, the admin writes the policy.
      const open = await ask({
        principal: memberAdmin(staging.account),
        action,
        resource: group,
        resourceAccount: staging.account,
        region: staging.region,
        scps: withoutEntries('ProtectDetectiveControls', (a) => groupActions.includes(a)),
      });
      expect(open.decision).toBe('allowed');
    },
  );

  test("an outsider can be admitted to register an Approved package only if an admin could write the group's policy: the admin cannot", async () => {
    // Cross-account registration into a shared group is documented (SageMaker Developer Guide, "Cross-account
    // discoverability"); no SCP binds a principal outside the organization, so the group's policy is the link to hold.
    const put = await ask({
      principal: memberAdmin(staging.account),
      action: 'sagemaker:PutModelPackageGroupPolicy',
      resource: group,
      resourceAccount: staging.account,
      region: staging.region,
      scps,
    });
    expect(put.decision).toBe('denied');
  });
});

describe('the approver and approval-gate names are reserved for the deploy', () => {
  test("no environment admin can create a role named like an approver or approval gate, even tagged as the estate's; the deploy can", async () => {
    for (const e of config.environments) {
      for (const name of [
        approverRoleName(org, e.name),
        approvalGateRoleName(org, e.name),
        `${org}-${e.name}-approximately-anything`,
      ]) {
        const q = {
          action: 'iam:CreateRole',
          resource: `arn:aws:iam::${e.account}:role/${name}`,
          resourceAccount: e.account,
          region: e.region,
          scps,
          context: { 'aws:RequestTag/estate:organization': org, 'aws:TagKeys': ['estate:organization'] },
        };
        const a = await ask({ ...q, principal: memberAdmin(e.account) });
        expect([name, a.decision]).toEqual([name, 'denied']);
        // The deploy creates the real ones (with the workload boundary RolesCarryTheBoundary asks for).
        const d = await ask({
          ...q,
          principal: deployOf(e.account, e.region),
          context: {
            ...q.context,
            'iam:PermissionsBoundary': `arn:aws:iam::${e.account}:policy/${org}-${e.name}-workload-boundary`,
          },
        });
        expect([name, d.decision]).toEqual([name, 'allowed']);
        // Removal check: without the reserved names, the admin mints the role.
        const open = await ask({
          ...q,
          principal: memberAdmin(e.account),
          scps: withoutEntries('ProtectTheEstate', (r) => r.endsWith('-appro*')),
          context: {
            ...q.context,
            'iam:PermissionsBoundary': `arn:aws:iam::${e.account}:policy/${org}-${e.name}-workload-boundary`,
          },
        });
        expect([name, open.decision]).toEqual([name, 'allowed']);
      }
    }
  });

  test('OnlyApproversApprove exempts exactly the approver and gate of each environment, in its own account, and each name it exempts is reserved', async () => {
    const reserved = new RegExp(`^arn:\\*:iam::\\*:role/${org}-.*-appro.*$`);
    expect(
      serviceControlPolicies(ctx)[0].document.Statement.find((s) => s.Sid === 'ProtectTheEstate')!.Resource,
    ).toContain(`arn:*:iam::*:role/${org}-*-appro*`);
    for (const e of config.environments) {
      for (const name of [approverRoleName(org, e.name), approvalGateRoleName(org, e.name)]) {
        const q = {
          action: 'sagemaker:UpdateModelPackage',
          resource: `arn:aws:sagemaker:${e.region}:${e.account}:model-package/${model}/1`,
          resourceAccount: e.account,
          region: e.region,
          scps,
          context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
        };
        const own = await ask({
          ...q,
          principal: {
            arn: `arn:aws:iam::${e.account}:role/${name}`,
            account: e.account,
            identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
          },
        });
        expect([name, own.decision]).toEqual([name, 'allowed']);
        for (const other of config.environments.filter((o) => o.account !== e.account)) {
          const elsewhere = await ask({
            ...q,
            principal: {
              arn: `arn:aws:iam::${other.account}:role/${name}`,
              account: other.account,
              identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
            },
          });
          expect([name, other.account, elsewhere.decision]).toEqual([name, other.account, 'denied']);
        }
      }
    }
    // Every exempt pattern lies inside the reserved one (with `<org>-<env>-` in place of `<org>-*-`).
    for (const arn of ctx.approverRoleArns) expect(arn.replace(/::\d{12}:/, '::*:')).toMatch(reserved);
  });
});

describe("no VPN or Client VPN route out of the environments' networks", () => {
  const ec2 = (type: string, id: string) => `arn:aws:ec2:${prod.region}:${prod.account}:${type}/${id}`;
  const cases: Array<[string, string]> = [
    ['ec2:AttachVpnGateway', ec2('vpn-gateway', 'vgw-0abc')],
    ['ec2:CreateVpnConnection', ec2('vpn-connection', 'vpn-0abc')],
    ['ec2:EnableVgwRoutePropagation', ec2('route-table', 'rtb-0abc')],
    ['ec2:CreateClientVpnEndpoint', ec2('client-vpn-endpoint', 'cvpn-endpoint-0abc')],
  ];
  test.each(cases)(
    '%s is denied to a prod admin (and to the deploy, which creates none); allowed without the entry',
    async (action, resource) => {
      for (const principal of [memberAdmin(prod.account), deployOf(prod.account, prod.region)]) {
        const a = await ask({ principal, action, resource, resourceAccount: prod.account, region: prod.region, scps });
        expect([action, a.decision, a.by.map((b) => b.statement)]).toEqual([action, 'denied', ['DenyNetworkEscape']]);
      }
      const open = await ask({
        principal: memberAdmin(prod.account),
        action,
        resource,
        resourceAccount: prod.account,
        region: prod.region,
        scps: withoutEntries('DenyNetworkEscape', (a) => a === action),
      });
      expect(open.decision).toBe('allowed');
    },
  );
});

describe('an inline monitoring job is held to network isolation, as a processing job is', () => {
  const keys = `arn:aws:kms:${prod.region}:${prod.account}:key/11111111-2222-3333-4444-555555555555`;
  const inline = {
    'sagemaker:InstanceTypes': ['ml.m5.xlarge'],
    'sagemaker:VpcSubnets': ['subnet-0abc'],
    'sagemaker:VpcSecurityGroupIds': ['sg-0abc'],
    'sagemaker:VolumeKmsKeyArn': keys,
    'sagemaker:OutputKmsKeyArn': keys,
  };
  const q = (action: string, context: Record<string, string | string[]>, s = scps) =>
    ask({
      principal: memberAdmin(prod.account),
      action,
      resource: `arn:aws:sagemaker:${prod.region}:${prod.account}:monitoring-schedule/x`,
      resourceAccount: prod.account,
      region: prod.region,
      scps: s,
      context,
    });

  test.each(['sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule'])(
    '%s: isolation left out or false is denied; true is allowed; a schedule naming a definition is not judged here',
    async (action) => {
      for (const isolation of [undefined, 'false']) {
        const a = await q(action, isolation ? { ...inline, 'sagemaker:NetworkIsolation': isolation } : inline);
        expect([action, isolation, a.decision, a.by.map((b) => b.statement)]).toEqual([
          action,
          isolation,
          'denied',
          ['RequireNetworkIsolationInline'],
        ]);
      }
      expect((await q(action, { ...inline, 'sagemaker:NetworkIsolation': 'true' })).decision).toBe('allowed');
      // The estate's schedules name their job definitions (checked when those were created): no instance type, no keys.
      expect((await q(action, {})).decision).toBe('allowed');
      // Removal check.
      const open = await q(
        action,
        inline,
        scps.map((p) => ({
          ...p,
          policy: {
            ...p.policy,
            Statement: p.policy.Statement.filter((s: any) => s.Sid !== 'RequireNetworkIsolationInline'),
          },
        })),
      );
      expect(open.decision).toBe('allowed');
    },
  );
});

describe('endpoints mixing local-NVMe and EBS instance types deploy; an EBS-only one still needs its key', () => {
  const exec = deployOf(staging.account, staging.region);
  const createConfig = (context: Record<string, string | string[]>, s = scps) =>
    ask({
      principal: exec,
      action: 'sagemaker:CreateEndpointConfig',
      resource: `arn:aws:sagemaker:${staging.region}:${staging.account}:endpoint-config/staging-${model}-config`,
      resourceAccount: staging.account,
      region: staging.region,
      scps: s,
      context,
    });

  test('the config accepts a GPU (local NVMe) champion with an Inferentia shadow, and the deploy may create that endpoint config without a key', async () => {
    expect(configProblems((c) => (c.models[0].endpoints.staging.shadow.instanceType = 'ml.inf2.xlarge'))).toEqual([]);
    // SageMaker refuses a KmsKeyId when any variant has local storage (CreateEndpointConfig API Reference, KmsKeyId).
    const a = await createConfig({ 'sagemaker:InstanceTypes': ['ml.g5.xlarge', 'ml.inf2.xlarge'] });
    expect(a.decision).toBe('allowed');
    // Removal check: the former ForAnyValue condition denied it.
    const former = scpsWith(scps, 'RequireVolumeKey', (s) => ({
      ...s,
      Condition: {
        Null: { 'sagemaker:VolumeKmsKeyArn': 'true' },
        'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': INSTANCE_STORAGE_TYPE_PATTERNS },
      },
    }));
    expect(
      (await createConfig({ 'sagemaker:InstanceTypes': ['ml.g5.xlarge', 'ml.inf2.xlarge'] }, former)).decision,
    ).toBe('denied');
  });

  test('EBS-only types without a key are denied to anyone; with a key, or local-NVMe only, allowed; a request with no type is not judged', async () => {
    for (const types of [['ml.inf2.xlarge'], ['ml.m5.xlarge', 'ml.inf2.xlarge']]) {
      const a = await createConfig({ 'sagemaker:InstanceTypes': types });
      expect([types, a.decision, a.by.map((b) => b.statement)]).toEqual([types, 'denied', ['RequireVolumeKey']]);
      expect(
        (
          await createConfig({
            'sagemaker:InstanceTypes': types,
            'sagemaker:VolumeKmsKeyArn': `arn:aws:kms:${staging.region}:${staging.account}:key/k`,
          })
        ).decision,
      ).toBe('allowed');
    }
    expect((await createConfig({ 'sagemaker:InstanceTypes': ['ml.g5.xlarge', 'ml.p4de.24xlarge'] })).decision).toBe(
      'allowed',
    );
    expect((await createConfig({})).decision).toBe('allowed');
  });
});

describe('a persona or break-glass role or user by name must live in the identity account', () => {
  test.each(['modelRiskApprover', 'breakGlass', 'auditor'] as const)(
    '%s: a role by name without organization.identityAccount is refused; with it, accepted',
    (persona) => {
      const raw = exampleConfig();
      raw.organization.access[persona] = [{ role: 'people/RiskOfficers' }];
      expect(configProblems(() => undefined, raw)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^organization\\.access\\.${persona}\\[0\\]\\.role: names a role of each environment's own account, which that account's admin can create or re-trust`,
          ),
        ),
      ]);
      raw.organization.identityAccount = '888888888888';
      expect(configProblems(() => undefined, raw)).toEqual([]);
      const estate = validateEstateConfig(raw, 'test.yaml');
      expect(estate.organization.identityAccount).toBe('888888888888');
    },
  );
});

describe("prod's endpoints are changed by the deploy alone", () => {
  const endpointActions = [
    'sagemaker:CreateEndpoint',
    'sagemaker:UpdateEndpoint',
    'sagemaker:UpdateEndpointWeightsAndCapacities',
    'sagemaker:DeleteEndpoint',
  ];
  const endpointIn = (e: typeof prod) => `arn:aws:sagemaker:${e.region}:${e.account}:endpoint/${e.name}-${model}`;

  test.each(endpointActions)(
    'a prod admin is denied %s on a prod endpoint (past the approval, the gate and the pipeline); the deploy is not',
    async (action) => {
      const q = { action, resource: endpointIn(prod), resourceAccount: prod.account, region: prod.region, scps };
      const admin = await ask({ ...q, principal: memberAdmin(prod.account) });
      expect([action, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
        action,
        'denied',
        ['ProtectTheEstate'],
      ]);
      const deploy = await ask({ ...q, principal: deployOf(prod.account, prod.region) });
      expect([action, deploy.decision]).toEqual([action, 'allowed']);
      // Removal check: without prod's endpoints among the protected resources, the admin changes one.
      const open = await ask({
        ...q,
        principal: memberAdmin(prod.account),
        scps: withoutEntries('ProtectTheEstate', (r) => r.includes(':endpoint/')),
      });
      expect([action, open.decision]).toEqual([action, 'allowed']);
    },
  );

  test.each(endpointActions)('%s stays open in staging, where ML engineers bake a version', async (action) => {
    if (staging.account === prod.account)
      throw new Error('the example estate keeps staging and prod in separate accounts');
    const admin = await ask({
      principal: memberAdmin(staging.account),
      action,
      resource: endpointIn(staging),
      resourceAccount: staging.account,
      region: staging.region,
      scps,
    });
    expect([action, admin.decision]).toEqual([action, 'allowed']);
  });
});
