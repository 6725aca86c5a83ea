/**
 * The approval gate, tried as a hostile reviewer would, against moto: events,
 * reports, faults, replays and races after a person's decision, provenance
 * and mutable artifacts. Each case states the safe outcome and asserts the
 * package's final status, the decision record and the reason.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { approvalGate, ApprovalGateDeps, ApprovalRecord, notice } from '../../lambdas/model-approval-gate/handler';
import { bias, evaluation, GATE_CONFIG, regressionEvaluation, statistics } from './fixtures';
import { ACCOUNT, approvalWorld, ApprovalWorld, DIGEST, GOOD, REGION, RegisterOptions, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('hostile');
}, 60_000);
afterAll(async () => w?.stop());

const base = (arn: string) => `approval/${arn.split('/').slice(-2).join('/')}/`;
async function latestRecord(arn: string): Promise<ApprovalRecord & { key: string }> {
  const keys = (await w.keys(base(arn)))
    .filter((k) => /round-\d+\.json$/.test(k))
    .sort((a, b) => Number(/round-(\d+)/.exec(a)![1]) - Number(/round-(\d+)/.exec(b)![1]));
  const key = keys[keys.length - 1];
  return { ...(await w.record(key)), key };
}
const gate = (deps: Partial<ApprovalGateDeps> = {}) => approvalGate({ ...w.deps, ...deps });

/** Registers, runs the gate once, and returns what a reviewer checks. */
async function judge(group: string, options: RegisterOptions = {}) {
  const arn = await w.register(group, options);
  const result = await gate()(stateChange(arn));
  const rec = await latestRecord(arn);
  return { arn, result, rec, status: await w.status(arn), reasons: rec.reasons.join('\n') };
}

