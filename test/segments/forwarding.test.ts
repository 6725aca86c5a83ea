/**
 * Production is where the signal is: prod's quality, drift and critical-segment alarms reach the
 * retraining trigger in the environment that retrains (staging), across accounts. On the
 * synthesized example estate: the forwarding rule, role and dead-letter queue in prod, the KMS bus
 * and its policy in staging, the pipeline's rule on that bus; the patterns exercised on moto's
 * EventBridge; and what the forwarded alarm names are against the alarms prod actually creates.
 */
import { alarmForwarderRoleName, retrainingAlarmBusName } from '../../lib/delivery/names';
import { alarmRoutes } from '../../lib/config/alarm-routes';
import { shardOf, shardStackId } from '../../lib/ml/sharding';
import { synthesizeEstate, SynthesizedEstate } from '../support/estate';
import { Moto, startMoto } from '../support/moto';
import { deliveredBy, PatternEvent } from '../support/eventbridge';

jest.setTimeout(600000);

let synth: SynthesizedEstate;
let moto: Moto;
beforeAll(async () => {
  synth = synthesizeEstate();
  moto = await startMoto();
});
afterAll(async () => moto?.stop());

const PROD = '333333333333';
const STAGING = '222222222222';
const BUS = `arn:aws:events:eu-west-1:${STAGING}:event-bus/${retrainingAlarmBusName('examplebank', 'staging')}`;
const ROLE = `arn:aws:iam::${PROD}:role/${alarmForwarderRoleName('examplebank', 'prod')}`;
const resources = (stack: string, type: string): Array<[string, any]> =>
  Object.entries(synth.templates[stack].toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === type);
const prodAlarmNames = (model: string) =>
  resources(`prod/${shardStackId(shardOf(model))}`, 'AWS::CloudWatch::Alarm').map(
    ([, a]) => a.Properties.AlarmName as string,
  );

test('the example routes one model: fraud-score retrains on alarms in staging, and prod monitors it', () => {
  const routes = alarmRoutes(synth.config);
  expect(routes.map((r) => [r.model.id, r.from.name, r.to.name])).toEqual([['fraud-score', 'prod', 'staging']]);
  // credit-default retrains in staging but not on alarms: nothing forwarded for it.
  expect(synth.config.models.find((m) => m.id === 'credit-default')!.training!.onAlarm).toBe(false);
});

test('routes follow the config: none without onAlarm or without estate monitoring in prod; one into a retraining environment in another region too', () => {
  const config = synth.config;
  const withModel = (patch: (m: any) => any, envPatch: (e: any) => any = (e) => e) => ({
    ...config,
    environments: config.environments.map(envPatch),
    models: config.models.map((m) => (m.id === 'fraud-score' ? patch(structuredClone(m)) : m)),
  });
  expect(alarmRoutes(withModel((m) => ({ ...m, training: { ...m.training, onAlarm: false } })) as any)).toEqual([]);
  expect(
    alarmRoutes(
      withModel(
        (m) => m,
        (e) => (e.type === 'prod' ? { ...e, monitoringService: 'model-monitor' } : e),
      ) as any,
    ),
  ).toEqual([]);
  expect(
    alarmRoutes(
      withModel((m) => ({
        ...m,
        endpoints: {
          ...m.endpoints,
          prod: { ...m.endpoints.prod, monitoring: { dataQuality: false, modelQuality: false } },
        },
      })) as any,
    ),
  ).toEqual([]);
  const elsewhere = alarmRoutes(
    withModel(
      (m) => m,
      (e) => (e.name === 'staging' ? { ...e, region: 'eu-central-1' } : e),
    ) as any,
  );
  expect(elsewhere.map((r) => [r.from.name, r.to.name, r.to.region])).toEqual([['prod', 'staging', 'eu-central-1']]);
});

