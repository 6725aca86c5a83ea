/**
 * No managed way out of the environment accounts, on every estate the tests know (test/support/estates.ts): an
 * environment account's administrator (an Identity Center AdministratorAccess session, no boundary) cannot create a
 * Lambda function without a VPC (Lambda's own network has the internet), nor create or re-point what reaches the
 * internet or another account with no route of ours: a function URL or permission, an EventBridge API destination or
 * connection, Step Functions' HTTP task, an SNS subscription, an S3 access point, a bucket policy, ACL, ownership
 * setting or replication rule, a Route 53 Resolver endpoint, rule, query-log configuration or DNS Firewall setting, a
 * Route 53 Profile association. The estate's deploy (the CDK bootstrap's CloudFormation execution role of that
 * account) still may, in every allowed region, and break-glass may. Each denial has a removal check: without the
 * action (or the condition) the same request is allowed, so no assertion passes vacuously.
 *
 * The statements bind the environment accounts' principals (`aws:PrincipalAccount`): the policy is attached at the
 * organization's root, and an administrator of any other account is not bound (asked below).
 *
 * What IAM authorizes, from the pinned Service Authorization Reference snapshot (asserted below): `lambda:VpcIds` is a
 * key of CreateFunction and UpdateFunctionConfiguration; the Resolver associations authorize on the associated rule or
 * configuration, which may be another account's (shared through RAM), and Route 53 Profiles' associations and
 * `states:InvokeHTTPEndpoint` on no resource at all: hence by principal.
 */
import { EstateConfig } from '../../lib/config';
import { scpContext } from '../../lib/stacks/organization-stack';
import {
  cdkDeploymentRoleArn,
  RESOLVER_WRITES,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { actionDetails, expandAction } from '../../policies/validation/service-authorization';
import { synthesizeEstate } from '../support/estate';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, EstateModel, memberAdmin } from './estate-model';
import { ask, Principal, scpsWith, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const configs = new Map(ESTATES.map((e) => [e.name, e.config()]));

type Scps = Array<{ name: string; policy: any }>;
const scpsOf = (config: EstateConfig): Scps =>
  serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));
const roleWithAdmin = (arn: string, account: string): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});
const deployOf = (account: string, region: string) =>
  roleWithAdmin(cdkDeploymentRoleArn(account, region).replace('arn:*:', 'arn:aws:'), account);
/** The statement with every action pattern that matches `action` taken out. */
const withoutAction = (scps: Scps, sid: string, action: string) =>
  scpsWith(scps, sid, (s) => ({
    ...s,
    Action: [s.Action].flat().filter((a: string) => !expandAction(a).includes(action)),
  }));

/**
 * Each way out, as IAM authorizes it: [action, resource asked (`{region}`, `{account}` filled in), request context].
 * An outside account is 210987654321.
 */
