/**
 * The governed path to prod through a staging shadow, against moto: an estate whose fraud-score staging endpoint
 * serves approved version 1 to callers and version 2 in its shadow variant (a package version, as the config now
 * allows), and whose prod endpoint will serve version 2 as its challenger. The promotions the pipeline asks about
 * (lib/delivery/promotions.ts) go through its pre-prod step (judgePromotion) to the real deployment gate, which finds
 * version 2 in the staging shadow and so also compares it on the shadow's captured traffic (the daily reports the
 * monitoring job writes, produced here by the real script on generated captures with known counts). Without those
 * figures, or with a shadow that misses live high-value fraud, the shadow's version is refused; with them, it passes.
 * moto has no shadow variants: the config's shadow is answered under ShadowProductionVariants, in the shape the
 * SageMaker API Reference documents (DescribeEndpoint, DescribeEndpointConfig), with its sampling share as weight.
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
import { MONITORING_SCRIPT } from '../../constructs/estate-monitoring';
import { deploymentGate, DeploymentRecord, DeploymentRequest } from '../../lambdas/deployment-gate/handler';
import { validateEstateConfig } from '../../lib/config/load';
import { segmentArgument } from '../../lib/config/segments';
import { promotionsFor } from '../../lib/delivery/promotions';
import { judgePromotion } from '../../lib/delivery/run-gate';
import { exampleConfig } from '../support/config-problems';
import { FRAUD_SEGMENTS, fraudCells, good, SEGMENTED_CONFIG, segmentedEvaluation } from '../segments/fixtures';
import { deploymentDeps, version } from './promotion';
import { stagingEndpoint, traffic } from './staging';
import { ACCOUNT, approvalWorld, ApprovalWorld, GOOD } from './world';

const DAY = 86_400_000;
const CAPTURE = 'inference-capture-shadow-promotion';
const SHADOW = 'challenger'; // the variant name the generated captures use for the shadow's copies
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

/**
 * The example, with fraud-score's staging shadow serving version 2 and prod serving 1 (champion) and 2 (challenger).
 */
function estate() {
  const c = exampleConfig();
  const fraud = c.models.find((m: any) => m.id === 'fraud-score');
  const [stagingChampion] = fraud.endpoints.staging.variants;
  stagingChampion.modelPackageVersion = 1;
  fraud.endpoints.staging.shadow = {
    name: SHADOW,
    modelPackageVersion: 2,
    instanceType: stagingChampion.instanceType,
    instanceCount: 1,
    samplingPercent: 100,
  };
  const [prodChampion] = fraud.endpoints.prod.variants;
  fraud.endpoints.prod.variants = [
    { ...prodChampion, modelPackageVersion: 1, weight: 0.9 },
    { ...prodChampion, name: 'challenger', modelPackageVersion: 2, weight: 0.1 },
  ];
  return validateEstateConfig(c, 'test.yaml');
}

let w: ApprovalWorld;
let root: string;

function monitored(behaviour: string, rows: number): any {
  const day = path.join(root, `${behaviour}-${rows}`);
  const g = python([path.join(__dirname, '..', 'segments', 'shadow_capture.py'), day, String(rows), behaviour]);
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
    SHADOW,
    ...SEGMENT_ARGS,
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
}

beforeAll(async () => {
  w = await approvalWorld('shadow-promotion');
  await w.s3.send(
    new CreateBucketCommand({
      Bucket: CAPTURE,
      CreateBucketConfiguration: { LocationConstraint: w.moto.clientConfig.region as never },
    }),
  );
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-promotion-'));
  const g = python([
    path.join(__dirname, '..', 'segments', 'generate.py'),
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

/** The staging endpoint as the config declares it: the named shadow under ShadowProductionVariants. */
function shadowing(sagemaker: SageMakerClient, shadow: string, share: number): SageMakerClient {
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
                ProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName === shadow).map((v) => ({
                  ...v,
                  CurrentWeight: share,
                })),
              };
            }
            if (c.constructor.name === 'DescribeEndpointConfigCommand') {
              const cfg = out as DescribeEndpointConfigCommandOutput;
              return {
                ...cfg,
                ProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName === shadow),
              };
            }
            return out;
          }
        : Reflect.get(t, p),
  });
}

const hourKey = (t: number) => new Date(t).toISOString().slice(0, 13).replace(/[-T]/g, '');