/** A client whose `send` fails for one command name (an error path: the only use of a substitute client). */
function failing<T extends SageMakerClient | S3Client | SNSClient>(
  client: T,
  command: string,
  error: Error,
  times = Number.POSITIVE_INFINITY,
): T {
  const real = client.send.bind(client) as (c: unknown) => Promise<unknown>;
  let left = times;
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'send')
        return (c: { constructor: { name: string } }) =>
          c.constructor.name === command && left-- > 0 ? Promise.reject(error) : real(c);
      return Reflect.get(target, prop);
    },
  });
}
const awsError = (name: string, status: number, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('events: only a package of this account, region and partition is decided, under a bounded key', () => {
  const local = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/fraud-score/1`;
  test.each([
    ['another account', local.replace(ACCOUNT, '999999999999'), /not of this gate's/],
    ['another region', local.replace(REGION, 'us-east-1'), /not of this gate's/],
    ['another partition', local.replace('arn:aws:', 'arn:aws-cn:'), /not of this gate's/],
    ['a version 0', local.replace(/\/1$/, '/0'), /no valid model package ARN/],
    ['a group with a slash', local.replace('fraud-score', 'fraud/score'), /no valid model package ARN/],
    ['a trailing newline', `${local}\n`, /no valid model package ARN/],
    ['a 64-character group', local.replace('fraud-score', 'a'.repeat(64)), /no valid model package ARN/],
    ['a version of ten digits', local.replace(/\/1$/, '/1234567890'), /no valid model package ARN/],
  ])('an ARN of %s takes no local record key and changes nothing', async (_what, arn, reason) => {
    const result = await gate()({
      ...stateChange(local),
      detail: { ...stateChange(local).detail, ModelPackageArn: arn },
    });
    expect(result).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(reason) });
    expect(result.record).toMatch(/^unattributable\//);
    expect((await w.json(result.record!)).reason).toMatch(reason);
  });

  test("a very long event id keeps the unattributable key within S3's 1,024 bytes", async () => {
    const result = await gate()({ id: 'é'.repeat(5000), detail: { ModelPackageArn: 'nope' } });
    expect(Buffer.byteLength(result.record!)).toBeLessThanOrEqual(1024);
    expect(((await w.json(result.record!)).event as { id: string }).id).toHaveLength(5000);
  });

  test('an event without detail is kept, not thrown away', async () => {
    const result = await gate()({ id: 'evt-empty' } as never);
    expect(result).toMatchObject({ outcome: 'skipped', record: expect.stringMatching(/^unattributable\//) });
  });

  test('an event that says Approved for a pending package changes nothing', async () => {
    const arn = await w.register('fraud-score');
    expect(await gate()(stateChange(arn, 'Approved'))).toMatchObject({ outcome: 'skipped' });
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect(await w.keys(base(arn))).toEqual([]);
  });
});

describe('reports: metrics checked for sense, JSON read strictly; none of these approves', () => {
  test.each<[string, RegisterOptions['reports'], RegExp]>([
    ['AUC 62 (a percent)', { ...GOOD, evaluation: evaluation(62, 0.8) }, /AUC 62 is outside its domain \(\[0, 1\]\)/],
    ['F1 48 (a percent)', { ...GOOD, evaluation: evaluation(0.9, 48) }, /F1 48 is outside its domain \(\[0, 1\]\)/],
    ['AUC 1.7', { ...GOOD, evaluation: evaluation(1.7, 0.8) }, /AUC 1.7 is outside its domain/],
    ['AUC -0.2', { ...GOOD, evaluation: evaluation(-0.2, 0.8) }, /AUC -0.2 is outside its domain/],
    [
      'a negative disparate impact',
      { ...GOOD, bias: bias({ sex: [['female', -0.9]], age_band: [['18-25', 0.9]] }) },
      /DI of facet "sex" group "female" is -0.9, outside its domain \(non-negative\)/,
    ],
    [
      'a fractional KLL count',
      { ...GOOD, statistics: JSON.parse(JSON.stringify(statistics()).replace('"count":20', '"count":20.5')) },
      /bucket count of 20.5, outside its domain \(whole and non-negative\)/,
    ],
    [
      'a negative KLL count',
      { ...GOOD, baseline: JSON.parse(JSON.stringify(statistics()).replace('"count":20', '"count":-20')) },
      /bucket count of -20/,
    ],
    [
      'a duplicated AUC key (0.41 then 0.93)',
      {
        ...GOOD,
        evaluation:
          '{"binary_classification_metrics": {"auc": {"value": 0.41}, "f1": {"value": 0.8}, "auc": {"value": 0.93}}}',
      },
      /has the key "auc" twice in one object \(at binary_classification_metrics\)/,
    ],
    [
      'a duplicated key spelled with an escape',
      {
        ...GOOD,
        evaluation:
          '{"binary_classification_metrics": {"auc": {"value": 0.41}, "f1": {"value": 0.8}, "\\u0061uc": {"value": 0.93}}}',
      },
      /has the key "auc" twice/,
    ],
    [
      'a duplicated top-level key',
      { ...GOOD, bias: `${JSON.stringify(bias()).slice(0, -1)}, "post_training_bias_metrics": {}}` },
      /has the key "post_training_bias_metrics" twice in one object \(at the top level\)/,
    ],
    [
      'a byte-order mark',
      { ...GOOD, evaluation: `\ufeff${JSON.stringify(evaluation())}` },
      /starts with a byte-order mark \(U\+FEFF\)/,
    ],
    ['NaN written as a string', { ...GOOD, evaluation: evaluation('NaN') }, /AUC: .* is not a number/],
    ['a null AUC', { ...GOOD, evaluation: evaluation(null) }, /AUC: .* is not a number/],
    [
      'a regression report for a classifier',
      { ...GOOD, evaluation: regressionEvaluation() },
      /binary_classification_metrics.auc.value is missing/,
    ],
    ['an empty evaluation', { ...GOOD, evaluation: {} }, /is missing/],
    ['an array for the statistics', { ...GOOD, statistics: [] }, /statistics: features is missing/],
    [
      'no drift baseline',
      { ...GOOD, baseline: undefined },
      /baseline statistics: the model package names no such report/,
    ],
    [
      'no data-quality statistics',
      { ...GOOD, statistics: undefined },
      /statistics: the model package names no such report/,
    ],
    [
      'AUC a hair under the floor',
      { ...GOOD, evaluation: evaluation(0.74999, 0.8) },
      /AUC 0.74999 is below the floor 0.75/,
    ],
  ])('%s is rejected', async (_what, reports, reason) => {
    const { status, rec, reasons } = await judge('fraud-score', { reports });
    expect(status).toBe('Rejected');
    expect(rec).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected', round: 1 });
    expect(reasons).toMatch(reason);
    expect(reasons).not.toMatch(/\ufeff/);
  });

  test.each<[string, unknown, RegExp]>([
    ['R2 1800', regressionEvaluation(1800, 500), /R2 1800 is outside its domain \(at most 1\)/],
    ['a negative RMSE', regressionEvaluation(0.8, -5), /RMSE -5 is outside its domain \(non-negative\)/],
    ['RMSE a hair over the ceiling', regressionEvaluation(0.8, 1000.00001), /RMSE 1000.00001 exceeds the ceiling 1000/],
  ])('a regression model with %s is rejected', async (_what, report, reason) => {
    const { status, reasons } = await judge('deposit-forecast', { reports: { ...GOOD, evaluation: report } });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(reason);
  });

  test('a feature constant in the baseline that varies now is drift, not PSI 0', async () => {
    const constant = {
      features: [
        {
          name: 'amount',
          numerical_statistics: {
            distribution: { kll: { buckets: [{ lower_bound: 5, upper_bound: 5, count: 100 }] } },
          },
        },
      ],
    };
    const { status, rec, reasons } = await judge('fraud-score', { reports: { ...GOOD, baseline: constant } });
    expect(status).toBe('Rejected');
    expect(rec.checks.find((c) => c.name === 'PSI (amount)')).toMatchObject({ passed: false, severity: 'block' });
    expect(reasons).toMatch(/PSI of amount is \d+(\.\d+)?, at or above the block level 0.25/);
  });
});

describe('faults: a gate that cannot read holds or rejects, records why, and never loses a notice', () => {
  test('a report S3 refuses with 403 that a listing shows is missing is rejected as missing', async () => {
    const s3 = failing(w.s3, 'GetObjectCommand', awsError('AccessDenied', 403), 1);
    const arn = await w.register('fraud-score', { uris: { evaluation: undefined } });
    const run = await w.run('fraud-score');
    const arn2 = await w.register('fraud-score', {
      execution: run.arn,
      uris: { evaluation: `s3://${w.artifacts}/${run.prefix}reports/evaluation.json` },
      reports: { ...GOOD, evaluation: undefined },
    });
    await gate({ s3 })(stateChange(arn2));
    const rec = await latestRecord(arn2);
    expect(await w.status(arn2)).toBe('Rejected');
    expect(rec.inputs.evaluation).toMatchObject({ status: 'missing' });
    expect(rec.reasons.join('\n')).toMatch(/evaluation.json does not exist/);
    expect(await w.status(arn)).toBe('PendingManualApproval');
  });

  test('a report that exists but S3 refuses is held, not rejected and not approved', async () => {
    const s3 = failing(w.s3, 'GetObjectCommand', awsError('AccessDenied', 403), 1);
    const arn = await w.register('fraud-score');
    const result = await gate({ s3 })(stateChange(arn));
    expect(result.outcome).toBe('hold');
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect((await latestRecord(arn)).reasons.join('\n')).toMatch(/exists but may not be read: AccessDenied/);
  });

  test('S3 failing with 500 on a report holds for a person', async () => {
    const s3 = failing(w.s3, 'GetObjectCommand', awsError('InternalError', 500), 1);
    const arn = await w.register('fraud-score');
    await gate({ s3 })(stateChange(arn));
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect(await latestRecord(arn)).toMatchObject({
      outcome: 'hold',
      reasons: [expect.stringMatching(/report could not be read: InternalError/)],
    });
  });

  test('DescribeModelPackage failing throws for a retry, records why, and changes nothing', async () => {
    const arn = await w.register('fraud-score');
    const sagemaker = failing(w.sagemaker, 'DescribeModelPackageCommand', awsError('ThrottlingException', 400));
    await expect(gate({ sagemaker })(stateChange(arn))).rejects.toThrow(/ThrottlingException/);
    expect(await w.status(arn)).toBe('PendingManualApproval');
    const notes = await w.keys(`${base(arn)}unread/`);
    expect(notes).toHaveLength(1);
    expect((await w.json(notes[0])).reason).toMatch(/DescribeModelPackage failed: ThrottlingException/);
  });

  test('DescribePipelineExecution failing holds, it does not approve', async () => {
    const arn = await w.register('fraud-score');
    const sagemaker = failing(w.sagemaker, 'DescribePipelineExecutionCommand', awsError('ServiceUnavailable', 503));
    await gate({ sagemaker })(stateChange(arn));
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect(await latestRecord(arn)).toMatchObject({
      outcome: 'hold',
      provenance: { kind: 'unavailable' },
      reasons: [expect.stringMatching(/pipeline execution could not be checked/)],
    });
  });

  test('a record that cannot be written changes no status', async () => {
    const arn = await w.register('fraud-score');
    const s3 = failing(w.s3, 'PutObjectCommand', awsError('AccessDenied', 403));
    await expect(gate({ s3 })(stateChange(arn))).rejects.toThrow(/AccessDenied/);
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect(await w.keys(base(arn))).toEqual([]);
  });

  test('a notice that fails once is sent on the redelivery, and the record says so', async () => {
    const arn = await w.register('fraud-score');
    const sns = failing(w.sns, 'PublishCommand', awsError('TimeoutError', 0, 'publish timed out'));
    await expect(gate({ sns })(stateChange(arn))).rejects.toThrow(/publish timed out/);
    expect(await w.status(arn)).toBe('Approved');
    expect((await w.keys(base(arn))).some((k) => k.endsWith('.notified.json'))).toBe(false);
    const again = await gate()(stateChange(arn));
    expect(again).toMatchObject({ outcome: 'skipped', notified: true });
    const notified = await w.json(`${base(arn)}round-1.notified.json`);
    expect(notified).toMatchObject({ schema: 'model-approval-notified/1', messageId: expect.any(String), cut: false });
    expect(await w.status(arn)).toBe('Approved');
  });

  test('a hold whose notice failed is notified on redelivery without deciding again', async () => {
    const arn = await w.register('credit-default');
    const sns = failing(w.sns, 'PublishCommand', awsError('InternalError', 500));
    await expect(gate({ sns })(stateChange(arn))).rejects.toThrow();
    const again = await gate()(stateChange(arn));
    expect(again).toMatchObject({ outcome: 'hold', replayed: true, round: 1, notified: true });
    expect((await w.keys(base(arn))).filter((k) => /round-\d+\.json$/.test(k))).toHaveLength(1);
  });

  test("an oversized notice is cut below SNS's 256 KiB with a pointer to the record", () => {
    const rec = {
      modelPackage: { arn: 'arn', group: 'g', version: 1 },
      outcome: 'reject',
      approvalStatus: 'Rejected',
      round: 1,
      reasons: Array.from({ length: 5000 }, (_, i) => `reason ${i} ${'é'.repeat(60)}`),
    } as unknown as ApprovalRecord;
    const { message, bytes, cut } = notice(rec, 's3://records/approval/g/1/round-1.json');
    expect(cut).toBe(true);
    expect(bytes).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(message)).toBe(bytes);
    expect(message).toMatch(
      /cut at \d+ bytes; the full decision is in the record: s3:\/\/records\/approval\/g\/1\/round-1.json\)$/,
    );
    expect(message).not.toMatch(/\uFFFD/);
  });

  test('a decision with an oversized notice is still sent, cut, and the record says it was cut', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`f${i}`, [[`group-${i}-${'x'.repeat(40)}`, 0.1]]]),
    ) as Record<string, Array<[string, unknown]>>;
    const config = {
      ...GATE_CONFIG,
      models: GATE_CONFIG.models.map((m) =>
        m.id === 'fraud-score' ? { ...m, protectedAttributes: Object.keys(many) } : m,
      ),
    };
    const arn = await w.register('fraud-score', { reports: { ...GOOD, bias: bias(many) } });
    await gate({ config })(stateChange(arn));
    expect(await w.status(arn)).toBe('Rejected');
    expect(await w.json(`${base(arn)}round-1.notified.json`)).toMatchObject({ cut: true });
  });
});

