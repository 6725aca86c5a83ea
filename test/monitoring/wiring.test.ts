/**
 * The estate's monitoring on the synthesized example estate: what is built per
 * monitored endpoint (schedules, state machine, the isolated job, roles, alarms,
 * dashboard), the state machine's JSONata run with the jsonata library (the
 * language Step Functions evaluates) on a window, the metric data a real run of
 * the reference script writes on generated traffic, published as the state
 * machine publishes it and held against the synthesized alarms, and the
 * retraining trigger's event pattern tested by EventBridge (moto's server).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import jsonata from 'jsonata';
import {
  MONITORING_NAMESPACE,
  MONITORING_SCRIPT,
  SKLEARN_PROCESSING_REGISTRY,
} from '../../constructs/estate-monitoring';
import { segmentArgument } from '../../lib/config/segments';
import { shardOf, shardStackId } from '../../lib/ml/sharding';
import { verdict } from '../support/alarm-verdict';
import { synthesizeEstate, SynthesizedEstate } from '../support/estate';
import { Moto, startMoto } from '../support/moto';
import { deliveredBy, PatternEvent } from '../support/eventbridge';

jest.setTimeout(600000);

let synth: SynthesizedEstate;
beforeAll(() => {
  synth = synthesizeEstate();
});

const ENVIRONMENTS = ['dev', 'staging', 'prod'];
const resources = (stack: string, type: string): Array<[string, any]> =>
  Object.entries(synth.templates[stack].toJSON().Resources as Record<string, any>).filter(([, r]) => r.Type === type);
const stackOf = (e: string, model: string) => `${e}/${shardStackId(shardOf(model))}`;
const monitoredModels = (e: string) =>
  synth.config.models.filter(
    (m) =>
      m.endpoints[e] &&
      (m.endpoints[e].monitoring
        ? m.endpoints[e].monitoring!.dataQuality || m.endpoints[e].monitoring!.modelQuality
        : e === 'prod'),
  );
/** The definition with each CloudFormation token read as a marker naming what it refers to. */
const definitionOf = (machine: any): any => {
  const d = machine.Properties.DefinitionString;
  const text =
    typeof d === 'string'
      ? d
      : d['Fn::Join'][1]
          .map((p: any) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, "'")}>`))
          .join('');
  return JSON.parse(text);
};
const machineOf = (e: string, model: string) => {
  const found = resources(stackOf(e, model), 'AWS::StepFunctions::StateMachine').filter(([id]) =>
    id.startsWith(`${model.replace(/-/g, '')}EndpointMonitoring`),
  );
  expect(found).toHaveLength(1);
  return { id: found[0][0], definition: definitionOf(found[0][1]), resource: found[0][1] };
};
const alarmsOf = (e: string, model: string) =>
  resources(stackOf(e, model), 'AWS::CloudWatch::Alarm')
    .map(([id, a]) => [id, a.Properties] as [string, any])
    .filter(([, a]) => a.AlarmName.startsWith(`${e}-${model}-`));

describe('what each monitored endpoint gets', () => {
  test('no Model Monitor or Clarify resource anywhere by default; every endpoint the config monitors has the state machine and its schedules', () => {
    const text = JSON.stringify(Object.values(synth.templates).map((t) => t.toJSON()));
    for (const type of [
      'MonitoringSchedule',
      'DataQualityJobDefinition',
      'ModelQualityJobDefinition',
      'ModelBiasJobDefinition',
      'ModelExplainabilityJobDefinition',
    ])
      expect(text).not.toContain(`AWS::SageMaker::${type}`);
    expect(text).not.toMatch(/sagemaker-model-monitor-analyzer|sagemaker-clarify-processing/);
    let count = 0;
    for (const e of ENVIRONMENTS) {
      for (const model of monitoredModels(e)) {
        count++;
        const { id } = machineOf(e, model.id);
        const schedules = resources(stackOf(e, model.id), 'AWS::Scheduler::Schedule')
          .map(([, s]) => s.Properties)
          .filter((s) => JSON.stringify(s.Target.Arn).includes(id));
        const spec = model.endpoints[e].monitoring ?? { dataQuality: true, modelQuality: true };
        expect(schedules.map((s) => s.ScheduleExpression).sort()).toEqual(
          [
            ...(spec.dataQuality ? ['cron(15 * * * ? *)'] : []),
            ...(spec.modelQuality ? ['cron(30 6 * * ? *)'] : []),
          ].sort(),
        );
        for (const s of schedules) {
          expect(JSON.parse(s.Target.Input)).toEqual({
            window: expect.stringMatching(/^(hour|day)$/),
            scheduledTime: '<aws.scheduler.scheduled-time>',
          });
          expect(s.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 });
          expect(s.Target.DeadLetterConfig.Arn).toEqual({
            'Fn::GetAtt': [expect.stringMatching(/UndeliveredRuns/), 'Arn'],
          });
          expect(s.State ?? 'ENABLED').toBe('ENABLED');
        }
      }
    }
    // prod: credit-default and fraud-score; staging: fraud-score by config.
    expect(count).toBe(3);
  });

  test.each(ENVIRONMENTS)(
    "%s: the job runs AWS's scikit-learn image and the estate's script, network-isolated in the isolated subnets, the ML key on volume and output, as its own role",
    (e) => {
      for (const model of monitoredModels(e)) {
        const { definition } = machineOf(e, model.id);
        const job = definition.States.Analyse.Arguments;
        expect(definition.States.Analyse.Resource).toBe('arn:aws:states:::sagemaker:createProcessingJob.sync');
        expect(job.AppSpecification.ImageUri).toBe(
          `${SKLEARN_PROCESSING_REGISTRY['eu-west-1']}.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
        );
        expect(job.AppSpecification.ContainerEntrypoint).toEqual([
          'python3',
          expect.stringMatching(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/),
        ]);
        expect(job.NetworkConfig).toEqual({
          EnableNetworkIsolation: true,
          EnableInterContainerTrafficEncryption: true,
          VpcConfig: { Subnets: expect.any(Array), SecurityGroupIds: [expect.stringMatching(/EndpointSecurityGroup/)] },
        });
        // The same isolated subnets as the endpoint's models (the foundation's workload subnets, no route out).
        const [[, m]] = resources(stackOf(e, model.id), 'AWS::SageMaker::Model').filter(([id]) =>
          id.startsWith(`${model.id.replace(/-/g, '')}Endpoint`),
        );
        expect(job.NetworkConfig.VpcConfig.Subnets).toEqual(
          m.Properties.VpcConfig.Subnets.map((t: any) => `<${JSON.stringify(t).replace(/"/g, "'")}>`),
        );
        expect(job.NetworkConfig.VpcConfig.Subnets.length).toBeGreaterThanOrEqual(2);
        expect(job.ProcessingResources.ClusterConfig).toEqual({
          InstanceCount: 1,
          InstanceType: 'ml.m5.xlarge',
          VolumeSizeInGB: 30,
          VolumeKmsKeyId: expect.stringMatching(/KeysMlKey/),
        });
        expect(job.ProcessingOutputConfig.KmsKeyId).toMatch(/KeysMlKey/);
        expect(job.RoleArn).toMatch(/EndpointMonitoringJobRole/);
        expect(job.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
      }
    },
  );

  test("least privilege: the job reads only its endpoint's captures, labels and baseline and writes only its reports; the runner starts only isolated, KMS jobs of its own prefix", () => {
    const e = 'prod';
    for (const model of monitoredModels(e)) {
      const st = stackOf(e, model.id);
      const policy = (prefix: string) =>
        resources(st, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
          id.startsWith(`${model.id.replace(/-/g, '')}EndpointMonitoring${prefix}`),
        )[0][1].Properties.PolicyDocument.Statement;
      const job = policy('JobRole');
      const text = JSON.stringify(job);
      const writes = job.filter((s: any) =>
        [s.Action].flat().some((a: string) => /Put|Delete/.test(a) && a.startsWith('s3:')),
      );
      expect(writes).toEqual([expect.objectContaining({ Sid: 'WriteReports', Action: 's3:PutObject' })]);
      expect(JSON.stringify(writes[0].Resource)).toContain(`/monitoring/${e}-${model.id}/reports/*`);
      expect(text).not.toMatch(/sagemaker:Create|iam:PassRole|s3:\*|"\*"\]?,"Sid":"Read/);
      const reads = job.find((s: any) => s.Sid === 'ReadCapturesLabelsBaseline');
      expect(JSON.stringify(reads.Resource)).toContain(`/capture/${e}-${model.id}/*`);
      const runner = policy('RunnerRole');
      const create = runner.find((s: any) => s.Sid === 'StartIsolatedJobs');
      expect(create.Action).toBe('sagemaker:CreateProcessingJob');
      expect(create.Resource).toBe(`arn:aws:sagemaker:eu-west-1:333333333333:processing-job/${e}-${model.id}-mon-*`);
      expect(create.Condition.Bool).toEqual({
        'sagemaker:NetworkIsolation': 'true',
        'sagemaker:InterContainerTrafficEncryption': 'true',
      });
      expect(Object.keys(create.Condition.ArnEquals).sort()).toEqual([
        'sagemaker:OutputKmsKeyArn',
        'sagemaker:VolumeKmsKeyArn',
      ]);
      const put = runner.find((s: any) => s.Sid === 'PublishMonitoringMetrics');
      expect(put.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': MONITORING_NAMESPACE } });
      expect(runner.find((s: any) => s.Sid === 'PassJobRole').Condition).toEqual({
        StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
      });
      // The endpoint's own role no longer writes monitoring output, and its monitoring runs with another role.
      const endpointGrants = resources(st, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
        id.startsWith(`${model.id.replace(/-/g, '')}EndpointExecutionRole`),
      )[0][1].Properties.PolicyDocument.Statement;
      expect(JSON.stringify(endpointGrants)).not.toContain('/monitoring/');
    }
  });

  test.each(ENVIRONMENTS)(
    "%s: alarms per signal at the tier's thresholds, notifying the environment's topic; the dashboard shows them",
    (e) => {
      for (const model of monitoredModels(e)) {
        const tier = synth.config.modelRisk.tiers[model.riskTier];
        const alarms: Record<string, any> = Object.fromEntries(
          alarmsOf(e, model.id).map(([, a]) => [a.AlarmName.slice(`${e}-${model.id}-`.length), a]),
        );
        const on = (kind: string) => alarms[kind];
        expect(on('feature-drift')).toMatchObject({
          Namespace: MONITORING_NAMESPACE,
          MetricName: 'MaxFeaturePsi',
          Statistic: 'Maximum',
          Threshold: tier.psiBlock,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        expect(on('score-drift')).toMatchObject({ MetricName: 'ScorePsi', Threshold: tier.psiBlock });
        expect(on('data-quality')).toMatchObject({
          MetricName: 'DataQualityViolations',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        for (const f of model.protectedAttributes) {
          expect(on(`bias-${f}`)).toMatchObject({
            MetricName: 'DisparateImpact',
            Statistic: 'Minimum',
            Threshold: tier.minDisparateImpact,
            ComparisonOperator: 'LessThanThreshold',
            Dimensions: [
              { Name: 'Endpoint', Value: `${e}-${model.id}` },
              { Name: 'Facet', Value: f },
            ],
          });
        }
        if (model.problemType === 'binary_classification') {
          expect(on('model-quality')).toMatchObject({
            MetricName: 'Auc',
            Statistic: 'Minimum',
            Threshold: tier.minAuc,
            ComparisonOperator: 'LessThanThreshold',
            Period: 86400,
          });
          expect(on('f1')).toMatchObject({ MetricName: 'F1', Threshold: tier.minF1 });
        } else if (model.maxRmse) {
          expect(on('model-quality')).toMatchObject({
            MetricName: 'Rmse',
            Statistic: 'Maximum',
            Threshold: model.maxRmse,
            ComparisonOperator: 'GreaterThanThreshold',
          });
        }
        expect(on('monitoring-silent')).toMatchObject({
          MetricName: 'RecordsAnalyzed',
          Statistic: 'SampleCount',
          TreatMissingData: 'breaching',
        });
        expect(on('monitoring-failed')).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' });
        for (const a of Object.values(alarms)) {
          expect(a.AlarmActions).toEqual([expect.objectContaining({ 'Fn::GetStackOutput': expect.anything() })]);
          expect(a.OKActions).toEqual(a.AlarmActions);
        }
        const [[, dashboard]] = resources(stackOf(e, model.id), 'AWS::CloudWatch::Dashboard').filter(
          ([, d]) => d.Properties.DashboardName === `${e}-${model.id}`,
        );
        const body = JSON.stringify(dashboard.Properties.DashboardBody);
        for (const metric of ['FeaturePsi', 'ScorePsi', 'MissingRate', 'RecordsAnalyzed'])
          expect(body).toContain(metric);
      }
    },
  );
});

/**
 * Evaluates a JSONata field the way Step Functions does: a string "{% expr %}" is an expression,
 * anything else is a literal (recursively). Step Functions adds $parse (a JSON string to a value)
 * to JSONata's library ("Transforming data with JSONata in Step Functions", Step Functions
 * Developer Guide); it is registered here with that meaning.
 */
async function resolve(value: any, bindings: Record<string, unknown>): Promise<any> {
  if (typeof value === 'string') {
    const m = /^\{%(.*)%\}$/s.exec(value);
    if (!m) return value;
    const expression = jsonata(m[1]);
    expression.registerFunction('parse', (text: string) => JSON.parse(text), '<s:j>');
    return expression.evaluate({}, bindings);
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolve(v, bindings)));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v, bindings)])),
    );
  return value;
}