const EGRESS: Array<[string, string, Record<string, string | string[]>]> = [
  // A public function URL, or an IAM one opened by a permission.
  [
    'lambda:CreateFunctionUrlConfig',
    'arn:aws:lambda:{region}:{account}:function:exporter',
    { 'lambda:FunctionUrlAuthType': 'NONE' },
  ],
  [
    'lambda:UpdateFunctionUrlConfig',
    'arn:aws:lambda:{region}:{account}:function:exporter',
    { 'lambda:FunctionUrlAuthType': 'NONE' },
  ],
  ['lambda:AddPermission', 'arn:aws:lambda:{region}:{account}:function:exporter', { 'lambda:Principal': '*' }],
  [
    'lambda:AddPermission',
    'arn:aws:lambda:{region}:{account}:function:exporter',
    { 'lambda:Principal': '210987654321' },
  ],
  // An API destination (any HTTPS endpoint) and the connection it needs.
  ['events:CreateConnection', 'arn:aws:events:{region}:{account}:connection/out', {}],
  ['events:UpdateConnection', 'arn:aws:events:{region}:{account}:connection/out', {}],
  ['events:CreateApiDestination', 'arn:aws:events:{region}:{account}:api-destination/out', {}],
  ['events:UpdateApiDestination', 'arn:aws:events:{region}:{account}:api-destination/out', {}],
  // Step Functions' HTTP task, authorized as the state machine's role (no resource type in the reference).
  ['states:InvokeHTTPEndpoint', '*', {}],
  // Subscriptions that leave AWS, and one to another account's queue.
  ['sns:Subscribe', 'arn:aws:sns:{region}:{account}:findings', { 'sns:Protocol': 'https' }],
  ['sns:Subscribe', 'arn:aws:sns:{region}:{account}:findings', { 'sns:Protocol': 'email' }],
  ['sns:Subscribe', 'arn:aws:sns:{region}:{account}:findings', { 'sns:Protocol': 'sms' }],
  [
    'sns:Subscribe',
    'arn:aws:sns:{region}:{account}:findings',
    { 'sns:Protocol': 'sqs', 'sns:Endpoint': 'arn:aws:sqs:eu-west-1:210987654321:out' },
  ],
  // Access points open to the internet (the default origin), multi-region ones.
  [
    's3:CreateAccessPoint',
    'arn:aws:s3:{region}:{account}:accesspoint/out',
    { 's3:AccessPointNetworkOrigin': 'Internet' },
  ],
  ['s3:CreateMultiRegionAccessPoint', 'arn:aws:s3::{account}:accesspoint/out', {}],
  // A data bucket opened to, or replicated into, another account.
  ['s3:PutBucketPolicy', 'arn:aws:s3:::inference-capture-{account}-{region}', {}],
  ['s3:PutBucketAcl', 'arn:aws:s3:::inference-capture-{account}-{region}', {}],
  ['s3:PutBucketOwnershipControls', 'arn:aws:s3:::inference-capture-{account}-{region}', {}],
  ['s3:PutReplicationConfiguration', 'arn:aws:s3:::inference-capture-{account}-{region}', {}],
  // The same under other names: a directory bucket's or a table bucket's policy (their own services, not s3:),
  // Batch Operations copying or replicating objects into another account's bucket (batch replication), and a topic
  // policy that lets another account subscribe its own endpoint (that account's Subscribe is bound by no SCP here).
  ['s3express:PutBucketPolicy', 'arn:aws:s3express:{region}:{account}:bucket/capture--euw1-az1--x-s3', {}],
  ['s3tables:PutTableBucketPolicy', 'arn:aws:s3tables:{region}:{account}:bucket/tables', {}],
  ['s3:CreateJob', '*', { 's3:RequestJobOperation': 'S3ReplicateObject' }],
  ['sns:AddPermission', 'arn:aws:sns:{region}:{account}:admins-own', {}],
  // A service's own delivery to another account or out of AWS.
  ['sqs:AddPermission', 'arn:aws:sqs:{region}:{account}:admins-own', {}],
  ['lambda:PutFunctionEventInvokeConfig', 'arn:aws:lambda:{region}:{account}:function:exporter', {}],
  ['lambda:UpdateFunctionEventInvokeConfig', 'arn:aws:lambda:{region}:{account}:function:exporter', {}],
  ['lambda:AddLayerVersionPermission', 'arn:aws:lambda:{region}:{account}:layer:tools:1', {}],
  ['logs:CreateExportTask', 'arn:aws:logs:{region}:{account}:log-group:admins-own', {}],
  ['logs:PutSubscriptionFilter', 'arn:aws:logs:{region}:{account}:log-group:admins-own', {}],
  ['datasync:CreateTask', 'arn:aws:datasync:{region}:{account}:location/loc-0123456789abcdef0', {}],
  ['firehose:CreateDeliveryStream', 'arn:aws:firehose:{region}:{account}:deliverystream/out', {}],
  ['firehose:UpdateDestination', 'arn:aws:firehose:{region}:{account}:deliverystream/out', {}],
  ['transfer:CreateServer', '*', {}],
  ['transfer:UpdateServer', 'arn:aws:transfer:{region}:{account}:server/s-0123456789abcdef0', {}],
  ['ses:SendEmail', 'arn:aws:ses:{region}:{account}:identity/example.com', {}],
  ['ses:SendRawEmail', 'arn:aws:ses:{region}:{account}:identity/example.com', {}],
  ['codebuild:CreateProject', 'arn:aws:codebuild:{region}:{account}:project/out', {}],
  ['codebuild:UpdateProject', 'arn:aws:codebuild:{region}:{account}:project/out', {}],
  ['glue:CreateJob', 'arn:aws:glue:{region}:{account}:job/out', {}],
  ['glue:UpdateJob', 'arn:aws:glue:{region}:{account}:job/out', {}],
  ['glue:CreateSession', 'arn:aws:glue:{region}:{account}:session/out', {}],
  ['glue:CreateDevEndpoint', '*', {}],
  // DNS: an outbound endpoint and a forwarding rule to the admin's resolver, or a rule shared from another account.
  ['route53resolver:CreateResolverEndpoint', 'arn:aws:route53resolver:{region}:{account}:resolver-endpoint/*', {}],
  ['route53resolver:CreateResolverRule', 'arn:aws:route53resolver:{region}:{account}:resolver-rule/*', {}],
  [
    'route53resolver:AssociateResolverRule',
    'arn:aws:route53resolver:{region}:210987654321:resolver-rule/rslvr-rr-shared',
    {},
  ],
  // Query logs delivered to another account's configuration.
  [
    'route53resolver:AssociateResolverQueryLogConfig',
    'arn:aws:route53resolver:{region}:210987654321:resolver-query-log-config/rqlc-shared',
    {},
  ],
  // The DNS Firewall weakened: an allow rule, the domain list emptied, the association removed, fail-open.
  [
    'route53resolver:CreateFirewallRule',
    'arn:aws:route53resolver:{region}:{account}:firewall-rule-group/rslvr-frg-estate',
    {},
  ],
  [
    'route53resolver:UpdateFirewallDomains',
    'arn:aws:route53resolver:{region}:{account}:firewall-domain-list/rslvr-fdl-estate',
    {},
  ],
  [
    'route53resolver:DisassociateFirewallRuleGroup',
    'arn:aws:route53resolver:{region}:{account}:firewall-rule-group-association/rslvr-frgassoc-estate',
    {},
  ],
  [
    'route53resolver:UpdateFirewallConfig',
    'arn:aws:route53resolver:{region}:{account}:firewall-config/rslvr-fc-estate',
    {},
  ],
  ['route53resolver:UpdateResolverConfig', 'arn:aws:route53resolver:{region}:{account}:resolver-config/*', {}],
  // A Route 53 Profile shared from another account, with its forwarding rules.
  ['route53profiles:AssociateProfile', '*', {}],
];

