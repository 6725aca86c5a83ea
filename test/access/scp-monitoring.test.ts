/**
 * Model monitoring (SR 11-7 "ongoing monitoring") cannot be switched off by an
 * environment's admin: every Model Monitor schedule and job definition the
 * estate deploys cannot be stopped, deleted or updated, nor any run of a
 * monitoring runner state machine stopped, but by the deployment role (and
 * break-glass). Asked of the synthesized SCPs and every such resource of every
 * environment template.
 *
 * By name, not tag: the Service Authorization Reference lists no condition
 * key for states:StopExecution's execution beyond a resource tag, and
 * executions take no tags (Step Functions Developer Guide, "Tagging": state
 * machines and activities only); so the estate names what it deploys with
 * the environment's prefix and the statement names the prefix.
 */
import { defaultEstateConfig, synthesizeEstate } from '../support/estate';
import { EstateModel, memberAdmin, TemplateInfo } from './estate-model';
import { ask, scpsWith, scpsWithout } from './simulate';
import { monitoringName } from '../../lib/delivery/names';

let models: EstateModel[];
let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  // The estate's own runner (the default), and SageMaker Model Monitor (prod's `monitoringService: model-monitor`).
  const config = defaultEstateConfig();
  const modelMonitor = {
    ...config,
    environments: config.environments.map((e) =>
      e.type === 'prod' ? { ...e, monitoringService: 'model-monitor' as const } : e,
    ),
  };
  models = [new EstateModel(synthesizeEstate(config)), new EstateModel(synthesizeEstate(modelMonitor))];
  model = models[0];
  scps = model.scps();
  // The guardrails do not depend on the monitoring service.
  expect(models[1].scps()).toEqual(scps);
});

const environmentTemplates = () =>
  models.flatMap((m) => m.templates.filter((t) => t.key.includes('/')).map((t) => Object.assign(t, { model: m })));
const envName = (t: TemplateInfo) => t.key.split('/')[0];
const execRole = (t: TemplateInfo) =>
  memberAdmin(t.account, `arn:aws:iam::${t.account}:role/cdk-hnb659fds-cfn-exec-role-${t.account}-${t.region}`);
const breakGlass = (t: TemplateInfo) =>
  memberAdmin(t.account, `arn:aws:iam::${t.account}:role/${model.synth.config.organization.breakGlassRoleName}`);

/** Every resource of these types in the environments, with the ARN it will have. */
function deployed(types: Record<string, (name: string, t: TemplateInfo) => string>, nameProperty: string) {
  const out: Array<{ t: TemplateInfo; id: string; name: string; arn: string }> = [];
  for (const t of environmentTemplates()) {
    for (const [id, r] of Object.entries(t.resources)) {
      const arnOf = types[r.Type];
      if (!arnOf) continue;
      const name = (t as TemplateInfo & { model: EstateModel }).model.resolve(t, r.Properties?.[nameProperty]);
      out.push({ t, id, name, arn: arnOf(String(name), t) });
    }
  }
  return out;
}

const schedules = () =>
  deployed(
    {
      'AWS::SageMaker::MonitoringSchedule': (n, t) =>
        `arn:aws:sagemaker:${t.region}:${t.account}:monitoring-schedule/${n}`,
    },
    'MonitoringScheduleName',
  );
const definitions = () =>
  deployed(
    {
      'AWS::SageMaker::DataQualityJobDefinition': (n, t) =>
        `arn:aws:sagemaker:${t.region}:${t.account}:data-quality-job-definition/${n}`,
      'AWS::SageMaker::ModelQualityJobDefinition': (n, t) =>
        `arn:aws:sagemaker:${t.region}:${t.account}:model-quality-job-definition/${n}`,
      'AWS::SageMaker::ModelBiasJobDefinition': (n, t) =>
        `arn:aws:sagemaker:${t.region}:${t.account}:model-bias-job-definition/${n}`,
      'AWS::SageMaker::ModelExplainabilityJobDefinition': (n, t) =>
        `arn:aws:sagemaker:${t.region}:${t.account}:model-explainability-job-definition/${n}`,
    },
    'JobDefinitionName',
  );