/**
 * Runs a definition's Pass states from the start to FindInputs, with the input Scheduler sends; returns the variables.
 */
async function window(definition: any, input: Record<string, unknown>, startTime = '2026-12-01T00:15:07.123Z') {
  const vars: Record<string, unknown> = {};
  const states = { input, context: { Execution: { StartTime: startTime, Name: 'x' } } };
  for (const name of ['Window', 'Prefixes', 'Candidates']) {
    const assigned = await resolve(definition.States[name].Assign, { ...vars, states });
    Object.assign(vars, assigned);
  }
  const items = await resolve(definition.States.FindInputs.Items, { ...vars, states });
  return { vars, items: items as Array<{ kind: string; name: string; bucket: string; prefix: string }> };
}

describe("the state machine's JSONata, evaluated", () => {
  const prodCredit = () => machineOf('prod', 'credit-default').definition;

  test('an hourly run reads the previous hour of every production variant (across midnight), names its job after the window, and no labels', async () => {
    const { vars, items } = await window(prodCredit(), { window: 'hour', scheduledTime: '2026-12-01T00:15:00Z' });
    expect(items.map((i) => [i.kind, i.prefix])).toEqual([
      ['capture', 'capture/prod-credit-default/champion/2026/11/30/23/'],
      ['capture', 'capture/prod-credit-default/challenger/2026/11/30/23/'],
    ]);
    expect(vars.jobName).toBe('prod-credit-default-mon-h2026120100');
    expect(items.every((i) => i.bucket === 'inference-capture-333333333333-eu-west-1')).toBe(true);
  });

  test('a daily run reads the previous day and the labels that arrived that day and today', async () => {
    const { vars, items } = await window(prodCredit(), { window: 'day', scheduledTime: '2026-12-01T06:30:00Z' });
    expect(items.map((i) => [i.kind, i.name, i.prefix])).toEqual([
      ['capture', 'champion', 'capture/prod-credit-default/champion/2026/11/30/'],
      ['capture', 'challenger', 'capture/prod-credit-default/challenger/2026/11/30/'],
      ['ground-truth', '0', 'monitoring/prod-credit-default/ground-truth/2026/11/30/'],
      ['ground-truth', '1', 'monitoring/prod-credit-default/ground-truth/2026/12/01/'],
    ]);
    expect(vars.jobName).toBe('prod-credit-default-mon-d2026120100');
  });

  test('a retried or replayed start of the same window names the same job (SageMaker refuses a second one, which ends as AlreadyRun); the next window another', async () => {
    const a = await window(prodCredit(), { window: 'hour', scheduledTime: '2026-12-01T10:15:00Z' });
    const b = await window(
      prodCredit(),
      { window: 'hour', scheduledTime: '2026-12-01T10:15:00Z' },
      '2026-12-01T10:59:59Z',
    );
    const c = await window(prodCredit(), { window: 'hour', scheduledTime: '2026-12-01T11:15:00Z' });
    expect(a.vars.jobName).toBe(b.vars.jobName);
    expect(c.vars.jobName).not.toBe(a.vars.jobName);
    expect(prodCredit().States.Analyse.Catch).toEqual([
      { ErrorEquals: ['SageMaker.ResourceInUseException'], Next: 'AlreadyRun' },
    ]);
    expect(String(a.vars.jobName).length).toBeLessThanOrEqual(63);
    // A manual start without a scheduled time takes the execution's start; anything but "day" is an hourly run.
    const manual = await window(prodCredit(), { window: 'weekly' });
    expect(manual.vars.jobName).toBe('prod-credit-default-mon-h2026120100');
  });

  test('only inputs that exist are given to the job, each under its own path; without any capture the run records zero records and starts no job', async () => {
    const definition = prodCredit();
    const { vars, items } = await window(definition, { window: 'day', scheduledTime: '2026-12-01T06:30:00Z' });
    const listed = items.map((i, n) => ({ ...i, found: n !== 1 && n !== 3 }));
    const found = await resolve(definition.States.FindInputs.Assign.found, { ...vars, states: { result: listed } });
    const args = await resolve(definition.States.Analyse.Arguments, { ...vars, found, states: {} });
    expect(args.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.LocalPath])).toEqual([
      ['code', '/opt/ml/processing/input/code'],
      ['baseline', '/opt/ml/processing/input/baseline'],
      ['capture-champion', '/opt/ml/processing/input/capture/champion'],
      ['ground-truth-0', '/opt/ml/processing/input/ground-truth/0'],
    ]);
    expect(args.ProcessingInputs[2].S3Input.S3Uri).toBe(
      's3://inference-capture-333333333333-eu-west-1/capture/prod-credit-default/champion/2026/11/30/',
    );
    expect(args.ProcessingInputs[1].S3Input.S3Uri).toBe(
      's3://inference-capture-333333333333-eu-west-1/monitoring/prod-credit-default/baseline/',
    );
    expect(args.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toBe(
      's3://inference-capture-333333333333-eu-west-1/monitoring/prod-credit-default/reports/prod-credit-default-mon-d2026120100',
    );
    const segments = synth.config.models
      .find((m) => m.id === 'credit-default')!
      .segmentation!.segments.flatMap((s) => ['--segment', segmentArgument(s)]);
    expect(args.AppSpecification.ContainerArguments).toEqual([
      'monitor',
      '--endpoint',
      'prod-credit-default',
      '--problem-type',
      'binary_classification',
      '--facets',
      'sex,age_band',
      '--window',
      'day',
      '--window-end',
      '2026-12-01T00:00:00.000Z',
      ...segments,
    ]);
    // No capture at all: the choice goes to NoTraffic.
    const none = await resolve(definition.States.FindInputs.Assign.found, {
      ...vars,
      states: { result: listed.map((i) => ({ ...i, found: i.kind !== 'capture' })) },
    });
    const anyTraffic = await resolve(definition.States.AnyTraffic.Choices[0].Condition, {
      ...vars,
      found: none,
      states: {},
    });
    expect(anyTraffic).toBe(false);
    expect(definition.States.AnyTraffic.Default).toBe('NoTraffic');
    expect(definition.States.NoTraffic.Arguments.MetricData).toEqual([
      {
        MetricName: 'RecordsAnalyzed',
        Dimensions: [{ Name: 'Endpoint', Value: 'prod-credit-default' }],
        Value: 0,
        Unit: 'Count',
      },
    ]);
  });
});

