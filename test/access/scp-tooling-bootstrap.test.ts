/**
 * The tooling account can be re-bootstrapped under the guardrails (a CDK
 * upgrade changes the bootstrap template): `cdk bootstrap` run as the
 * account's OrganizationAccountAccessRole, which AWS Organizations creates
 * trusting the management account only, makes every call the bootstrap
 * template's resources need; nothing else is exempted for it. Environment
 * accounts re-bootstrap as break-glass, which the tooling account does not have.
 *
 * `cdk bootstrap` deploys the CDKToolkit stack with the caller's own
 * credentials (no CloudFormation service role), so CloudFormation's calls are
 * the caller's: asked here as that role, for every resource of the bootstrap
 * template of the pinned aws-cdk (each resource type mapped to the calls its
 * creation and update make; a type the map does not know fails the test).
 */
import * as fs from 'node:fs';
import * as YAML from 'yaml';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies, TOOLING_BOOTSTRAP_ROLE } from '../../policies/scp/service-control-policies';
import { defaultEstateConfig } from '../support/estate';
import { memberAdmin } from './estate-model';
import { ask, Principal, scpsWith, scpsWithout } from './simulate';

const config = defaultEstateConfig();
const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document as any }));
const tooling = config.delivery!.account;
const prod = config.environments.find((e) => e.type === 'prod')!;
const q = 'hnb659fds';
const bootstrapRole = (account: string) =>
  memberAdmin(account, `arn:aws:iam::${account}:role/${TOOLING_BOOTSTRAP_ROLE}`);
const TEMPLATE = YAML.parse(
  fs.readFileSync(require.resolve('aws-cdk/lib/api/bootstrap/bootstrap-template.yaml'), 'utf8'),
);

/** Every region the tooling account is bootstrapped in: the pipeline's home and each stage's and replica's. */
const REGIONS = [
  ...new Set([config.organization.homeRegion, ...config.environments.flatMap((e) => [e.region, e.auditReplicaRegion])]),
];

type Call = { action: string; resource: string };

/** The calls CloudFormation makes, as the caller, to create and update each bootstrap resource. */
function callsOf(id: string, r: any, account: string, region: string): Call[] {
  const sub = (v: any): string => {
    const s = typeof v === 'string' ? v : (v?.['Fn::Sub'] ?? (v?.['Fn::If'] ? sub(v['Fn::If'][2]) : undefined));
    if (typeof s !== 'string') throw new Error(`${id}: cannot read ${JSON.stringify(v)}`);
    return s
      .replace(/\$\{Qualifier\}/g, q)
      .replace(/\$\{AWS::AccountId\}/g, account)
      .replace(/\$\{AWS::Region\}/g, region)
      .replace(/\$\{AWS::Partition\}/g, 'aws');
  };
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const roleOf = (logicalId: string) => roleArn(sub(TEMPLATE.Resources[logicalId].Properties.RoleName));
  const p = r.Properties ?? {};
  switch (r.Type) {
    case 'AWS::IAM::Role':
      return [
        'CreateRole',
        'UpdateAssumeRolePolicy',
        'PutRolePolicy',
        'DeleteRolePolicy',
        'AttachRolePolicy',
        'DetachRolePolicy',
        'UpdateRole',
        'TagRole',
        'UntagRole',
        'PutRolePermissionsBoundary',
        'DeleteRole',
      ].map((a) => ({ action: `iam:${a}`, resource: roleArn(sub(p.RoleName)) }));
    case 'AWS::IAM::Policy':
      return (p.Roles as any[]).flatMap((role) =>
        ['PutRolePolicy', 'DeleteRolePolicy'].map((a) => ({ action: `iam:${a}`, resource: roleOf(role.Ref) })),
      );
    case 'AWS::IAM::ManagedPolicy':
      return ['CreatePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion'].map((a) => ({
        action: `iam:${a}`,
        resource: `arn:aws:iam::${account}:policy/${sub(p.ManagedPolicyName)}`,
      }));
    case 'AWS::S3::Bucket':
      return [
        'CreateBucket',
        'PutEncryptionConfiguration',
        'PutBucketVersioning',
        'PutLifecycleConfiguration',
        'PutBucketPublicAccessBlock',
        'PutBucketTagging',
        'PutBucketOwnershipControls',
      ].map((a) => ({
        action: `s3:${a}`,
        resource: `arn:aws:s3:::${sub(p.BucketName)}`,
      }));
    case 'AWS::S3::BucketPolicy':
      return ['PutBucketPolicy', 'DeleteBucketPolicy'].map((a) => ({
        action: `s3:${a}`,
        resource: `arn:aws:s3:::${sub(TEMPLATE.Resources[p.Bucket.Ref].Properties.BucketName)}`,
      }));
    case 'AWS::ECR::Repository':
      return [
        'CreateRepository',
        'SetRepositoryPolicy',
        'PutLifecyclePolicy',
        'PutImageTagMutability',
        'PutImageScanningConfiguration',
        'TagResource',
      ].map((a) => ({
        action: `ecr:${a}`,
        resource: `arn:aws:ecr:${region}:${account}:repository/${sub(p.RepositoryName)}`,
      }));
    case 'AWS::KMS::Key':
      return [
        { action: 'kms:CreateKey', resource: '*' },
        ...['PutKeyPolicy', 'EnableKeyRotation', 'TagResource'].map((a) => ({
          action: `kms:${a}`,
          resource: `arn:aws:kms:${region}:${account}:key/0b1c2d3e`,
        })),
      ];
    case 'AWS::KMS::Alias':
      return ['CreateAlias', 'UpdateAlias'].map((a) => ({
        action: `kms:${a}`,
        resource: `arn:aws:kms:${region}:${account}:${sub(p.AliasName)}`,
      }));
    case 'AWS::SSM::Parameter':
      return ['PutParameter', 'AddTagsToResource'].map((a) => ({
        action: `ssm:${a}`,
        resource: `arn:aws:ssm:${region}:${account}:parameter${sub(p.Name)}`,
      }));
    default:
      throw new Error(`bootstrap resource ${id} of type ${r.Type}: no calls known for it; add them`);
  }
}

