/**
 * Segments in production on the synthesized example estate: the monitoring job computes every
 * segment of the model (the state machine's JSONata evaluated with the jsonata library), each
 * critical segment has its drift, score-drift and quality alarms on the environment's topic and
 * the dashboard, the retraining trigger listens to them where the model retrains on alarms, and
 * the RegulatedMLOps pack finds a prod endpoint whose critical segment lost its alarm.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import jsonata from 'jsonata';
import { Stack } from 'aws-cdk-lib';
import { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { MONITORING_NAMESPACE, MONITORING_SCRIPT, segmentAlarmName } from '../../constructs/estate-monitoring';
import { segmentArgument } from '../../lib/config/segments';
import { shardOf, shardStackId } from '../../lib/ml/sharding';
import { RegulatedMLOpsChecks } from '../../policies/regulated-mlops-pack';
import { monitoredSegments } from '../../policies/rules/SageMakerProdSegmentsAlarmed';
import { verdict } from '../support/alarm-verdict';
import { synthesizeEstate, SynthesizedEstate } from '../support/estate';

jest.setTimeout(600000);

let synth: SynthesizedEstate;
beforeAll(() => {
  synth = synthesizeEstate();
});

const stackOf = (e: string, model: string) => `${e}/${shardStackId(shardOf(model))}`;
const resources = (stack: string, type: string): Array<[string, any]> =>
  Object.entries(synth.templates[stack].toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === type);
const modelOf = (id: string) => synth.config.models.find((m) => m.id === id)!;
const definitionOf = (machine: any): any => {
  const d = machine.Properties.DefinitionString;
  return JSON.parse(
    typeof d === 'string' ? d : d['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'TOKEN')).join(''),
  );
};
const machineOf = (e: string, model: string) => {
  const found = resources(stackOf(e, model), 'AWS::StepFunctions::StateMachine').filter(([id]) =>
    id.startsWith(`${model.replace(/-/g, '')}EndpointMonitoring`),
  );
  expect(found).toHaveLength(1);
  return definitionOf(found[0][1]);
};
const alarms = (e: string, model: string) =>
  resources(stackOf(e, model), 'AWS::CloudWatch::Alarm').map(([id, a]) => ({ id, ...a.Properties }));
const dims = (a: any) => Object.fromEntries(a.Dimensions.map((d: any) => [d.Name, d.Value]));

/**
 * The monitored endpoints of the example and their models: prod fraud-score and credit-default, staging fraud-score.
 */
const MONITORED: Array<[string, string]> = [
  ['prod', 'fraud-score'],
  ['prod', 'credit-default'],
  ['staging', 'fraud-score'],
];

describe('the monitoring job computes every segment', () => {
  test.each(MONITORED)(
    '%s %s: one --segment argument per segment, as the config writes it (critical flag included)',
    async (e, id) => {
      const definition = machineOf(e, id);
      const expression = /^\{%(.*)%\}$/s.exec(
        definition.States.Analyse.Arguments.AppSpecification.ContainerArguments,
      )![1];
      const args: string[] = await jsonata(expression).evaluate(
        {},
        { window: 'day', end: Date.parse('2026-12-01T00:00:00Z') },
      );
      const expected = modelOf(id).segmentation!.segments.flatMap((s) => ['--segment', segmentArgument(s)]);
      expect(args.slice(args.indexOf('--segment'))).toEqual(expected);
      for (const a of args) expect(a.length).toBeLessThanOrEqual(256);
      // What the compliance pack reads back from the template.
      expect(monitoredSegments(definition)).toEqual(
        modelOf(id).segmentation!.segments.map((s) => ({ name: s.name, critical: s.critical })),
      );
    },
  );
});

