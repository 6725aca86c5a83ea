/**
 * The audit and alert chain, attacked by an environment admin (any member-account
 * principal with AdministratorAccess and no boundary, e.g. an Identity Center
 * permission-set role), against the SCPs the Organization stack synthesizes and
 * the resources (ARNs, tags, key policies) the environment templates deploy.
 * Each protection is shown to decide: with it removed the same call is allowed.
 */
import { synthesizeEstate } from '../support/estate';
import { ADMINISTRATOR_ACCESS, EstateModel } from './estate-model';
import { Answer, ask, Principal, scpsWith, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const FOUNDATION = 'prod/Foundation';
const prod = () => model.synth.config.environments.find((e) => e.name === 'prod')!;
const admin = (): Principal => {
  const { account } = prod();
  return {
    arn: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
    account,
    identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    person: true,
  };
};

/** A resource of prod's Foundation stack as deployed: ARN, tags and (for keys) key policy. */
const resource = (type: string, fragment: string) => {
  const t = model.template(FOUNDATION);
  const id = model.resourceId(FOUNDATION, type, fragment);
  const r = t.resources[id];
  const { account, region } = prod();
  const arn = {
    'AWS::KMS::Key': `arn:aws:kms:${region}:${account}:key/${id}`,
    'AWS::Events::Rule': `arn:aws:events:${region}:${account}:rule/${id}`,
    'AWS::SNS::Topic': `arn:aws:sns:${region}:${account}:${id}`,
    'AWS::SQS::Queue': `arn:aws:sqs:${region}:${account}:${id}`,
    'AWS::CloudWatch::Alarm': `arn:aws:cloudwatch:${region}:${account}:alarm:${id}`,
    'AWS::Logs::LogGroup': `arn:aws:logs:${region}:${account}:log-group:${id}`,
    'AWS::IAM::Role': model.roleArn(t, id),
    'AWS::IAM::ManagedPolicy': `arn:aws:iam::${account}:policy/prod-Foundation-${id}-1A2B3C4D5E6F`,
  }[type]!;
  return {
    arn,
    tags: model.tagsOf(FOUNDATION, id),
    keyPolicy: type === 'AWS::KMS::Key' ? model.resolve(t, r.Properties!.KeyPolicy) : undefined,
  };
};

const asAdmin = (
  action: string,
  target: ReturnType<typeof resource>,
  extra: { context?: Record<string, string | string[]>; tags?: Record<string, string>; policies?: typeof scps } = {},
): Promise<Answer> => {
  const { account, region } = prod();
  return ask({
    scps: extra.policies ?? scps,
    principal: admin(),
    action,
    resource: target.arn,
    resourceAccount: account,
    region,
    resourceTags: extra.tags ?? target.tags,
    resourcePolicy: target.keyPolicy,
    context: extra.context,
  });
};

/** ProtectEstateAlerting as it was: the alerting actions only, no tag calls. */
const withoutTagCalls = () =>
  scpsWith(scps, 'ProtectEstateAlerting', (s) => ({
    ...s,
    Action: s.Action.filter((a: string) => !/:(\*?Tag|Untag|\*agRole)/.test(a)),
  }));

describe('tag-scoped protections cannot be undone by untagging (C2)', () => {
  const targets: Array<[string, string, string, string]> = [
    ['the audit key', 'AWS::KMS::Key', 'Keys/AuditKey', 'kms'],
    ['the break-glass rule', 'AWS::Events::Rule', 'BreakGlass/Assumed', 'events'],
    ['the findings topic', 'AWS::SNS::Topic', 'Detective/Findings', 'sns'],
    ['the break-glass alarm', 'AWS::CloudWatch::Alarm', 'BreakGlass/AssumedAlarm', 'cloudwatch'],
    ['the undelivered-findings queue', 'AWS::SQS::Queue', 'Detective/UndeliveredFindings', 'sqs'],
    ["the trail's log group", 'AWS::Logs::LogGroup', 'Audit/LogGroup', 'logs'],
    ["the trail's log delivery role", 'AWS::IAM::Role', 'Audit/LogDeliveryRole', 'iam'],
  ];

  test.each(targets)('%s is tagged estate:organization as deployed', (_name, type, fragment) => {
    expect(resource(type, fragment).tags['estate:organization']).toBe(model.synth.config.organization.name);
  });

  test.each(targets)(
    'an admin can neither remove nor overwrite the estate tag of %s; without the tag calls in ProtectEstateAlerting both were allowed',
    async (_name, type, fragment, service) => {
      const target = resource(type, fragment);
      const [untag, tag] = { sqs: ['sqs:UntagQueue', 'sqs:TagQueue'], iam: ['iam:UntagRole', 'iam:TagRole'] }[
        service
      ] ?? [`${service}:UntagResource`, `${service}:TagResource`];
      const removing = { 'aws:TagKeys': ['estate:organization'] };
      const overwriting = { 'aws:TagKeys': ['estate:organization'], 'aws:RequestTag/estate:organization': 'elsewhere' };
      for (const [action, context] of [
        [untag, removing],
        [tag, overwriting],
      ] as const) {
        const a = await asAdmin(action, target, { context });
        expect([action, a.decision, a.by.map((b) => b.statement)]).toEqual([
          action,
          'denied',
          ['ProtectEstateAlerting'],
        ]);
        expect([action, (await asAdmin(action, target, { context, policies: withoutTagCalls() })).decision]).toEqual([
          action,
          'allowed',
        ]);
      }
    },
  );

  test.each([
    ['kms:PutKeyPolicy', 'AWS::KMS::Key', 'Keys/AuditKey'],
    ['events:DeleteRule', 'AWS::Events::Rule', 'BreakGlass/Assumed'],
    ['sns:DeleteTopic', 'AWS::SNS::Topic', 'Detective/Findings'],
    ['cloudwatch:DeleteAlarms', 'AWS::CloudWatch::Alarm', 'BreakGlass/AssumedAlarm'],
  ])(
    '%s is denied while the resource carries its tag, which nobody but the deployment role and break-glass can remove (the untagged state is unreachable)',
    async (action, type, fragment) => {
      const target = resource(type, fragment);
      expect((await asAdmin(action, target)).decision).toBe('denied');
      // What the attack needed: the same call on the resource once untagged goes through; the tag calls above are what
      // prevent it.
      expect((await asAdmin(action, target, { tags: {} })).decision).toBe('allowed');
    },
  );
});

describe('the detection chain has no unguarded switch (C5)', () => {
  test.each([
    ['logs:DeleteMetricFilter', 'AWS::Logs::LogGroup', 'Audit/LogGroup', 'ProtectEstateAlerting'],
    ['logs:PutMetricFilter', 'AWS::Logs::LogGroup', 'Audit/LogGroup', 'ProtectEstateAlerting'],
    ['logs:PutTransformer', 'AWS::Logs::LogGroup', 'Audit/LogGroup', 'ProtectEstateAlerting'],
    ['logs:DeleteLogGroup', 'AWS::Logs::LogGroup', 'Audit/LogGroup', 'ProtectEstateAlerting'],
    ['iam:DetachRolePolicy', 'AWS::IAM::Role', 'Audit/LogDeliveryRole', 'ProtectEstateAlerting'],
    ['iam:DeleteRolePolicy', 'AWS::IAM::Role', 'Audit/Bucket/ReplicationRole', 'ProtectEstateAlerting'],
    ['iam:UpdateAssumeRolePolicy', 'AWS::IAM::Role', 'Audit/Bucket/ReplicationRole', 'ProtectEstateAlerting'],
    ['iam:CreatePolicyVersion', 'AWS::IAM::ManagedPolicy', 'Audit/LogDeliveryRole/Grants', 'ProtectTheEstate'],
    ['iam:CreatePolicyVersion', 'AWS::IAM::ManagedPolicy', 'BreakGlass/Boundary', 'ProtectTheEstate'],
    ['iam:SetDefaultPolicyVersion', 'AWS::IAM::ManagedPolicy', 'BreakGlass/Boundary', 'ProtectTheEstate'],
    ['sns:Unsubscribe', 'AWS::SNS::Topic', 'Detective/Findings', 'ProtectEstateAlerting'],
    ['sns:SetSubscriptionAttributes', 'AWS::SNS::Topic', 'Detective/Findings', 'ProtectEstateAlerting'],
    ['sqs:PurgeQueue', 'AWS::SQS::Queue', 'Detective/UndeliveredFindings', 'ProtectEstateAlerting'],
    ['sqs:DeleteQueue', 'AWS::SQS::Queue', 'Detective/UndeliveredFindings', 'ProtectEstateAlerting'],
    ['sqs:SetQueueAttributes', 'AWS::SQS::Queue', 'Detective/UndeliveredFindings', 'ProtectEstateAlerting'],
  ])('%s on %s (%s) by an admin is denied by %s, and allowed without it', async (action, type, fragment, sid) => {
    const target = resource(type, fragment);
    const a = await asAdmin(action, target);
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', [sid]]);
    expect((await asAdmin(action, target, { policies: scpsWithout(scps, sid) })).decision).toBe('allowed');
  });

  test.each([
    'securityhub:CreateAutomationRule',
    'securityhub:CreateAutomationRuleV2',
    'securityhub:BatchUpdateAutomationRules',
    'securityhub:UpdateAutomationRuleV2',
    'securityhub:DisableSecurityHubV2',
    'securityhub:UpdateFindings',
    'guardduty:ArchiveFindings',
    'guardduty:DeletePublishingDestination',
    'guardduty:UpdatePublishingDestination',
    'config:DisassociateResourceTypes',
    'config:PutServiceLinkedConfigurationRecorder',
    'config:DeleteConfigRule',
    'config:DeleteRetentionConfiguration',
  ])('%s by an admin is denied by ProtectDetectiveControls, and allowed without it', async (action) => {
    const target = { arn: '*', tags: {}, keyPolicy: undefined };
    const a = await asAdmin(action, target);
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['ProtectDetectiveControls']]);
    expect((await asAdmin(action, target, { policies: scpsWithout(scps, 'ProtectDetectiveControls') })).decision).toBe(
      'allowed',
    );
  });

  test.each(['s3:PutBucketPublicAccessBlock', 's3:PutBucketAcl'])(
    '%s on the audit bucket by an admin is denied by ProtectTheEstate, and allowed without it',
    async (action) => {
      const t = model.template(FOUNDATION);
      const target = {
        arn: `arn:aws:s3:::${model.bucketName(t, model.resourceId(FOUNDATION, 'AWS::S3::Bucket', 'Audit/Bucket/Resource'))}`,
        tags: {},
        keyPolicy: undefined,
      };
      // EgressOnlyByTheDeploy denies ACLs of every environment bucket as well (test/access/scp-egress.test.ts): taken
      // out, so that ProtectTheEstate is asked alone.
      const alone = scpsWithout(scps, 'EgressOnlyByTheDeploy');
      expect((await asAdmin(action, target, { policies: alone })).decision).toBe('denied');
      expect((await asAdmin(action, target, { policies: scpsWithout(alone, 'ProtectTheEstate') })).decision).toBe(
        'allowed',
      );
    },
  );

  test('every managed policy of every environment stack falls under ProtectTheEstate by name (CloudFormation names it after its stack, or the estate names it <org>-...)', () => {
    const statement = scps.flatMap((p) => [p.policy.Statement].flat()).find((s: any) => s.Sid === 'ProtectTheEstate');
    const patterns = [statement.Resource]
      .flat()
      .filter((r: string) => r.includes(':policy/'))
      .map(
        (r: string) =>
          new RegExp(
            `^${r
              .split('*')
              .map((x: string) => x.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
              .join('.*')}$`,
          ),
      );
    const unprotected: string[] = [];
    let count = 0;
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      for (const [id, r] of Object.entries(t.resources)) {
        if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
        count++;
        const name =
          model.resolve(t, r.Properties?.ManagedPolicyName) ?? `${t.key.replace('/', '-')}-${id}-1A2B3C4D5E6F`;
        const arn = `arn:aws:iam::${t.account}:policy/${name}`;
        if (!patterns.some((p) => p.test(arn))) unprotected.push(`${t.key} ${id} ${name}`);
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(unprotected).toEqual([]);
  });

  test('every IAM role of every environment stack carries the estate tag ProtectEstateAlerting keys on, or is the break-glass role named in ProtectTheEstate', () => {
    const org = model.synth.config.organization.name;
    const untagged = model.roles.filter(
      (r) =>
        r.key.includes('/') &&
        r.tags['estate:organization'] !== org &&
        !r.arn.endsWith(`:role/${model.synth.config.organization.breakGlassRoleName}`),
    );
    // CDK's custom-resource provider role (the default security group's rules) is written without tags.
    expect(
      untagged.map((r) => r.path).filter((p) => !p.includes('Custom::VpcRestrictDefaultSGCustomResourceProvider')),
    ).toEqual([]);
  });

  test('the deployment role (exact ARN) and break-glass still change the chain', async () => {
    const { account, region } = prod();
    const target = resource('AWS::Logs::LogGroup', 'Audit/LogGroup');
    for (const arn of [
      `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
      `arn:aws:iam::${account}:role/${model.synth.config.organization.breakGlassRoleName}`,
    ]) {
      const a = await ask({
        scps,
        principal: { ...admin(), arn },
        action: 'logs:PutMetricFilter',
        resource: target.arn,
        resourceAccount: account,
        region,
        resourceTags: target.tags,
      });
      expect([arn, a.decision]).toEqual([arn, 'allowed']);
    }
  });
});