describe('generated traffic through the reference script, published as the state machine publishes, against the synthesized alarms (prod fraud-score)', () => {
  let root: string;
  const published: Record<string, any[]> = {};
  const scenarios = ['stable', 'drifted', 'label-shift', 'biased', 'broken-inputs'];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-wiring-'));
    execFileSync('python3', [path.join(__dirname, 'generate.py'), root]);
    const { definition } = machineOf('prod', 'fraud-score');
    const publish = definition.States.Publish;
    for (const scenario of scenarios) {
      const out = path.join(root, `out-${scenario}`);
      const dir = path.join(root, scenario);
      execFileSync('python3', [
        MONITORING_SCRIPT,
        'monitor',
        '--endpoint',
        'prod-fraud-score',
        '--problem-type',
        'binary_classification',
        '--facets',
        'age_band',
        '--baseline',
        path.join(root, 'baseline'),
        '--capture',
        ...fs.readdirSync(path.join(dir, 'capture')).map((v) => path.join(dir, 'capture', v)),
        '--ground-truth',
        path.join(dir, 'ground-truth', '0'),
        '--output',
        out,
      ]);
      // ReadIndex, then per batch ReadBatch and Put, with the job's files as S3 would return them.
      const index = await resolve(definition.States.ReadIndex.Output, {
        states: { result: { Body: fs.readFileSync(path.join(out, 'metrics', 'index.json'), 'utf8') } },
      });
      const batches = await resolve(publish.Items, { states: { input: index } });
      published[scenario] = [];
      for (const key of [batches].flat()) {
        const batch = await resolve(publish.ItemProcessor.States.ReadBatch.Output, {
          states: { result: { Body: fs.readFileSync(path.join(out, key), 'utf8') } },
        });
        const put = await resolve(publish.ItemProcessor.States.Put.Arguments, { states: { input: batch } });
        published[scenario].push(...put.MetricData.map((d: any) => ({ ...d, Namespace: put.Namespace })));
      }
    }
  }, 300000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const states = (scenario: string) => {
    const verdicts: Record<string, string> = {};
    for (const [, a] of alarmsOf('prod', 'fraud-score')) {
      // Segment alarms are held against segment traffic in test/segments/wiring.test.ts.
      if (a.Namespace !== MONITORING_NAMESPACE || a.Statistic === 'SampleCount' || a.AlarmName.includes('-segment-'))
        continue;
      verdicts[a.AlarmName.replace('prod-fraud-score-', '')] = verdict(a, published[scenario]);
    }
    return verdicts;
  };

  test('a stable window raises no monitoring alarm', () => {
    expect(states('stable')).toEqual({
      'feature-drift': 'OK',
      'score-drift': 'OK',
      'data-quality': 'OK',
      'bias-age_band': 'OK',
      'model-quality': 'OK',
      f1: 'OK',
    });
  });

  test("a drifted feature raises the feature-drift and score-drift alarms (PSI past the tier's block level) and nothing else", () => {
    expect(states('drifted')).toEqual({
      'feature-drift': 'ALARM',
      'score-drift': 'ALARM',
      'data-quality': 'OK',
      'bias-age_band': 'OK',
      'model-quality': 'OK',
      f1: 'OK',
    });
  });

  test('a quality drop (label shift) raises model-quality (AUC under the floor) and F1, without any drift alarm', () => {
    expect(states('label-shift')).toEqual({
      'feature-drift': 'OK',
      'score-drift': 'OK',
      'data-quality': 'OK',
      'bias-age_band': 'OK',
      'model-quality': 'ALARM',
      f1: 'ALARM',
    });
  });

  test('a bias drop raises the age_band disparate-impact alarm; with no labels the quality alarms have no data (not a breach)', () => {
    expect(states('biased')).toMatchObject({
      'bias-age_band': 'ALARM',
      'feature-drift': 'OK',
      'data-quality': 'OK',
      'model-quality': 'INSUFFICIENT_DATA',
      f1: 'INSUFFICIENT_DATA',
    });
  });

  test('broken inputs raise the data-quality alarm', () => {
    expect(states('broken-inputs')).toMatchObject({
      'data-quality': 'ALARM',
      'feature-drift': 'OK',
      'model-quality': 'OK',
    });
  });

  test('the state machine stamps every datum with its own endpoint, whatever the job wrote (a report cannot speak for another endpoint)', async () => {
    const put = machineOf('prod', 'fraud-score').definition.States.Publish.ItemProcessor.States.Put;
    const forged = [
      { MetricName: 'Auc', Dimensions: [{ Name: 'Endpoint', Value: 'prod-credit-default' }], Value: 0.99 },
      {
        MetricName: 'FeaturePsi',
        Dimensions: [
          { Name: 'Feature', Value: 'x' },
          { Name: 'Endpoint', Value: 'other' },
        ],
        Value: 0.01,
      },
    ];
    const args = await resolve(put.Arguments, { states: { input: forged } });
    expect(args.Namespace).toBe(MONITORING_NAMESPACE);
    expect(args.MetricData.map((d: any) => d.Dimensions)).toEqual([
      [{ Name: 'Endpoint', Value: 'prod-fraud-score' }],
      [
        { Name: 'Endpoint', Value: 'prod-fraud-score' },
        { Name: 'Feature', Value: 'x' },
      ],
    ]);
    // A batch of one datum is still a list (JSONata collapses single-item sequences; PutMetricData needs a list).
    const single = await resolve(put.Arguments, { states: { input: [forged[0]] } });
    expect(Array.isArray(single.MetricData)).toBe(true);
  });
});