const fill = (pattern: string, account: string, region: string) =>
  pattern.replace('{account}', account).replace('{region}', region);

describe.each(ESTATES.map((e) => [e.name]))('%s', (name) => {
  const config = configs.get(name)!;
  const scps = scpsOf(config);
  const breakGlass = (account: string) =>
    roleWithAdmin(`arn:aws:iam::${account}:role/${config.organization.breakGlassRoleName}`, account);

  test.each(EGRESS)(
    "%s on %s: denied to every environment's admin in each allowed region, allowed to its deploy there and to break-glass; without the action in EgressOnlyByTheDeploy, allowed to the admin",
    async (action, pattern, context) => {
      for (const e of config.environments) {
        for (const region of [e.region, e.auditReplicaRegion]) {
          const q = { action, resource: fill(pattern, e.account, region), resourceAccount: e.account, region, context };
          const admin = await ask({ ...q, scps, principal: memberAdmin(e.account) });
          expect([e.name, region, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
            e.name,
            region,
            'denied',
            ['EgressOnlyByTheDeploy'],
          ]);
          const deploy = await ask({ ...q, scps, principal: deployOf(e.account, region) });
          expect([e.name, region, 'deploy', deploy.decision]).toEqual([e.name, region, 'deploy', 'allowed']);
          const glass = await ask({ ...q, scps, principal: breakGlass(e.account) });
          expect([e.name, region, 'break-glass', glass.decision]).toEqual([e.name, region, 'break-glass', 'allowed']);
          const open = await ask({
            ...q,
            scps: withoutAction(scps, 'EgressOnlyByTheDeploy', action),
            principal: memberAdmin(e.account),
          });
          expect([e.name, region, 'without the action', open.decision]).toEqual([
            e.name,
            region,
            'without the action',
            'allowed',
          ]);
        }
      }
    },
  );

  test.each([['lambda:CreateFunction'], ['lambda:UpdateFunctionConfiguration']])(
    "%s without a VPC (no lambda:VpcIds): denied to every environment's admin in each allowed region, allowed to its deploy and break-glass; with a VPC, allowed to the admin; without the statement, allowed",
    async (action) => {
      for (const e of config.environments) {
        for (const region of [e.region, e.auditReplicaRegion]) {
          const q = {
            action,
            resource: `arn:aws:lambda:${region}:${e.account}:function:exporter`,
            resourceAccount: e.account,
            region,
          };
          const admin = await ask({ ...q, scps, principal: memberAdmin(e.account) });
          expect([e.name, region, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
            e.name,
            region,
            'denied',
            ['FunctionsOnlyInAVpc'],
          ]);
          const inVpc = await ask({
            ...q,
            context: {
              'lambda:VpcIds': 'vpc-0estate',
              'lambda:SubnetIds': ['subnet-0a'],
              'lambda:SecurityGroupIds': ['sg-0a'],
            },
            scps,
            principal: memberAdmin(e.account),
          });
          expect([e.name, region, 'in a VPC', inVpc.decision]).toEqual([e.name, region, 'in a VPC', 'allowed']);
          const deploy = await ask({ ...q, scps, principal: deployOf(e.account, region) });
          expect([e.name, region, 'deploy', deploy.decision]).toEqual([e.name, region, 'deploy', 'allowed']);
          const glass = await ask({ ...q, scps, principal: breakGlass(e.account) });
          expect([e.name, region, 'break-glass', glass.decision]).toEqual([e.name, region, 'break-glass', 'allowed']);
          const gone = await ask({
            ...q,
            scps: scpsWithout(scps, 'FunctionsOnlyInAVpc'),
            principal: memberAdmin(e.account),
          });
          expect([e.name, region, 'without the statement', gone.decision]).toEqual([
            e.name,
            region,
            'without the statement',
            'allowed',
          ]);
        }
      }
    },
  );

  test("the exemption is the deploy of the same account: a role named like another account's execution role, or a look-alike under a path, gets none", async () => {
    for (const e of config.environments) {
      const others = [
        ...new Set([
          ...config.environments.map((o) => o.account),
          ...(config.delivery ? [config.delivery.account] : []),
        ]),
      ].filter((a) => a !== e.account);
      const lookAlikes = [
        ...others.map((o) => `arn:aws:iam::${e.account}:role/cdk-hnb659fds-cfn-exec-role-${o}-${e.region}`),
        `arn:aws:iam::${e.account}:role/team/cdk-hnb659fds-cfn-exec-role-${e.account}-${e.region}`,
        `arn:aws:iam::${e.account}:role/cdk-hnb659fds-deploy-role-${e.account}-${e.region}`,
      ];
      for (const arn of lookAlikes) {
        const a = await ask({
          scps,
          principal: roleWithAdmin(arn, e.account),
          action: 'sns:Subscribe',
          resource: `arn:aws:sns:${e.region}:${e.account}:findings`,
          resourceAccount: e.account,
          region: e.region,
          context: { 'sns:Protocol': 'https' },
        });
        expect([arn, a.decision]).toEqual([arn, 'denied']);
      }
    }
  });

  test('an administrator of an account outside the estate, bound by the root policy too, is not bound by it', async () => {
    const outsider = '246813579024';
    expect(config.environments.map((e) => e.account)).not.toContain(outsider);
    for (const [action, pattern, context] of [
      ...EGRESS,
      ['lambda:CreateFunction', 'arn:aws:lambda:{region}:{account}:function:exporter', {}] as const,
    ]) {
      const a = await ask({
        scps,
        principal: memberAdmin(outsider),
        action,
        resource: fill(pattern, outsider, 'eu-west-1'),
        resourceAccount: outsider,
        region: 'eu-west-1',
        context: { ...context },
      });
      expect([action, a.decision]).toEqual([action, 'allowed']);
    }
  });

  test('the policy is attached at the root, and each of its statements binds exactly the environment accounts, each once', () => {
    const policy = serviceControlPolicies(scpContext(config)).find((p) => p.name === 'egress-guardrails')!;
    expect(policy.attachment).toBe('root');
    const accounts = [...new Set(config.environments.map((e) => e.account))].sort();
    for (const s of policy.document.Statement) {
      expect([s.Sid, s.Resource, s.NotResource, s.NotAction]).toEqual([s.Sid, '*', undefined, undefined]);
      expect([s.Sid, [s.Condition?.StringEquals?.['aws:PrincipalAccount']].flat().sort()]).toEqual([s.Sid, accounts]);
    }
  });
});

