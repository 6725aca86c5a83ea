/**
 * The deployment gate, tried as a hostile reviewer would, against moto:
 * pairing, the staging endpoint really serving the version, idle staging,
 * and stale answers. Each case asserts pass or fail, the record and the reason.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  deploymentGate,
  DeploymentGateDeps,
  DeploymentRecord,
  DeploymentRequest,
} from '../../lambdas/deployment-gate/handler';
import { deploymentDeps, version } from './promotion';
import { stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld } from './world';
import { GATE_CONFIG } from './fixtures';

let w: ApprovalWorld;
let RECORDS: string;
let s3: S3Client;
let sagemaker: SageMakerClient;
let cloudwatch: CloudWatchClient;
let deps: DeploymentGateDeps;

beforeAll(async () => {
  w = await approvalWorld('deploy-hostile');
  ({ s3, sagemaker, cloudwatch, records: RECORDS } = w);
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

/**
 * A version registered by its pipeline, decided by the approval gate, and left in `status` (a person's where it
 * differs).
 */
const pkg = (group: string, auc: unknown, status: 'Approved' | 'Rejected' | 'PendingManualApproval' = 'Approved') =>
  version(w, group, { auc, status });

async function alarm(name: string, state: 'OK' | 'ALARM') {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    }),
  );
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: 'test' }));
}

/** A staging endpoint with a quiet alarm, a champion and a challenger, and traffic on the challenger. */
async function staging(
  name: string,
  opts: { championAuc?: unknown; challengerAuc?: unknown; invocations?: number } = {},
) {
  await alarm(`${name}-5xx`, 'OK');
  const champion = await pkg('fraud-score', opts.championAuc ?? 0.9);
  const challenger = await pkg('fraud-score', opts.challengerAuc ?? 0.9);
  await stagingEndpoint(sagemaker, name, { champion, challenger });
  if (opts.invocations !== 0) await traffic(cloudwatch, name, 'challenger', opts.invocations ?? 500, -30);
  const request: DeploymentRequest = {
    requestId: `exec-${name}`,
    modelPackageArn: challenger,
    stagingEndpointName: name,
    championModelPackageArn: champion,
  };
  return { champion, challenger, request };
}

async function record(key: string): Promise<DeploymentRecord> {
  return JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: RECORDS, Key: key }))).Body!.transformToString(),
  );
}

async function expectFail(request: DeploymentRequest, reason: RegExp, gateDeps: Partial<DeploymentGateDeps> = {}) {
  const result = await deploymentGate({ ...deps, ...gateDeps })(request);
  expect(result.pass).toBe(false);
  expect(result.reasons.join('\n')).toMatch(reason);
  if (result.record) {
    const rec = await record(result.record);
    expect(rec).toMatchObject({ pass: false, schema: 'deployment-decision/2' });
    expect(rec.reasons.join('\n')).toMatch(reason);
  }
  return result;
}

describe('a clean promotion passes, so the failures below are the cases, not the set-up', () => {
  test('an approved challenger served in staging, with traffic, quiet alarms and a fair champion, passes', async () => {
    const { request } = await staging('clean-1');
    const result = await deploymentGate(deps)(request);
    expect(result).toMatchObject({ pass: true, answer: 1, replayed: false });
    expect((await record(result.record!)).inputs).toMatchObject({
      invocations: { count: 500 },
      serving: { ok: true, variant: 'challenger' },
    });
  });
});

describe('pairing: the champion must be another approved version of the same model', () => {
  test('a champion of another model fails', async () => {
    const { request } = await staging('pair-1');
    const other = await pkg('deposit-forecast', 0.5);
    await expectFail(
      { ...request, championModelPackageArn: other },
      /is a version of deposit-forecast, not of fraud-score/,
    );
  });
  test('the challenger as its own champion fails', async () => {
    const { request } = await staging('pair-2');
    await expectFail(
      { ...request, championModelPackageArn: request.modelPackageArn },
      /the champion and the challenger are the same version/,
    );
  });
  test('a rejected champion fails', async () => {
    const { request } = await staging('pair-3');
    const rejected = await pkg('fraud-score', 0.5, 'Rejected');
    await expectFail(
      { ...request, championModelPackageArn: rejected },
      /the champion version \d+ \(named by the request\) is Rejected, not Approved/,
    );
  });
  test('a champion of another account fails before anything is read', async () => {
    const { request } = await staging('pair-4');
    await expectFail(
      { ...request, championModelPackageArn: request.championModelPackageArn!.replace('123456789012', '999999999999') },
      /championModelPackageArn is not a model package ARN of this registry/,
    );
  });
  test('a challenger of another region fails before anything is read', async () => {
    const { request } = await staging('pair-5');
    await expectFail(
      { ...request, modelPackageArn: request.modelPackageArn!.replace('eu-west-1', 'us-east-1') },
      /package of another partition, region or account/,
    );
  });
  test("a challenger AUC of 75 (a percent) does not beat a champion's 0.90", async () => {
    const { request } = await staging('pair-6', { challengerAuc: 75 });
    await expectFail(request, /challenger evaluation: AUC 75 is outside its domain/);
  });
  test('a champion AUC of 90 (a percent) is refused, not compared', async () => {
    const { request } = await staging('pair-7', { championAuc: 90 });
    await expectFail(
      request,
      /champion evaluation \(version \d+ \(the latest Approved version before it, named by the request\)\): AUC 90 is outside its domain/,
    );
  });
});