describe('the retraining trigger fires on the monitoring alarms (EventBridge pattern matching, moto)', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => moto?.stop());

  const delivered = (pattern: unknown, events: PatternEvent[]): boolean[] =>
    deliveredBy(moto.endpoint, pattern, events);

  test("staging fraud-score: its rule matches the ALARM state change of its model-quality, feature-drift and score-drift alarms only, and starts the pipeline naming the trigger 'alarm'", async () => {
    const st = stackOf('staging', 'fraud-score');
    const [[, rule]] = resources(st, 'AWS::Events::Rule').filter(([id]) => id.includes('OnQualityAlarm'));
    const alarms = Object.fromEntries(alarmsOf('staging', 'fraud-score'));
    const arnOf = (id: string) => `arn:aws:cloudwatch:eu-west-1:222222222222:alarm:${alarms[id].AlarmName}`;
    // GetAtt Arn of each alarm, as CloudFormation resolves it.
    const pattern = JSON.parse(JSON.stringify(rule.Properties.EventPattern), (_k, v) =>
      v && v['Fn::GetAtt'] ? arnOf(v['Fn::GetAtt'][0]) : v,
    );
    const event = (alarmName: string, state: string) => ({
      version: '0',
      id: '1',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '222222222222',
      time: '2026-12-01T07:00:00Z',
      region: 'eu-west-1',
      resources: [`arn:aws:cloudwatch:eu-west-1:222222222222:alarm:${alarmName}`],
      detail: { alarmName, state: { value: state, reason: 'Threshold Crossed' }, previousState: { value: 'OK' } },
    });
    const cases: Array<[string, string, boolean]> = [
      ['staging-fraud-score-model-quality', 'ALARM', true],
      ['staging-fraud-score-feature-drift', 'ALARM', true],
      ['staging-fraud-score-score-drift', 'ALARM', true],
      // Back to OK does not retrain; neither do data-quality or bias alarms (a broken feed or a fairness drop needs a
      // person), nor another model's alarm.
      ['staging-fraud-score-model-quality', 'OK', false],
      ['staging-fraud-score-data-quality', 'ALARM', false],
      ['staging-fraud-score-bias-age_band', 'ALARM', false],
      ['staging-fraud-score-monitoring-failed', 'ALARM', false],
      ['staging-credit-default-model-quality', 'ALARM', false],
    ];
    const got = delivered(
      pattern,
      cases.map(([name, state]) => event(name, state)),
    );
    expect(cases.map(([name, state], i) => [name, state, got[i]])).toEqual(cases);
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toBe('arn:aws:sagemaker:eu-west-1:222222222222:pipeline/staging-fraud-score-training');
    expect(target.SageMakerPipelineParameters.PipelineParameterList).toEqual([
      { Name: 'TriggerSource', Value: 'alarm' },
    ]);
  });
});