describe("replays and races: a person's decision is final", () => {
  test('a redelivered event after a person rejected an approved package leaves it Rejected', async () => {
    const arn = await w.register('fraud-score');
    await gate()(stateChange(arn));
    await w.person(arn, 'Rejected');
    expect(await gate()(stateChange(arn))).toMatchObject({ outcome: 'skipped' });
    expect(await w.status(arn)).toBe('Rejected');
    expect((await w.describe(arn)).ApprovalDescription).toMatch(/model-risk approver/);
  });

  test("a redelivered event after a person approved a held package leaves the person's approval", async () => {
    const arn = await w.register('credit-default');
    await gate()(stateChange(arn));
    await w.person(arn, 'Approved');
    await gate()(stateChange(arn));
    expect(await w.status(arn)).toBe('Approved');
    expect((await latestRecord(arn)).outcome).toBe('hold');
  });

  test('a package a person sends back to pending is decided afresh, in a new round', async () => {
    const arn = await w.register('fraud-score');
    await gate()(stateChange(arn));
    await w.person(arn, 'PendingManualApproval', 'second look');
    const result = await gate()(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'approve', round: 2, replayed: false });
    const rec = await latestRecord(arn);
    expect(rec).toMatchObject({ round: 2, package: { status: 'PendingManualApproval', description: 'second look' } });
    expect(await w.status(arn)).toBe('Approved');
  });

  test('sent back after its model moved to the high-risk tier, it is held, not re-approved from the old record', async () => {
    const arn = await w.register('fraud-score');
    await gate()(stateChange(arn));
    await w.person(arn, 'PendingManualApproval', 'model re-tiered');
    const config = {
      ...GATE_CONFIG,
      models: GATE_CONFIG.models.map((m) => (m.id === 'fraud-score' ? { ...m, riskTier: 'high' } : m)),
    };
    const result = await gate({ config, policyDigest: 'sha256:retiered' })(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'hold', round: 2 });
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect((await latestRecord(arn)).reasons.join(' ')).toMatch(/high-risk model is approved only by a person/);
  });

  test("a person's rejection made while the gate decides is not overwritten", async () => {
    const arn = await w.register('fraud-score');
    // The person acts between the gate's first read of the package and its re-read before writing.
    let reads = 0;
    const real = w.sagemaker.send.bind(w.sagemaker) as (c: unknown) => Promise<unknown>;
    const sagemaker = new Proxy(w.sagemaker, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop);
        return async (c: { constructor: { name: string } }) => {
          if (c.constructor.name === 'DescribeModelPackageCommand' && ++reads === 2)
            await w.person(arn, 'Rejected', 'rejected by a person mid-decision');
          return real(c);
        };
      },
    });
    const result = await gate({ sagemaker })(stateChange(arn));
    expect(result).toMatchObject({
      outcome: 'superseded',
      reason: expect.stringMatching(/changed while the gate decided \(now Rejected/),
    });
    expect(await w.status(arn)).toBe('Rejected');
    expect(await w.json(`${base(arn)}round-1.applied.json`)).toMatchObject({
      applied: false,
      package: { status: 'Rejected' },
    });
    expect((await latestRecord(arn)).outcome).toBe('approve');
  });

  test('a recorded decision never applied is not applied after a person rejected the package', async () => {
    const arn = await w.register('fraud-score');
    const sagemaker = failing(w.sagemaker, 'UpdateModelPackageCommand', awsError('InternalFailure', 500));
    await expect(gate({ sagemaker })(stateChange(arn))).rejects.toThrow();
    await w.person(arn, 'Rejected');
    await gate()(stateChange(arn));
    expect(await w.status(arn)).toBe('Rejected');
  });

  test('a recorded decision never applied, then sent back to pending by a person, starts a new round', async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.5, 0.5) } });
    const sagemaker = failing(w.sagemaker, 'UpdateModelPackageCommand', awsError('InternalFailure', 500));
    await expect(gate({ sagemaker })(stateChange(arn))).rejects.toThrow();
    await w.person(arn, 'Approved');
    await w.person(arn, 'PendingManualApproval', 'look again');
    const result = await gate()(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', round: 2 });
    expect(await w.status(arn)).toBe('Rejected');
  });

  test('a recorded, unapplied decision under an older policy is decided again, not applied', async () => {
    const arn = await w.register('fraud-score');
    const sagemaker = failing(w.sagemaker, 'UpdateModelPackageCommand', awsError('InternalFailure', 500));
    await expect(gate({ sagemaker })(stateChange(arn))).rejects.toThrow();
    const tiers = { ...GATE_CONFIG.tiers, medium: { ...GATE_CONFIG.tiers.medium, minAuc: 0.95 } };
    const result = await gate({ config: { ...GATE_CONFIG, tiers }, policyDigest: 'sha256:stricter' })(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', round: 2 });
    expect(await w.status(arn)).toBe('Rejected');
  });

  test('two deliveries at once decide one round and agree', async () => {
    const arn = await w.register('fraud-score');
    const [a, b] = await Promise.all([
      gate()(stateChange(arn, undefined, 'a')),
      gate()(stateChange(arn, undefined, 'b')),
    ]);
    expect([a.outcome, b.outcome].filter((o) => o === 'approve').length).toBeGreaterThanOrEqual(1);
    expect((await w.keys(base(arn))).filter((k) => /round-\d+\.json$/.test(k))).toEqual([`${base(arn)}round-1.json`]);
    expect(await w.status(arn)).toBe('Approved');
  });

  test("the gate's own hold, redelivered, is not a new round", async () => {
    const arn = await w.register('credit-default');
    await gate()(stateChange(arn));
    const again = await gate()(stateChange(arn));
    expect(again).toMatchObject({ outcome: 'hold', replayed: true, round: 1 });
    expect((await w.keys(base(arn))).filter((k) => /round-\d+\.json$/.test(k))).toHaveLength(1);
  });

  test('a hold a person rejected and then re-opened is decided in round 2, not left on the old hold', async () => {
    const arn = await w.register('credit-default');
    await gate()(stateChange(arn));
    await w.person(arn, 'Rejected');
    await w.person(arn, 'PendingManualApproval', 'reopened');
    expect(await gate()(stateChange(arn))).toMatchObject({ outcome: 'hold', round: 2 });
    expect(await w.status(arn)).toBe('PendingManualApproval');
  });
});

