/**
 * The deployment gate against moto: it finds the champion itself, reads each
 * evaluation only at the version the approval record keeps, and, when two
 * runs race for the same answer, returns only what is recorded.
 *
 * Every version here is made the estate's way: its pipeline registers it, the
 * real approval gate decides and records the evidence it read (S3 version id
 * and SHA-256), and a person sets the status where a case needs another one.
 * Each case asserts pass or fail, the record and the reason.
 */
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateModelPackageCommand, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  deploymentGate,
  DeploymentGateDeps,
  DeploymentRecord,
  DeploymentRequest,
  DeploymentResult,
} from '../../lambdas/deployment-gate/handler';
import { ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { evaluation, GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, servedChallenger } from './staging';
import { approvalWorld, ApprovalWorld, IMAGE } from './world';

let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

beforeAll(async () => {
  w = await approvalWorld('champion');
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

const versionOf = (arn: string) => Number(arn.split('/').pop());
const record = async (key: string) =>
  JSON.parse(
    await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
  ) as DeploymentRecord;
async function judge(request: DeploymentRequest, patch: Partial<DeploymentGateDeps> = {}) {
  const result = await deploymentGate({ ...deps, ...patch })(request);
  const rec = await record(result.record!);
  // The answer returned is always the answer recorded.
  expect({ pass: rec.pass, reasons: rec.reasons }).toEqual({ pass: result.pass, reasons: result.reasons });
  return { result, rec, reasons: result.reasons.join('\n') };
}
const championsIn = (rec: DeploymentRecord) => (rec.inputs.champions as Array<{ label: string }>).map((c) => c.label);

describe('the gate finds the champion; the request cannot leave it out or swap it for a weaker one', () => {
  test('leaving out the champion does not skip the comparison with the latest Approved version', async () => {
    const strong = await version(w, 'fraud-score', { auc: 0.95 });
    // 0.8 passes the tier's floor, so the approval gate approves it; only the comparison can stop it.
    const weak = await version(w, 'fraud-score', { auc: 0.8 });
    expect(await w.status(weak)).toBe('Approved');
    await servedChallenger(w, 'champ-omit', weak);
    const { result, rec, reasons } = await judge({
      requestId: 'omit',
      modelPackageArn: weak,
      stagingEndpointName: 'champ-omit',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(
        `challenger AUC 0.8 is worse than the champion's 0.95 \\(version ${versionOf(strong)} \\(the latest Approved version before it\\)\\)`,
      ),
    );
    expect(championsIn(rec)).toEqual([`version ${versionOf(strong)} (the latest Approved version before it)`]);
  });

  test('naming an older, weaker champion does not replace the latest Approved version', async () => {
    const old = await version(w, 'fraud-score', { auc: 0.8 });
    const latest = await version(w, 'fraud-score', { auc: 0.95 });
    const challenger = await version(w, 'fraud-score', { auc: 0.85 });
    await servedChallenger(w, 'champ-swap', challenger);
    const { result, rec, reasons } = await judge({
      requestId: 'swap',
      modelPackageArn: challenger,
      stagingEndpointName: 'champ-swap',
      championModelPackageArn: old,
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(
        `worse than the champion's 0.95 \\(version ${versionOf(latest)} \\(the latest Approved version before it\\)\\)`,
      ),
    );
    // The named one is judged too (and passed): the request can add a champion, never remove one.
    expect(
      rec.checks.find((c) => c.name === `challenger AUC against version ${versionOf(old)} (named by the request)`),
    ).toMatchObject({ passed: true });
  });

  test('what the estate has prod serve is a champion, even when a weaker version was approved since', async () => {
    const prod = await version(w, 'fraud-score', { auc: 0.95 });
    await version(w, 'fraud-score', { auc: 0.8 });
    const challenger = await version(w, 'fraud-score', { auc: 0.81 });
    await servedChallenger(w, 'champ-prod', challenger);
    const config = { ...GATE_CONFIG, prodChampions: { 'fraud-score': [versionOf(prod)] } };
    const { result, rec, reasons } = await judge(
      { requestId: 'prod', modelPackageArn: challenger, stagingEndpointName: 'champ-prod' },
      { config },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(
        `worse than the champion's 0.95 \\(version ${versionOf(prod)} \\(prod's target in the delivered commit\\)\\)`,
      ),
    );
    expect(championsIn(rec)).toHaveLength(2);
  });

  test('the champion prod serves is the version being promoted: it is compared with what came before it, not with itself', async () => {
    const before = await version(w, 'credit-default', { auc: 0.9 });
    const promoted = await version(w, 'credit-default', { auc: 0.9 });
    // A newer Approved version does not hold back an older one prod already serves.
    await version(w, 'credit-default', { auc: 0.99 });
    await servedChallenger(w, 'champ-self', promoted);
    const config = { ...GATE_CONFIG, prodChampions: { 'credit-default': [versionOf(promoted)] } };
    const { result, rec } = await judge(
      { requestId: 'self', modelPackageArn: promoted, stagingEndpointName: 'champ-self' },
      { config },
    );
    expect(result).toMatchObject({ pass: true, reasons: ['every promotion check passed'] });
    expect(championsIn(rec)).toEqual([`version ${versionOf(before)} (the latest Approved version before it)`]);
  });

  test('a champion prod serves that a person has since rejected fails the pairing', async () => {
    const prod = await version(w, 'fraud-score', { auc: 0.9, status: 'Rejected' });
    const challenger = await version(w, 'fraud-score', { auc: 0.95 });
    await servedChallenger(w, 'champ-rejected', challenger);
    const config = { ...GATE_CONFIG, prodChampions: { 'fraud-score': [versionOf(prod)] } };
    const { result, reasons } = await judge(
      { requestId: 'rejected', modelPackageArn: challenger, stagingEndpointName: 'champ-rejected' },
      { config },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(
        `the champion version ${versionOf(prod)} \\(prod's target in the delivered commit\\) is Rejected, not Approved`,
      ),
    );
  });

  test('when the Approved versions cannot be listed, the champion is unknown and the promotion fails', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'champ-unlisted', challenger);
    const real = w.sagemaker.send.bind(w.sagemaker) as (c: unknown) => Promise<unknown>;
    const broken = new Proxy(w.sagemaker, {
      get: (t, p) =>
        p === 'send'
          ? (c: { constructor: { name: string } }) =>
              c.constructor.name === 'ListModelPackagesCommand'
                ? Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
                : real(c)
          : Reflect.get(t, p),
    });
    const { result, reasons } = await judge(
      { requestId: 'unlisted', modelPackageArn: challenger, stagingEndpointName: 'champ-unlisted' },
      { sagemaker: broken },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      /the Approved versions of fraud-score could not be listed, so the champion is unknown: ThrottlingException/,
    );
  });

  test('a champion of another model is refused without being read', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'champ-foreign', challenger);
    const sent: string[] = [];
    const real = w.sagemaker.send.bind(w.sagemaker) as (c: unknown) => Promise<unknown>;
    const watched = new Proxy(w.sagemaker, {
      get: (t, p) =>
        p === 'send'
          ? (c: { constructor: { name: string }; input: { ModelPackageName?: string } }) => (
              sent.push(`${c.constructor.name}:${c.input.ModelPackageName ?? ''}`),
              real(c)
            )
          : Reflect.get(t, p),
    });
    const other = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/ungoverned-model/1';
    const { result, reasons } = await judge(
      {
        requestId: 'foreign',
        modelPackageArn: challenger,
        stagingEndpointName: 'champ-foreign',
        championModelPackageArn: other,
      },
      { sagemaker: watched },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/is a version of ungoverned-model, not of fraud-score/);
    // The role may describe governed packages only: the foreign one is never asked for.
    expect(sent.filter((s) => s.includes('ungoverned-model'))).toEqual([]);
  });
});

describe('evaluations are read at the version the approval gate recorded', () => {
  async function approvalInput(arn: string) {
    const [group, v] = arn.split('/').slice(-2);
    return ((await w.record(`approval/${group}/${v}/round-1.json`)) as ApprovalRecord).inputs.evaluation;
  }
  const keyOf = (uri: string) => uri.replace(`s3://${w.artifacts}/`, '');

  test("a challenger's evaluation rewritten better after approval is not read: the recorded version is", async () => {
    const champion = await version(w, 'fraud-score', { auc: 0.95 });
    const challenger = await version(w, 'fraud-score', { auc: 0.8 });
    const recorded = await approvalInput(challenger);
    await w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(recorded.uri!), Body: JSON.stringify(evaluation(0.99)) }),
    );
    await servedChallenger(w, 'pin-better', challenger);
    const { result, rec, reasons } = await judge({
      requestId: 'better',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-better',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(`challenger AUC 0.8 is worse than the champion's 0.95 \\(version ${versionOf(champion)}`),
    );
    expect((rec.inputs.reports as { challenger: unknown }).challenger).toMatchObject({
      status: 'ok',
      versionId: recorded.versionId,
      sha256: recorded.sha256,
    });
  });

  test("a champion's evaluation rewritten worse after approval is not read either", async () => {
    const champion = await version(w, 'fraud-score', { auc: 0.95 });
    const challenger = await version(w, 'fraud-score', { auc: 0.8 });
    const recorded = await approvalInput(champion);
    await w.s3.send(
      new PutObjectCommand({ Bucket: w.artifacts, Key: keyOf(recorded.uri!), Body: JSON.stringify(evaluation(0.5)) }),
    );
    await servedChallenger(w, 'pin-worse', challenger);
    const { result, reasons } = await judge({
      requestId: 'worse',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-worse',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/worse than the champion's 0.95/);
  });

  test('the recorded version deleted: the evaluation is missing and the promotion fails', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const recorded = await approvalInput(challenger);
    await w.s3.send(
      new DeleteObjectCommand({ Bucket: w.artifacts, Key: keyOf(recorded.uri!), VersionId: recorded.versionId }),
    );
    await servedChallenger(w, 'pin-deleted', challenger);
    const { result, rec, reasons } = await judge({
      requestId: 'deleted',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-deleted',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(`challenger evaluation: .*evaluation.json version ${recorded.versionId} does not exist`),
    );
    expect((rec.inputs.reports as { challenger: unknown }).challenger).toMatchObject({ status: 'missing' });
  });

  test('a later approval round that recorded other bytes for the same version is refused (SHA-256 differs)', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const [group, v] = challenger.split('/').slice(-2);
    const round1 = (await w.record(`approval/${group}/${v}/round-1.json`)) as ApprovalRecord;
    const forged = {
      ...round1,
      round: 2,
      inputs: { ...round1.inputs, evaluation: { ...round1.inputs.evaluation, sha256: '0'.repeat(64) } },
    };
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: `approval/${group}/${v}/round-2.json`,
        Body: JSON.stringify(forged),
      }),
    );
    await servedChallenger(w, 'pin-sha', challenger);
    const { result, reasons } = await judge({
      requestId: 'sha',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-sha',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(`has SHA-256 ${round1.inputs.evaluation.sha256}, not the recorded version .* with SHA-256 0{64}`),
    );
  });

  test('a hand-registered package a person approved is not promoted: its reports were never read', async () => {
    const challenger = await version(w, 'fraud-score', { execution: false, auc: 0.99 });
    const [group, v] = challenger.split('/').slice(-2);
    expect(((await w.record(`approval/${group}/${v}/round-1.json`)) as ApprovalRecord).inputs.evaluation.status).toBe(
      'not-read',
    );
    expect(await w.status(challenger)).toBe('Approved');
    await servedChallenger(w, 'pin-hand', challenger);
    const { result, rec, reasons } = await judge({
      requestId: 'hand',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-hand',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      /no approval round of .* read its evaluation .*: a person's approval without pipeline evidence is not promoted/,
    );
    expect((rec.inputs.reports as { challenger: unknown }).challenger).toMatchObject({ status: 'missing' });
  });

  test('a package approved with no approval record at all (the gate never ran) is not promoted', async () => {
    const key = 'training/fraud-score/no-gate/reports/evaluation.json';
    await w.s3.send(new PutObjectCommand({ Bucket: w.artifacts, Key: key, Body: JSON.stringify(evaluation(0.99)) }));
    const { ModelPackageArn } = await w.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'fraud-score',
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          Containers: [{ Image: IMAGE }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
        },
        ModelMetrics: {
          ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${w.artifacts}/${key}` } },
        },
      }),
    );
    await w.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn,
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'set directly',
      }),
    );
    await servedChallenger(w, 'pin-nogate', ModelPackageArn!);
    const { result, reasons } = await judge({
      requestId: 'nogate',
      modelPackageArn: ModelPackageArn,
      stagingEndpointName: 'pin-nogate',
    });
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(/no approval decision record of .* exists/);
  });

  test('control: unchanged evidence at the recorded version passes, and the record names that version', async () => {
    const challenger = await version(w, 'deposit-forecast', { auc: 0.9 });
    const recorded = await approvalInput(challenger);
    const versions = await w.s3.send(
      new ListObjectVersionsCommand({ Bucket: w.artifacts, Prefix: keyOf(recorded.uri!) }),
    );
    expect(versions.Versions?.map((x) => x.VersionId)).toContain(recorded.versionId);
    await servedChallenger(w, 'pin-control', challenger);
    const { result, rec } = await judge({
      requestId: 'control',
      modelPackageArn: challenger,
      stagingEndpointName: 'pin-control',
    });
    expect(result).toMatchObject({ pass: true });
    expect((rec.inputs.reports as { challenger: unknown }).challenger).toMatchObject({
      status: 'ok',
      versionId: recorded.versionId,
      sha256: recorded.sha256,
    });
  });
});

