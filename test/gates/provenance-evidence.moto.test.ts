/**
 * Reports are evidence only of the model's own pipeline run: the approval gate reads them only when the package's
 * claimed execution is shown to be its own pipeline's (provenance `pipeline`); a forged or unchecked claim is recorded
 * `not-read`, like a hand registration. A hold caused by a transient error is decided afresh on redelivery, never
 * replayed. The deployment gate takes an evaluation as evidence only from a round of pipeline provenance whose report
 * lies under that execution's own reports prefix. Against moto: final status, record and reason.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { deploymentGate, DeploymentGateDeps } from '../../lambdas/deployment-gate/handler';
import { approvalGate, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { evaluation, GATE_CONFIG } from './fixtures';
import { deploymentDeps, pinnerDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld, GOOD, IMAGE, stateChange } from './world';
import { modelPinner } from '../../lambdas/model-pinner/handler';

let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

beforeAll(async () => {
  w = await approvalWorld('provenance-evidence');
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

async function served(endpoint: string, arn: string) {
  await endpointAlarm(w.cloudwatch, endpoint);
  await stagingEndpoint(w.sagemaker, endpoint, { AllTraffic: arn });
  await traffic(w.cloudwatch, endpoint, 'AllTraffic', 500, -30);
}

/** A strong pipeline run (Approved), and the model data of a weak run the gate rejected. */
async function strongAndWeak() {
  const strong = await version(w, 'fraud-score', { auc: 0.97 });
  const strongPkg = await w.describe(strong);
  const weak = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.55) } });
  await approvalGate(w.deps)(stateChange(weak));
  expect(await w.status(weak)).toBe('Rejected');
  const uris = {
    evaluation: strongPkg.ModelMetrics!.ModelQuality!.Statistics!.S3Uri,
    bias: strongPkg.ModelMetrics!.Bias!.Report!.S3Uri,
    explainability: strongPkg.ModelMetrics!.Explainability!.Report!.S3Uri,
    statistics: strongPkg.ModelMetrics!.ModelDataQuality!.Statistics!.S3Uri,
    baseline: strongPkg.DriftCheckBaselines!.ModelDataQuality!.Statistics!.S3Uri,
  };
  return { strongPkg, uris, weakModel: (await w.describe(weak)).InferenceSpecification!.Containers![0].ModelDataUrl! };
}

const throttling = () => {
  const real = w.sagemaker.send.bind(w.sagemaker) as (c: unknown) => Promise<unknown>;
  return new Proxy(w.sagemaker, {
    get: (t, p) =>
      p === 'send'
        ? (c: { constructor: { name: string } }) =>
            c.constructor.name === 'DescribePipelineExecutionCommand'
              ? Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
              : real(c)
        : Reflect.get(t, p),
  });
};

