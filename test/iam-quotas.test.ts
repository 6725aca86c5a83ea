/**
 * IAM's quotas per account (IAM User Guide, "IAM and AWS STS quotas": roles 1,000 by default and 5,000 at most
 * by automatic approval; customer managed policies 1,500 and 5,000), checked at synth over every stack of an
 * account in any region, with the CDK bootstrap stack's five roles in each of those regions and the runbook's
 * execution policy counted in: a warning on the environment's first stack above a default, and another above
 * what Service Quotas approves automatically.
 */
import { App, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import {
  BOOTSTRAP_HOLDS,
  iamHoldingsByAccount,
  iamQuotaFindings,
  IamQuotaType,
  RUNBOOK_HOLDS,
  warnIamQuotas,
} from '../lib/iam-quotas';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';

// The real module, its warnIamQuotas wrapped so that a test can see buildEstate call it.
jest.mock('../lib/iam-quotas', () => {
  const actual = jest.requireActual('../lib/iam-quotas');
  return { ...actual, warnIamQuotas: jest.fn(actual.warnIamQuotas) };
});

const ROLE = 'AWS::IAM::Role';
const POLICY = 'AWS::IAM::ManagedPolicy';

function holding(account: string, roles: number, policies: number, regions = ['eu-west-1']) {
  return new Map([
    [
      account,
      { counts: { [ROLE]: roles, [POLICY]: policies } as Record<IamQuotaType, number>, regions: new Set(regions) },
    ],
  ]);
}

function add(stack: Stack, type: string, n: number, prefix = type.split('::')[2]): void {
  for (let i = 0; i < n; i++) new CfnResource(stack, `${prefix}${i}`, { type });
}

describe('iamQuotaFindings', () => {
  test.each([
    // [roles of the estate, policies, regions, findings above a default, above automatic approval]
    [995, 1499, 1, 0, 0],
    [996, 1499, 1, 1, 0],
    [995, 1500, 1, 1, 0],
    [990, 1499, 2, 0, 0],
    [991, 1499, 2, 1, 0],
    [4995, 4999, 1, 2, 0],
    [4996, 4999, 1, 1, 1],
    [4990, 4999, 2, 2, 0],
    [4991, 4999, 2, 1, 1],
    [4995, 5000, 1, 1, 1],
    [6000, 6000, 3, 0, 2],
  ])(
    '%i roles and %i managed policies in %i region(s): %i above a default, %i above automatic approval',
    (roles, policies, regions, aboveDefault, aboveAuto) => {
      const found = iamQuotaFindings(
        holding('333333333333', roles, policies, ['eu-west-1', 'eu-central-1', 'us-east-1'].slice(0, regions)),
        { '333333333333': 'prod' },
      );
      expect(found.filter((f) => f.limit === 5000)).toHaveLength(aboveAuto);
      expect(found.filter((f) => f.limit !== 5000)).toHaveLength(aboveDefault);
      for (const f of found) expect(f.message).toMatch(/^prod \(account 333333333333\): /);
    },
  );

  test('the message names the account, the count with the bootstrap, the quota and what to do', () => {
    const found = iamQuotaFindings(holding('333333333333', 5100, 1600, ['eu-west-1', 'eu-central-1']));
    expect(found).toEqual([
      expect.objectContaining({ account: '333333333333', type: ROLE, count: 5110, limit: 5000 }),
      expect.objectContaining({ account: '333333333333', type: POLICY, count: 1601, limit: 1500 }),
    ]);
    expect(found[0].message).toBe(
      'account 333333333333: 5110 IAM roles (5100 of the estate\'s stacks and 10 of its bootstrap in 2 regions, before any the account holds from elsewhere), above the 5000 that Service Quotas approves automatically ("Roles per account"): deploy only with a larger quota granted by AWS on request, or serve fewer models from this environment and split them over more environments (accounts).',
    );
    expect(found[1].message).toMatch(/raise it in Service Quotas before deploying\.$/);
    expect(BOOTSTRAP_HOLDS).toEqual({ [ROLE]: 5, [POLICY]: 0 });
    expect(RUNBOOK_HOLDS).toEqual({ [ROLE]: 0, [POLICY]: 1 });
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
        ['111111111111', { counts: { [ROLE]: 5, [POLICY]: 4 }, regions: new Set(['eu-west-1', 'eu-central-1']) }],
        ['333333333333', { counts: { [ROLE]: 7, [POLICY]: 0 }, regions: new Set(['eu-west-1']) }],
      ]),
    );
  });

  test('a stage over a default warns on its first stack of that account, with its roles in two regions', () => {
    const app = new App(ESTATE_APP_PROPS);
    const stage = new Stage(app, 'prod', { env: { account: '333333333333', region: 'eu-west-1' } });
    const first = new Stack(stage, 'First');
    const second = new Stack(stage, 'Second', { env: { region: 'eu-central-1' } });
    const third = new Stack(stage, 'Third');
    add(second, ROLE, 495);
    add(third, ROLE, 495);
    // 990 and the bootstrap's 5 in each of two regions: exactly the default, no warning.
    warnIamQuotas(stage, { '333333333333': 'prod' });
    expect(Annotations.fromStack(first).findWarning('*', Match.anyValue())).toEqual([]);

    const app2 = new App(ESTATE_APP_PROPS);
    const stage2 = new Stage(app2, 'prod', { env: { account: '333333333333', region: 'eu-west-1' } });
    const first2 = new Stack(stage2, 'First');
    const second2 = new Stack(stage2, 'Second', { env: { region: 'eu-central-1' } });
    add(second2, ROLE, 491);
    add(new Stack(stage2, 'Third'), ROLE, 500);
    warnIamQuotas(stage2, { '333333333333': 'prod' });
    Annotations.fromStack(first2).hasWarning(
      '*',
      Match.stringLikeRegexp('^prod \\(account 333333333333\\): 1001 IAM roles .*raise it in Service Quotas'),
    );
    expect(Annotations.fromStack(second2).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('the estate', () => {
  test('buildEstate checks each environment once it is built, and the example stays within every default', () => {
    const warn = warnIamQuotas as jest.MockedFunction<typeof warnIamQuotas>;
    warn.mockClear();
    const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
    const config = defaultEstateConfig();
    const estate = buildEstate(app, config);
    expect(warn.mock.calls.map(([stage]) => stage)).toEqual(config.environments.map((e) => estate.stages[e.name]));
    for (const e of config.environments)
      expect(warn.mock.calls.find(([s]) => s === estate.stages[e.name])![1]).toMatchObject({ [e.account]: e.name });
    expect(iamQuotaFindings(iamHoldingsByAccount(app))).toEqual([]);
  });
});
