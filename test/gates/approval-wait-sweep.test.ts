/**
 * The approval gate's sweep as synthesized, in every environment of the example estate and of every estate the tests
 * know (test/support/estates.ts): a rule every few minutes with the gate's constant sweep input, an alarm on the
 * environment's topic on the metric the gate publishes (its namespace, name and the environment's dimension, as the
 * handler sends them) and one on the gate's dead-letter queue; and, on the example, the gate allowed to publish the
 * metric and to list its index, by its identity policy, its boundary, the SCPs and the monitoring endpoint's policy
 * together.
 *
 * Each estate is read from the run's shared assembly (synthesizeEstate, with the placement the invariant suite gives
 * it): whichever file asks first synthesizes it, once for the run. As in that suite, the estates marked `extra`
 * (minutes to synthesize) run with INVARIANT_ESTATES=all.
 */
import { defaultEstateConfig, synthesizeEstate } from '../support/estate';
import {
  FOUR_ENVIRONMENTS,
  InvariantEstate,
  ONE_ENVIRONMENT,
  REPOSITORY_ESTATE,
  THIRTY_MODELS,
} from '../support/estates';
import { gateConfigFor } from '../../lib/config/gate-config';
import { EstateModel } from '../access/estate-model';
import { ask, Principal, without } from '../access/simulate';
import {
  ROUND_IN_FLIGHT_MS,
  SWEEP_EVENT,
  WAITING_MARGIN_MS,
  WAITING_METRIC,
  WAITING_PREFIX,
} from '../../lambdas/model-approval-gate/sweep-contract';

const EXAMPLE: InvariantEstate = {
  name: 'example estate',
  description: 'the example fixture',
  config: defaultEstateConfig,
};
const ESTATES = [EXAMPLE, REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];

/** Each estate's model, built once in this file (the example's serves both describes). */
const models = new Map<InvariantEstate, EstateModel>();
const modelOf = (estate: InvariantEstate): EstateModel => {
  let model = models.get(estate);
  if (!model) {
    model = new EstateModel(synthesizeEstate(estate.config(), estate.placement?.()));
    models.set(estate, model);
  }
  return model;
};

describe.each(ESTATES.map((e) => [e.name, e] as const))('%s', (_name, estate) => {
  const runs = !estate.extra || process.env.INVARIANT_ESTATES === 'all';
  let model: EstateModel;
  beforeAll(() => {
    if (runs) model = modelOf(estate);
  }, 600_000);
  const envs = () => model.synth.config.environments.map((e) => e.name);
  const of = (key: string, type: string) =>
    Object.entries(model.template(key).resources).filter(([, r]) => r.Type === type);

  (runs ? test.each : test.skip.each)(estate.config().environments.map((e) => e.name))(
    '%s: a rule invokes the approval gate with the sweep input every 5 minutes; an alarm on the topic watches what the sweep publishes',
    (env) => {
      expect(envs()).toContain(env);
      const key = `${env}/ModelGovernance`;
      const t = model.template(key);
      const gate = model.resourceId(key, 'AWS::Lambda::Function', 'ApprovalGate/Function');
      const rules = of(key, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
      const sweep = rules.filter(([, r]) =>
        (r.Properties.Targets ?? []).some((x: any) => x.Input && JSON.parse(x.Input).sweep),
      );
      expect(sweep).toHaveLength(1);
      const [, rule] = sweep[0];
      expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
      expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
      const [target] = rule.Properties.Targets;
      expect(JSON.parse(target.Input)).toEqual(SWEEP_EVENT);
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [gate, 'Arn'] });
      // EventBridge may invoke it (the permission the target needs), and nothing else is granted to the sweep rule.
      const permissions = of(key, 'AWS::Lambda::Permission').filter(([, p]) =>
        JSON.stringify(p.Properties.SourceArn ?? '').includes(sweep[0][0]),
      );
      expect(permissions.map(([, p]) => [p.Properties.Principal, p.Properties.FunctionName])).toEqual([
        ['events.amazonaws.com', { 'Fn::GetAtt': [gate, 'Arn'] }],
      ]);

      const alarms = of(key, 'AWS::CloudWatch::Alarm').filter(
        ([, a]) => a.Properties.Namespace === WAITING_METRIC.namespace,
      );
      expect(alarms).toHaveLength(1);
      const [, alarm] = alarms[0];
      const topic = model.resourceId(key, 'AWS::SNS::Topic', 'ModelDecisions');
      expect(alarm.Properties).toMatchObject({
        MetricName: WAITING_METRIC.metricName,
        Dimensions: [{ Name: WAITING_METRIC.dimension, Value: env }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: topic }],
      });
      expect(alarm.Properties.AlarmDescription).toContain(
        `more than ${(ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS) / 60_000} minutes`,
      );
      // The gate publishes under that dimension the environment its config names.
      expect(
        gateConfigFor(
          model.synth.config,
          model.synth.config.environments.find((e) => e.name === env)!,
        ).environment,
      ).toBe(env);
      expect(t.resources[gate].Properties.Layers).toHaveLength(1);
      // An event the gate could not take (retries spent) rests in its dead-letter queue with nothing recorded:
      // announced.
      const queue = model.resourceId(key, 'AWS::SQS::Queue', 'ApprovalGate/DeadLetters');
      const undelivered = of(key, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
        JSON.stringify(a.Properties.Dimensions ?? []).includes(queue),
      );
      expect(undelivered.map(([, a]) => a.Properties)).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [{ Ref: topic }],
        }),
      ]);
    },
  );
});