describe('alarms per critical segment', () => {
  test.each(MONITORED)(
    '%s %s: drift, score drift and quality for each critical segment, none for the others',
    (e, id) => {
      const model = modelOf(id);
      const endpoint = `${e}-${id}`;
      const all = alarms(e, id);
      const aggregate = all.find((a) => a.AlarmName === `${endpoint}-model-quality`)!;
      expect(aggregate).toBeDefined();
      const tier = synth.config.modelRisk.tiers[model.riskTier];
      for (const s of model.segmentation!.segments) {
        const mine = all.filter((a) => a.Dimensions?.some((d: any) => d.Name === 'Segment' && d.Value === s.name));
        if (!s.critical) {
          expect(mine).toEqual([]);
          continue;
        }
        const byName = Object.fromEntries(mine.map((a) => [a.AlarmName, a]));
        expect(Object.keys(byName).sort()).toEqual(
          ['drift', 'quality', 'score-drift'].map((k) => segmentAlarmName(endpoint, s.name, k as any)).sort(),
        );
        const drift = byName[segmentAlarmName(endpoint, s.name, 'drift')];
        expect(drift).toMatchObject({
          Namespace: MONITORING_NAMESPACE,
          MetricName: 'MaxFeaturePsi',
          Statistic: 'Maximum',
          Threshold: tier.psiBlock,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
        expect(dims(drift)).toEqual({ Endpoint: endpoint, Segment: s.name });
        expect(byName[segmentAlarmName(endpoint, s.name, 'score-drift')]).toMatchObject({
          MetricName: 'ScorePsi',
          Threshold: tier.psiBlock,
        });
        const quality = byName[segmentAlarmName(endpoint, s.name, 'quality')];
        // The segment's own floor where it has one (high-value 0.8, thin-file 0.72), else the tier's.
        expect(quality).toMatchObject({
          MetricName: 'Auc',
          Statistic: 'Minimum',
          Period: 86400,
          Threshold: s.floors?.minAuc ?? tier.minAuc,
          ComparisonOperator: 'LessThanThreshold',
        });
        // On the environment's topic, on ALARM and OK, like the aggregate's.
        for (const a of mine) {
          expect(a.AlarmActions).toEqual(aggregate.AlarmActions);
          expect(a.OKActions).toEqual(aggregate.OKActions);
          expect(a.ActionsEnabled ?? true).toBe(true);
        }
      }
    },
  );

  test('the example has the alarms it promises: 2 critical segments of fraud-score in prod and staging, 1 of credit-default in prod', () => {
    const count = (e: string, id: string) => alarms(e, id).filter((a) => a.AlarmName.includes('-segment-')).length;
    expect([count('prod', 'fraud-score'), count('staging', 'fraud-score'), count('prod', 'credit-default')]).toEqual([
      6, 6, 3,
    ]);
  });

  test.each(MONITORED)(
    "%s %s: the dashboard graphs every segment's quality, drift and records, with the critical alarms",
    (e, id) => {
      const [[, dashboard]] = resources(stackOf(e, id), 'AWS::CloudWatch::Dashboard').filter(([did]) =>
        did.startsWith(`${id.replace(/-/g, '')}Endpoint`),
      );
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const title of [
        'Live AUC per segment',
        'Max feature PSI per segment',
        'Score PSI per segment',
        'Records per segment',
      ])
        expect(body).toContain(title);
      for (const s of modelOf(id).segmentation!.segments) expect(body).toContain(`\\"Segment\\",\\"${s.name}\\"`);
      for (const a of alarms(e, id).filter((x) => x.AlarmName.includes('-segment-'))) expect(body).toContain(a.id);
    },
  );
});

describe("generated traffic through the script with prod fraud-score's own arguments, published as the state machine publishes, against the synthesized alarms", () => {
  let root: string;
  const published: Record<string, any[]> = {};
  const evaluate = (expression: string, bindings: Record<string, unknown>) => {
    const e = jsonata(/^\{%(.*)%\}$/s.exec(expression)![1]);
    e.registerFunction('parse', (text: string) => JSON.parse(text), '<s:j>');
    return e.evaluate({}, bindings);
  };
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'segment-wiring-'));
    const definition = machineOf('prod', 'fraud-score');
    const args: string[] = await evaluate(definition.States.Analyse.Arguments.AppSpecification.ContainerArguments, {
      window: 'day',
      end: Date.parse('2026-12-01T00:00:00Z'),
    });
    const segments = args.filter((_, i) => args[i - 1] === '--segment');
    const g = spawnSync('python3', [path.join(__dirname, 'generate.py'), 'monitoring', root, ...segments], {
      encoding: 'utf8',
    });
    if (g.status !== 0) throw new Error(g.stderr);
    for (const w of ['stable', 'segment-flipped', 'segment-drifted']) {
      const out = path.join(root, `out-${w}`);
      // The job's own arguments, with the local paths SageMaker would have downloaded to.
      const r = spawnSync(
        'python3',
        [
          MONITORING_SCRIPT,
          ...args,
          '--baseline',
          path.join(root, 'baseline'),
          '--capture',
          path.join(root, w, 'capture', 'champion'),
          '--ground-truth',
          path.join(root, w, 'ground-truth', '0'),
          '--output',
          out,
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      const publish = definition.States.Publish;
      const index = JSON.parse(fs.readFileSync(path.join(out, 'metrics', 'index.json'), 'utf8'));
      published[w] = [];
      for (const key of index.batches) {
        const put = await evaluate(publish.ItemProcessor.States.Put.Arguments.MetricData, {
          states: { input: JSON.parse(fs.readFileSync(path.join(out, key), 'utf8')) },
        });
        published[w].push(
          ...put.map((d: any) => ({ ...d, Namespace: publish.ItemProcessor.States.Put.Arguments.Namespace })),
        );
      }
    }
  }, 300000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const states = (w: string) =>
    Object.fromEntries(
      alarms('prod', 'fraud-score')
        .filter((a) => a.Namespace === MONITORING_NAMESPACE && a.Statistic !== 'SampleCount')
        .map((a) => [a.AlarmName.replace('prod-fraud-score-', ''), verdict(a, published[w])]),
    );

  test('a stable window: no segment alarm fires (a segment without traffic has no data, which is not a breach)', () => {
    const v = states('stable');
    expect(Object.entries(v).filter(([, s]) => s === 'ALARM')).toEqual([]);
    expect(v['segment-high-value-quality']).toBe('OK');
    expect(v['segment-high-risk-merchant-quality']).toBe('INSUFFICIENT_DATA');
  });

  test('high-value degrades while the aggregate holds: its quality alarm fires, the aggregate quality alarm does not', () => {
    const v = states('segment-flipped');
    expect(v['segment-high-value-quality']).toBe('ALARM');
    expect(v['model-quality']).toBe('OK');
    expect(v['segment-high-value-drift']).toBe('OK');
    expect(v['feature-drift']).toBe('OK');
  });

  test('high-value drifts while the aggregate does not: its drift and score-drift alarms fire, the aggregate ones do not', () => {
    const v = states('segment-drifted');
    expect([v['segment-high-value-drift'], v['segment-high-value-score-drift']]).toEqual(['ALARM', 'ALARM']);
    expect([v['feature-drift'], v['score-drift']]).toEqual(['OK', 'OK']);
  });
});

