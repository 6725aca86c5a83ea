/**
 * The rules that announce sessions of the break-glass and approver roles,
 * asked of EventBridge (moto's server) with CloudTrail records as the IAM User
 * Guide documents them ("Logging IAM and AWS STS API calls with AWS
 * CloudTrail": `requestParameters.roleArn` is the ARN as the caller sent it,
 * `responseElements.assumedRoleUser.assumedRoleId` is `<role ID>:<session>`).
 *
 * IAM role names are not distinguished by case (IAM API Reference, CreateRole:
 * "you cannot create resources named both "MyResource" and "myresource""), so a
 * caller may name the role in any case; moto cannot show what STS accepts, so
 * the records here are written as CloudTrail documents them, one per spelling.
 * A rule on the ARN string misses every spelling but one; the rule on the
 * role's unique ID does not, whichever STS call opened the session.
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { roleNamedEventPattern, roleSessionEventPattern } from '../../constructs/role-assumption-alarm';
import { deliveredBy, PatternEvent } from '../support/eventbridge';
import { Moto, startMoto } from '../support/moto';
import { session, spellings } from '../support/role-sessions';

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => moto?.stop());

const ROLE_ID = 'AROAQXAMPLEBREAKGLA';
const OTHER_ID = 'AROAQXAMPLEOTHERROL';
const ARN = 'arn:aws:iam::333333333333:role/examplebank-break-glass';

/** A pattern as CloudFormation receives it (tokens rendered), for EventBridge. */
function rendered(pattern: events.EventPattern): unknown {
  const stack = new Stack();
  const rule = new events.Rule(stack, 'R', { eventPattern: pattern });
  return stack.resolve((rule.node.defaultChild as events.CfnRule).eventPattern);
}

const asEvent = (detail: object): PatternEvent => ({
  source: 'aws.sts',
  'detail-type': 'AWS API Call via CloudTrail',
  resources: [],
  detail,
});

const SESSION_EVENTS = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'];

test("the rule on the role's ID delivers every session of the role, however its ARN was spelled and by whichever STS call; no other role's, no refused call", () => {
  const pattern = rendered(roleSessionEventPattern(ROLE_ID));
  const ours = spellings(ARN).flatMap((arn) => SESSION_EVENTS.map((name) => asEvent(session(arn, ROLE_ID, name))));
  const others = [
    asEvent(session(ARN, OTHER_ID)),
    asEvent(session(ARN, undefined)),
    asEvent(session(ARN, ROLE_ID, 'GetCallerIdentity')),
    asEvent(session(ARN, `${ROLE_ID}X`)),
  ];
  expect(deliveredBy(moto.endpoint, pattern, [...ours, ...others])).toEqual([
    ...ours.map(() => true),
    ...others.map(() => false),
  ]);
});

test('a rule on the ARN as written (the control removed) misses the differently cased spellings', () => {
  const byArn = {
    source: ['aws.sts'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { eventName: ['AssumeRole'], requestParameters: { roleArn: [ARN] } },
  };
  expect(
    deliveredBy(
      moto.endpoint,
      byArn,
      spellings(ARN).map((arn) => asEvent(session(arn, ROLE_ID))),
    ),
  ).toEqual([true, false, false]);
});

test("another region forwards every call naming a role of that name, however cased; what it forwards of the role's sessions meets the home rule", () => {
  const forward = rendered(roleNamedEventPattern('examplebank-break-glass'));
  const home = rendered(roleSessionEventPattern(ROLE_ID));
  const ours = spellings(ARN).flatMap((arn) => SESSION_EVENTS.map((name) => asEvent(session(arn, ROLE_ID, name))));
  expect(deliveredBy(moto.endpoint, forward, ours)).toEqual(ours.map(() => true));
  expect(deliveredBy(moto.endpoint, home, ours)).toEqual(ours.map(() => true));
  // Not a role whose name merely ends like it, nor another call.
  const others = [
    asEvent(session('arn:aws:iam::333333333333:role/not-examplebank-break-glass', OTHER_ID)),
    asEvent(session(ARN, ROLE_ID, 'GetCallerIdentity')),
  ];
  expect(deliveredBy(moto.endpoint, forward, others)).toEqual([false, false]);
});
