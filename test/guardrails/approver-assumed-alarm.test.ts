/**
 * Every assumption of an environment's model-risk approver role is announced,
 * as break-glass's are: the approver (with the approval gate) is the only
 * principal the guardrails let set a model package Approved
 * (OnlyApproversApprove), so each of its sessions is a decision someone should
 * see. A metric filter on the trail's CloudWatch Logs copy (the trail is
 * multi-region, so an assumption through any STS endpoint reaches it) counts
 * `AssumeRole` calls naming the role; an alarm on the first one publishes to
 * the environment's security findings topic. Neither can be switched off by an
 * environment admin: both are protected by ProtectEstateAlerting (the alarm by
 * its tag, the filter by the log group's), simulated with the synthesized SCPs.
 */
import { synthesizeEstate } from '../support/estate';
import { approverRoleName } from '../../lib/delivery/names';
import { EstateModel, memberAdmin } from '../access/estate-model';
import { ask, scpsWithout } from '../access/simulate';

let model: EstateModel;
beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
});

const envs = () => model.synth.config.environments;
const org = () => model.synth.config.organization.name;

/**
 * A CloudWatch Logs JSON filter pattern of the form `{ ($.a = "x") && ($.b.c = "y") }`, evaluated on an event
 * (the form is asserted first, so nothing else can slip through the evaluator): each term an exact string match.
 */
function matches(pattern: string, event: Record<string, unknown>): boolean {
  const form = /^\{ (\(\$\.[\w.]+ = "[^"]*"\)( && )?)+ \}$/;
  expect(pattern).toMatch(form);
  const terms = [...pattern.matchAll(/\(\$\.([\w.]+) = "([^"]*)"\)/g)].map((m) => [m[1], m[2]] as const);
  const at = (path: string) => path.split('.').reduce<any>((v, k) => (v === undefined ? undefined : v[k]), event);
  return terms.every(([path, value]) => at(path) === value);
}

const assumeRole = (roleArn: string, eventName = 'AssumeRole') => ({
  eventSource: 'sts.amazonaws.com',
  eventName,
  requestParameters: { roleArn, roleSessionName: 'someone' },
});

describe("the approver's assumptions are announced in every environment", () => {
  test.each(['dev', 'staging', 'prod'])(
    "%s: a filter on the trail's log copy counts AssumeRole of exactly the approver role; an alarm on it publishes to the findings topic",
    (name) => {
      const e = envs().find((x) => x.name === name)!;
      const key = `${name}/Foundation`;
      const t = model.template(key);
      const approverArn = `arn:aws:iam::${e.account}:role/${approverRoleName(org(), name)}`;

      // The approver role ModelGovernance deploys has exactly that name.
      const approverRole = model.roles.find(
        (r) => r.key === `${name}/ModelGovernance` && r.path.includes('ModelRiskApprover'),
      );
      expect(approverRole?.arn).toBe(approverArn);

      const filterId = model.resourceId(key, 'AWS::Logs::MetricFilter', 'ApproverAssumed');
      const filter = model.resolve(t, t.resources[filterId].Properties);
      // On the same log group as break-glass's filter: the trail's copy.
      const breakGlassFilter = t.resources[
        model.resourceId(key, 'AWS::Logs::MetricFilter', 'BreakGlass/AssumedInAnyRegion')
      ].Properties as any;
      expect(t.resources[filterId].Properties!.LogGroupName).toEqual(breakGlassFilter.LogGroupName);
      expect(filter.MetricTransformations).toEqual([
        { MetricNamespace: 'Estate/Identity', MetricName: 'ApproverAssumed', MetricValue: '1' },
      ]);

      // The pattern: the approver's assumption, not another role's, not another environment's approver, no other call.
      expect(matches(filter.FilterPattern, assumeRole(approverArn))).toBe(true);
      expect(matches(filter.FilterPattern, assumeRole(approverArn.replace('-approver', '-approval-gate')))).toBe(false);
      expect(
        matches(filter.FilterPattern, assumeRole(`arn:aws:iam::${e.account}:role/${org()}-${name}-DataScientist`)),
      ).toBe(false);
      for (const other of envs().filter((o) => o.name !== name)) {
        expect(
          matches(
            filter.FilterPattern,
            assumeRole(`arn:aws:iam::${other.account}:role/${approverRoleName(org(), other.name)}`),
          ),
        ).toBe(false);
      }
      expect(matches(filter.FilterPattern, assumeRole(approverArn, 'GetRole'))).toBe(false);

      const alarmId = model.resourceId(key, 'AWS::CloudWatch::Alarm', 'ApproverAssumed');
      const alarm = t.resources[alarmId].Properties as any;
      expect(alarm).toMatchObject({
        Namespace: 'Estate/Identity',
        MetricName: 'ApproverAssumed',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      const findings = model.resourceId(key, 'AWS::SNS::Topic', 'Detective/Findings');
      expect(alarm.AlarmActions).toEqual([{ Ref: findings }]);
      // CloudWatch may use the findings topic's key (the topic is encrypted): the statement the break-glass alarm uses.
      const topicKey = t.resources[findings].Properties!.KmsMasterKeyId;
      const keyPolicy = t.resources[topicKey['Fn::GetAtt']?.[0] ?? topicKey.Ref].Properties!.KeyPolicy;
      expect(keyPolicy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'AlarmsPublishBreakGlassAlerts',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      );
    },
  );

  test('an environment admin can neither delete or silence the alarm nor remove the filter (ProtectEstateAlerting); without the statement it could', async () => {
    const scps = model.scps();
    const open = scpsWithout(scps, 'ProtectEstateAlerting');
    for (const e of envs()) {
      const key = `${e.name}/Foundation`;
      const t = model.template(key);
      const alarmId = model.resourceId(key, 'AWS::CloudWatch::Alarm', 'ApproverAssumed');
      const alarmTags = model.tagsOf(key, alarmId);
      expect(alarmTags['estate:organization']).toBe(org());
      const logGroupId = model.resourceId(key, 'AWS::Logs::LogGroup', 'Audit/LogGroup');
      const logGroupTags = model.tagsOf(key, logGroupId);
      const logGroup = `arn:aws:logs:${e.region}:${e.account}:log-group:${model.resolve(t, t.resources[logGroupId].Properties!.LogGroupName) ?? logGroupId}`;
      const asks: Array<[string, string, Record<string, string>]> = [
        ['cloudwatch:DeleteAlarms', `arn:aws:cloudwatch:${e.region}:${e.account}:alarm:${alarmId}`, alarmTags],
        ['cloudwatch:DisableAlarmActions', `arn:aws:cloudwatch:${e.region}:${e.account}:alarm:${alarmId}`, alarmTags],
        ['cloudwatch:PutMetricAlarm', `arn:aws:cloudwatch:${e.region}:${e.account}:alarm:${alarmId}`, alarmTags],
        ['logs:DeleteMetricFilter', logGroup, logGroupTags],
        ['logs:PutMetricFilter', logGroup, logGroupTags],
      ];
      for (const [action, resource, resourceTags] of asks) {
        const q = {
          principal: memberAdmin(e.account),
          action,
          resource,
          resourceAccount: e.account,
          region: e.region,
          resourceTags,
        };
        const a = await ask({ ...q, scps });
        expect([e.name, action, a.decision, a.by.map((b) => b.statement)]).toEqual([
          e.name,
          action,
          'denied',
          ['ProtectEstateAlerting'],
        ]);
        expect([e.name, action, (await ask({ ...q, scps: open })).decision]).toEqual([e.name, action, 'allowed']);
      }
    }
  });
});