describe('retraining on segment alarms', () => {
  test("staging fraud-score retrains on alarms: the trigger listens to its critical segments' alarms too", () => {
    const [[, rule]] = resources(stackOf('staging', 'fraud-score'), 'AWS::Events::Rule').filter(([id]) =>
      id.includes('OnQualityAlarm'),
    );
    const listened = JSON.stringify(rule.Properties.EventPattern.resources);
    const segmentAlarms = alarms('staging', 'fraud-score').filter((a) => a.AlarmName.includes('-segment-'));
    expect(segmentAlarms).toHaveLength(6);
    for (const a of segmentAlarms) expect(listened).toContain(`"${a.id}"`);
    // Not the aggregate data-quality or bias alarms (a broken feed would be learnt; fairness needs a person).
    for (const a of alarms('staging', 'fraud-score').filter((x) =>
      /-(data-quality|bias-.*|monitoring-(silent|failed))$/.test(x.AlarmName),
    ))
      expect(listened).not.toContain(`"${a.id}"`);
  });
});

describe('the RegulatedMLOps pack on the synthesized estate', () => {
  test('a prod endpoint whose critical segment lost its quality alarm, or whose alarm was disabled, is reported', () => {
    const stack = synth.estate.stages.prod.node
      .findAll()
      .find((c) => Stack.isStack(c) && c.node.id === shardStackId(shardOf('fraud-score'))) as Stack;
    expect(stack).toBeDefined();
    const cfnAlarms = stack.node.findAll().filter((c): c is CfnAlarm => c instanceof CfnAlarm);
    const named = (n: string) => cfnAlarms.find((a) => a.alarmName === n)!;
    const findings = () => new RegulatedMLOpsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(findings()).not.toContain('RegulatedMLOps-SageMakerProdSegmentsAlarmed');
    const disabled = named(segmentAlarmName('prod-fraud-score', 'high-risk-merchant', 'drift'));
    disabled.actionsEnabled = false;
    expect(findings()).toContain('RegulatedMLOps-SageMakerProdSegmentsAlarmed');
    disabled.actionsEnabled = true;
    expect(findings()).not.toContain('RegulatedMLOps-SageMakerProdSegmentsAlarmed');
    const quality = named(segmentAlarmName('prod-fraud-score', 'high-value', 'quality'));
    quality.node.scope!.node.tryRemoveChild(quality.node.id);
    expect(findings()).toContain('RegulatedMLOps-SageMakerProdSegmentsAlarmed');
  });
});