describe('the gate may publish its metric and list its index (identity policy, boundary, SCPs, endpoint policy)', () => {
  let model: EstateModel;
  beforeAll(() => {
    model = modelOf(EXAMPLE);
  }, 600_000);

  test('the example estate has the environments these tests name (dev, staging, prod)', () => {
    expect(model.synth.config.environments.map((e) => e.name)).toEqual(
      expect.arrayContaining(['dev', 'staging', 'prod']),
    );
  });
  const gate = (): Principal => {
    const r = model.role('staging/ModelGovernance', 'ApprovalGate/Role');
    return { arn: r.arn, account: r.account, identityPolicies: r.identityPolicies, boundary: r.boundary, tags: r.tags };
  };
  const staging = () => model.synth.config.environments.find((e) => e.name === 'staging')!;
  const monitoringEndpoint = () => {
    const key = 'staging/Network';
    const t =
      model.templates.find((x) => x.key === key) ??
      model.templates.find(
        (x) =>
          x.key.startsWith('staging/') && Object.values(x.resources).some((r) => r.Type === 'AWS::EC2::VPCEndpoint'),
      )!;
    const [, ep] = Object.entries(t.resources).find(
      ([, r]) =>
        r.Type === 'AWS::EC2::VPCEndpoint' &&
        JSON.stringify(model.resolve(t, r.Properties.ServiceName)).includes('.monitoring'),
    )!;
    return model.resolve(t, ep.Properties.PolicyDocument);
  };

  test('PutMetricData in its namespace is allowed; in another namespace, or without the statement, it is not', async () => {
    const { account, region } = staging();
    const scps = model.scps();
    const endpoint = monitoringEndpoint();
    const put = (principal: Principal, namespace: string) =>
      ask({
        scps,
        principal,
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        resourceAccount: account,
        region,
        context: { 'cloudwatch:namespace': namespace },
        endpointPolicies: endpoint ? [{ name: 'monitoring-endpoint', policy: endpoint }] : undefined,
      });
    expect((await put(gate(), WAITING_METRIC.namespace)).decision).toBe('allowed');
    expect((await put(gate(), 'AWS/Lambda')).decision).toBe('denied');
    const withoutGrant: Principal = {
      ...gate(),
      identityPolicies: gate().identityPolicies.map((p) => ({
        ...p,
        policy: without(p.policy, 'PublishPendingCalls'),
      })),
    };
    expect((await put(withoutGrant, WAITING_METRIC.namespace)).decision).toBe('denied');
  });

  test("listing the index's days is allowed (so a missing entry or record is a 404, not a 403)", async () => {
    const { account, region } = staging();
    const t = model.template('staging/ModelGovernance');
    const [id] = Object.entries(t.resources).find(
      ([k, r]) => r.Type === 'AWS::S3::Bucket' && k.startsWith('DecisionRecords'),
    )!;
    const bucket = model.resolve(t, { Ref: id });
    const decision = (prefix: string) =>
      ask({
        scps: model.scps(),
        principal: gate(),
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket}`,
        resourceAccount: account,
        region,
        context: { 's3:prefix': prefix },
      }).then((a) => a.decision);
    expect(await decision(`${WAITING_PREFIX}2026-12-02/`)).toBe('allowed');
    expect(await decision('approval/fraud-score/3/person/ct-1.')).toBe('allowed');
    expect(await decision('pins/')).toBe('denied');
  });
});