describe('what IAM authorizes these calls on, and with which keys (the reference snapshot), which the statements rely on', () => {
  test('lambda:VpcIds is a key of both calls that set a function network', () => {
    for (const name of ['CreateFunction', 'UpdateFunctionConfiguration'])
      expect([name, actionDetails('lambda', name)!.conditionKeys]).toEqual([
        name,
        expect.arrayContaining(['lambda:VpcIds']),
      ]);
  });

  test.each([
    ['route53resolver:AssociateResolverRule', ['resolver-rule']],
    ['route53resolver:AssociateResolverQueryLogConfig', ['resolver-query-log-config']],
    ['route53profiles:AssociateProfile', []],
    ['states:InvokeHTTPEndpoint', []],
  ])(
    "%s authorizes on %j: a resource that may be another account's, or none, so the statement binds by principal",
    (action, required) => {
      const [service, name] = action.split(':');
      expect(
        actionDetails(service, name)!
          .resourceTypes.filter((r) => r.required)
          .map((r) => r.name),
      ).toEqual(required);
    },
  );

  test('the Resolver patterns match every write of Route 53 Resolver and no read, list or tag', () => {
    const all = expandAction('route53resolver:*');
    const writes = RESOLVER_WRITES.flatMap((p) => expandAction(p)).sort();
    expect(writes).toEqual(
      all
        .filter((a) => {
          const d = actionDetails('route53resolver', a.split(':')[1])!;
          return d.accessLevel === 'Write' || d.accessLevel.startsWith('Permissions management');
        })
        .sort(),
    );
    for (const a of [
      'route53resolver:CreateResolverEndpoint',
      'route53resolver:AssociateResolverRule',
      'route53resolver:AssociateResolverQueryLogConfig',
      'route53resolver:UpdateFirewallConfig',
      'route53resolver:UpdateResolverConfig',
      'route53resolver:PutResolverRulePolicy',
      'route53resolver:ImportFirewallDomains',
    ])
      expect(writes).toContain(a);
    expect(writes.filter((a) => /:(Get|List)/.test(a))).toEqual([]);
    expect(expandAction('route53profiles:Associate*').sort()).toEqual([
      'route53profiles:AssociateProfile',
      'route53profiles:AssociateResourceToProfile',
    ]);
  });
});

