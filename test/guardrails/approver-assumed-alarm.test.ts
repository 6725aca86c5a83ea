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
import { matches, session, spellings } from '../support/role-sessions';

let model: EstateModel;
beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
});

const envs = () => model.synth.config.environments;
const org = () => model.synth.config.organization.name;

describe("the approver's assumptions are announced in every environment", () => {
  test.each(['dev', 'staging', 'prod'])(
    "%s: a filter on the trail's log copy counts every session of exactly the approver role, by its unique ID; an alarm on it publishes to the findings topic",
    (name) => {
      const e = envs().find((x) => x.name === name)!;
      const foundation = `${name}/Foundation`;
      const key = `${name}/ModelGovernance`;
      const t = model.template(key);
      const approverArn = `arn:aws:iam::${e.account}:role/${approverRoleName(org(), name)}`;

      // The approver role ModelGovernance deploys has exactly that name.
      const approverRole = model.roles.find((r) => r.key === key && r.path.includes('ModelRiskApprover'));
      expect(approverRole?.arn).toBe(approverArn);
      const approverId = model.resolve(t, { 'Fn::GetAtt': [approverRole!.logicalId, 'RoleId'] }) as string;
      expect(approverId).toMatch(/^AROA[A-Z0-9]{17}$/);
      const gate = model.roles.find((r) => r.key === key && r.arn.endsWith('-approval-gate'))!;
      const gateId = model.resolve(t, { 'Fn::GetAtt': [gate.logicalId, 'RoleId'] }) as string;

      const filterId = model.resourceId(key, 'AWS::Logs::MetricFilter', 'ApproverAssumed');
      const filter = model.resolve(t, t.resources[filterId].Properties);
      // On the same log group as break-glass's filter: the trail's copy.
      const breakGlassFilter = model.resolve(
        model.template(foundation),
        model.template(foundation).resources[
          model.resourceId(foundation, 'AWS::Logs::MetricFilter', 'BreakGlass/AssumedInAnyRegion')
        ].Properties as any,
      );
      expect(filter.LogGroupName).toEqual(breakGlassFilter.LogGroupName);
      expect(filter.MetricTransformations).toEqual([
        { MetricNamespace: 'Estate/Identity', MetricName: 'ApproverAssumed', MetricValue: '1' },
      ]);

      // Every session of the approver role, however the caller spelled its ARN and by whichever STS call.
      for (const arn of spellings(approverArn))
        for (const eventName of ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'])
          expect([arn, eventName, matches(filter.FilterPattern, session(arn, approverId, eventName))]).toEqual([
            arn,
            eventName,
            true,
          ]);
      // Not another role's session, even one named in the request like the approver; not another environment's
      // approver; no other STS call; no refused call (no session opened).
      expect(matches(filter.FilterPattern, session(approverArn, gateId))).toBe(false);
      expect(matches(filter.FilterPattern, session(approverArn.replace('-approver', '-approval-gate'), gateId))).toBe(
        false,
      );
      for (const other of envs().filter((o) => o.name !== name)) {
        const ot = model.template(`${other.name}/ModelGovernance`);
        const otherRole = model.roles.find(
          (r) => r.key === `${other.name}/ModelGovernance` && r.path.includes('ModelRiskApprover'),
        )!;
        const otherId = model.resolve(ot, { 'Fn::GetAtt': [otherRole.logicalId, 'RoleId'] }) as string;
        expect(matches(filter.FilterPattern, session(otherRole.arn, otherId))).toBe(false);
      }
      expect(matches(filter.FilterPattern, session(approverArn, approverId, 'GetCallerIdentity'))).toBe(false);
      expect(matches(filter.FilterPattern, session(approverArn, undefined))).toBe(false);

      // The request's ARN alone, as the filter had it, misses a differently cased spelling that STS resolves to the
      // role.
      const byArn = `{ ($.eventName = "AssumeRole") && ($.requestParameters.roleArn = "${approverArn}") }`;
      expect(spellings(approverArn).map((arn) => matches(byArn, session(arn, approverId)))).toEqual([
        true,
        false,
        false,
      ]);

      const alarmId = model.resourceId(key, 'AWS::CloudWatch::Alarm', 'ApproverAssumed');
      const alarm = model.resolve(t, t.resources[alarmId].Properties) as any;
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
      const ft = model.template(foundation);
      const findings = model.resourceId(foundation, 'AWS::SNS::Topic', 'Detective/Findings');
      expect(alarm.AlarmActions).toEqual([model.resolve(ft, { Ref: findings })]);
      // CloudWatch may use the findings topic's key (the topic is encrypted): the statement the break-glass alarm uses.
      const topicKey = ft.resources[findings].Properties!.KmsMasterKeyId;
      const keyPolicy = ft.resources[topicKey['Fn::GetAtt']?.[0] ?? topicKey.Ref].Properties!.KeyPolicy;
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
      const alarmId = model.resourceId(`${e.name}/ModelGovernance`, 'AWS::CloudWatch::Alarm', 'ApproverAssumed');
      const alarmTags = model.tagsOf(`${e.name}/ModelGovernance`, alarmId);
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