describe('prod promotes a version its staging endpoint serves in the shadow: the gate compares it on captured traffic', () => {
  test('the promotions name the shadow-served version; no captured figures or a live loss refuse it; figures of a shadow no worse pass', async () => {
    const config = estate();
    const staging = config.environments.find((e) => e.name === 'staging')!;
    const shadow = config.models.find((m) => m.id === 'fraud-score')!.endpoints.staging.shadow!;
    const ask = (executionId: string) => {
      const promotion = promotionsFor(config, 'prod', executionId);
      return {
        ...promotion,
        requests: promotion.requests
          .filter((r) => r.requestId.startsWith(`${executionId}.fraud-score.`))
          .map((r) => ({
            ...r,
            modelPackageArn: r.modelPackageArn.replace(`:${staging.account}:`, `:${ACCOUNT}:`),
            championModelPackageArn: r.championModelPackageArn?.replace(`:${staging.account}:`, `:${ACCOUNT}:`),
          })),
      };
    };
    const first = ask('exec-1');
    expect(
      first.requests.map((r) => [
        r.requestId,
        r.modelPackageArn.split('/').slice(-2).join('/'),
        r.championModelPackageArn?.split('/').slice(-2).join('/'),
        r.stagingEndpointName,
      ]),
    ).toEqual([
      ['exec-1.fraud-score.champion', 'fraud-score/1', undefined, 'staging-fraud-score'],
      ['exec-1.fraud-score.challenger', 'fraud-score/2', 'fraud-score/1', 'staging-fraud-score'],
    ]);

    // Versions 1 and 2, registered, approved and pinned the estate's way; the challenger better on its evaluation.
    const v1 = await version(w, 'fraud-score', {
      reports: { ...GOOD, evaluation: segmentedEvaluation(FRAUD_SEGMENTS, fraudCells()) },
    });
    const v2 = await version(w, 'fraud-score', {
      reports: {
        ...GOOD,
        evaluation: segmentedEvaluation(
          FRAUD_SEGMENTS,
          fraudCells({ 'high-value': good(1000, 0.02), 'high-risk-merchant': good(1000, 0.02) }),
          { auc: 0.95, f1: 0.82 },
        ),
      },
    });
    expect([v1, v2]).toEqual(first.requests.map((r) => r.modelPackageArn));
    // The staging endpoint as synthesized from the config: champion serves version 1, the shadow version 2 (each
    // alarmed).
    const endpoint = first.requests[0].stagingEndpointName;
    await stagingEndpoint(w.sagemaker, endpoint, { champion: v1, [shadow.name]: v2 });
    const now = Date.now() + 3 * DAY;
    for (const v of ['champion', shadow.name]) await traffic(w.cloudwatch, endpoint, v, 500, 30 - (3 * DAY) / 60_000);
    const gate = deploymentGate(
      deploymentDeps(w, {
        config: SEGMENTED_CONFIG,
        sagemaker: shadowing(w.sagemaker, shadow.name, shadow.samplingPercent / 100),
        captureBucket: CAPTURE,
        now: () => new Date(now),
      }),
    );
    const judge = async (executionId: string) => {
      const verdicts = await judgePromotion(ask(executionId), async (_arn, request) => ({
        payload: JSON.parse(JSON.stringify(await gate(request as DeploymentRequest))),
      }));
      return Promise.all(
        verdicts.map(async (v) => ({
          id: v.request.requestId,
          pass: v.pass,
          reasons: v.reasons,
          rec: (await w.json(v.record!)) as unknown as DeploymentRecord,
        })),
      );
    };
    const LIVE = 'captured traffic per segment';

    // No daily report yet: the champion's own request passes; the shadow's version fails, saying it has no figures.
    const none = await judge('exec-1');
    expect(none.map((v) => [v.id, v.pass])).toEqual([
      ['exec-1.fraud-score.champion', true],
      ['exec-1.fraud-score.challenger', false],
    ]);
    expect(none[0].rec.checks.map((c) => c.name)).not.toContain(LIVE);
    expect(none[1].rec.inputs.serving).toMatchObject({
      ok: true,
      variant: shadow.name,
      shadow: true,
      productionVariant: 'champion',
    });
    expect(none[1].reasons).toEqual([
      expect.stringMatching(
        new RegExp(
          `^no daily monitoring report under s3://${CAPTURE}/monitoring/${endpoint}/reports/ covers a whole day since the current config went live`,
        ),
      ),
    ]);

    // A day on which the shadow missed every high-value fraud the champion caught: blocked on the captured traffic,
    // though its evaluation was better.
    const firstDayEnd = Math.floor(Date.now() / DAY) * DAY + 2 * DAY;
    const key = (end: number) => `monitoring/${endpoint}/reports/${endpoint}-mon-d${hourKey(end)}/report.json`;
    const put = (end: number, report: any) =>
      w.s3.send(
        new PutObjectCommand({ Bucket: CAPTURE, Key: key(end), Body: JSON.stringify({ ...report, endpoint }) }),
      );
    await put(firstDayEnd, monitored('misses-high-value', 3000));
    const worse = await judge('exec-2');
    expect(worse.map((v) => [v.id, v.pass])).toEqual([
      ['exec-2.fraud-score.champion', true],
      ['exec-2.fraud-score.challenger', false],
    ]);
    expect(worse[1].reasons[0]).toMatch(
      /^challenger in segment high-value: missed-positive rate \(1 - recall\): 1 \(200\/200\) against the champion's 0\.145 \(29\/200\).*\(the shadow's captured traffic against production variant champion on the same requests\)$/,
    );
    expect(
      worse[1].rec.checks
        .filter((c) => c.name.startsWith('challenger in segment') && !c.name.endsWith('on captured traffic'))
        .every((c) => c.passed),
    ).toBe(true);

    // Two days on which the shadow was no worse: both versions pass, the windows in the record.
    await put(firstDayEnd, monitored('better', 3000));
    await put(firstDayEnd + DAY, monitored('better', 3000));
    const ok = await judge('exec-3');
    expect(ok.map((v) => [v.id, v.pass, v.pass ? '' : v.reasons.join('; ')])).toEqual([
      ['exec-3.fraud-score.champion', true, ''],
      ['exec-3.fraud-score.challenger', true, ''],
    ]);
    expect(ok[1].rec.checks.find((c) => c.name === LIVE)).toMatchObject({
      passed: true,
      detail: expect.stringMatching(
        /6000 labelled record\(s\) of shadow challenger, 6000 of production variant champion$/,
      ),
    });
    expect(ok[1].rec.inputs.shadowTraffic).toMatchObject({ windows: [key(firstDayEnd), key(firstDayEnd + DAY)] });
  }, 600_000);
});