describe("the estate's own deploy: every function, function permission, subscription and bucket policy of every environment template, created and updated by that account's execution role under the synthesized SCPs", () => {
  let model: EstateModel;
  let scps: Scps;
  beforeAll(() => {
    model = new EstateModel(synthesizeEstate());
    scps = model.scps();
  });

  test('the Organization template carries the egress policy (so the synthesized SCPs are the ones asked)', () => {
    expect(scps.map((p) => p.name)).toContain(`${model.synth.config.organization.name}-egress-guardrails`);
  });

  test('each call is allowed to the deploy; a function without a VPC (CDK provider) is denied to an admin', async () => {
    const calls: Array<{
      key: string;
      action: string;
      resource: string;
      account: string;
      region: string;
      context: Record<string, string>;
    }> = [];
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      for (const [id, r] of Object.entries(t.resources)) {
        const at = { key: `${t.key}/${id}`, account: t.account, region: t.region };
        if (r.Type === 'AWS::Lambda::Function') {
          const context: Record<string, string> = r.Properties?.VpcConfig ? { 'lambda:VpcIds': 'vpc-0estate' } : {};
          const resource = `arn:aws:lambda:${t.region}:${t.account}:function:${id}`;
          calls.push(
            { ...at, action: 'lambda:CreateFunction', resource, context },
            { ...at, action: 'lambda:UpdateFunctionConfiguration', resource, context },
          );
        }
        if (r.Type === 'AWS::Lambda::Permission')
          calls.push({
            ...at,
            action: 'lambda:AddPermission',
            resource: `arn:aws:lambda:${t.region}:${t.account}:function:${id}`,
            context: {},
          });
        if (r.Type === 'AWS::SNS::Subscription')
          calls.push({
            ...at,
            action: 'sns:Subscribe',
            resource: `arn:aws:sns:${t.region}:${t.account}:${id}`,
            context: { 'sns:Protocol': r.Properties.Protocol },
          });
        if (r.Type === 'AWS::S3::BucketPolicy')
          calls.push({
            ...at,
            action: 's3:PutBucketPolicy',
            resource: `arn:aws:s3:::${id.toLowerCase()}`,
            context: {},
          });
        if (r.Type === 'AWS::S3::Bucket' && r.Properties?.ReplicationConfiguration)
          calls.push({
            ...at,
            action: 's3:PutReplicationConfiguration',
            resource: `arn:aws:s3:::${id.toLowerCase()}`,
            context: {},
          });
      }
    }
    // Every environment has functions in its VPC, one without (CDK's default-security-group provider), function
    // permissions and bucket policies; the audit buckets replicate.
    for (const e of model.synth.config.environments) {
      const of = (action: string) => calls.filter((c) => c.key.startsWith(`${e.name}/`) && c.action === action);
      expect([
        e.name,
        of('lambda:CreateFunction').some((c) => c.context['lambda:VpcIds']),
        of('lambda:CreateFunction').some((c) => !c.context['lambda:VpcIds']),
        of('s3:PutBucketPolicy').length > 0,
        of('s3:PutReplicationConfiguration').length > 0,
      ]).toEqual([e.name, true, true, true, true]);
    }
    const problems: string[] = [];
    for (const c of calls) {
      const q = {
        scps,
        action: c.action,
        resource: c.resource,
        resourceAccount: c.account,
        region: c.region,
        context: c.context,
      };
      const deploy = await ask({ ...q, principal: deployOf(c.account, c.region) });
      if (deploy.decision !== 'allowed')
        problems.push(`deploy denied ${c.key} ${c.action}: ${deploy.by.map((b) => b.statement).join(', ')}`);
      const admin = await ask({ ...q, principal: memberAdmin(c.account) });
      const inVpc = c.action.startsWith('lambda:') && c.action !== 'lambda:AddPermission' && c.context['lambda:VpcIds'];
      if (!inVpc && admin.decision !== 'denied') problems.push(`admin allowed ${c.key} ${c.action}`);
    }
    expect(problems).toEqual([]);
    // Removal check on the synthesized policies: without the statement, the admin creates the provider's function.
    const noVpc = calls.find((c) => c.action === 'lambda:CreateFunction' && !c.context['lambda:VpcIds'])!;
    expect(
      (
        await ask({
          scps: scpsWithout(scps, 'FunctionsOnlyInAVpc'),
          principal: memberAdmin(noVpc.account),
          action: noVpc.action,
          resource: noVpc.resource,
          resourceAccount: noVpc.account,
          region: noVpc.region,
        })
      ).decision,
    ).toBe('allowed');
  });

  test("no role of an environment template but break-glass (exempt, a person's) may create or re-configure a function: every function is the deploy's", () => {
    const creators: string[] = [];
    const breakGlass = `:role/${model.synth.config.organization.breakGlassRoleName}`;
    expect(model.roles.filter((r) => r.arn.endsWith(breakGlass)).length).toBeGreaterThan(0);
    for (const role of model.roles.filter((r) => r.key.includes('/') && !r.arn.endsWith(breakGlass))) {
      for (const { policy } of role.identityPolicies) {
        for (const s of [policy.Statement].flat()) {
          if (s.Effect !== 'Allow') continue;
          const actions = [s.Action ?? []].flat() as string[];
          const grants = actions.flatMap((a) => (a === '*' ? ['*'] : expandAction(a)));
          for (const a of ['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration', 'lambda:UpdateFunctionCode'])
            if (grants.includes('*') || grants.includes(a)) creators.push(`${role.key} ${role.logicalId} ${a}`);
        }
      }
    }
    expect(creators).toEqual([]);
  });
});
