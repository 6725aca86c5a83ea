/**
 * Where the staging shadow variant serves the challenger, the deployment gate's per-segment comparison also takes the
 * shadow's captured traffic: the monitoring job (processing/estate_monitoring.py monitor --shadow, run here on
 * generated captures and labels with known counts) writes each variant's labelled counts per segment into its daily
 * report in the capture bucket, and the gate sums the days wholly after the current config went live and compares the
 * shadow with the production variant on the same requests. Missing, thin, stale or foreign figures never pass.
 * Against moto (shadow variants answered in the documented DescribeEndpoint / DescribeEndpointConfig shape, as moto
 * has none): pass or fail, the record and the reason.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { MONITORING_SCRIPT, monitoringDefinition } from '../../constructs/estate-monitoring';
import { deploymentGate, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import { dailyReports } from '../../lambdas/deployment-gate/shadow-traffic';
import { segmentArgument } from '../../lib/config/segments';
import { deploymentDeps, version } from '../gates/promotion';
import { stagingEndpoint, traffic } from '../gates/staging';
import { approvalWorld, ApprovalWorld, GOOD } from '../gates/world';
import { FRAUD_SEGMENTS, fraudCells, good, SEGMENTED_CONFIG, segmentedEvaluation } from './fixtures';

const DAY = 86_400_000;
const CAPTURE = 'inference-capture-shadow-test';
const python = (args: string[]) =>
  spawnSync('python3', args, { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
const SEGMENT_ARGS = FRAUD_SEGMENTS.segments.flatMap((s) => [
  '--segment',
  segmentArgument({
    name: s.name,
    feature: s.definition.feature,
    values: s.definition.values as never,
    range: s.definition.range,
    minSupport: s.minSupport,
    critical: s.critical,
  }),
]);

let w: ApprovalWorld;
let root: string;
/** report.json of one generated day, by behaviour and row count. */
const reports = new Map<string, any>();

function monitored(behaviour: string, rows: number): any {
  const id = `${behaviour}-${rows}`;
  if (reports.has(id)) return reports.get(id);
  const day = path.join(root, id);
  const g = python([path.join(__dirname, 'shadow_capture.py'), day, String(rows), behaviour]);
  if (g.status !== 0) throw new Error(g.stderr);
  const out = path.join(day, 'out');
  const r = python([
    MONITORING_SCRIPT,
    'monitor',
    '--endpoint',
    'ENDPOINT',
    '--problem-type',
    'binary_classification',
    '--baseline',
    path.join(root, 'mon', 'baseline'),
    '--capture',
    path.join(day, 'capture', 'champion'),
    path.join(day, 'capture', 'challenger'),
    '--ground-truth',
    path.join(day, 'ground-truth', '0'),
    '--output',
    out,
    '--window',
    'day',
    '--shadow',
    'challenger',
    ...SEGMENT_ARGS,
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  reports.set(id, report);
  return report;
}

beforeAll(async () => {
  w = await approvalWorld('shadow-traffic');
  await w.s3.send(
    new CreateBucketCommand({
      Bucket: CAPTURE,
      CreateBucketConfiguration: { LocationConstraint: w.moto.clientConfig.region as never },
    }),
  );
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-traffic-'));
  const g = python([
    path.join(__dirname, 'generate.py'),
    'monitoring',
    path.join(root, 'mon'),
    ...SEGMENT_ARGS.filter((_, i) => i % 2 === 1),
  ]);
  if (g.status !== 0) throw new Error(g.stderr);
}, 180_000);
afterAll(async () => {
  await w?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/**
 * The staging endpoint: the champion in production variant `champion`, the challenger as shadow variant `challenger`.
 */
function shadowing(sagemaker: SageMakerClient): SageMakerClient {
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
                ProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName !== 'challenger'),
                ShadowProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName === 'challenger').map(
                  (v) => ({ ...v, CurrentWeight: 1 }),
                ),
              };
            }
            if (c.constructor.name === 'DescribeEndpointConfigCommand') {
              const cfg = out as DescribeEndpointConfigCommandOutput;
              return {
                ...cfg,
                ProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName !== 'challenger'),
                ShadowProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName === 'challenger'),
              };
            }
            return out;
          }
        : Reflect.get(t, p),
  });
}