describe("reports are read only as evidence of the model's own pipeline run", () => {
  test("a package claiming another model's execution, carrying a strong run's reports, is rejected without reading them; approved by a person anyway, it is not promoted", async () => {
    const { uris, weakModel } = await strongAndWeak();
    const other = await w.run('credit-default');
    const forged = await w.register('fraud-score', {
      execution: other.arn,
      by: 'hand',
      reports: {},
      uris,
      modelData: weakModel,
      image: IMAGE,
    });
    const decided = await approvalGate(w.deps)(stateChange(forged));
    expect(decided).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected' });
    const rec = await w.record(decided.record!);
    expect(rec.provenance.kind).toBe('forged');
    expect(rec.reasons).toEqual([
      expect.stringMatching(/^provenance: .* is an execution of .*, not of fraud-score's pipeline/),
    ]);
    // The borrowed reports are not this package's evidence: not read, not recorded as read.
    for (const name of ['evaluation', 'bias', 'explainability', 'statistics', 'baseline'])
      expect(rec.inputs[name]).toMatchObject({ status: 'not-read', uri: uris[name as keyof typeof uris] });
    await w.person(forged, 'Approved');
    await modelPinner(pinnerDeps(w))(stateChange(forged, 'Approved'));
    await served('prov-forged', forged);
    const result = await deploymentGate(deps)({
      requestId: 'forged',
      modelPackageArn: forged,
      stagingEndpointName: 'prov-forged',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(/challenger evaluation: no approval round of .* read its evaluation/),
    );
  });

  test('a hold for a throttled DescribePipelineExecution is decided afresh on redelivery, and the copy is then found out', async () => {
    const { strongPkg, uris, weakModel } = await strongAndWeak();
    const exec = strongPkg.CustomerMetadataProperties!['pipeline-execution'];
    // A copy of the strong run's metadata, serving the rejected run's model, registered by hand.
    const copy = await w.register('fraud-score', {
      execution: exec,
      by: 'hand',
      reports: {},
      uris,
      modelData: weakModel,
    });
    const decided = await approvalGate({ ...w.deps, sagemaker: throttling() })(stateChange(copy));
    expect(decided).toMatchObject({ outcome: 'hold', round: 1 });
    const first = await w.record(decided.record!);
    expect(first.provenance.kind).toBe('unavailable');
    expect(first.reasons).toEqual([
      expect.stringMatching(
        /^the pipeline execution could not be checked: DescribePipelineExecution failed: ThrottlingException/,
      ),
    ]);
    // Nothing was read on an unchecked claim.
    expect(first.inputs.evaluation).toMatchObject({ status: 'not-read' });
    // EventBridge redelivers: a new round, decided from fresh reads, not a replay of the transient hold.
    const again = await approvalGate(w.deps)(stateChange(copy));
    expect(again.replayed).not.toBe(true);
    expect(again.round).toBe(2);
    const second = await w.record(again.record!);
    expect(second.provenance.kind).not.toBe('unavailable');
    expect(second.provenance.kind).not.toBe('pipeline');
    expect(second.inputs.evaluation).toMatchObject({ status: 'not-read' });
    expect(await w.status(copy)).not.toBe('Approved');
  });

  test('a hold for a reason that lasts (a high-risk model) is replayed on redelivery, not re-decided', async () => {
    const arn = await w.register('credit-default');
    const decided = await approvalGate(w.deps)(stateChange(arn));
    expect(decided).toMatchObject({ outcome: 'hold', round: 1 });
    const again = await approvalGate(w.deps)(stateChange(arn));
    expect(again).toMatchObject({ outcome: 'hold', round: 1, replayed: true });
  });

  test('an approval round recorded without pipeline provenance is not promotion evidence, even if it says the evaluation was read', async () => {
    // A record of the old shape (reports read on an unchecked claim), kept in the record bucket from before.
    const arn = await version(w, 'fraud-score', { auc: 0.96 });
    const key = `approval/fraud-score/${arn.split('/').pop()}/round-1.json`;
    const rec = JSON.parse(
      await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
    ) as ApprovalRecord;
    expect(rec.provenance.kind).toBe('pipeline');
    const unchecked = {
      ...rec,
      round: 2,
      provenance: { kind: 'unavailable', reason: 'DescribePipelineExecution failed: ThrottlingException' },
    };
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: key.replace('round-1', 'round-2'),
        Body: JSON.stringify(unchecked),
      }),
    );
    await served('prov-old', arn);
    const result = await deploymentGate(deps)({
      requestId: 'old',
      modelPackageArn: arn,
      stagingEndpointName: 'prov-old',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(
        /challenger evaluation: approval round 2 .* was decided on provenance unavailable, not on the model's own pipeline run/,
      ),
    );
  });

  test("a pipeline round whose evaluation lies outside its execution's reports prefix is not promotion evidence", async () => {
    const arn = await version(w, 'fraud-score', { auc: 0.96 });
    const key = `approval/fraud-score/${arn.split('/').pop()}/round-1.json`;
    const rec = JSON.parse(
      await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
    ) as ApprovalRecord;
    const elsewhere = {
      ...rec,
      round: 2,
      inputs: {
        ...rec.inputs,
        evaluation: {
          ...rec.inputs.evaluation,
          uri: `s3://${w.artifacts}/training/fraud-score/another-run/reports/evaluation.json`,
        },
      },
    };
    await w.s3.send(
      new PutObjectCommand({
        Bucket: w.records,
        Key: key.replace('round-1', 'round-2'),
        Body: JSON.stringify(elsewhere),
      }),
    );
    await served('prov-prefix', arn);
    const result = await deploymentGate(deps)({
      requestId: 'prefix',
      modelPackageArn: arn,
      stagingEndpointName: 'prov-prefix',
    });
    expect(result.pass).toBe(false);
    expect(result.reasons).toContainEqual(
      expect.stringMatching(/challenger evaluation: approval round 2 .* read .* outside .* reports prefix/),
    );
  });
});
