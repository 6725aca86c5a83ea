/**
 * The deployment gate requires, of the exact variant that serves the promoted version in staging (production or
 * shadow), at least one 5XX-errors alarm and one latency alarm on exactly {EndpointName, VariantName}, OK for the
 * whole bake period. SageMaker publishes Invocation5XXErrors and ModelLatency with exactly those two dimensions
 * (SageMaker Developer Guide, "SageMaker AI endpoint invocation metrics"): an alarm on other, fewer or extra
 * dimensions watches a metric nobody publishes and stays OK forever with missing data not breaching.
 * Against moto: pass or fail, the record and the reason. The variant's own 5XX count is still read beside them.
 */
import { DeleteAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deploymentGate, DeploymentGateDeps, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { stagingEndpoint, traffic, variantAlarms } from './staging';
import { approvalWorld, ApprovalWorld } from './world';

const BAKE = GATE_CONFIG.deployment.stagingBakeMinutes;
let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const afterBake = () => new Date(Date.now() + (BAKE + 1) * 60_000);

beforeAll(async () => {
  w = await approvalWorld('variant-alarms');
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

const record = async (key: string) => (await w.json(key)) as unknown as DeploymentRecord;
const check = async (key: string, name: string) => (await record(key)).checks.find((c) => c.name === name);
const FIVE_XX = "serving variant's 5XX errors alarm";
const LATENCY = "serving variant's latency alarm";

/**
 * moto has no shadow variants: the named variant is answered under ShadowProductionVariants, in the shape the SageMaker
 * API Reference documents (DescribeEndpoint, DescribeEndpointConfig).
 */
function shadowing(sagemaker: SageMakerClient, shadow: string): SageMakerClient {
  const real = sagemaker.send.bind(sagemaker) as (c: unknown) => Promise<unknown>;
  return new Proxy(sagemaker, {
    get: (t, p) =>
      p === 'send'
        ? async (c: { constructor: { name: string } }) => {
            const out = await real(c);
            if (c.constructor.name === 'DescribeEndpointCommand') {
              const ep = out as DescribeEndpointCommandOutput;
              return {
                ...ep,
                ProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName === shadow).map((v) => ({
                  ...v,
                  CurrentWeight: 0.5,
                })),
              };
            }
            if (c.constructor.name === 'DescribeEndpointConfigCommand') {
              const cfg = out as DescribeEndpointConfigCommandOutput;
              return {
                ...cfg,
                ProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName === shadow),
              };
            }
            return out;
          }
        : Reflect.get(t, p),
  });
}

/** A staging endpoint serving an approved challenger in `variant`, with healthy traffic; alarms as `alarmed` says. */
async function served(
  endpoint: string,
  variant: string,
  alarmed: readonly string[] = [variant],
  extra: Record<string, string> = {},
) {
  const challenger = await version(w, 'fraud-score', { auc: 0.99 });
  await stagingEndpoint(
    w.sagemaker,
    endpoint,
    { ...extra, [variant]: challenger },
    true,
    {},
    { alarmedVariants: alarmed },
  );
  await traffic(w.cloudwatch, endpoint, variant, 500, -30);
  for (const v of Object.keys(extra)) await traffic(w.cloudwatch, endpoint, v, 500, -30);
  return challenger;
}

describe("the serving variant's own 5XX and latency alarms", () => {
  test('a production variant with both alarms on its own dimensions, OK for the bake, passes; the record names them', async () => {
    const challenger = await served('va-ok', 'AllTraffic');
    const result = await deploymentGate(deps)({
      requestId: 'ok',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-ok',
    });
    expect(result).toMatchObject({ pass: true, reasons: ['every promotion check passed'] });
    expect(await check(result.record!, FIVE_XX)).toMatchObject({
      passed: true,
      detail:
        'va-ok-AllTraffic-errors-5xx watches AWS/SageMaker Invocation5XXErrors {EndpointName=va-ok, VariantName=AllTraffic}, could fire within the bake, and has been OK for the whole bake period',
    });
    expect(await check(result.record!, LATENCY)).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/^va-ok-AllTraffic-latency-p99 watches AWS\/SageMaker ModelLatency/),
    });
    // The per-variant 5XX count is still read beside the alarms.
    expect(await check(result.record!, 'staging errors')).toMatchObject({ passed: true, value: 0 });
    expect((await record(result.record!)).inputs.alarms).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'va-ok-AllTraffic-errors-5xx',
          state: 'OK',
          watches: 'AWS/SageMaker Invocation5XXErrors {EndpointName=va-ok, VariantName=AllTraffic}',
        }),
      ]),
    );
  });

  test('a challenger in the shadow variant with its own alarms passes; the same without them (only the production variant alarmed) fails', async () => {
    const alarmed = await served('va-shadow', 'shadow', ['champion', 'shadow'], {
      champion: await version(w, 'fraud-score', { auc: 0.9 }),
    });
    const pass = await deploymentGate({ ...deps, sagemaker: shadowing(w.sagemaker, 'shadow') })({
      requestId: 'shadow-alarmed',
      modelPackageArn: alarmed,
      stagingEndpointName: 'va-shadow',
    });
    expect(await check(pass.record!, 'staging serves the package')).toMatchObject({
      passed: true,
      detail: expect.stringMatching(/shadow variant shadow/),
    });
    expect(pass).toMatchObject({ pass: true });

    const bare = await served('va-shadow-bare', 'shadow', ['champion'], {
      champion: await version(w, 'fraud-score', { auc: 0.9 }),
    });
    const fail = await deploymentGate({ ...deps, sagemaker: shadowing(w.sagemaker, 'shadow') })({
      requestId: 'shadow-bare',
      modelPackageArn: bare,
      stagingEndpointName: 'va-shadow-bare',
    });
    expect(fail.pass).toBe(false);
    expect(fail.reasons).toEqual([
      'no 5XX errors alarm watches the serving variant shadow of va-shadow-bare (AWS/SageMaker Invocation5XXErrors {EndpointName=va-shadow-bare, VariantName=shadow}, firing when it rises); found instead: va-shadow-bare-champion-errors-5xx watches AWS/SageMaker Invocation5XXErrors {EndpointName=va-shadow-bare, VariantName=champion}',
      'no latency alarm watches the serving variant shadow of va-shadow-bare (AWS/SageMaker ModelLatency {EndpointName=va-shadow-bare, VariantName=shadow}, firing when it rises); found instead: va-shadow-bare-champion-latency-p99 watches AWS/SageMaker ModelLatency {EndpointName=va-shadow-bare, VariantName=champion}',
    ]);
  });

  test('an ML engineer re-points staging to a config whose variant is renamed (canary): the estate alarms AllTraffic, so the promotion fails', async () => {
    const champion = await version(w, 'fraud-score', { auc: 0.9 });
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    // The estate deployed the endpoint (variant AllTraffic, alarmed) ...
    await stagingEndpoint(w.sagemaker, 'va-renamed', { AllTraffic: champion });
    // ... then a config of the engineer's own, variant canary, goes live (UpdateEndpoint creates no alarm; moto: delete
    // and create).
    const config = await stagingEndpoint(w.sagemaker, 'va-renamed', { canary: challenger }, false);
    await w.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'va-renamed' }));
    await w.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'va-renamed', EndpointConfigName: config }));
    await traffic(w.cloudwatch, 'va-renamed', 'canary', 500, -30);
    const result = await deploymentGate(deps)({
      requestId: 'renamed',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-renamed',
    });
    expect(result.pass).toBe(false);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        /^no 5XX errors alarm watches the serving variant canary of va-renamed .*found instead: va-renamed-AllTraffic-errors-5xx watches AWS\/SageMaker Invocation5XXErrors \{EndpointName=va-renamed, VariantName=AllTraffic\}$/,
      ),
    });
    expect(await check(result.record!, LATENCY)).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/found instead: va-renamed-AllTraffic-latency-p99/),
    });
    // Every other check of the bake passes: the missing alarms alone fail it.
    expect((await record(result.record!)).checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      FIVE_XX,
      LATENCY,
    ]);
  });

  test("the serving variant's latency alarm deleted: fails on latency alone; the 5XX alarm still counts", async () => {
    const challenger = await served('va-deleted', 'AllTraffic');
    await w.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['va-deleted-AllTraffic-latency-p99'] }));
    const result = await deploymentGate(deps)({
      requestId: 'deleted',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-deleted',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      'no latency alarm watches the serving variant AllTraffic of va-deleted (AWS/SageMaker ModelLatency {EndpointName=va-deleted, VariantName=AllTraffic}, firing when it rises)',
    ]);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({ passed: true });
  });

  test("alarms of another endpoint with the same variant name (and a name under this endpoint's prefix) do not count", async () => {
    const challenger = await served('va-other', 'AllTraffic', []);
    // Named va-other-AllTraffic-..., so DescribeAlarms' prefix lists them, but they watch va-other-2.
    for (const [name, metric] of [
      ['va-other-AllTraffic-errors-5xx', 'Invocation5XXErrors'],
      ['va-other-AllTraffic-latency-p99', 'ModelLatency'],
    ] as const) {
      await w.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'AWS/SageMaker',
          MetricName: metric,
          Statistic: 'Maximum',
          Dimensions: [
            { Name: 'EndpointName', Value: 'va-other-2' },
            { Name: 'VariantName', Value: 'AllTraffic' },
          ],
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 5,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
      await w.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'test' }));
    }
    await variantAlarms(w.cloudwatch, 'va-other-2', 'AllTraffic');
    const result = await deploymentGate(deps)({
      requestId: 'other',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-other',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      'no alarm watches the staging endpoint, so its health cannot be shown',
      expect.stringMatching(/^no 5XX errors alarm watches the serving variant AllTraffic of va-other \(/),
      expect.stringMatching(/^no latency alarm watches/),
    ]);
    expect((await record(result.record!)).inputs.alarms).toEqual([]);
  });

  test('alarms with an extra dimension (EndpointConfigName) watch a metric SageMaker does not publish: fail, and the reason shows the dimensions', async () => {
    const challenger = await served('va-extra', 'AllTraffic', []);
    await variantAlarms(w.cloudwatch, 'va-extra', 'AllTraffic', [
      { Name: 'EndpointName', Value: 'va-extra' },
      { Name: 'VariantName', Value: 'AllTraffic' },
      { Name: 'EndpointConfigName', Value: 'va-extra-config' },
    ]);
    const result = await deploymentGate(deps)({
      requestId: 'extra',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-extra',
    });
    expect(result.pass).toBe(false);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        /found instead: va-extra-AllTraffic-errors-5xx watches AWS\/SageMaker Invocation5XXErrors \{EndpointName=va-extra, VariantName=AllTraffic, EndpointConfigName=va-extra-config\}$/,
      ),
    });
    expect(await check(result.record!, LATENCY)).toMatchObject({ passed: false });
  });

  test('alarms on the endpoint only (no VariantName dimension) do not watch the variant: fail', async () => {
    const challenger = await served('va-endpoint-only', 'AllTraffic', []);
    await variantAlarms(w.cloudwatch, 'va-endpoint-only', 'AllTraffic', [
      { Name: 'EndpointName', Value: 'va-endpoint-only' },
    ]);
    const result = await deploymentGate(deps)({
      requestId: 'endpoint-only',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-endpoint-only',
    });
    expect(result.pass).toBe(false);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/watches AWS\/SageMaker Invocation5XXErrors \{EndpointName=va-endpoint-only\}$/),
    });
  });

  test("the serving variant's latency alarm in INSUFFICIENT_DATA fails, by the variant check and the endpoint's", async () => {
    const challenger = await served('va-insufficient', 'AllTraffic');
    await w.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'va-insufficient-AllTraffic-latency-p99',
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'test',
      }),
    );
    const result = await deploymentGate(deps)({
      requestId: 'insufficient',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-insufficient',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      'va-insufficient-AllTraffic-latency-p99 is INSUFFICIENT_DATA, not OK',
      `no latency alarm of variant AllTraffic has been OK for the whole ${BAKE}-minute bake period: va-insufficient-AllTraffic-latency-p99 is INSUFFICIENT_DATA`,
    ]);
  });

  test('a 5XX alarm that fires when errors fall (LessThanThreshold) does not watch errors: fail', async () => {
    const challenger = await served('va-falling', 'AllTraffic', []);
    await variantAlarms(w.cloudwatch, 'va-falling', 'AllTraffic');
    await w.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'va-falling-AllTraffic-errors-5xx',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Statistic: 'Sum',
        Dimensions: [
          { Name: 'EndpointName', Value: 'va-falling' },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'LessThanThreshold',
      }),
    );
    await w.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'va-falling-AllTraffic-errors-5xx',
        StateValue: 'OK',
        StateReason: 'test',
      }),
    );
    const result = await deploymentGate(deps)({
      requestId: 'falling',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-falling',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^no 5XX errors alarm watches the serving variant AllTraffic .*found instead: va-falling-AllTraffic-errors-5xx has ComparisonOperator LessThanThreshold, so a rise does not fire it$/,
      ),
    ]);
  });

  test('alarms made OK inside the bake period (deleted and recreated just before the gate asks) do not show the bake: fail', async () => {
    const challenger = await served('va-recreated', 'AllTraffic');
    // The gate asks 30 minutes from now: the alarms have been OK for 30 of the 60 minutes.
    const result = await deploymentGate({ ...deps, now: () => new Date(Date.now() + 30 * 60_000) })({
      requestId: 'recreated',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-recreated',
    });
    expect(result.pass).toBe(false);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        /^no 5XX errors alarm of variant AllTraffic has been OK for the whole 60-minute bake period: va-recreated-AllTraffic-errors-5xx is OK since /,
      ),
    });
  });

  test('a failing 5XX count still fails where every alarm is present and OK (the count check is kept)', async () => {
    const challenger = await served('va-count', 'AllTraffic');
    await traffic(w.cloudwatch, 'va-count', 'AllTraffic', 0, -30);
    const { PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    await w.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SageMaker',
        MetricData: [
          {
            MetricName: 'Invocation5XXErrors',
            Dimensions: [
              { Name: 'EndpointName', Value: 'va-count' },
              { Name: 'VariantName', Value: 'AllTraffic' },
            ],
            Timestamp: new Date(Date.now() + 30 * 60_000),
            Value: 50,
            Unit: 'None',
          },
        ],
      }),
    );
    const result = await deploymentGate(deps)({
      requestId: 'count',
      modelPackageArn: challenger,
      stagingEndpointName: 'va-count',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      'the serving variant answered 50 of 500 requests with a 5XX error in the bake period, above 1%',
    ]);
    expect(await check(result.record!, FIVE_XX)).toMatchObject({ passed: true });
  });
});