describe('staging must really serve the version, and serve traffic', () => {
  test('a staging endpoint that does not exist fails', async () => {
    const { request } = await staging('serve-1');
    await expectFail(
      { ...request, stagingEndpointName: 'no-such-endpoint' },
      /the staging endpoint no-such-endpoint does not exist/,
    );
  });
  test('an endpoint whose current config serves only the champion fails for the challenger', async () => {
    await alarm('serve-2-5xx', 'OK');
    const champion = await pkg('fraud-score', 0.9);
    const challenger = await pkg('fraud-score', 0.9);
    await stagingEndpoint(sagemaker, 'serve-2', { champion });
    await traffic(cloudwatch, 'serve-2', 'champion', 500, -30);
    await expectFail(
      {
        requestId: 'exec-serve-2',
        modelPackageArn: challenger,
        stagingEndpointName: 'serve-2',
        championModelPackageArn: champion,
      },
      /current config serve-2-config-\d+ does not serve/,
    );
  });
  test('an idle endpoint fails: quiet alarms on missing data are not health', async () => {
    const { request } = await staging('idle-1', { invocations: 0 });
    await expectFail(request, /served 0 invocation\(s\) in the 60-minute bake period, fewer than the 100 required/);
  });
  test('99 invocations of 100 required fails; traffic before the bake window does not count', async () => {
    const { request } = await staging('idle-2', { invocations: 99 });
    await traffic(cloudwatch, 'idle-2', 'challenger', 1000, 600);
    await expectFail(request, /served 99 invocation\(s\)/);
  });
  test('exactly the required 100 invocations pass', async () => {
    const { request } = await staging('idle-3', { invocations: 100 });
    expect(await deploymentGate(deps)(request)).toMatchObject({ pass: true });
  });
  test("traffic on the champion's variant does not count for the challenger", async () => {
    const { request } = await staging('idle-4', { invocations: 0 });
    await traffic(cloudwatch, 'idle-4', 'champion', 5000, -30);
    await expectFail(request, /served 0 invocation\(s\)/);
  });
  test('invocations that cannot be read fail the promotion', async () => {
    const { request } = await staging('idle-5');
    const real = cloudwatch.send.bind(cloudwatch) as (c: unknown) => Promise<unknown>;
    const broken = new Proxy(cloudwatch, {
      get: (t, p) =>
        p === 'send'
          ? (c: { constructor: { name: string } }) =>
              c.constructor.name === 'GetMetricStatisticsCommand'
                ? Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDenied' }))
                : real(c)
          : Reflect.get(t, p),
    });
    await expectFail(request, /invocations could not be read: AccessDenied/, { cloudwatch: broken });
  });
});

describe('staleness: an answer is reused only while its inputs are unchanged', () => {
  test('the same request with nothing changed returns the recorded answer and writes nothing', async () => {
    const { request } = await staging('stale-1');
    const first = await deploymentGate(deps)(request);
    const second = await deploymentGate(deps)(request);
    expect(second).toMatchObject({ pass: true, replayed: true, answer: 1, record: first.record });
  });
  test('a pass, then the package rejected: the retry of the same stage fails, in a new answer', async () => {
    const { request } = await staging('stale-2');
    expect(await deploymentGate(deps)(request)).toMatchObject({ pass: true, answer: 1 });
    await sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: request.modelPackageArn,
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'found a leak',
      }),
    );
    const retry = await expectFail(request, /the model package is Rejected, not Approved/);
    expect(retry).toMatchObject({ answer: 2, replayed: false });
  });
  test('a pass, then a staging alarm fires: the retry fails', async () => {
    const { request } = await staging('stale-3');
    expect((await deploymentGate(deps)(request)).pass).toBe(true);
    await alarm('stale-3-5xx', 'ALARM');
    expect(await expectFail(request, /stale-3-5xx is ALARM, not OK/)).toMatchObject({ answer: 2 });
  });
  test('a failure clears once its cause has: idle, then served traffic', async () => {
    const { request } = await staging('stale-4', { invocations: 0 });
    await expectFail(request, /served 0 invocation/);
    await traffic(cloudwatch, 'stale-4', 'challenger', 400, -30);
    expect(await deploymentGate(deps)(request)).toMatchObject({ pass: true, answer: 2, replayed: false });
  });
  test('a changed policy decides again', async () => {
    const { request } = await staging('stale-5');
    await deploymentGate(deps)(request);
    expect(await deploymentGate({ ...deps, policyDigest: 'sha256:new' })(request)).toMatchObject({
      answer: 2,
      replayed: false,
    });
  });
});