describe('racing runs: the answer returned is the answer recorded', () => {
  test("a run that loses the write of its answer returns the winner's recorded answer, not its own", async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'race-1', challenger);
    const request = { requestId: 'race', modelPackageArn: challenger, stagingEndpointName: 'race-1' };
    let winner: DeploymentResult | undefined;
    const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
    // Run A has read a quiet endpoint and decided pass; before its answer is written, the alarm fires and run B
    // decides and records a fail under the same answer number.
    const racing = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: { constructor: { name: string }; input: { Key?: string } }) => {
              if (c.constructor.name === 'PutObjectCommand' && c.input.Key?.endsWith('/answer-1.json') && !winner) {
                await endpointAlarm(w.cloudwatch, 'race-1', 'ALARM');
                winner = await deploymentGate(deps)(request);
              }
              return real(c);
            }
          : Reflect.get(t, p),
    });
    const loser = await deploymentGate({ ...deps, s3: racing })(request);
    expect(winner).toMatchObject({ pass: false, answer: 1, replayed: false });
    expect(loser).toMatchObject({
      pass: false,
      answer: 1,
      replayed: true,
      record: winner!.record,
      reasons: winner!.reasons,
    });
    const rec = await record(loser.record!);
    expect(rec).toMatchObject({ pass: false, answer: 1 });
    expect(rec.reasons.join('\n')).toMatch(/race-1-5xx is ALARM, not OK/);
    expect(await w.keys(`deployment/fraud-score/${versionOf(challenger)}/race/`)).toEqual([
      `deployment/fraud-score/${versionOf(challenger)}/race/answer-1.json`,
    ]);
  });

  test('two concurrent identical runs give one recorded answer, and both return it', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'race-2', challenger);
    const request = { requestId: 'twins', modelPackageArn: challenger, stagingEndpointName: 'race-2' };
    const [a, b] = await Promise.all([deploymentGate(deps)(request), deploymentGate(deps)(request)]);
    expect([a.pass, b.pass]).toEqual([true, true]);
    expect(a.record).toBe(b.record);
    expect(await w.keys(`deployment/fraud-score/${versionOf(challenger)}/twins/`)).toHaveLength(1);
  });
});

