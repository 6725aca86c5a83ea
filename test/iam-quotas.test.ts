/**
 * IAM's quotas per account (IAM User Guide, "IAM and AWS STS quotas": roles 1,000 by default and at most
 * 5,000; customer managed policies 1,500 by default and at most 5,000), checked at synth over every stack of
 * an account in any region, with the CDK bootstrap stack's five roles counted in: a warning above a default,
 * a failed synth above a maximum.
 */
import { App, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import {
  BOOTSTRAP_HOLDS,
  iamHoldingsByAccount,
  iamQuotaFindings,
  IamQuotaType,
  validateIamQuotas,
  warnIamQuotas,
} from '../lib/iam-quotas';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';

const ROLE = 'AWS::IAM::Role';
const POLICY = 'AWS::IAM::ManagedPolicy';

function holding(account: string, roles: number, policies: number) {
  return new Map([[account, { [ROLE]: roles, [POLICY]: policies } as Record<IamQuotaType, number>]]);
}

function add(stack: Stack, type: string, n: number, prefix = type.split('::')[2]): void {
  for (let i = 0; i < n; i++) new CfnResource(stack, `${prefix}${i}`, { type });
}

describe('iamQuotaFindings', () => {
  test.each([
    // [roles of the estate, policies, errors, warnings]: the bootstrap's 5 roles are added to the estate's
    [995, 1500, 0, 0],
    [996, 1500, 0, 1],
    [995, 1501, 0, 1],
    [4995, 5000, 0, 2],
    [4996, 5000, 1, 1],
    [4995, 5001, 1, 1],
    [6000, 6000, 2, 0],
  ])('%i roles and %i managed policies: %i errors, %i warnings', (roles, policies, errors, warnings) => {
    const found = iamQuotaFindings(holding('333333333333', roles, policies), { '333333333333': 'prod' });
    expect(found.errors).toHaveLength(errors);
    expect(found.warnings).toHaveLength(warnings);
    for (const f of [...found.errors, ...found.warnings]) expect(f.message).toMatch(/^prod \(account 333333333333\): /);
  });

  test('the message names the account, the count with the bootstrap, the limit and what to do', () => {
    const { errors, warnings } = iamQuotaFindings(holding('333333333333', 5100, 1600));
    expect(errors).toEqual([
      expect.objectContaining({ account: '333333333333', type: ROLE, count: 5105, limit: 5000 }),
    ]);
    expect(errors[0].message).toBe(
      'account 333333333333: 5105 IAM roles (5100 IAM roles of the estate\'s stacks and 5 of the CDK bootstrap stack); IAM allows at most 5000 in one account ("Roles per account", not raised past 5000), so the deploy would fail part-way. Serve fewer models from this environment, or split them over more environments (accounts).',
    );
    expect(warnings).toEqual([
      expect.objectContaining({ account: '333333333333', type: POLICY, count: 1600, limit: 1500 }),
    ]);
    expect(warnings[0].message).toMatch(/raise it in Service Quotas before deploying/);
    expect(BOOTSTRAP_HOLDS).toEqual({ [ROLE]: 5, [POLICY]: 0 });
  });
});

describe('counting by account', () => {
  test('an account is counted over every stack and region (IAM is global), each account apart', () => {
    const app = new App(ESTATE_APP_PROPS);
    const a = new Stack(app, 'A', { env: { account: '111111111111', region: 'eu-west-1' } });
    const b = new Stack(app, 'B', { env: { account: '111111111111', region: 'eu-central-1' } });
    const stage = new Stage(app, 'prod', { env: { account: '333333333333', region: 'eu-west-1' } });
    const c = new Stack(stage, 'C');
    add(a, ROLE, 3);
    add(b, ROLE, 2);
    add(b, POLICY, 4);
    add(c, ROLE, 7);
    add(c, 'AWS::IAM::Policy', 9); // inline policies count against no account quota
    expect(iamHoldingsByAccount(app)).toEqual(
      new Map([
        ['111111111111', { [ROLE]: 5, [POLICY]: 4 }],
        ['333333333333', { [ROLE]: 7, [POLICY]: 0 }],
      ]),
    );
  });

  test('an account over a maximum fails validation and synth, its roles spread over two regions', () => {
    const app = new App(ESTATE_APP_PROPS);
    validateIamQuotas(app, { '333333333333': 'prod' });
    // CloudFormation takes at most 500 resources a stack: ten stacks of 499 in two regions.
    const stacks = Array.from(
      { length: 10 },
      (_, i) =>
        new Stack(app, `S${i}`, { env: { account: '333333333333', region: i % 2 ? 'eu-central-1' : 'eu-west-1' } }),
    );
    for (const s of stacks) add(s, ROLE, 499);
    add(stacks[0], ROLE, 5, 'Five');
    expect(app.node.validate()).toEqual([]);
    add(stacks[1], ROLE, 1, 'OneMore');
    expect(app.node.validate()).toEqual([expect.stringMatching(/^prod \(account 333333333333\): 5001 IAM roles /)]);
    expect(() => app.synth()).toThrow(/prod \(account 333333333333\): 5001 IAM roles/);
  });

  test('a stage over a default warns on its first stack of that account', () => {
    const app = new App(ESTATE_APP_PROPS);
    const stage = new Stage(app, 'prod', { env: { account: '333333333333', region: 'eu-west-1' } });
    const first = new Stack(stage, 'First');
    const second = new Stack(stage, 'Second');
    const third = new Stack(stage, 'Third');
    add(second, ROLE, 498);
    add(third, ROLE, 498);
    warnIamQuotas(stage, { '333333333333': 'prod' });
    Annotations.fromStack(first).hasWarning(
      '*',
      Match.stringLikeRegexp('^prod \\(account 333333333333\\): 1001 IAM roles .*raise it in Service Quotas'),
    );
    expect(Annotations.fromStack(second).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('the estate', () => {
  test('buildEstate wires the check: prod pushed over the maximum fails synth naming prod', () => {
    const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
    const config = defaultEstateConfig();
    const estate = buildEstate(app, config);
    const prod = config.environments.find((e) => e.type === 'prod')!;
    const held = iamHoldingsByAccount(app).get(prod.account)!;
    // The example stays within every default.
    expect(held[ROLE] + BOOTSTRAP_HOLDS[ROLE]).toBeLessThanOrEqual(1000);
    expect(app.node.validate()).toEqual([]);
    const stack = estate.stages[prod.name].node.children.find((c): c is Stack => Stack.isStack(c))!;
    add(stack, ROLE, 5000 - BOOTSTRAP_HOLDS[ROLE] - held[ROLE] + 1, 'Extra');
    expect(app.node.validate()).toEqual([
      expect.stringMatching(new RegExp(`^${prod.name} \\(account ${prod.account}\\): 5001 IAM roles `)),
    ]);
  });
});
