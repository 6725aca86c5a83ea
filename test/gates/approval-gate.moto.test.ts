/**
 * The approval gate's handler against moto's server: register a package as a
 * data scientist would, send the event EventBridge would send, then read back
 * the approval status, its description and the decision record.
 */
import { CreateModelPackageCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { approvalGate, ApprovalRecord, ApprovalGateDeps, PackageStateChangeEvent } from '../../lambdas/model-approval-gate/handler';
import { gateWorld, startMoto, Moto } from '../support/moto';
import { bias, evaluation, explainability, GATE_CONFIG, statistics } from './fixtures';

const ARTIFACTS = 'ml-artifacts-test';
const ELSEWHERE = 'someone-elses-bucket';
const RECORDS = 'gate-decisions-test';

let moto: Moto;
let s3: S3Client;
let sagemaker: SageMakerClient;
let deps: ApprovalGateDeps;
let sequence = 0;

beforeAll(async () => {
  moto = await startMoto();
  const world = await gateWorld(moto, {
    artifacts: ARTIFACTS,
    records: RECORDS,
    otherBuckets: [ELSEWHERE],
    topic: 'model-decisions',
    groups: ['fraud-score', 'credit-default', 'deposit-forecast', 'ungoverned-model'],
  });
  ({ s3, sagemaker } = world);
  deps = { sagemaker, s3, sns: world.sns, config: GATE_CONFIG, recordBucket: RECORDS, allowedBuckets: [ARTIFACTS], topicArn: world.topicArn, policyDigest: 'sha256:test' };
});

afterAll(async () => {
  await moto?.stop();
});

type Reports = Partial<Record<'evaluation' | 'bias' | 'explainability' | 'statistics' | 'baseline', unknown>>;
const GOOD: Reports = { evaluation: evaluation(), bias: bias(), explainability: explainability(), statistics: statistics(), baseline: statistics() };

/** Puts the reports in S3 (raw strings as they are) and registers a package that points at them. */
async function register(group: string, reports: Reports = GOOD, uriOverrides: Partial<Record<keyof Reports, string>> = {}): Promise<string> {
  const prefix = `${group}/run-${++sequence}`;
  const uri: Record<string, string> = {};
  for (const [name, body] of Object.entries(reports)) {
    const key = `${prefix}/${name}.json`;
    await s3.send(new PutObjectCommand({ Bucket: ARTIFACTS, Key: key, Body: typeof body === 'string' ? body : JSON.stringify(body) }));
    uri[name] = `s3://${ARTIFACTS}/${key}`;
  }
  Object.assign(uri, uriOverrides);
  const json = (u?: string) => (u ? { ContentType: 'application/json', S3Uri: u } : undefined);
  const { ModelPackageArn } = await sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: group,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/model:1', ModelDataUrl: `s3://${ARTIFACTS}/${prefix}/model.tar.gz` }],
        SupportedContentTypes: ['text/csv'],
        SupportedResponseMIMETypes: ['text/csv'],
      },
      ModelMetrics: {
        ModelQuality: uri.evaluation ? { Statistics: json(uri.evaluation) } : undefined,
        Bias: uri.bias ? { PostTrainingReport: json(uri.bias) } : undefined,
        Explainability: uri.explainability ? { Report: json(uri.explainability) } : undefined,
        ModelDataQuality: uri.statistics ? { Statistics: json(uri.statistics) } : undefined,
      },
      DriftCheckBaselines: uri.baseline ? { ModelDataQuality: { Statistics: json(uri.baseline) } } : undefined,
      CustomerMetadataProperties: { 'training-data': `s3://${ARTIFACTS}/${prefix}/train/`, 'training-data-version': `v${sequence}` },
    }),
  );
  return ModelPackageArn!;
}

/** The event EventBridge delivers for a newly registered package. */
const stateChange = (arn: string, status = 'PendingManualApproval'): PackageStateChangeEvent => {
  const [, group, version] = /model-package\/([^/]+)\/(\d+)$/.exec(arn)!;
  return {
    id: `evt-${arn.split('/').slice(-2).join('-')}`,
    time: '2026-11-23T10:00:00Z',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    detail: { ModelPackageArn: arn, ModelPackageGroupName: group, ModelPackageVersion: Number(version), ModelApprovalStatus: status },
  };
};

const describe_ = (arn: string) => sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
async function record(key: string): Promise<ApprovalRecord> {
  const res = await s3.send(new GetObjectCommand({ Bucket: RECORDS, Key: key }));
  return JSON.parse(await res.Body!.transformToString());
}