test("the forwarded alarm names are exactly prod fraud-score's retraining alarms, each of which exists in prod", () => {
  const [route] = alarmRoutes(synth.config);
  const existing = prodAlarmNames('fraud-score');
  expect(route.alarmNames).toEqual([
    'prod-fraud-score-model-quality',
    'prod-fraud-score-feature-drift',
    'prod-fraud-score-score-drift',
    ...['high-value', 'high-risk-merchant'].flatMap((s) =>
      ['drift', 'score-drift', 'quality'].map((k) => `prod-fraud-score-segment-${s}-${k}`),
    ),
  ]);
  for (const name of route.alarmNames) expect(existing).toContain(name);
  // Not the alarms a person must look at first.
  for (const name of route.alarmNames) expect(name).not.toMatch(/data-quality|bias-|monitoring-/);
});

describe('prod: the forwarding rule, its role and dead letters', () => {
  test('one rule per routed model: the ALARM state of exactly those alarms, to the staging bus, through the forwarder role, with a dead-letter queue', () => {
    const rules = resources('prod/MLPlatform', 'AWS::Events::Rule').filter(([id]) => id.startsWith('AlarmForwarding'));
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules;
    const [route] = alarmRoutes(synth.config);
    expect(rule.Properties.EventBusName ?? 'default').toBe('default');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: route.alarmNames.map((n) => `arn:aws:cloudwatch:eu-west-1:${PROD}:alarm:${n}`),
      detail: { state: { value: ['ALARM'] } },
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toBe(BUS);
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlarmForwardingRole/), 'Arn'] });
    expect(target.DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^AlarmForwardingUndelivered/), 'Arn'],
    });
  });

  test("the role: named as staging's bus policy names it, assumed only by EventBridge of this account, may only put events on the staging bus", () => {
    const [[, role]] = resources('prod/MLPlatform', 'AWS::IAM::Role').filter(([id]) =>
      id.startsWith('AlarmForwardingRole'),
    );
    expect(role.Properties.RoleName).toBe(alarmForwarderRoleName('examplebank', 'prod'));
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': PROD } },
      },
    ]);
    expect(role.Properties.Policies ?? []).toEqual([]);
    const policies = resources('prod/MLPlatform', 'AWS::IAM::ManagedPolicy').filter(([id]) =>
      id.startsWith('AlarmForwardingRole'),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0][1].Properties.PolicyDocument.Statement;
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      expect([s.Action].flat()).toEqual(['events:PutEvents']);
      expect([s.Resource].flat()).toEqual([BUS]);
    }
  });

  test("the dead-letter queue is under the ML key and accepts only this rule's undelivered events", () => {
    const [[, queue]] = resources('prod/MLPlatform', 'AWS::SQS::Queue').filter(([id]) =>
      id.startsWith('AlarmForwardingUndelivered'),
    );
    expect(JSON.stringify(queue.Properties.KmsMasterKeyId)).toMatch(/KeysMlKey/);
    const [[, policy]] = resources('prod/MLPlatform', 'AWS::SQS::QueuePolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.Queues).includes('AlarmForwardingUndelivered'),
    );
    const send = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Action === 'sqs:SendMessage');
    expect(send).toHaveLength(1);
    expect(send[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(send[0].Condition).toEqual({
      ArnEquals: {
        'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(/^AlarmForwardingForwardfraudscoretostaging/), 'Arn'] },
      },
    });
  });
});

