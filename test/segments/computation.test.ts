/**
 * Segments in the reference computation (processing/estate_monitoring.py), run as the training
 * pipeline's Evaluate step and the monitoring job run it (python3, numpy, the CLI), on generated
 * data whose per-segment answers are known (test/segments/generate.py): a critical segment that
 * degrades while the aggregate holds, a segment below its minimum support, boundaries of a range,
 * stress scenarios against an independent weighted computation, and live windows where only a
 * segment degrades or drifts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MONITORING_SCRIPT } from '../../constructs/estate-monitoring';
import { segmentArgument, stressArgument } from '../../lib/config/segments';

const GENERATE = path.join(__dirname, 'generate.py');
const python = (args: string[]) =>
  spawnSync('python3', args, { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

// The arguments the estate passes (lib/config/segments.ts), so the script reads what the config writes.
const HIGH_VALUE = segmentArgument({ name: 'high-value', feature: 'amount', range: { min: 10000 }, minSupport: 200 });
const GAMBLING = segmentArgument({
  name: 'gambling',
  feature: 'merchant_category',
  values: ['gambling'],
  minSupport: 100,
});
const WAVE = stressArgument({ name: 'fraud-wave', positiveRate: 0.25 });
const SEASON = stressArgument({ name: 'high-value-season', segmentShare: { segment: 'high-value', share: 0.5 } });

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'segments-'));
  const r = python([GENERATE, 'evaluation', path.join(root, 'eval')]);
  if (r.status !== 0) throw new Error(r.stderr);
}, 60000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const reportArgs = (out: string, extra: string[]) => {
  const e = path.join(root, 'eval');
  return [
    MONITORING_SCRIPT,
    'reports',
    '--problem-type',
    'binary_classification',
    '--train',
    path.join(e, 'train'),
    '--test',
    path.join(e, 'test'),
    '--predictions',
    path.join(e, 'predictions', 'test'),
    '--design',
    path.join(e, 'design'),
    '--design-predictions',
    path.join(e, 'predictions', 'design'),
    '--output',
    out,
    ...extra,
  ];
};

/** The test split and its scores, read here independently of the script. */
function testRows(): Array<{ amount: number; merchant: string; label: number; score: number }> {
  const lines = fs
    .readFileSync(path.join(root, 'eval', 'test', 'part.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const scores = fs
    .readFileSync(path.join(root, 'eval', 'predictions', 'test', 'part.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map(Number);
  return lines.map((l, i) => {
    const [amount, merchant, , label] = l.split(',');
    return { amount: Number(amount), merchant, label: Number(label), score: scores[i] };
  });
}

/** AUC with weights by pair counting (ties one half): the definition, not the script's formula. */
function pairAuc(rows: Array<{ label: number; score: number; w: number }>): number {
  const cells = new Map<string, { label: number; score: number; w: number }>();
  for (const r of rows) {
    const k = `${r.label}|${r.score}`;
    const c = cells.get(k) ?? { label: r.label, score: r.score, w: 0 };
    c.w += r.w;
    cells.set(k, c);
  }
  const pos = [...cells.values()].filter((c) => c.label === 1);
  const neg = [...cells.values()].filter((c) => c.label === 0);
  let num = 0;
  for (const p of pos) for (const n of neg) num += p.w * n.w * (p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0);
  return num / (pos.reduce((s, c) => s + c.w, 0) * neg.reduce((s, c) => s + c.w, 0));
}

describe('the Evaluate step: evaluation.json with segments and stress scenarios', () => {
  let evaluation: any;
  let out: string;
  beforeAll(() => {
    out = path.join(root, 'reports');
    const r = python(
      reportArgs(out, ['--segment', HIGH_VALUE, '--segment', GAMBLING, '--stress', WAVE, '--stress', SEASON]),
    );
    if (r.status !== 0) throw new Error(r.stderr);
    evaluation = readJson(path.join(out, 'evaluation.json'));
  }, 60000);

  test('the aggregate holds (AUC 1,714,000 / 1,750,000 = 0.97943) while high-value degrades to AUC 0.6', () => {
    expect(evaluation.binary_classification_metrics.auc.value).toBeCloseTo(1714000 / 1750000, 12);
    const hv = evaluation.segments['high-value'];
    expect(hv.binary_classification_metrics.auc.value).toBeCloseTo(0.6, 12);
    expect(hv.binary_classification_metrics.f1.value).toBeCloseTo((2 * (1 / 3) * 0.6) / (1 / 3 + 0.6), 12);
  });

  test('support, positives and confusion counts are exact, and agree with an independent count of the rows', () => {
    const hv = evaluation.segments['high-value'];
    expect(hv).toMatchObject({
      definition: { feature: 'amount', range: { min: 10000 } },
      min_support: 200,
      support: 400,
      positives: 100,
      status: 'ok',
    });
    expect(hv.confusion_matrix).toEqual({
      true_positives: 60,
      false_negatives: 40,
      false_positives: 120,
      true_negatives: 180,
    });
    const rows = testRows();
    const inHv = rows.filter((r) => r.amount >= 10000);
    const count = (f: (r: (typeof rows)[number]) => boolean) => inHv.filter(f).length;
    expect(inHv.length).toBe(hv.support);
    expect(count((r) => r.score >= 0.5 && r.label === 1)).toBe(hv.confusion_matrix.true_positives);
    expect(count((r) => r.score >= 0.5 && r.label === 0)).toBe(hv.confusion_matrix.false_positives);
    expect(count((r) => r.score < 0.5 && r.label === 1)).toBe(hv.confusion_matrix.false_negatives);
    // The range is min <= x < max: 10000 is in, 9999.99 is out.
    expect(rows.some((r) => r.amount === 10000)).toBe(true);
    expect(rows.some((r) => r.amount === 9999.99)).toBe(true);
    const cm = hv.confusion_matrix;
    expect(cm.true_positives + cm.false_negatives + cm.false_positives + cm.true_negatives).toBe(hv.support);
  });

  test('the report carries the totals every segment is checked against: its rows and the aggregate confusion counts', () => {
    const rows = testRows();
    const count = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).length;
    expect(evaluation.rows).toBe(rows.length);
    expect(evaluation.confusion_matrix).toEqual({
      true_positives: count((r) => r.score >= 0.5 && r.label === 1),
      false_positives: count((r) => r.score >= 0.5 && r.label === 0),
      false_negatives: count((r) => r.score < 0.5 && r.label === 1),
      true_negatives: count((r) => r.score < 0.5 && r.label === 0),
    });
    for (const seg of Object.values(evaluation.segments) as Array<{
      support: number;
      confusion_matrix: Record<string, number>;
    }>) {
      expect(seg.support).toBeLessThanOrEqual(evaluation.rows);
      for (const [k, v] of Object.entries(seg.confusion_matrix))
        expect(v).toBeLessThanOrEqual(evaluation.confusion_matrix[k]);
    }
  });

  test('a segment below its minimum support is reported as insufficient data, with its figures', () => {
    const g = evaluation.segments.gambling;
    expect(g).toMatchObject({
      definition: { feature: 'merchant_category', values: ['gambling'] },
      support: 30,
      positives: 5,
      min_support: 100,
      status: 'insufficient_data',
    });
    expect(g.confusion_matrix).toEqual({
      true_positives: 5,
      false_negatives: 0,
      false_positives: 0,
      true_negatives: 25,
    });
  });

  test('prior shift: AUC is unchanged (it is invariant to class weights); precision follows the weights 2 and 6/7', () => {
    const s = evaluation.stress_scenarios['fraud-wave'];
    expect(s).toMatchObject({
      kind: 'prior_shift',
      positive_rate: 0.25,
      observed_positive_rate: 0.125,
      status: 'ok',
      rows: 4000,
    });
    expect(s.binary_classification_metrics.auc.value).toBeCloseTo(
      evaluation.binary_classification_metrics.auc.value,
      10,
    );
    const tp = 2 * 460;
    const fp = (6 / 7) * 120;
    expect(s.binary_classification_metrics.precision.value).toBeCloseTo(tp / (tp + fp), 12);
    expect(s.binary_classification_metrics.recall.value).toBeCloseTo(0.92, 12);
  });

  test('population shift: high-value at half the rows; AUC equal to a weighted pair count over the rows', () => {
    const s = evaluation.stress_scenarios['high-value-season'];
    expect(s).toMatchObject({
      kind: 'population_shift',
      segment: 'high-value',
      share: 0.5,
      observed_share: 0.1,
      status: 'ok',
    });
    const rows = testRows().map((r) => ({ ...r, w: r.amount >= 10000 ? 0.5 / 0.1 : 0.5 / 0.9 }));
    expect(s.binary_classification_metrics.auc.value).toBeCloseTo(pairAuc(rows), 10);
    // It falls from the aggregate's 0.979 towards the segment's 0.6: the scenario shows what the aggregate hides.
    expect(s.binary_classification_metrics.auc.value).toBeLessThan(0.9);
    const w = rows.reduce((a, r) => a + r.w, 0);
    const w2 = rows.reduce((a, r) => a + r.w * r.w, 0);
    expect(s.effective_rows).toBeCloseTo((w * w) / w2, 6);
  });

  test("each segment's drift baseline is the same segment of the training split", () => {
    const b = readJson(path.join(out, 'baseline-segment-statistics.json'));
    const train = fs
      .readFileSync(path.join(root, 'eval', 'train', 'part.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(b.segments['high-value'].rows).toBe(train.filter((r) => Number(r[0]) >= 10000).length);
    expect(b.segments['high-value'].definition).toEqual({ feature: 'amount', range: { min: 10000 } });
    const amount = b.segments['high-value'].statistics.features.find((f: any) => f.name === 'amount');
    expect(amount.numerical_statistics.min).toBeGreaterThanOrEqual(10000);
    expect(
      b.segments.gambling.statistics.features.find((f: any) => f.name === 'merchant_category').string_statistics
        .distinct_count,
    ).toBe(1);
  });

  test('without segments the evaluation report is as before (no segment sections)', () => {
    const plain = path.join(root, 'plain');
    const r = python(reportArgs(plain, []));
    expect(r.status).toBe(0);
    const e = readJson(path.join(plain, 'evaluation.json'));
    expect(Object.keys(e)).toEqual(['binary_classification_metrics']);
    expect(fs.existsSync(path.join(plain, 'baseline-segment-statistics.json'))).toBe(false);
  });

  test('regression: per-segment metrics and the squared error needed to compare segments', () => {
    const e = path.join(root, 'eval');
    const reg = path.join(root, 'regression');
    const r = python(
      reportArgs(reg, ['--segment', HIGH_VALUE]).map((a) => (a === 'binary_classification' ? 'regression' : a)),
    );
    expect(r.stderr).toBe('');
    const hv = readJson(path.join(reg, 'evaluation.json')).segments['high-value'];
    const rows = testRows().filter((x) => x.amount >= 10000);
    const se = rows.map((x) => (x.score - x.label) ** 2);
    const mean = se.reduce((a, b) => a + b, 0) / se.length;
    expect(hv.support).toBe(400);
    expect(hv.regression_metrics.mse.value).toBeCloseTo(mean, 12);
    expect(hv.squared_error.mean).toBeCloseTo(mean, 12);
    expect(hv.squared_error.variance).toBeCloseTo(se.reduce((a, b) => a + (b - mean) ** 2, 0) / (se.length - 1), 12);
    expect(hv.confusion_matrix).toBeUndefined();
    expect(fs.existsSync(e)).toBe(true);
  });
});

describe('bad segment arguments: exit 2 with what is wrong, no traceback', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'a segment on a feature the data does not have',
      ['--segment', segmentArgument({ name: 'thin-file', feature: 'open_acounts', range: { max: 3 }, minSupport: 10 })],
      /segment thin-file is on feature open_acounts, which is not a column of the data \(amount, merchant_category, open_accounts\)/,
    ],
    ['a segment that is not JSON', ['--segment', '{name: high-value'], /segment '\{name: high-value' is not JSON/],
    [
      'a segment with values and a range',
      ['--segment', JSON.stringify({ name: 'x1x', feature: 'amount', values: [1], range: { min: 1 } })],
      /segment x1x must give either values or range/,
    ],
    ['a segment given twice', ['--segment', HIGH_VALUE, '--segment', HIGH_VALUE], /segment high-value is given twice/],
    [
      'a minimum support that is not a whole number',
      ['--segment', JSON.stringify({ name: 'x1x', feature: 'amount', range: { min: 1 }, minSupport: 0.5 })],
      /minSupport must be a whole number/,
    ],
    [
      'a stress scenario on a segment not given',
      ['--stress', SEASON],
      /stress scenario high-value-season names segment high-value, which is not given/,
    ],
    [
      'a stress scenario with both kinds',
      [
        '--segment',
        HIGH_VALUE,
        '--stress',
        JSON.stringify({ name: 'both', positiveRate: 0.2, segmentShare: { segment: 'high-value', share: 0.3 } }),
      ],
      /exactly one of positiveRate or segmentShare/,
    ],
  ];
  test.each(cases)('%s', (_, extra, message) => {
    const r = python(reportArgs(path.join(root, 'bad'), extra));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/Traceback/);
  });
});

describe('the monitoring job per segment: a Segment dimension, judged against the segment in training', () => {
  const windows: Record<string, { report: any; datums: any[] }> = {};
  const segmentDatums = (w: string, segment: string) =>
    Object.fromEntries(
      windows[w].datums
        .filter((d) => d.Dimensions.some((x: any) => x.Name === 'Segment' && x.Value === segment))
        .map((d) => [d.MetricName, d.Value]),
    );
  beforeAll(() => {
    const m = path.join(root, 'mon');
    const g = python([GENERATE, 'monitoring', m, HIGH_VALUE, GAMBLING]);
    if (g.status !== 0) throw new Error(g.stderr);
    for (const w of ['segment-flipped', 'segment-drifted', 'stable']) {
      const out = path.join(m, `out-${w}`);
      const r = python([
        MONITORING_SCRIPT,
        'monitor',
        '--endpoint',
        'fraud-ep',
        '--problem-type',
        'binary_classification',
        '--baseline',
        path.join(m, 'baseline'),
        '--capture',
        path.join(m, w, 'capture', 'champion'),
        '--ground-truth',
        path.join(m, w, 'ground-truth', '0'),
        '--output',
        out,
        '--segment',
        HIGH_VALUE,
        '--segment',
        GAMBLING,
      ]);
      if (r.status !== 0) throw new Error(r.stderr);
      const index = readJson(path.join(out, 'metrics', 'index.json'));
      windows[w] = {
        report: readJson(path.join(out, 'report.json')).result,
        datums: index.batches.flatMap((b: string) => readJson(path.join(out, b))),
      };
    }
  }, 120000);

  test('stable window: segment quality above its floor and drift below the block level (about 400 rows: sampling noise only)', () => {
    const hv = segmentDatums('stable', 'high-value');
    expect(hv.Auc).toBeGreaterThan(0.8);
    expect(hv.MaxFeaturePsi).toBeLessThan(0.25);
    expect(hv.ScorePsi).toBeLessThan(0.25);
  });

  test('labels flipped in high-value only: its AUC falls near chance while the aggregate AUC stays above 0.7', () => {
    const r = windows['segment-flipped'].report;
    expect(r.quality.auc.value).toBeGreaterThan(0.7);
    const hv = segmentDatums('segment-flipped', 'high-value');
    expect(hv.Auc).toBeLessThan(0.6);
    expect(hv.RecordsAnalyzed).toBe(r.segments['high-value'].records);
    expect(hv.RecordsAnalyzed).toBeGreaterThanOrEqual(200);
  });

  test("high-value amounts move to 30k-50k: the segment's PSI is far above 0.25 while the aggregate's stays below 0.1", () => {
    const r = windows['segment-drifted'].report;
    expect(Math.max(...Object.values(r.features).map((f: any) => f.psi))).toBeLessThan(0.1);
    const hv = segmentDatums('segment-drifted', 'high-value');
    expect(hv.MaxFeaturePsi).toBeGreaterThan(1);
    expect(r.segments['high-value'].drift_baseline).toBe('segment');
  });

  test('a segment below its minimum support publishes its counts only, never quality or drift', () => {
    for (const w of Object.keys(windows)) {
      const g = segmentDatums(w, 'gambling');
      expect(windows[w].report.segments.gambling.status).toBe('insufficient_data');
      expect(Object.keys(g).sort()).toEqual(['LabelledRecords', 'RecordsAnalyzed']);
      expect(g.RecordsAnalyzed).toBeLessThan(100);
    }
  });

  test('every segment datum carries the endpoint and the segment, within 500 per batch', () => {
    const seg = windows.stable.datums.filter((d) => d.Dimensions.some((x: any) => x.Name === 'Segment'));
    expect(seg.length).toBeGreaterThan(0);
    for (const d of seg) expect(d.Dimensions.map((x: any) => x.Name)).toEqual(['Endpoint', 'Segment']);
  });

  test("a segment baseline defined otherwise than the job's segment is not used: drift is not judged", () => {
    const m = path.join(root, 'mon');
    const other = segmentArgument({ name: 'high-value', feature: 'amount', range: { min: 20000 }, minSupport: 200 });
    const out = path.join(m, 'out-other');
    const r = python([
      MONITORING_SCRIPT,
      'monitor',
      '--endpoint',
      'fraud-ep',
      '--problem-type',
      'binary_classification',
      '--baseline',
      path.join(m, 'baseline'),
      '--capture',
      path.join(m, 'segment-drifted', 'capture', 'champion'),
      '--output',
      out,
      '--segment',
      other,
    ]);
    expect(r.status).toBe(0);
    const seg = readJson(path.join(out, 'report.json')).result.segments['high-value'];
    expect(seg.drift_baseline).toMatch(/defined otherwise/);
    expect(seg.score_psi).toBeNull();
    const batch = readJson(path.join(out, 'metrics', 'batch-0000.json'));
    expect(batch.filter((d: any) => d.MetricName === 'MaxFeaturePsi' && d.Dimensions.length > 1)).toEqual([]);
  });
});