const runners = () =>
  deployed(
    {
      'AWS::StepFunctions::StateMachine': (n, t) =>
        `arn:aws:states:${t.region}:${t.account}:execution:${n}:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`,
    },
    'StateMachineName',
  );

const starters = () =>
  deployed(
    { 'AWS::Scheduler::Schedule': (n, t) => `arn:aws:scheduler:${t.region}:${t.account}:schedule/default/${n}` },
    'Name',
  );

const without = (action: string) =>
  scpsWith(scps, 'ProtectTheEstate', (s) => ({ ...s, Action: s.Action.filter((a: string) => a !== action) }));

describe('every monitoring resource the estate deploys is named with its environment prefix (what the guardrail names)', () => {
  test.each([
    ['Model Monitor schedules', schedules],
    ['Model Monitor job definitions', definitions],
    ['monitoring runner state machines', runners],
    ['Scheduler schedules that start the runners (default group)', starters],
  ])('%s', (_kind, found) => {
    const all = found();
    expect(all.length).toBeGreaterThan(0);
    for (const r of all)
      expect([
        r.t.key,
        r.id,
        r.name.startsWith(`${envName(r.t)}-`),
        /(quality|-monitoring|-hourly|-daily)$/.test(r.name),
      ]).toEqual([r.t.key, r.id, true, true]);
  });

  test('the Scheduler schedules are in the default group (what the statement names)', () => {
    for (const t of environmentTemplates()) {
      for (const [id, r] of Object.entries(t.resources).filter(([, x]) => x.Type === 'AWS::Scheduler::Schedule'))
        expect([t.key, id, r.Properties?.GroupName]).toEqual([t.key, id, undefined]);
    }
  });

  test('a long endpoint name keeps the kind at the end of its schedule name (what the pattern matches), within 63 characters, apart from its neighbours', () => {
    const long = `prod-${'x'.repeat(58)}`;
    const names = ['DataQuality', 'ModelQuality'].flatMap((kind) => [
      monitoringName(long, kind),
      monitoringName(`${long.slice(0, 62)}y`, kind),
    ]);
    for (const n of names) expect([n, n.length <= 63, n.endsWith('quality')]).toEqual([n, true, true]);
    expect(new Set(names).size).toBe(4);
    expect(monitoringName('prod-credit-default', 'DataQuality')).toBe('prod-credit-default-dataquality');
  });
});

describe.each([
  ['sagemaker:StopMonitoringSchedule', schedules],
  ['sagemaker:DeleteMonitoringSchedule', schedules],
  ['sagemaker:UpdateMonitoringSchedule', schedules],
  ['sagemaker:DeleteDataQualityJobDefinition', () => definitions().filter((d) => d.arn.includes(':data-quality-'))],
  ['sagemaker:DeleteModelQualityJobDefinition', () => definitions().filter((d) => d.arn.includes(':model-quality-'))],
  ['states:StopExecution', runners],
  ['scheduler:UpdateSchedule', starters],
  ['scheduler:DeleteSchedule', starters],
])('%s', (action, found) => {
  test("denied to the account's admin on every one the estate deploys, by ProtectTheEstate; the deployment role and break-glass may", async () => {
    const all = found();
    expect(all.length).toBeGreaterThan(0);
    for (const { t, id, arn } of all) {
      const q = { action, resource: arn, resourceAccount: t.account, region: t.region };
      const a = await ask({ scps, principal: memberAdmin(t.account), ...q });
      expect([t.key, id, a.decision, a.by.map((b) => b.statement)]).toEqual([
        t.key,
        id,
        'denied',
        ['ProtectTheEstate'],
      ]);
      expect([t.key, id, (await ask({ scps, principal: execRole(t), ...q })).decision]).toEqual([t.key, id, 'allowed']);
      expect([t.key, id, (await ask({ scps, principal: breakGlass(t), ...q })).decision]).toEqual([
        t.key,
        id,
        'allowed',
      ]);
    }
  });

  test('allowed to the admin without the action in the statement, and without the statement', async () => {
    for (const { t, id, arn } of found()) {
      const q = {
        action,
        resource: arn,
        resourceAccount: t.account,
        region: t.region,
        principal: memberAdmin(t.account),
      };
      const expanded =
        action.startsWith('sagemaker:Delete') && action.endsWith('JobDefinition')
          ? 'sagemaker:Delete*JobDefinition'
          : action === 'sagemaker:UpdateMonitoringSchedule'
            ? 'sagemaker:UpdateMonitoring*'
            : action.startsWith('scheduler:')
              ? 'scheduler:*eSchedule'
              : action;
      expect([t.key, id, (await ask({ scps: without(expanded), ...q })).decision]).toEqual([t.key, id, 'allowed']);
      expect([t.key, id, (await ask({ scps: scpsWithout(scps, 'ProtectTheEstate'), ...q })).decision]).toEqual([
        t.key,
        id,
        'allowed',
      ]);
    }
  });
});