describe("staging: the bus and the pipeline's rule on it", () => {
  test('the bus is under the ML key; only the prod forwarder role may put, only CloudWatch alarm state changes', () => {
    const [[id, bus]] = resources('staging/MLPlatform', 'AWS::Events::EventBus').filter(
      ([, b]) => b.Properties.Name === retrainingAlarmBusName('examplebank', 'staging'),
    );
    expect(JSON.stringify(bus.Properties.KmsKeyIdentifier)).toMatch(/KeysMlKey/);
    const policies = resources('staging/MLPlatform', 'AWS::Events::EventBusPolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.EventBusName).includes(id),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0][1].Properties.Statement).toEqual({
      Sid: 'cdk-ForwardedAlarms0',
      Effect: 'Allow',
      Principal: { AWS: ROLE },
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      Condition: {
        'ForAllValues:StringEquals': {
          'events:source': ['aws.cloudwatch'],
          'events:detail-type': ['CloudWatch Alarm State Change'],
        },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
      },
    });
    // No bus in prod or dev: they retrain nothing on forwarded alarms.
    for (const e of ['prod', 'dev'])
      expect(
        resources(`${e}/MLPlatform`, 'AWS::Events::EventBus').filter(([, b]) =>
          b.Properties.Name?.endsWith('retraining-alarms'),
        ),
      ).toEqual([]);
  });

  test("fraud-score's pipeline listens on that bus to exactly prod's forwarded alarms, from prod's account, and names the trigger", () => {
    const [[, rule]] = resources(`staging/${shardStackId(shardOf('fraud-score'))}`, 'AWS::Events::Rule').filter(
      ([id]) => id.includes('OnAlarmInprod'),
    );
    const [route] = alarmRoutes(synth.config);
    expect(rule.Properties.EventBusName).toBe(retrainingAlarmBusName('examplebank', 'staging'));
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      account: [PROD],
      resources: route.alarmNames.map((n) => `arn:aws:cloudwatch:eu-west-1:${PROD}:alarm:${n}`),
      detail: { state: { value: ['ALARM'] } },
    });
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toBe(`arn:aws:sagemaker:eu-west-1:${STAGING}:pipeline/staging-fraud-score-training`);
    expect(target.SageMakerPipelineParameters).toEqual({
      PipelineParameterList: [{ Name: 'TriggerSource', Value: 'alarm-prod' }],
    });
    expect(target.DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/UndeliveredTriggers/), 'Arn'],
    });
    expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/TriggerRole/), 'Arn'] });
  });
});

describe('the patterns on EventBridge (moto)', () => {
  const delivered = (pattern: unknown, events: PatternEvent[]): boolean[] =>
    deliveredBy(moto.endpoint, pattern, events);
  const MOTO = '123456789012';
  const event = (account: string, alarm: string, state = 'ALARM') => ({
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    resources: [`arn:aws:cloudwatch:eu-west-1:${account}:alarm:${alarm}`],
    detail: { alarmName: alarm, state: { value: state }, previousState: { value: 'OK' } },
  });
  /** A synthesized pattern with prod's account read as moto's (the account the events will carry). */
  const asMoto = (pattern: any) => JSON.parse(JSON.stringify(pattern).replaceAll(PROD, MOTO));

  test("prod's forwarding rule: a critical segment's ALARM goes, its OK does not, nor data-quality, bias or another model's alarm", () => {
    const [[, rule]] = resources('prod/MLPlatform', 'AWS::Events::Rule').filter(([id]) =>
      id.startsWith('AlarmForwarding'),
    );
    const cases: Array<[string, string, boolean]> = [
      ['prod-fraud-score-segment-high-value-quality', 'ALARM', true],
      ['prod-fraud-score-segment-high-risk-merchant-drift', 'ALARM', true],
      ['prod-fraud-score-model-quality', 'ALARM', true],
      ['prod-fraud-score-segment-high-value-quality', 'OK', false],
      ['prod-fraud-score-data-quality', 'ALARM', false],
      ['prod-fraud-score-bias-age_band', 'ALARM', false],
      ['prod-credit-default-segment-thin-file-quality', 'ALARM', false],
    ];
    const got = delivered(
      asMoto(rule.Properties.EventPattern),
      cases.map(([name, state]) => event(MOTO, name, state)),
    );
    expect(cases.map(([n, s], i) => [n, s, got[i]])).toEqual(cases);
  });

  test("staging's rule: prod's forwarded segment alarm starts retraining; the same alarm name from any other account does not", () => {
    const [[, rule]] = resources(`staging/${shardStackId(shardOf('fraud-score'))}`, 'AWS::Events::Rule').filter(
      ([id]) => id.includes('OnAlarmInprod'),
    );
    const fromProd = delivered(asMoto(rule.Properties.EventPattern), [
      event(MOTO, 'prod-fraud-score-segment-high-value-quality'),
      event(MOTO, 'prod-fraud-score-segment-high-value-quality', 'OK'),
    ]);
    expect(fromProd).toEqual([true, false]);
    // The synthesized pattern names prod's account: the same event sent by another account (moto's) is not taken.
    expect(
      delivered(rule.Properties.EventPattern, [
        event(MOTO, 'prod-fraud-score-segment-high-value-quality'),
        event(PROD, 'prod-fraud-score-segment-high-value-quality'),
      ]),
    ).toEqual([false, false]);
  });
});