const startOfDay = (t: number) => Math.floor(t / DAY) * DAY;
const hourKey = (t: number) => new Date(t).toISOString().slice(0, 13).replace(/[-T]/g, '');
/** Puts a report as the monitoring job writes it, for the day window ending at `end`. */
async function put(endpoint: string, end: number, report: any) {
  const key = `monitoring/${endpoint}/reports/${endpoint}-mon-d${hourKey(end)}/report.json`;
  await w.s3.send(new PutObjectCommand({ Bucket: CAPTURE, Key: key, Body: JSON.stringify({ ...report, endpoint }) }));
  return key;
}

/**
 * An approved champion and challenger whose evaluations pass the evaluation-based comparison (the challenger is shown
 * better in every critical segment), staged with the challenger as shadow; the gate asks three days from now.
 */
async function staged(endpoint: string) {
  const champion = await version(w, 'fraud-score', {
    reports: { ...GOOD, evaluation: segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) },
  });
  const challenger = await version(w, 'fraud-score', {
    reports: {
      ...GOOD,
      evaluation: segmentedEvaluation(
        FRAUD_SEGMENTS,
        fraudCells({ 'high-value': good(1000, 0.02), 'high-risk-merchant': good(1000, 0.02) }),
        { auc: 0.95, f1: 0.82 },
      ),
    },
  });
  await stagingEndpoint(w.sagemaker, endpoint, { champion, challenger });
  const now = Date.now() + 3 * DAY;
  // The shadow answered 500 requests in the bake period before the gate asks.
  await traffic(w.cloudwatch, endpoint, 'challenger', 500, 30 - (3 * DAY) / 60_000);
  const gate = deploymentGate(
    deploymentDeps(w, {
      config: SEGMENTED_CONFIG,
      sagemaker: shadowing(w.sagemaker),
      captureBucket: CAPTURE,
      now: () => new Date(now),
    }),
  );
  const ask = async (requestId: string) => {
    const result = await gate({
      requestId,
      modelPackageArn: challenger,
      stagingEndpointName: endpoint,
      championModelPackageArn: champion,
    });
    return { result, rec: (await w.json(result.record!)) as unknown as DeploymentRecord };
  };
  // The first whole day after the endpoint went live (now), and the next.
  const firstDayEnd = startOfDay(Date.now()) + 2 * DAY;
  return { ask, firstDayEnd, champion, challenger };
}
const check = (rec: DeploymentRecord, name: string) => rec.checks.find((c) => c.name === name);
const LIVE = 'captured traffic per segment';

