/**
 * Evidence counts only for the package its pipeline execution registered.
 *
 * The package names an execution (metadata "pipeline-execution"); SageMaker
 * records which package that execution's RegisterModel step created
 * (ListPipelineExecutionSteps, Metadata.RegisterModel.Arn: "the Amazon Resource
 * Name (ARN) of the model package", SageMaker API Reference,
 * RegisterModelStepMetadata). A data scientist may register packages
 * (PendingManualApproval) in every governed group, so a package that copies a
 * real run's metadata, reports and model data is registered by hand: it is held
 * for a person, never approved, and one execution backs one package. moto
 * lacks the call; test/support/moto_server.py answers it from the steps the
 * world's pipeline records (see world.ts).
 *
 * Each case asserts the package's final status, the decision record and the reason.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { approvalGate, ApprovalGateDeps, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { ACCOUNT, approvalWorld, ApprovalWorld, DIGEST, pipelineSteps, REGION, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('provenance-registration');
}, 60_000);
afterAll(async () => w?.stop());

const gate = (deps: Partial<ApprovalGateDeps> = {}) => approvalGate({ ...w.deps, registerStepWaitMs: 20, ...deps });
const reportUris = (prefix: string) =>
  Object.fromEntries(
    ['evaluation', 'bias', 'explainability', 'statistics', 'baseline'].map((r) => [
      r,
      `s3://${w.artifacts}/${prefix}reports/${r === 'baseline' ? 'baseline-statistics' : r}.json`,
    ]),
  );

/** A run of fraud-score's pipeline whose Register step registered its package; the gate approves it. */
async function realRun() {
  const run = await w.run('fraud-score');
  const original = await w.register('fraud-score', { execution: run.arn });
  return { run, original, uris: reportUris(run.prefix) };
}

async function judged(arn: string, deps: Partial<ApprovalGateDeps> = {}) {
  const result = await gate(deps)(stateChange(arn));
  const rec = (await w.record(result.record!)) as ApprovalRecord;
  return { result, rec, status: await w.status(arn), reasons: rec.reasons.join('\n') };
}

/** A client whose answers to one command are replaced (only where moto cannot show a state, or for an error path). */
function answering(
  client: SageMakerClient,
  command: string,
  answer: (real: (c: unknown) => Promise<unknown>, c: unknown) => Promise<unknown>,
): SageMakerClient {
  const real = client.send.bind(client) as (c: unknown) => Promise<unknown>;
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'send')
        return (c: { constructor: { name: string } }) => (c.constructor.name === command ? answer(real, c) : real(c));
      return Reflect.get(target, prop);
    },
  });
}