describe('provenance: the person whose model is judged does not control the evidence', () => {
  test('a hand-registered package with perfect reports is held for a person, never approved', async () => {
    const { status, rec } = await judge('fraud-score', { execution: false });
    expect(status).toBe('PendingManualApproval');
    expect(rec).toMatchObject({ outcome: 'hold', provenance: { kind: 'hand-registered' } });
    expect(rec.reasons.join(' ')).toMatch(/hand-registered package is reviewed by a person/);
  });

  test("a package claiming another model's pipeline execution is rejected", async () => {
    const other = await w.run('deposit-forecast');
    const { status, reasons } = await judge('fraud-score', {
      execution: other.arn,
      reportPrefix: `${other.prefix}reports/`,
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/is an execution of test-deposit-forecast-training, not of fraud-score's pipeline/);
  });

  test('a package claiming an execution that does not exist is rejected', async () => {
    const { status, reasons } = await judge('fraud-score', {
      execution: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:pipeline/test-fraud-score-training/execution/doesnotexist1`,
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/no such pipeline execution/);
  });

  test('a package claiming an execution of another account is rejected', async () => {
    const { status, reasons } = await judge('fraud-score', {
      execution: `arn:aws:sagemaker:${REGION}:999999999999:pipeline/test-fraud-score-training/execution/abc`,
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/execution of another account, region or partition/);
  });

  test('a claim that is not an execution ARN is rejected', async () => {
    const { status, reasons } = await judge('fraud-score', {
      execution: false,
      metadata: { 'pipeline-execution': 'trust me' },
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/"trust me" is not a pipeline execution ARN/);
  });

  test("a data scientist's forged reports outside the execution's prefix are rejected, with a real execution named", async () => {
    const run = await w.run('fraud-score');
    const { status, reasons } = await judge('fraud-score', {
      execution: run.arn,
      reportPrefix: 'scratch/fraud-score/',
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/outside the evidence prefix .*training\/fraud-score\/.*\/reports\//);
  });

  test('reports from another execution of the same pipeline are rejected', async () => {
    const first = await w.run('fraud-score');
    const second = await w.run('fraud-score');
    const { status, reasons } = await judge('fraud-score', {
      execution: second.arn,
      reportPrefix: `${first.prefix}reports/`,
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(
      new RegExp(`outside the evidence prefix s3://${w.artifacts}/training/fraud-score/${second.id}/reports/`),
    );
  });

  test('a report path that climbs out of the prefix is rejected', async () => {
    const run = await w.run('fraud-score');
    const { status, reasons } = await judge('fraud-score', {
      execution: run.arn,
      uris: { evaluation: `s3://${w.artifacts}/${run.prefix}reports/../../../../scratch/evaluation.json` },
    });
    expect(status).toBe('Rejected');
    expect(reasons).toMatch(/outside the evidence prefix/);
  });

  test('a model without a training pipeline here cannot claim one', async () => {
    const config = {
      ...GATE_CONFIG,
      models: GATE_CONFIG.models.map((m) => (m.id === 'fraud-score' ? { ...m, trainingPipeline: undefined } : m)),
    };
    const arn = await w.register('fraud-score');
    await gate({ config })(stateChange(arn));
    expect(await w.status(arn)).toBe('Rejected');
    expect((await latestRecord(arn)).reasons.join(' ')).toMatch(/has no training pipeline in this environment/);
  });

  test("the decision record keeps each report's version and SHA-256, so an overwrite later is visible", async () => {
    const { rec } = await judge('fraud-score');
    const { createHash } = await import('node:crypto');
    expect(rec.inputs.evaluation.sha256).toBe(createHash('sha256').update(JSON.stringify(evaluation())).digest('hex'));
    expect(rec.inputs.evaluation.versionId).toEqual(expect.any(String));
  });
});

describe('mutable and foreign artifacts: what is approved is what the estate holds', () => {
  test.each<[string, RegisterOptions, RegExp]>([
    [
      'an image named by tag',
      { image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fraud-score:latest` },
      /named by a tag, which can be moved after approval/,
    ],
    [
      'an image of another account',
      { image: `999999999999.dkr.ecr.${REGION}.amazonaws.com/fraud-score${DIGEST}` },
      /outside the estate's registries/,
    ],
    ['an image from a public registry', { image: `docker.io/library/python${DIGEST}` }, /is not an ECR image URI/],
    ['an image from public ECR', { image: 'public.ecr.aws/x/fraud-score:1' }, /is not an ECR image URI/],
    [
      'model data in another bucket',
      { modelData: 's3://someone-elses-bucket/model.tar.gz' },
      /outside the estate's artifact bucket/,
    ],
    [
      "model data from another model's run",
      { modelData: 's3://hostile-artifacts/training/deposit-forecast/x/model/model.tar.gz' },
      /is not an output of fraud-score's training run/,
    ],
    [
      'model data that climbs out of the run',
      { modelData: 's3://hostile-artifacts/training/fraud-score/x/../../../scratch/model.tar.gz' },
      /outside the estate's artifact bucket/,
    ],
  ])('%s is rejected', async (_what, options, reason) => {
    const { status, reasons, rec } = await judge('fraud-score', options);
    expect(status).toBe('Rejected');
    expect(rec.outcome).toBe('reject');
    expect(reasons).toMatch(reason);
  });

  test('in dev, an image by tag from the estate is accepted', async () => {
    const config = { ...GATE_CONFIG, artifacts: { ...GATE_CONFIG.artifacts, requireImageDigest: false } };
    const arn = await w.register('fraud-score', {
      image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fraud-score:2.1.0`,
    });
    expect(await gate({ config })(stateChange(arn))).toMatchObject({ outcome: 'approve' });
  });
});