describe('hostile and neighbouring cases', () => {
  const prod = () => environmentTemplates().find((t) => t.key.startsWith('prod/'))!;

  test("an admin's own schedule, definition and state machine (not named like the estate's) stay the admin's", async () => {
    const t = prod();
    for (const [action, arn] of [
      [
        'sagemaker:StopMonitoringSchedule',
        `arn:aws:sagemaker:${t.region}:${t.account}:monitoring-schedule/experiment-drift`,
      ],
      [
        'sagemaker:DeleteDataQualityJobDefinition',
        `arn:aws:sagemaker:${t.region}:${t.account}:data-quality-job-definition/experiment-drift`,
      ],
      ['states:StopExecution', `arn:aws:states:${t.region}:${t.account}:execution:experiment:1`],
    ]) {
      expect([
        action,
        (
          await ask({
            scps,
            principal: memberAdmin(t.account),
            action,
            resource: arn,
            resourceAccount: t.account,
            region: t.region,
          })
        ).decision,
      ]).toEqual([action, 'allowed']);
    }
  });

  test("another account's execution role is not exempt in prod (the exemption is per account)", async () => {
    const t = prod();
    const dev = environmentTemplates().find((x) => x.key.startsWith('dev/'))!;
    const [schedule] = schedules().filter((s) => s.t.account === t.account);
    const foreign = memberAdmin(
      t.account,
      `arn:aws:iam::${t.account}:role/cdk-hnb659fds-cfn-exec-role-${dev.account}-${t.region}`,
    );
    const a = await ask({
      scps,
      principal: foreign,
      action: 'sagemaker:DeleteMonitoringSchedule',
      resource: schedule.arn,
      resourceAccount: t.account,
      region: t.region,
    });
    expect(a.decision).toBe('denied');
  });

  test('a monitoring alert of an estate schedule cannot be re-tuned (UpdateMonitoringAlert) but by the deploy', async () => {
    const [s] = schedules();
    const q = {
      action: 'sagemaker:UpdateMonitoringAlert',
      resource: s.arn,
      resourceAccount: s.t.account,
      region: s.t.region,
    };
    expect((await ask({ scps, principal: memberAdmin(s.t.account), ...q })).decision).toBe('denied');
    expect((await ask({ scps, principal: execRole(s.t), ...q })).decision).toBe('allowed');
  });

  test('reads stay open: describing schedules and executions', async () => {
    const [s] = schedules();
    const [r] = runners();
    expect(
      (
        await ask({
          scps,
          principal: memberAdmin(s.t.account),
          action: 'sagemaker:DescribeMonitoringSchedule',
          resource: s.arn,
          resourceAccount: s.t.account,
          region: s.t.region,
        })
      ).decision,
    ).toBe('allowed');
    expect(
      (
        await ask({
          scps,
          principal: memberAdmin(r.t.account),
          action: 'states:DescribeExecution',
          resource: r.arn,
          resourceAccount: r.t.account,
          region: r.t.region,
        })
      ).decision,
    ).toBe('allowed');
  });
});