describe("a copy of a real run's metadata is held for a person, never approved", () => {
  test('control: the package the execution registered is approved, and the record names the execution', async () => {
    const { run, original } = await realRun();
    const { result, rec, status } = await judged(original);
    expect(result.outcome).toBe('approve');
    expect(status).toBe('Approved');
    expect(rec.provenance).toMatchObject({ kind: 'pipeline', execution: run.arn });
  });

  test("a person rejects the pipeline's package; a hand-registered copy of the same run stays pending, held, and the Rejected stands", async () => {
    const { run, original, uris } = await realRun();
    expect((await gate()(stateChange(original))).outcome).toBe('approve');
    await w.person(original, 'Rejected', 'model-risk: rejected, do not use this run');
    // The data scientist registers the same run's evidence again; nothing is written to the evidence prefix.
    const copy = await w.register('fraud-score', {
      execution: run.arn,
      reports: {},
      uris,
      modelData: `s3://${w.artifacts}/${run.prefix}model/model.tar.gz`,
    });
    const { result, rec, status, reasons } = await judged(copy);
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(await w.status(original)).toBe('Rejected');
    expect(rec.provenance).toMatchObject({ kind: 'hand-registered' });
    expect(reasons).toMatch(new RegExp(`pipeline execution ${run.id} registered .*fraud-score/\\d+, not this package`));
    expect(reasons).toMatch(/hand-registered package is reviewed by a person/);
  });

  test('a copy of a real run serving another image of the estate registry is held, never approved', async () => {
    const { run, uris } = await realRun();
    const other = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/debug-shell@sha256:${'cd'.repeat(32)}`;
    expect(other).not.toContain(DIGEST);
    const copy = await w.register('fraud-score', { execution: run.arn, reports: {}, uris, image: other });
    const { result, rec, status, reasons } = await judged(copy);
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(rec.provenance.kind).toBe('hand-registered');
    expect(reasons).toMatch(/not this package/);
  });

  test("a copy is held even before the pipeline's own package was decided, and the pipeline's package is still approved after it", async () => {
    const { run, original, uris } = await realRun();
    const copy = await w.register('fraud-score', { execution: run.arn, reports: {}, uris });
    expect((await judged(copy)).status).toBe('PendingManualApproval');
    const { result, status, rec } = await judged(original);
    expect(result.outcome).toBe('approve');
    expect(status).toBe('Approved');
    expect(rec.provenance.kind).toBe('pipeline');
  });

  test('a package naming a finished execution whose steps registered nothing is held as hand-registered', async () => {
    const run = await w.run('fraud-score');
    // Reports written where the run writes them (as if its Evaluate step ran), but the run registered no package.
    const arn = await w.register('fraud-score', { execution: run.arn, by: 'hand' });
    const { result, rec, status, reasons } = await judged(arn);
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(rec.provenance.kind).toBe('hand-registered');
    expect(reasons).toMatch(
      new RegExp(`pipeline execution ${run.id} has no RegisterModel step that registered this package`),
    );
  });

  test('a Register step that failed does not vouch for the package it names', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', { execution: run.arn });
    w.moto.setPipelineSteps(run.arn, pipelineSteps(arn, 'Failed'));
    const { result, rec, status } = await judged(arn);
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(rec.provenance.kind).toBe('hand-registered');
  });

  test('the package ARN is compared whatever its case (SageMaker returns group names as registered)', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', { execution: run.arn });
    w.moto.setPipelineSteps(
      run.arn,
      pipelineSteps(arn.toUpperCase().replace('ARN:AWS:SAGEMAKER', 'arn:aws:sagemaker')),
    );
    const { result, status } = await judged(arn);
    expect(result.outcome).toBe('approve');
    expect(status).toBe('Approved');
  });

  test('a hand-registered copy has its reports left unread: the record says not-read, the reason says hand-registered', async () => {
    const { run, uris } = await realRun();
    const copy = await w.register('fraud-score', { execution: run.arn, reports: {}, uris });
    const { rec, reasons } = await judged(copy);
    for (const input of Object.values(rec.inputs)) expect(input).toMatchObject({ status: 'not-read' });
    expect(reasons).not.toMatch(/could not be read|AccessDenied|does not exist/);
  });
});

describe('a running execution: the registration may be listed a moment after the package event', () => {
  // moto finishes every execution at once, so the still-running state is shown by replacing the two answers.
  test('the gate lists the steps again and approves once the Register step names the package', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', { execution: run.arn });
    let listings = 0;
    let sagemaker = answering(w.sagemaker, 'DescribePipelineExecutionCommand', async (real, c) => ({
      ...((await real(c)) as object),
      PipelineExecutionStatus: 'Executing',
    }));
    sagemaker = answering(sagemaker, 'ListPipelineExecutionStepsCommand', async (real, c) =>
      ++listings === 1
        ? { PipelineExecutionSteps: [{ StepName: 'Register', StepStatus: 'Executing', Metadata: {} }] }
        : real(c),
    );
    const { result, status, rec } = await judged(arn, { sagemaker });
    expect(listings).toBe(2);
    expect(result.outcome).toBe('approve');
    expect(status).toBe('Approved');
    expect(rec.provenance.kind).toBe('pipeline');
  });

  test('a running execution that never names the package is held after three listings', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', { execution: run.arn, by: 'hand' });
    let listings = 0;
    let sagemaker = answering(w.sagemaker, 'DescribePipelineExecutionCommand', async (real, c) => ({
      ...((await real(c)) as object),
      PipelineExecutionStatus: 'Executing',
    }));
    sagemaker = answering(sagemaker, 'ListPipelineExecutionStepsCommand', async (real, c) => (listings++, real(c)));
    const { result, status, reasons } = await judged(arn, { sagemaker });
    expect(listings).toBe(3);
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(reasons).toMatch(/has no RegisterModel step that registered this package/);
  });

  test('ListPipelineExecutionSteps failing holds and records why', async () => {
    const run = await w.run('fraud-score');
    const arn = await w.register('fraud-score', { execution: run.arn });
    const sagemaker = answering(w.sagemaker, 'ListPipelineExecutionStepsCommand', async () =>
      Promise.reject(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      ),
    );
    const { result, rec, status, reasons } = await judged(arn, { sagemaker });
    expect(result.outcome).toBe('hold');
    expect(status).toBe('PendingManualApproval');
    expect(rec.provenance).toMatchObject({ kind: 'unavailable' });
    expect(reasons).toMatch(/ListPipelineExecutionSteps failed: ThrottlingException/);
  });
});
