/**
 * The deployment gate judges the bake of the staging endpoint's current
 * config only. SageMaker's Invocations metric and the endpoint's alarms are
 * keyed by endpoint and variant name (no config or model dimension), so
 * traffic and quiet alarms from before the current config went live were
 * another model's. The gate reads the endpoint's LastModifiedTime (moved by
 * UpdateEndpoint; moto lacks UpdateEndpoint, so a re-point is shown by
 * re-creating the endpoint under its name, which is what CloudWatch keys the
 * metrics by), requires it before the bake period began, counts invocations
 * only since it, and requires the variant serving the package to have a
 * current weight above 0. Missing data is not health.
 *
 * Also: what would reach prod must come from the estate (images in its
 * registries, by digest outside dev; model data from the model's training
 * runs in the artifact bucket), whoever approved the package.
 *
 * Each case asserts pass or fail, the record and the reason.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  deploymentGate,
  DeploymentGateDeps,
  DeploymentRecord,
  DeploymentRequest,
} from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld } from './world';

const BAKE = GATE_CONFIG.deployment.stagingBakeMinutes;
let w: ApprovalWorld;
let ARTIFACTS: string;
let RECORDS: string;
let s3: S3Client;
let sagemaker: SageMakerClient;
let cloudwatch: CloudWatchClient;
let deps: DeploymentGateDeps;

beforeAll(async () => {
  w = await approvalWorld('bake');
  ({ s3, sagemaker, cloudwatch, artifacts: ARTIFACTS, records: RECORDS } = w);
  deps = deploymentDeps(w);
}, 60_000);
afterAll(async () => w?.stop());

/**
 * The gate's clock `minutes` from now: the endpoint went live now, so the bake began `BAKE - minutes` minutes before
 * it.
 */
const at = (minutes: number) => () => new Date(Date.now() + minutes * 60_000);

/** A version its pipeline registered and the approval gate approved (its evaluation read and recorded). */
const approved = (auc = 0.9) => version(w, 'fraud-score', { auc });

async function judge(request: DeploymentRequest, clock: () => Date) {
  const result = await deploymentGate({ ...deps, now: clock })(request);
  const rec = JSON.parse(
    await (await s3.send(new GetObjectCommand({ Bucket: RECORDS, Key: result.record! }))).Body!.transformToString(),
  ) as DeploymentRecord;
  return { result, rec, reasons: result.reasons.join('\n') };
}

describe("the bake is the current config's, not the previous model's", () => {
  test('a challenger switched onto the staging endpoint inside the bake period fails, whatever the variant served before', async () => {
    const endpoint = 'bake-switch';
    await endpointAlarm(cloudwatch, endpoint);
    const champion = await approved();
    const challenger = await approved();
    // The champion serves variant AllTraffic and answers 500 requests, 10 minutes before the switch.
    await stagingEndpoint(sagemaker, endpoint, { AllTraffic: champion });
    await traffic(cloudwatch, endpoint, 'AllTraffic', 500, 10);
    // The endpoint is re-pointed at the challenger under the same variant name; no request reaches it since.
    const config = await stagingEndpoint(sagemaker, endpoint, { AllTraffic: challenger }, false);
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpoint }));
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: config }));
    const live = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }))).LastModifiedTime!;
    // The gate decides 30 minutes later: the bake period began 30 minutes before the switch and covers the champion's
    // traffic.
    const { result, rec, reasons } = await judge(
      {
        requestId: 'exec-bake-switch',
        modelPackageArn: challenger,
        stagingEndpointName: endpoint,
        championModelPackageArn: champion,
      },
      at(BAKE - 30),
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/the current config went live at .*, after the 60-minute bake period began/);
    // Only the challenger's own traffic counts: the 500 invocations before the switch are not credited to it.
    expect(rec.inputs).toMatchObject({ invocations: { count: 0 }, countedFrom: new Date(live).toISOString() });
    expect(rec.checks.find((c) => c.name === 'staging traffic')).toMatchObject({ passed: false, value: 0 });
    expect(rec.pass).toBe(false);
  });

  test('the same endpoint, decided once the current config has been live for the whole bake period, passes (control)', async () => {
    const endpoint = 'bake-whole';
    await endpointAlarm(cloudwatch, endpoint);
    const champion = await approved();
    const challenger = await approved();
    await stagingEndpoint(sagemaker, endpoint, { champion, challenger });
    await traffic(cloudwatch, endpoint, 'challenger', 500, -30);
    const { result, rec } = await judge(
      {
        requestId: 'exec-bake-whole',
        modelPackageArn: challenger,
        stagingEndpointName: endpoint,
        championModelPackageArn: champion,
      },
      at(BAKE + 1),
    );
    expect(result).toMatchObject({ pass: true, reasons: ['every promotion check passed'] });
    expect(rec.checks.find((c) => c.name === 'bake of the current config')).toMatchObject({ passed: true });
    expect(rec.inputs).toMatchObject({
      serving: { ok: true, variant: 'challenger', weight: 1 },
      invocations: { count: 500 },
    });
  });

  test('a config live one minute short of the bake period fails (boundary)', async () => {
    const endpoint = 'bake-short';
    await endpointAlarm(cloudwatch, endpoint);
    const champion = await approved();
    const challenger = await approved();
    await stagingEndpoint(sagemaker, endpoint, { champion, challenger });
    await traffic(cloudwatch, endpoint, 'challenger', 500, -30);
    const { result, reasons } = await judge(
      {
        requestId: 'exec-bake-short',
        modelPackageArn: challenger,
        stagingEndpointName: endpoint,
        championModelPackageArn: champion,
      },
      at(BAKE - 1),
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/after the 60-minute bake period began/);
  });

  test('the package served in a variant of weight 0 receives no requests and fails, even with traffic on the endpoint', async () => {
    const endpoint = 'bake-weightless';
    await endpointAlarm(cloudwatch, endpoint);
    const champion = await approved();
    const challenger = await approved();
    await stagingEndpoint(sagemaker, endpoint, { champion, challenger }, true, { challenger: 0 });
    await traffic(cloudwatch, endpoint, 'champion', 500, -30);
    const { result, rec, reasons } = await judge(
      {
        requestId: 'exec-bake-weightless',
        modelPackageArn: challenger,
        stagingEndpointName: endpoint,
        championModelPackageArn: champion,
      },
      at(BAKE + 1),
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      /serves the package in variant challenger, whose current weight is (0|not reported): it receives no requests/,
    );
    expect(rec.inputs).toMatchObject({ serving: { ok: false } });
  });
});