describe('approval gate against moto', () => {
  test('a medium-risk classifier that clears every threshold is approved, with the decision recorded first', async () => {
    const arn = await register('fraud-score');
    const result = await approvalGate(deps)(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'approve', approvalStatus: 'Approved', replayed: false });

    const pkg = await describe_(arn);
    expect(pkg.ModelApprovalStatus).toBe('Approved');
    expect(pkg.ApprovalDescription).toBe('model-approval-gate: approve. every check passed');
    expect(pkg.CustomerMetadataProperties).toMatchObject({
      'gate-decision': `s3://${RECORDS}/${result.record}`,
      'gate-outcome': 'approve',
      'training-data-version': expect.stringMatching(/^v\d+$/),
    });

    const rec = await record(result.record!);
    expect(rec).toMatchObject({
      schema: 'model-approval-decision/1',
      outcome: 'approve',
      modelPackage: { arn, group: 'fraud-score' },
      model: { id: 'fraud-score', riskTier: 'medium' },
      gate: { name: 'model-approval-gate', policyDigest: 'sha256:test' },
      trainingData: { 'training-data': expect.stringContaining('/train/') },
      thresholds: { minAuc: 0.75, minDisparateImpact: 0.8, psiBlock: 0.25 },
    });
    expect(rec.checks.find((c) => c.name === 'AUC')).toMatchObject({ value: 0.9, threshold: '>= 0.75', passed: true });
  });

  test('a high-risk model that clears every threshold is held for a person', async () => {
    const arn = await register('credit-default');
    const result = await approvalGate(deps)(stateChange(arn));
    expect(result.outcome).toBe('hold');
    const pkg = await describe_(arn);
    expect(pkg.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(pkg.ApprovalDescription).toMatch(/approved only by a person in the model-risk role/);
  });

  test('a classifier below its AUC floor is rejected, and the description says why with the numbers', async () => {
    const arn = await register('fraud-score', { ...GOOD, evaluation: evaluation(0.7, 0.8) });
    await approvalGate(deps)(stateChange(arn));
    const pkg = await describe_(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.ApprovalDescription).toBe('model-approval-gate: reject. AUC 0.7 is below the floor 0.75');
  });

  test('a replayed event re-applies the recorded decision and writes nothing new', async () => {
    const arn = await register('fraud-score');
    const gate = approvalGate(deps);
    const first = await gate(stateChange(arn));
    const second = await gate(stateChange(arn));
    expect(second).toEqual({ ...first, replayed: true });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: RECORDS, Prefix: first.record }));
    expect(versions.Versions).toHaveLength(1);
    expect((await describe_(arn)).ModelApprovalStatus).toBe('Approved');
  });

  test('a replay after a crash between record and status update completes the recorded decision', async () => {
    const arn = await register('fraud-score', { ...GOOD, evaluation: evaluation(0.5, 0.5) });
    // The crash: the record was written, the status never updated.
    const crashing = approvalGate({ ...deps, sagemaker: new SageMakerClient({ ...moto.clientConfig, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }) });
    await expect(crashing(stateChange(arn))).rejects.toThrow();
    expect((await describe_(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
    const result = await approvalGate(deps)(stateChange(arn));
    expect(result).toMatchObject({ replayed: true });
    // SageMaker was unreachable when the crashed run decided: it held, fail-closed, and that stands.
    expect(result.outcome).toBe('hold');
    const rec = await record(result.record!);
    expect(rec.reasons.join(' ')).toMatch(/DescribeModelPackage failed/);
    expect((await describe_(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
  });

  test.each<[string, Reports, Partial<Record<keyof Reports, string>>, RegExp]>([
    ['a report outside the allowed buckets', GOOD, { evaluation: `s3://${ELSEWHERE}/eval.json` }, /outside the allowed buckets/],
    ['a report that does not exist', GOOD, { bias: `s3://${ARTIFACTS}/nowhere/analysis.json` }, /does not exist/],
    ['a report that is not JSON', { ...GOOD, explainability: '{"explanations": {' }, {}, /is not valid JSON/],
    ['a report over 1 MiB', { ...GOOD, statistics: JSON.stringify({ ...statistics(), padding: 'x'.repeat(1024 * 1024) }) }, {}, /over the 1048576-byte limit/],
    ['no bias report at all', { ...GOOD, bias: undefined }, {}, /bias report: the model package names no such report/],
    ['a string AUC', { ...GOOD, evaluation: evaluation('0.99') }, {}, /AUC: .* is not a number/],
    ['a NaN-like DI written as a string', { ...GOOD, bias: bias({ sex: [['female', 'NaN']], age_band: [['18-25', 0.9]] }) }, {}, /no finite DI value/],
  ])('%s is rejected, never approved', async (_name, reports, overrides, reason) => {
    const definedReports = Object.fromEntries(Object.entries(reports).filter(([, v]) => v !== undefined));
    const arn = await register('fraud-score', definedReports, overrides);
    const result = await approvalGate(deps)(stateChange(arn));
    expect(result.outcome).toBe('reject');
    const pkg = await describe_(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect((await record(result.record!)).reasons.join('\n')).toMatch(reason);
  });

  test('a package of a group the estate does not govern is held and recorded', async () => {
    const arn = await register('ungoverned-model');
    const result = await approvalGate(deps)(stateChange(arn));
    expect(result.outcome).toBe('hold');
    expect((await describe_(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
    expect((await record(result.record!)).reasons).toEqual(['the model package group is not governed by the estate config']);
  });

  test('an event for a package that is not pending does nothing', async () => {
    const arn = await register('fraud-score');
    await expect(approvalGate(deps)(stateChange(arn, 'Approved'))).resolves.toEqual({ outcome: 'skipped', reason: 'status Approved is not PendingManualApproval' });
    expect((await describe_(arn)).ModelApprovalStatus).toBe('PendingManualApproval');
  });

  test('an event without a package ARN is kept as an unattributable record, not lost', async () => {
    const result = await approvalGate(deps)({ id: 'evt-broken', detail: { ModelPackageArn: 'not-an-arn' } });
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'the event names no valid model package ARN' });
    const kept = await s3.send(new GetObjectCommand({ Bucket: RECORDS, Key: result.record }));
    expect(JSON.parse(await kept.Body!.transformToString()).event.detail.ModelPackageArn).toBe('not-an-arn');
  });
});
