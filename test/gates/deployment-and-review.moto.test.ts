/** Deployment gate and review reminder handlers against moto's server. */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { stagingEndpoint, traffic } from './staging';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { deploymentGate, DeploymentGateDeps } from '../../lambdas/deployment-gate/handler';
import { judgePromotion } from '../../lib/delivery/run-gate';
import { reviewReminder } from '../../lambdas/review-reminder/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { approvalWorld, ApprovalWorld } from './world';

let w: ApprovalWorld;
let RECORDS: string;
let s3: S3Client;
let sagemaker: SageMakerClient;
let cloudwatch: CloudWatchClient;
let sns: SNSClient;
let topicArn: string;
let deps: DeploymentGateDeps;

beforeAll(async () => {
  w = await approvalWorld('deploy');
  ({ s3, sagemaker, cloudwatch, sns, topicArn, records: RECORDS } = w);
  deps = deploymentDeps(w);
}, 60_000);

afterAll(async () => w?.stop());

/** Registered by its pipeline, decided by the approval gate, left in `status` by a person where it differs. */
const registerPackage = (group: string, auc: number, status: 'Approved' | 'PendingManualApproval') =>
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

const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

describe('deployment gate against moto', () => {
  test('passes an approved challenger on a quiet endpoint after the bake period, and records it once', async () => {
    await alarm('fraud-stg-a-5xx', 'OK');
    const champion = await registerPackage('fraud-score', 0.9, 'Approved');
    const challenger = await registerPackage('fraud-score', 0.895, 'Approved');
    await stagingEndpoint(sagemaker, 'fraud-stg-a', { champion: champion, challenger });
    await traffic(cloudwatch, 'fraud-stg-a', 'challenger', 150, -30);
    const gate = deploymentGate({ ...deps, now: afterBake });
    const request = {
      requestId: 'pipeline-run-1',
      modelPackageArn: challenger,
      stagingEndpointName: 'fraud-stg-a',
      championModelPackageArn: champion,
    };
    const result = await gate(request);
    expect(result).toMatchObject({ pass: true, replayed: false });
    const rec = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: RECORDS, Key: result.record }))).Body!.transformToString(),
    );
    expect(rec).toMatchObject({
      schema: 'deployment-decision/2',
      answer: 1,
      pass: true,
      request: { requestId: 'pipeline-run-1', modelPackageArn: challenger },
    });
    expect(await gate(request)).toMatchObject({ pass: true, replayed: true, record: result.record });
  });

  test("the pipeline's pre-prod step, with this gate behind it, lets through only the approved version on a quiet endpoint", async () => {
    await alarm('staging-fraud-score-champion-errors-5xx', 'OK');
    const approved = await registerPackage('fraud-score', 0.91, 'Approved');
    const pending = await registerPackage('fraud-score', 0.92, 'PendingManualApproval');
    await stagingEndpoint(sagemaker, 'staging-fraud-score', { champion: approved, challenger: pending });
    await traffic(cloudwatch, 'staging-fraud-score', 'champion', 500, -30);
    await traffic(cloudwatch, 'staging-fraud-score', 'challenger', 500, -30);
    const gate = deploymentGate({ ...deps, now: afterBake });
    const promotion = {
      gateFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:examplebank-staging-deployment-gate',
      requests: [
        {
          requestId: 'exec-9.fraud-score.champion',
          modelPackageArn: approved,
          stagingEndpointName: 'staging-fraud-score',
        },
        {
          requestId: 'exec-9.fraud-score.challenger',
          modelPackageArn: pending,
          stagingEndpointName: 'staging-fraud-score',
          championModelPackageArn: approved,
        },
      ],
    };
    // The Lambda transport is the only thing not exercised: the step gets what the handler returns.
    const verdicts = await judgePromotion(promotion, async (_arn, request) => ({
      payload: JSON.parse(JSON.stringify(await gate(request))),
    }));
    expect(verdicts.map((v) => [v.request.requestId, v.pass])).toEqual([
      ['exec-9.fraud-score.champion', true],
      ['exec-9.fraud-score.challenger', false],
    ]);
    expect(verdicts[1].reasons.join(' ')).toMatch(/PendingManualApproval/);
  });

  test('fails while the bake period has not elapsed', async () => {
    await alarm('fraud-stg-b-5xx', 'OK');
    const pkg = await registerPackage('fraud-score', 0.99, 'Approved');
    await stagingEndpoint(sagemaker, 'fraud-stg-b', { champion: pkg });
    await traffic(cloudwatch, 'fraud-stg-b', 'champion', 500);
    const result = await deploymentGate(deps)({
      requestId: 'run-2',
      modelPackageArn: pkg,
      stagingEndpointName: 'fraud-stg-b',
    });
    expect(result.pass).toBe(false);
    // The endpoint went live just now: its config has not baked, and the traffic from before it went live is not its
    // own. The gate approved it just now too: a person's decision crossing it may not have been restored yet.
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^the model package is Approved by the approval gate 0 minute\(s\) ago: a person's decision overwritten inside its race window is restored once CloudTrail delivers the call, so promotion waits 15 minutes, not Approved$/,
      ),
      expect.stringMatching(
        /^the current config went live at .*, after the 60-minute bake period began at .*: the package has not baked for the whole period$/,
      ),
      expect.stringMatching(/^the staging endpoint served 0 invocation\(s\) in the 60-minute bake period/),
      `fraud-stg-b-5xx has been OK for less than the ${GATE_CONFIG.deployment.stagingBakeMinutes}-minute bake period`,
      // The variant's own alarms, made with the endpoint, have not been OK for the bake either.
      `fraud-stg-b-champion-errors-5xx has been OK for less than the ${GATE_CONFIG.deployment.stagingBakeMinutes}-minute bake period`,
      `fraud-stg-b-champion-latency-p99 has been OK for less than the ${GATE_CONFIG.deployment.stagingBakeMinutes}-minute bake period`,
      expect.stringMatching(
        /^no 5XX errors alarm of variant champion has been OK for the whole 60-minute bake period: fraud-stg-b-champion-errors-5xx is OK since /,
      ),
      expect.stringMatching(
        /^no latency alarm of variant champion has been OK for the whole 60-minute bake period: fraud-stg-b-champion-latency-p99 is OK since /,
      ),
    ]);
  });

  test('fails on a firing alarm, a package that is not approved, and a worse challenger, all at once', async () => {
    await alarm('fraud-stg-c-5xx', 'ALARM');
    const champion = await registerPackage('fraud-score', 0.95, 'Approved');
    const challenger = await registerPackage('fraud-score', 0.9, 'PendingManualApproval');
    await stagingEndpoint(sagemaker, 'fraud-stg-c', { champion, challenger });
    await traffic(cloudwatch, 'fraud-stg-c', 'challenger', 500, -30);
    const result = await deploymentGate({ ...deps, now: afterBake })({
      requestId: 'run-3',
      modelPackageArn: challenger,
      stagingEndpointName: 'fraud-stg-c',
      championModelPackageArn: champion,
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      'the model package is PendingManualApproval, not Approved',
      // Never Approved, so never pinned: nothing of it may reach prod.
      'the model data is not pinned yet (the pinning step copies it into the Object Lock bucket once the package is Approved)',
      'fraud-stg-c-5xx is ALARM, not OK',
      expect.stringMatching(
        /^challenger AUC 0\.9 is worse than the champion's 0\.95 \(version \d+ \(the latest Approved version before it, named by the request\)\) by more than 0\.01$/,
      ),
    ]);
  });

  test('fails when no alarm watches the endpoint, and on a malformed request', async () => {
    const pkg = await registerPackage('fraud-score', 0.99, 'Approved');
    await stagingEndpoint(sagemaker, 'unwatched', { champion: pkg }, true, {}, { alarmedVariants: [] });
    await traffic(cloudwatch, 'unwatched', 'champion', 500);
    await traffic(cloudwatch, 'unwatched', 'champion', 500, -30);
    expect(
      (
        await deploymentGate({ ...deps, now: afterBake })({
          requestId: 'run-4',
          modelPackageArn: pkg,
          stagingEndpointName: 'unwatched',
        })
      ).reasons,
    ).toEqual([
      'no alarm watches the staging endpoint, so its health cannot be shown',
      'no 5XX errors alarm watches the serving variant champion of unwatched (AWS/SageMaker Invocation5XXErrors {EndpointName=unwatched, VariantName=champion}, firing when it rises)',
      'no latency alarm watches the serving variant champion of unwatched (AWS/SageMaker ModelLatency {EndpointName=unwatched, VariantName=champion}, firing when it rises)',
    ]);
    expect(
      await deploymentGate(deps)({ requestId: '../../etc', modelPackageArn: 'x', stagingEndpointName: 'a b' }),
    ).toEqual({
      pass: false,
      checks: [],
      reasons: [
        'modelPackageArn is not a model package ARN',
        'requestId must be 1-128 letters, digits, dots, dashes or underscores',
        'stagingEndpointName is not an endpoint name',
      ],
    });
  });
});

describe('review reminder against moto', () => {
  test('notifies the owner of a high-risk model approved more than three months ago', async () => {
    await registerPackage('credit-default', 0.9, 'Approved');
    const inFourMonths = () => new Date(Date.now() + 124 * 24 * 3600_000);
    const result = await reviewReminder({ sagemaker, sns, config: GATE_CONFIG, topicArn, now: inFourMonths })({
      tier: 'high',
    });
    expect(result.due.map((d) => [d.model, d.owner])).toEqual([['credit-default', 'fraud-analytics@example.com']]);
    const today = await reviewReminder({ sagemaker, sns, config: GATE_CONFIG, topicArn })({ tier: 'high' });
    expect(today.due).toEqual([]);
  });

  test('refuses a schedule input that names no tier', async () => {
    await expect(reviewReminder({ sagemaker, sns, config: GATE_CONFIG, topicArn })({ tier: 'urgent' })).rejects.toThrow(
      'unknown risk tier "urgent"',
    );
  });
});
