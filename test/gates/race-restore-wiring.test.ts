/**
 * The race restoration as deployed, on the synthesized estate: CloudTrail's record of every UpdateModelPackage
 * reaches the approval gate (an EventBridge rule, retried and dead-lettered), the gate knows its own role's name (so
 * its own updates, seen again, are not a person's), and every call the restoration makes is allowed to the gate's
 * role by the identity policy, the workload boundary, the SCPs and the decision-record bucket's policy, asked of the
 * access simulator (test/access/simulate.ts) with the exact ARNs the templates deploy. The deployment gate can read
 * the person-update records it refuses on. Each grant is shown to matter: without its statement the call is denied.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, RoleModel } from '../access/estate-model';
import { Answer, ask, Principal, without } from '../access/simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;
beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const KEY = 'staging/ModelGovernance';
const staging = () => model.synth.config.environments.find((e) => e.name === 'staging')!;
const asPrincipal = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
const lowerRisk = () => model.synth.config.models.find((m) => m.riskTier !== 'high')!.id;
const highRisk = () => model.synth.config.models.find((m) => m.riskTier === 'high')!.id;
const rulesOf = () =>
  Object.entries(model.template(KEY).resources).filter(
    ([, r]) =>
      r.Type === 'AWS::Events::Rule' &&
      r.Properties?.EventPattern?.['detail-type']?.[0] === 'AWS API Call via CloudTrail',
  );

test("CloudTrail's UpdateModelPackage calls reach the approval gate, retried for a day and dead-lettered", () => {
  const rules = rulesOf();
  expect(rules).toHaveLength(1);
  const [[ruleId, rule]] = rules;
  expect(rule.Properties.EventPattern).toEqual({
    source: ['aws.sagemaker'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
  });
  expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
  expect(rule.Properties.Targets).toEqual([
    expect.objectContaining({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateFunction/), 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateDeadLetters/), 'Arn'] } },
    }),
  ]);
  // EventBridge may invoke the gate for this rule (and only as this rule).
  const t = model.template(KEY);
  const permissions = Object.values(t.resources).filter(
    (r) =>
      r.Type === 'AWS::Lambda::Permission' &&
      JSON.stringify(r.Properties.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [ruleId, 'Arn'] }),
  );
  expect(permissions).toEqual([
    expect.objectContaining({
      Properties: expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateFunction/), 'Arn'] },
      }),
    }),
  ]);
});

test("the gate is told its own role's name, the one its sessions carry, so its own updates are not taken for a person's", () => {
  const t = model.template(KEY);
  const fnId = model.resourceId(KEY, 'AWS::Lambda::Function', 'ApprovalGate/Function');
  const env = model.resolve(t, t.resources[fnId].Properties.Environment.Variables);
  const role = model.role(KEY, 'ApprovalGate/Role');
  expect(env.GATE_ROLE_NAME).toBe(role.arn.split('/').pop());
  expect(model.resolve(t, t.resources[fnId].Properties.Role)).toBe(role.arn);
});

describe("every call of the restoration is allowed to the gate's role (identity, boundary, SCPs, bucket policy); without its grant it is denied", () => {
  const records = () => {
    const t = model.template(KEY);
    const id = Object.entries(t.resources).find(
      ([i, r]) => r.Type === 'AWS::S3::Bucket' && i.startsWith('DecisionRecords'),
    )![0];
    return {
      name: model.bucketName(t, id),
      policy: model.policyOf(KEY, 'AWS::S3::BucketPolicy', 'DecisionRecords/Policy'),
    };
  };
  type Call = {
    name: string;
    sid: string;
    action: string;
    resource: string;
    context?: Record<string, string>;
    resourcePolicy?: unknown;
  };
  const calls = (): Call[] => {
    const { account, region } = staging();
    const bucket = records();
    const pkg = (m: string) => `arn:aws:sagemaker:${region}:${account}:model-package/${m}/3`;
    const person = `approval/${lowerRisk()}/3/person/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab`;
    return [
      {
        name: 'DescribeModelPackage',
        sid: 'DecideOnGovernedPackages',
        action: 'sagemaker:DescribeModelPackage',
        resource: pkg(lowerRisk()),
      },
      {
        name: "restore a person's Rejected",
        sid: 'DecideOnGovernedPackages',
        action: 'sagemaker:UpdateModelPackage',
        resource: pkg(lowerRisk()),
        context: { 'sagemaker:ModelApprovalStatus': 'Rejected' },
      },
      {
        name: "restore a person's Approved",
        sid: 'DecideOnGovernedPackages',
        action: 'sagemaker:UpdateModelPackage',
        resource: pkg(lowerRisk()),
        context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
      },
      {
        name: "restore a person's Rejected of a high-risk package",
        sid: 'DecideOnGovernedPackages',
        action: 'sagemaker:UpdateModelPackage',
        resource: pkg(highRisk()),
        context: { 'sagemaker:ModelApprovalStatus': 'Rejected' },
      },
      {
        name: 'list the person records',
        sid: 'ListDecisionRecords',
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket.name}`,
        context: { 's3:prefix': `${person}.` },
        resourcePolicy: bucket.policy,
      },
      {
        name: 'read a person record',
        sid: 'ReadDecisionRecords',
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket.name}/${person}.json`,
        resourcePolicy: bucket.policy,
      },
      {
        name: 'write a person record',
        sid: 'WriteDecisionRecords',
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${bucket.name}/${person}.restored.json`,
        resourcePolicy: bucket.policy,
      },
      {
        name: 'announce',
        sid: 'Notify',
        action: 'sns:Publish',
        resource: model.resolve(model.template(KEY), {
          Ref: Object.entries(model.template(KEY).resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')![0],
        }) as string,
      },
    ];
  };
  const gate = () => model.role(KEY, 'ApprovalGate/Role');
  const askAs = (p: Principal, c: Call): Promise<Answer> => {
    const { account, region } = staging();
    return ask({
      scps,
      principal: p,
      action: c.action,
      resource: c.resource,
      resourceAccount: account,
      region,
      context: c.context,
      resourcePolicy: c.resourcePolicy,
    });
  };

  const NAMES = [
    'DescribeModelPackage',
    "restore a person's Rejected",
    "restore a person's Approved",
    "restore a person's Rejected of a high-risk package",
    'list the person records',
    'read a person record',
    'write a person record',
    'announce',
  ];
  test.each(NAMES)('%s', async (name) => {
    const call = calls().find((c) => c.name === name)!;
    const role = gate();
    const answer = await askAs(asPrincipal(role), call);
    expect([call.name, answer.decision]).toEqual([call.name, 'allowed']);
    // The grant it rests on: removed from the gate's policies, the call is denied.
    const stripped: Principal = {
      ...asPrincipal(role),
      identityPolicies: role.identityPolicies.map((p) => ({ name: p.name, policy: without(p.policy, call.sid) })),
    };
    expect([call.name, (await askAs(stripped, call)).decision]).toEqual([call.name, 'denied']);
  });

  test("a person's Approved of a high-risk package is never restored by the gate: IAM denies it (NeverApproveHighRisk), and the gate never writes to one (it holds), so there is none to restore", async () => {
    const { account, region } = staging();
    const a = await ask({
      scps,
      principal: asPrincipal(gate()),
      action: 'sagemaker:UpdateModelPackage',
      resource: `arn:aws:sagemaker:${region}:${account}:model-package/${highRisk()}/3`,
      resourceAccount: account,
      region,
      context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
    });
    expect([a.decision, a.by.map((b) => b.statement)]).toEqual(['denied', ['NeverApproveHighRisk']]);
  });

  test('the deployment gate may list and read the person records it refuses on', async () => {
    const { account, region } = staging();
    const role = model.role(KEY, 'DeploymentGate/Role');
    const bucket = records();
    const prefix = `approval/${lowerRisk()}/3/person/`;
    const list = await ask({
      scps,
      principal: asPrincipal(role),
      action: 's3:ListBucket',
      resource: `arn:aws:s3:::${bucket.name}`,
      resourceAccount: account,
      region,
      context: { 's3:prefix': prefix },
      resourcePolicy: bucket.policy,
    });
    const read = await ask({
      scps,
      principal: asPrincipal(role),
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${bucket.name}/${prefix}x.restored.json`,
      resourceAccount: account,
      region,
      resourcePolicy: bucket.policy,
    });
    expect([list.decision, read.decision]).toEqual(['allowed', 'allowed']);
  });
});