const bootstrapCalls = (account: string, region: string): Call[] => [
  ...['CreateChangeSet', 'ExecuteChangeSet', 'DescribeStacks', 'DeleteChangeSet'].map((a) => ({
    action: `cloudformation:${a}`,
    resource: `arn:aws:cloudformation:${region}:${account}:stack/CDKToolkit/0b1c2d3e`,
  })),
  ...Object.entries<any>(TEMPLATE.Resources).flatMap(([id, r]) => callsOf(id, r, account, region)),
];

/**
 * A KMS key is used under its key policy: the bootstrap key's lets the account's principals manage it (as the template
 * writes it).
 */
const accountKeyPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});
const decide = async (principal: Principal, account: string, region: string, call: Call, policies = scps) =>
  ask({
    scps: policies,
    principal,
    resourceAccount: account,
    region,
    ...call,
    resourcePolicy: call.resource.includes(':key/') ? accountKeyPolicy(account) : undefined,
  });

/** The guardrails as they would be without the tooling bootstrap role's exemption. */
const withoutExemption = () => {
  const drop = (s: any) => ({
    ...s,
    Condition: {
      ...s.Condition,
      ArnNotLike: {
        'aws:PrincipalArn': s.Condition.ArnNotLike['aws:PrincipalArn'].filter(
          (a: string) => !a.endsWith(`:role/${TOOLING_BOOTSTRAP_ROLE}`),
        ),
      },
    },
  });
  return scpsWith(scpsWith(scps, 'ProtectTheDeploymentRoles', drop), 'PublishOnlyThroughTheBootstrap', drop);
};

describe('cdk bootstrap of the tooling account, as its OrganizationAccountAccessRole', () => {
  test.each(REGIONS)('%s: every call the bootstrap template needs is allowed under the SCPs', async (region) => {
    const calls = bootstrapCalls(tooling, region);
    expect(calls.length).toBeGreaterThan(60);
    const denied: string[] = [];
    for (const call of calls) {
      const a = await decide(bootstrapRole(tooling), tooling, region, call);
      if (a.decision !== 'allowed') denied.push(`${call.action} ${call.resource} (${a.by.map((b) => b.statement)})`);
    }
    expect(denied).toEqual([]);
  });

  test('without its exemption the bootstrap is blocked (the roles and the asset bucket and repository), by exactly the two statements that exempt it; so is the tooling admin', async () => {
    const region = config.organization.homeRegion;
    const blocked = new Set<string>();
    for (const call of bootstrapCalls(tooling, region)) {
      const a = await decide(bootstrapRole(tooling), tooling, region, call, withoutExemption());
      if (a.decision === 'denied') {
        for (const b of a.by) blocked.add(b.statement);
        const admin = await decide(memberAdmin(tooling), tooling, region, call);
        expect([call.action, call.resource, admin.decision]).toEqual([call.action, call.resource, 'denied']);
      }
    }
    expect([...blocked].sort()).toEqual(['ProtectTheDeploymentRoles', 'PublishOnlyThroughTheBootstrap']);
  });
});

