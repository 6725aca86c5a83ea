/**
 * The approval gate's handler against moto's server: register a package as
 * the training pipeline would, send the event EventBridge would send, then
 * read back the approval status, its description and the decision record.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { evaluation, statistics } from './fixtures';
import { approvalWorld, ApprovalWorld, GOOD, Reports, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('approval');
});
afterAll(async () => w?.stop());

describe('approval gate against moto', () => {
  test('a medium-risk classifier from its own pipeline that clears every threshold is approved, with the decision recorded first', async () => {
    const arn = await w.register('fraud-score');
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result).toMatchObject({
      outcome: 'approve',
      approvalStatus: 'Approved',
      replayed: false,
      round: 1,
      notified: true,
    });

    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('Approved');
    expect(pkg.ApprovalDescription).toBe('model-approval-gate: approve. every check passed');
    expect(pkg.CustomerMetadataProperties).toMatchObject({
      'gate-decision': `s3://${w.records}/${result.record}`,
      'gate-outcome': 'approve',
      'gate-round': '1',
    });

    const rec = await w.record(result.record!);
    expect(rec).toMatchObject({
      schema: 'model-approval-decision/2',
      round: 1,
      outcome: 'approve',
      modelPackage: { arn, group: 'fraud-score' },
      model: { id: 'fraud-score', riskTier: 'medium' },
      gate: { name: 'model-approval-gate', policyDigest: 'sha256:test' },
      provenance: { kind: 'pipeline' },
      package: { status: 'PendingManualApproval' },
      thresholds: { minAuc: 0.75, minDisparateImpact: 0.8, psiBlock: 0.25 },
    });
    for (const input of Object.values(rec.inputs))
      expect(input).toMatchObject({
        status: 'ok',
        versionId: expect.any(String),
        sha256: expect.stringMatching(/^[a-f0-9]{64}$/),
      });
    expect(rec.checks.find((c) => c.name === 'AUC')).toMatchObject({ value: 0.9, threshold: '>= 0.75', passed: true });
    expect(await w.keys(`approval/fraud-score/${arn.split('/').pop()}/`)).toEqual(
      ['round-1.applied.json', 'round-1.json', 'round-1.notified.json'].map(
        (k) => `approval/fraud-score/${arn.split('/').pop()}/${k}`,
      ),
    );
  });

  test('a high-risk model that clears every threshold is held for a person', async () => {
    const arn = await w.register('credit-default');
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result.outcome).toBe('hold');
    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('PendingManualApproval');
    // A hold sends no update (it could land on a person's decision): the reasons are in the record and the notice.
    expect(pkg.ApprovalDescription ?? '').not.toMatch(/model-approval-gate/);
    expect((await w.record(result.record!)).reasons.join(' ')).toMatch(
      /approved only by a person in the model-risk role/,
    );
  });

  test('a classifier below its AUC floor is rejected, and the description says why with the numbers', async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.7, 0.8) } });
    await approvalGate(w.deps)(stateChange(arn));
    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.ApprovalDescription).toBe('model-approval-gate: reject. AUC 0.7 is below the floor 0.75');
  });

  test('a replayed event changes nothing and writes nothing new', async () => {
    const arn = await w.register('fraud-score');
    const gate = approvalGate(w.deps);
    const first = await gate(stateChange(arn));
    const keys = await w.keys(`approval/fraud-score/${arn.split('/').pop()}/`);
    const second = await gate(stateChange(arn));
    expect(second).toMatchObject({ outcome: 'skipped', round: 1, notified: true });
    expect(await w.keys(`approval/fraud-score/${arn.split('/').pop()}/`)).toEqual(keys);
    expect(first.outcome).toBe('approve');
    expect(await w.status(arn)).toBe('Approved');
  });

  test('a replay after a crash between record and status update completes the recorded decision', async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.5, 0.5) } });
    // The crash: the record was written, then SageMaker became unreachable before the status update.
    let calls = 0;
    const flaky = new SageMakerClient({ ...w.moto.clientConfig });
    const realSend = flaky.send.bind(flaky);
    (flaky as unknown as { send: unknown }).send = (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'DescribeModelPackageCommand' && ++calls === 2)
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' }));
      return realSend(command as never);
    };
    await expect(approvalGate({ ...w.deps, sagemaker: flaky })(stateChange(arn))).rejects.toThrow(/ECONNREFUSED/);
    expect(await w.status(arn)).toBe('PendingManualApproval');
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', replayed: true, round: 1 });
    expect(await w.status(arn)).toBe('Rejected');
  });

  test.each<[string, Reports, Record<string, string | undefined>, RegExp]>([
    [
      'a report outside the allowed buckets',
      GOOD,
      { evaluation: 's3://approval-elsewhere/eval.json' },
      /outside the allowed buckets/,
    ],
    [
      'a report that does not exist',
      GOOD,
      { bias: 's3://approval-artifacts/training/fraud-score/nowhere/reports/bias.json' },
      /outside the evidence prefix|does not exist/,
    ],
    ['a report that is not JSON', { ...GOOD, explainability: '{"explanations": {' }, {}, /is not valid JSON/],
    [
      'a report over 1 MiB',
      { ...GOOD, statistics: JSON.stringify({ ...statistics(), padding: 'x'.repeat(1024 * 1024) }) },
      {},
      /over the 1048576-byte limit/,
    ],
    ['no bias report at all', { ...GOOD, bias: undefined }, {}, /bias report: the model package names no such report/],
    ['a string AUC', { ...GOOD, evaluation: evaluation('0.99') }, {}, /AUC: .* is not a number/],
  ])('%s is rejected, never approved', async (_name, reports, uris, reason) => {
    const arn = await w.register('fraud-score', { reports, uris });
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result.outcome).toBe('reject');
    expect(await w.status(arn)).toBe('Rejected');
    expect((await w.record(result.record!)).reasons.join('\n')).toMatch(reason);
  });

  test('a package of a group the estate does not govern is held and recorded', async () => {
    const arn = await w.register('ungoverned-model', { execution: false });
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result.outcome).toBe('hold');
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect((await w.record(result.record!)).reasons).toEqual([
      'the model package group is not governed by the estate config',
    ]);
  });

  test('an event for a package that is not pending does nothing', async () => {
    const arn = await w.register('fraud-score');
    await expect(approvalGate(w.deps)(stateChange(arn, 'Approved'))).resolves.toEqual({
      outcome: 'skipped',
      reason: 'status Approved is not PendingManualApproval',
    });
    expect(await w.status(arn)).toBe('PendingManualApproval');
  });

  test('an event without a package ARN is kept as an unattributable record, not lost', async () => {
    const result = await approvalGate(w.deps)({ id: 'evt-broken', detail: { ModelPackageArn: 'not-an-arn' } });
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'the event names no valid model package ARN' });
    expect(
      ((await w.json(result.record!)).event as { detail: { ModelPackageArn: string } }).detail.ModelPackageArn,
    ).toBe('not-an-arn');
  });
});