describe("a shadow challenger is compared on the shadow's captured traffic, per critical segment", () => {
  test("the job reports each variant's labelled counts per segment, the shadow apart from the endpoint's own figures (known counts)", () => {
    const report = monitored('better', 3000).result;
    // The endpoint's figures are the production variant's only (3000 records, not 6000).
    expect(report.records).toBe(3000);
    expect(Object.keys(report.variants)).toEqual(['challenger', 'champion']);
    expect(report.variants.challenger).toMatchObject({
      shadow: true,
      rows: 3000,
      decision_threshold: 0.5,
      confusion_matrix: { true_positives: 600, false_negatives: 0, false_positives: 0, true_negatives: 2400 },
    });
    // high-value: rows i % 3 == 0 (1000), positives i % 15 == 0 (200); the champion misses i % 105 == 0 (29).
    expect(report.variants.champion.segments['high-value']).toMatchObject({
      support: 1000,
      positives: 200,
      confusion_matrix: { true_positives: 171, false_negatives: 29, false_positives: 0, true_negatives: 800 },
    });
    expect(report.variants.challenger.segments['high-value']).toMatchObject({
      support: 1000,
      positives: 200,
      confusion_matrix: { true_positives: 200, false_negatives: 0 },
    });
    // high-risk-merchant: i % 2 == 0 (1500), positives i % 10 == 0 (300), missed by the champion i % 70 == 0 (43).
    expect(report.variants.champion.segments['high-risk-merchant']).toMatchObject({
      support: 1500,
      positives: 300,
      confusion_matrix: { false_negatives: 43 },
    });
    expect(report.variants.champion.shadow).toBe(false);
    // Labels joined on the caller's inference id, the same on a request and its shadow copy (the event ids differ).
    expect(
      monitored('misses-high-value', 3000).result.variants.challenger.segments['high-value'].confusion_matrix,
    ).toMatchObject({ true_positives: 0, false_negatives: 200 });
  });

  test('a shadow shown no worse than the production variant on its captured traffic passes; the windows are recorded', async () => {
    const { ask, firstDayEnd } = await staged('shadow-live-ok');
    const keys = [
      await put('shadow-live-ok', firstDayEnd, monitored('better', 3000)),
      await put('shadow-live-ok', firstDayEnd + DAY, monitored('better', 3000)),
    ];
    const { result, rec } = await ask('ok');
    expect(result.reasons).toEqual(['every promotion check passed']);
    expect(check(rec, LIVE)).toMatchObject({
      passed: true,
      detail: expect.stringMatching(
        /^2 daily window\(s\) of captured traffic since .*: 6000 labelled record\(s\) of shadow challenger, 6000 of production variant champion$/,
      ),
    });
    expect(
      check(rec, 'challenger in segment high-value: missed-positive rate (1 - recall) on captured traffic'),
    ).toMatchObject({
      passed: true,
      detail: expect.stringMatching(
        /0 \(0\/400\) against the champion's 0\.145 \(58\/400\).*production variant champion on the same requests/,
      ),
    });
    expect(rec.inputs.shadowTraffic).toMatchObject({ windows: keys });
  });

  test('a shadow that wins on its evaluation but misses every high-value fraud on live traffic is blocked', async () => {
    const { ask, firstDayEnd } = await staged('shadow-live-worse');
    await put('shadow-live-worse', firstDayEnd, monitored('misses-high-value', 3000));
    const { result, rec } = await ask('worse');
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      "challenger in segment high-value: missed-positive rate (1 - recall): 1 (200/200) against the champion's 0.145 (29/200); difference 0.855, one-sided 95% Newcombe interval [0.8074, 0.8912]: worse than the champion by more than the tolerance 0.01, significantly (the shadow's captured traffic against production variant champion on the same requests)",
      // High-value electronics purchases are high-risk-merchant too: its 100 missed frauds show there as well.
      "challenger in segment high-risk-merchant: missed-positive rate (1 - recall): 0.3333 (100/300) against the champion's 0.1433 (43/300); difference 0.19, one-sided 95% Newcombe interval [0.1335, 0.245]: worse than the champion by more than the tolerance 0.01, significantly (the shadow's captured traffic against production variant champion on the same requests)",
    ]);
    // The evaluation-based comparison alone passed.
    expect(
      rec.checks
        .filter((c) => c.name.startsWith('challenger in segment') && !c.name.endsWith('on captured traffic'))
        .every((c) => c.passed),
    ).toBe(true);
  });

  test('no report yet: the promotion fails, saying the shadow has no figures', async () => {
    const { ask } = await staged('shadow-live-none');
    const { result } = await ask('none');
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^no daily monitoring report under s3:\/\/inference-capture-shadow-test\/monitoring\/shadow-live-none\/reports\/ covers a whole day since the current config went live at .*model-quality monitoring with ground truth must run on the staging endpoint\)$/,
      ),
    ]);
  });

  test("a report of a day that began before the current config went live (the previous shadow model's traffic) is not counted", async () => {
    const { ask, firstDayEnd } = await staged('shadow-live-stale');
    await put('shadow-live-stale', firstDayEnd - DAY, monitored('better', 3000));
    const { result } = await ask('stale');
    expect(result.reasons).toEqual([
      expect.stringMatching(/^no daily monitoring report .* covers a whole day since the current config went live/),
    ]);
  });

  test('thin captured traffic (300 labelled requests a day: 100 high-value) cannot be compared and fails', async () => {
    const { ask, firstDayEnd } = await staged('shadow-live-thin');
    await put('shadow-live-thin', firstDayEnd, monitored('better', 300));
    const { result } = await ask('thin');
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^challenger in segment high-value: cannot be compared: support 100 \(challenger\) and 100 \(champion\), at least 200 each needed.*on the same requests\)$/,
      ),
      expect.stringMatching(
        /^challenger in segment high-risk-merchant: cannot be compared: support 150 \(challenger\) and 150 \(champion\)/,
      ),
    ]);
  });

  test("hostile reports: another endpoint's report copied under this prefix, a shadow reported as production, a count that is not whole: each fails with its reason", async () => {
    const { ask, firstDayEnd } = await staged('shadow-live-forged');
    const good3000 = monitored('better', 3000);
    const key = `monitoring/shadow-live-forged/reports/shadow-live-forged-mon-d${hourKey(firstDayEnd)}/report.json`;
    await w.s3.send(
      new PutObjectCommand({
        Bucket: CAPTURE,
        Key: key,
        Body: JSON.stringify({ ...good3000, endpoint: 'another-endpoint' }),
      }),
    );
    expect((await ask('forged-1')).result.reasons).toEqual([
      `s3://${CAPTURE}/${key} is not a monitoring report of shadow-live-forged with per-variant figures`,
    ]);
    const asProduction = JSON.parse(JSON.stringify(good3000));
    asProduction.result.variants.challenger.shadow = false;
    await put('shadow-live-forged', firstDayEnd, asProduction);
    expect((await ask('forged-2')).result.reasons).toEqual([
      `s3://${CAPTURE}/${key} does not report challenger as a shadow variant`,
    ]);
    const fractional = JSON.parse(JSON.stringify(good3000));
    fractional.result.variants.challenger.segments['high-value'].support = 1000.5;
    await put('shadow-live-forged', firstDayEnd, fractional);
    expect((await ask('forged-3')).result.reasons).toEqual([
      `s3://${CAPTURE}/${key} (variant challenger): segment high-value has no whole support, positives and confusion counts`,
    ]);
  });

  test('only daily reports of this endpoint are windows: hourly runs, other endpoints and odd keys are not', () => {
    const keys = [
      'monitoring/ep/reports/ep-mon-d2026120300/report.json',
      'monitoring/ep/reports/ep-mon-h2026120301/report.json',
      'monitoring/ep-2/reports/ep-2-mon-d2026120300/report.json',
      'monitoring/ep/reports/ep-mon-d2026120300/metrics/index.json',
      'monitoring/ep/reports/x/y-d2026120300/report.json',
    ];
    expect(dailyReports('ep', keys)).toEqual([{ key: keys[0], end: new Date('2026-12-03T00:00:00Z') }]);
  });

  test("the monitoring run reads the shadow's captures (its own input) and tells the job which variant is the shadow", () => {
    const definition = monitoringDefinition({
      endpointName: 'staging-fraud-score',
      jobPrefix: 'staging-fraud-score-mon',
      bucket: 'capture',
      groundTruth: { bucket: 'capture', prefix: 'monitoring/staging-fraud-score/ground-truth/' },
      variants: ['champion'],
      shadowVariant: 'candidate',
      image: 'image',
      script: { bucket: 'assets', key: 'script.py' },
      jobRoleArn: 'role',
      mlKeyArn: 'key',
      subnets: ['s'],
      securityGroups: ['g'],
      problemType: 'binary_classification',
      facets: [],
      modelId: 'fraud-score',
      segments: [SEGMENT_ARGS[1]],
    }) as any;
    expect(definition.States.FindInputs.Items).toContain(
      '"name": "candidate", "bucket": "capture", "prefix": "capture/staging-fraud-score/candidate/"',
    );
    expect(definition.States.Analyse.Arguments.AppSpecification.ContainerArguments).toMatch(
      /"--segment", .*, "--shadow", "candidate"\] %\}$/,
    );
    const without = monitoringDefinition({
      endpointName: 'e',
      jobPrefix: 'e-mon',
      bucket: 'capture',
      groundTruth: { bucket: 'capture', prefix: 'gt/' },
      variants: ['champion'],
      image: 'i',
      script: { bucket: 'a', key: 'k' },
      jobRoleArn: 'r',
      mlKeyArn: 'k',
      subnets: [],
      securityGroups: [],
      problemType: 'binary_classification',
      facets: [],
      modelId: 'm',
    }) as any;
    expect(JSON.stringify(without)).not.toContain('--shadow');
  });
});