describe('what reaches prod comes from the estate, whoever approved it', () => {
  /** A pipeline package a person approved although the approval gate rejected it for what it serves. */
  const personApproved = (image: string, modelData?: string) => version(w, 'fraud-score', { image, modelData });
  const DIGEST_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-score@sha256:${'ab'.repeat(32)}`;

  async function judgeServed(name: string, image: string, modelData?: string) {
    await endpointAlarm(cloudwatch, name);
    const champion = await approved();
    const challenger = await personApproved(image, modelData);
    await stagingEndpoint(sagemaker, name, { champion, challenger });
    await traffic(cloudwatch, name, 'challenger', 500, -30);
    return judge(
      {
        requestId: `exec-${name}`,
        modelPackageArn: challenger,
        stagingEndpointName: name,
        championModelPackageArn: champion,
      },
      at(BAKE + 1),
    );
  }

  test("an image of another account by a movable tag and model data in somebody else's bucket fail", async () => {
    const { result, rec, reasons } = await judgeServed(
      'foreign-artifacts',
      '999999999999.dkr.ecr.eu-west-1.amazonaws.com/anything:latest',
      's3://somebody-elses-bucket/model.tar.gz',
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/image 999999999999\.dkr\.ecr.*anything:latest is outside the estate's registries/);
    expect(reasons).toMatch(
      /model data s3:\/\/somebody-elses-bucket\/model.tar.gz is outside the estate's artifact bucket bake-artifacts/,
    );
    expect(rec.checks.filter((c) => /^(image|model data) 0$/.test(c.name)).map((c) => c.passed)).toEqual([
      false,
      false,
    ]);
  });

  test('an estate image named by a tag fails outside dev', async () => {
    const { result, reasons } = await judgeServed(
      'tagged-estate-image',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud-score:1.0.0',
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/is named by a tag, which can be moved after approval/);
  });

  test("model data in the artifact bucket but outside the model's training runs fails", async () => {
    const { result, reasons } = await judgeServed(
      'data-elsewhere',
      DIGEST_IMAGE,
      `s3://${ARTIFACTS}/scratch/fraud-score/model.tar.gz`,
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      /is not model data of a fraud-score training run \(expected under s3:\/\/bake-artifacts\/training\/fraud-score\/\)/,
    );
  });

  test('model data of another model climbing out with .. fails', async () => {
    const { result, reasons } = await judgeServed(
      'data-climbing',
      DIGEST_IMAGE,
      `s3://${ARTIFACTS}/training/fraud-score/../credit-default/run/model/model.tar.gz`,
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/outside the estate's artifact bucket/);
  });

  test("an estate image by digest with model data of the model's own run passes (control)", async () => {
    const { result, rec } = await judgeServed(
      'estate-artifacts',
      DIGEST_IMAGE,
      `s3://${ARTIFACTS}/training/fraud-score/run-1/model/model.tar.gz`,
    );
    expect(result).toMatchObject({ pass: true });
    expect(rec.checks.filter((c) => /^(image|model data) 0$/.test(c.name)).every((c) => c.passed)).toBe(true);
  });
});