describe("staging alarms are the endpoint's own", () => {
  test("an alarm of endpoint alarm-own-score (a name that starts like alarm-own's) does not count for alarm-own, and a firing one of its own does", async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'alarm-own', challenger);
    // The other endpoint's firing alarm matches the name prefix `alarm-own-` but watches another endpoint.
    await w.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'alarm-own-score-5xx',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Dimensions: [{ Name: 'EndpointName', Value: 'alarm-own-score' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await w.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'alarm-own-score-5xx',
        StateValue: 'ALARM',
        StateReason: 'the other endpoint fails',
      }),
    );
    const { result, rec } = await judge({
      requestId: 'alarm-own',
      modelPackageArn: challenger,
      stagingEndpointName: 'alarm-own',
    });
    expect(result).toMatchObject({ pass: true });
    expect((rec.inputs.alarms as Array<{ name: string }>).map((a) => a.name)).toEqual([
      'alarm-own-5xx',
      'alarm-own-challenger-errors-5xx',
      'alarm-own-challenger-latency-p99',
    ]);
    // Its own alarm, with its dimension, firing: fails.
    await w.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'alarm-own-latency',
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        Dimensions: [{ Name: 'EndpointName', Value: 'alarm-own' }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await w.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'alarm-own-latency', StateValue: 'ALARM', StateReason: 'slow' }),
    );
    const again = await judge({
      requestId: 'alarm-own',
      modelPackageArn: challenger,
      stagingEndpointName: 'alarm-own',
    });
    expect(again.result).toMatchObject({ pass: false, answer: 2 });
    expect(again.reasons).toMatch(/alarm-own-latency is ALARM, not OK/);
    expect(again.reasons).not.toMatch(/alarm-own-score/);
  });
});