describe('the exemption cannot be claimed or borrowed', () => {
  const role = `arn:aws:iam::${tooling}:role/${TOOLING_BOOTSTRAP_ROLE}`;
  const home = config.organization.homeRegion;

  test.each([
    'iam:CreateRole',
    'iam:UpdateAssumeRolePolicy',
    'iam:PutRolePolicy',
    'iam:AttachRolePolicy',
    'iam:TagRole',
    'iam:DeleteRole',
  ])(
    "a tooling admin may not %s the bootstrap role (ProtectTheDeploymentRoles); without the statement's naming it the admin could",
    async (action) => {
      const a = await decide(memberAdmin(tooling), tooling, home, { action, resource: role });
      expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectTheDeploymentRoles']]);
      const unnamed = scpsWith(scps, 'ProtectTheDeploymentRoles', (s) => ({
        ...s,
        Resource: s.Resource.filter((r: string) => !r.endsWith(`:role/${TOOLING_BOOTSTRAP_ROLE}`)),
      }));
      expect((await decide(memberAdmin(tooling), tooling, home, { action, resource: role }, unnamed)).decision).toBe(
        'allowed',
      );
    },
  );

  test('a tooling admin cannot assume it: its trust names the management account only', async () => {
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${config.organization.managementAccount}:root` },
          Action: 'sts:AssumeRole',
        },
      ],
    };
    const a = await ask({
      scps,
      principal: memberAdmin(tooling),
      action: 'sts:AssumeRole',
      resource: role,
      resourceAccount: tooling,
      region: home,
      resourcePolicy: trust,
    });
    expect(a.decision).toBe('denied');
  });

  test('a role of that name in an environment account is not exempt: it cannot create or change a bootstrap role there', async () => {
    const a = await decide(bootstrapRole(prod.account), prod.account, prod.region, {
      action: 'iam:UpdateAssumeRolePolicy',
      resource: `arn:aws:iam::${prod.account}:role/cdk-${q}-deploy-role-${prod.account}-${prod.region}`,
    });
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectTheDeploymentRoles']]);
    const put = await decide(bootstrapRole(prod.account), prod.account, prod.region, {
      action: 's3:PutObject',
      resource: `arn:aws:s3:::cdk-${q}-assets-${prod.account}-${prod.region}/asset.zip`,
    });
    expect([put.decision, put.by.map((b) => b.statement)]).toEqual(['denied', ['PublishOnlyThroughTheBootstrap']]);
  });

  test('it is exempt from nothing else: it cannot deploy to an environment, nor change the Delivery stack but through the pipeline', async () => {
    const assume = await decide(bootstrapRole(tooling), prod.account, prod.region, {
      action: 'sts:AssumeRole',
      resource: `arn:aws:iam::${prod.account}:role/cdk-${q}-deploy-role-${prod.account}-${prod.region}`,
    });
    expect([assume.decision, assume.by.map((b) => b.statement)]).toEqual([
      'denied',
      ['BootstrapRolesOnlyFromThePipeline'],
    ]);
    const delivery = await decide(bootstrapRole(tooling), tooling, home, {
      action: 'cloudformation:UpdateStack',
      resource: `arn:aws:cloudformation:${home}:${tooling}:stack/${config.organization.name}-delivery/0b1c`,
    });
    expect([delivery.decision, delivery.by.map((b) => b.statement)]).toEqual([
      'denied',
      ['DeployOnlyThroughTheDeployRole'],
    ]);
    const pass = await decide(bootstrapRole(tooling), tooling, home, {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${tooling}:role/cdk-${q}-cfn-exec-role-${tooling}-${home}`,
    });
    expect(pass.decision).toBe('denied');
  });

  test('without the pipeline there is no tooling account and no such exemption', () => {
    const { delivery: _d, ...noDelivery } = config;
    const policies = serviceControlPolicies(scpContext(noDelivery as typeof config));
    expect(JSON.stringify(policies)).not.toContain(TOOLING_BOOTSTRAP_ROLE);
  });

  test('removing the whole statement still blocks nothing the bootstrap needs that another statement would catch', async () => {
    // The exemption is the only thing between the bootstrap and the two statements: with them removed the bootstrap
    // passes as well.
    const region = config.organization.homeRegion;
    const bare = scpsWithout(withoutExemption(), 'ProtectTheDeploymentRoles', 'PublishOnlyThroughTheBootstrap');
    for (const call of bootstrapCalls(tooling, region))
      expect([call.action, (await decide(bootstrapRole(tooling), tooling, region, call, bare)).decision]).toEqual([
        call.action,
        'allowed',
      ]);
  });
});
