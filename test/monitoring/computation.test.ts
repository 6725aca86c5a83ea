/**
 * The estate's monitoring and training-report computation (processing/estate_monitoring.py),
 * run as the processing jobs run it (python3 and numpy, the CLI), on generated data whose
 * answers are known: formulas against hand-computed values, then whole monitoring runs over
 * captured traffic (a stable window, a drifted feature, a label shift, a biased group, broken
 * inputs), then the training pipeline's reports on an additive model whose SHAP values have a
 * closed form.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MONITORING_SCRIPT } from '../../constructs/estate-monitoring';

const GENERATE = path.join(__dirname, 'generate.py');
const python = (args: string[], cwd?: string) =>
  spawnSync('python3', args, { encoding: 'utf8', cwd, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
const run = (args: string[]) => {
  const r = python([MONITORING_SCRIPT, ...args]);
  if (r.status !== 0) throw new Error(`estate_monitoring ${args[0]} exited ${r.status}: ${r.stderr}`);
  return r;
};
/** Python expressions over the script's functions, evaluated in one interpreter (starting numpy is the slow part). */
const evaluateAll = (expressions: Record<string, string>): Record<string, any> => {
  const body = Object.entries(expressions)
    .map(([k, e]) => `${JSON.stringify(k)}: ${e}`)
    .join(', ');
  const r = python([
    '-c',
    `import json, sys; sys.path.insert(0, ${JSON.stringify(path.dirname(MONITORING_SCRIPT))}); from estate_monitoring import *; print(json.dumps({${body}}))`,
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

test('python3 with numpy is on the machine (the processing image has both; .ci/run installs numpy where it is absent)', () => {
  const r = python(['-c', 'import numpy, sys; print(numpy.__version__, sys.version_info[0])']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^\d+\.\d+.* 3\n$/);
});

test("the script is Python 3.8 syntax and imports only the standard library and numpy (it runs unchanged in AWS's scikit-learn image)", () => {
  const source = fs.readFileSync(MONITORING_SCRIPT, 'utf8');
  const r = python([
    '-c',
    `import ast, sys; ast.parse(open(${JSON.stringify(MONITORING_SCRIPT)}).read(), feature_version=(3, 8)); print(sorted(set(sys.stdlib_module_names)) if hasattr(sys, 'stdlib_module_names') else [])`,
  ]);
  expect(r.stderr).toBe('');
  const stdlib = new Set<string>(JSON.parse(r.stdout.replace(/'/g, '"')));
  const imported = [...source.matchAll(/^(?:from (\S+) import|import (\S+))/gm)]
    .map((m) => (m[1] ?? m[2]).split('.')[0])
    .filter((m) => m !== '__future__');
  const foreign = imported.filter((m) => m !== 'numpy' && !stdlib.has(m));
  expect(foreign).toEqual([]);
  expect(imported).toContain('numpy');
});

describe('formulas, against values computed by hand', () => {
  const facet = `['d'] * 40 + ['a'] * 60`;
  const positive = `[1] * 8 + [0] * 32 + [1] * 30 + [0] * 30`;
  let v: Record<string, any>;
  const evaluate = (expression: string) => {
    if (!(expression in v)) throw new Error(`not evaluated: ${expression}`);
    return v[expression];
  };
  beforeAll(() => {
    const expressions = [
      'psi([50, 50], [90, 10])',
      'psi([10, 20, 30], [1, 2, 3])',
      'psi([50, 50], [100, 0])',
      'psi([0, 0], [1, 2])',
      'auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])',
      'auc([0, 1], [0.5, 0.5])',
      'auc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2])',
      'auc([1, 1], [0.2, 0.3])',
      'classification_metrics([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.7])',
      'regression_metrics([1, 2, 3], [1, 2, 6])',
      `disparate_impact(${positive}, ${facet}, 'd')`,
      `bias_metrics(${positive}, ${facet})`,
      `facet_groups(['x'] * 19 + ['y'] * 20)`,
    ];
    v = evaluateAll(Object.fromEntries(expressions.map((e) => [e, e])));
  }, 60000);

  test('PSI: (0.9-0.5)ln(1.8) + (0.1-0.5)ln(0.2) = 0.87889; identical histograms 0; an empty bucket is floored, not infinite', () => {
    expect(evaluate('psi([50, 50], [90, 10])')).toBeCloseTo(0.4 * Math.log(1.8) - 0.4 * Math.log(0.2), 10);
    expect(evaluate('psi([10, 20, 30], [1, 2, 3])')).toBeCloseTo(0, 12);
    const floored = evaluate('psi([50, 50], [100, 0])');
    expect(Number.isFinite(floored)).toBe(true);
    expect(floored).toBeCloseTo(0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 6);
    expect(evaluate('psi([0, 0], [1, 2])')).toBeNull();
  });

  test('AUC is the Mann-Whitney statistic, ties at half; undefined without both classes', () => {
    expect(evaluate('auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])')).toBeCloseTo(0.75, 12);
    expect(evaluate('auc([0, 1], [0.5, 0.5])')).toBeCloseTo(0.5, 12);
    expect(evaluate('auc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2])')).toBeCloseTo(1, 12);
    expect(evaluate('auc([1, 1], [0.2, 0.3])')).toBeNull();
  });

  test('F1, precision, recall at the threshold; RMSE and R2', () => {
    const m = evaluate('classification_metrics([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.7])');
    // tp 2, fp 1, fn 1: precision 2/3, recall 2/3, F1 2/3.
    expect(m.precision.value).toBeCloseTo(2 / 3, 12);
    expect(m.recall.value).toBeCloseTo(2 / 3, 12);
    expect(m.f1.value).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy.value).toBeCloseTo(3 / 5, 12);
    const r = evaluate('regression_metrics([1, 2, 3], [1, 2, 6])');
    expect(r.rmse.value).toBeCloseTo(Math.sqrt(3), 12);
    expect(r.mae.value).toBeCloseTo(1, 12);
    expect(r.r2.value).toBeCloseTo(1 - 9 / 2, 12);
  });

  test("disparate impact: share of positives in the group over the share in the rest (Clarify's DI); groups under 20 records are not judged", () => {
    // Group d: 40 records, 8 positive (0.2); the rest: 60, 30 positive (0.5); DI 0.4, DPPL 0.3.
    expect(evaluate(`disparate_impact(${positive}, ${facet}, 'd')`)).toBeCloseTo(0.4, 12);
    const [, post] = evaluate(`bias_metrics(${positive}, ${facet})`);
    const d = post.find((g: any) => g.value_or_threshold === 'd');
    expect(Object.fromEntries(d.metrics.map((x: any) => [x.name, x.value]))).toEqual({
      DI: expect.closeTo(0.4, 12),
      DPPL: expect.closeTo(0.3, 12),
    });
    expect(evaluate(`facet_groups(['x'] * 19 + ['y'] * 20)`)).toEqual(['y']);
  });
});

describe('a monitoring run over generated capture data (the CLI, as the processing job runs it)', () => {
  let root: string;
  const results: Record<string, { datums: any[]; report: any }> = {};
  const value = (scenario: string, metric: string, dims: Record<string, string> = {}) =>
    results[scenario].datums.find(
      (d) =>
        d.MetricName === metric &&
        d.Dimensions.length === 1 + Object.keys(dims).length &&
        Object.entries(dims).every(([k, v]) => d.Dimensions.some((x: any) => x.Name === k && x.Value === v)),
    )?.Value;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-monitoring-'));
    execFileSync('python3', [GENERATE, root]);
    for (const scenario of ['stable', 'drifted', 'label-shift', 'biased', 'broken-inputs']) {
      const dir = path.join(root, scenario);
      const captures = fs.readdirSync(path.join(dir, 'capture')).map((v) => path.join(dir, 'capture', v));
      const out = path.join(root, `out-${scenario}`);
      run([
        'monitor',
        '--endpoint',
        'prod-fraud-score',
        '--problem-type',
        'binary_classification',
        '--facets',
        'age_band',
        '--baseline',
        path.join(root, 'baseline'),
        '--capture',
        ...captures,
        '--ground-truth',
        path.join(dir, 'ground-truth', '0'),
        '--window-end',
        '2026-12-01T22:00:00.000Z',
        '--output',
        out,
      ]);
      const index = readJson(path.join(out, 'metrics', 'index.json'));
      results[scenario] = {
        datums: index.batches.flatMap((b: string) => readJson(path.join(out, b))),
        report: readJson(path.join(out, 'report.json')),
      };
      expect(index.datums).toBe(results[scenario].datums.length);
    }
  }, 60000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a stable window: every PSI under the 0.1 watch level, no constraint violated, DI near 1, AUC as in training; both variants read', () => {
    expect(value('stable', 'RecordsAnalyzed')).toBe(3000);
    expect(value('stable', 'LabelledRecords')).toBe(3000);
    for (const f of ['income', 'tenure', 'age_band'])
      expect(value('stable', 'FeaturePsi', { Feature: f })).toBeLessThan(0.1);
    expect(value('stable', 'MaxFeaturePsi')).toBeLessThan(0.1);
    expect(value('stable', 'ScorePsi')).toBeLessThan(0.1);
    expect(value('stable', 'DataQualityViolations')).toBe(0);
    expect(value('stable', 'DisparateImpact', { Facet: 'age_band' })).toBeGreaterThan(0.85);
    expect(value('stable', 'Auc')).toBeGreaterThan(0.8);
  });

  test('a drifted feature: income shifted by 1.5 standard deviations has PSI far above 0.25, the untouched tenure stays under 0.1, and the score drifts with it', () => {
    expect(value('drifted', 'FeaturePsi', { Feature: 'income' })).toBeGreaterThan(1);
    expect(value('drifted', 'FeaturePsi', { Feature: 'tenure' })).toBeLessThan(0.1);
    expect(value('drifted', 'FeaturePsi', { Feature: 'age_band' })).toBeLessThan(0.1);
    expect(value('drifted', 'MaxFeaturePsi')).toBe(value('drifted', 'FeaturePsi', { Feature: 'income' }));
    expect(value('drifted', 'ScorePsi')).toBeGreaterThan(0.25);
    // Values beyond the training maximum (about 4 standard deviations up) are range violations: about 1%, under the 5%
    // tolerance.
    expect(value('drifted', 'RangeViolationRate', { Feature: 'income' })).toBeGreaterThan(0.002);
    expect(value('drifted', 'RangeViolationRate', { Feature: 'income' })).toBeLessThan(0.05);
    expect(value('drifted', 'DataQualityViolations')).toBe(0);
  });

  test('a label shift: inputs and scores unchanged (no drift), but outcomes no longer follow the score: AUC falls far below any floor', () => {
    expect(value('label-shift', 'MaxFeaturePsi')).toBeLessThan(0.1);
    expect(value('label-shift', 'ScorePsi')).toBeLessThan(0.1);
    expect(value('label-shift', 'Auc')).toBeLessThan(0.3);
    expect(value('label-shift', 'F1')).toBeLessThan(0.4);
  });

  test('a biased group: scores of the 50+ band cut by 30% put its disparate impact near 0.65, below the four-fifths floor; no labels, so no quality metric', () => {
    const di = value('biased', 'DisparateImpact', { Facet: 'age_band' });
    expect(di).toBeGreaterThan(0.5);
    expect(di).toBeLessThan(0.8);
    const groups = results.biased.report.result.bias.age_band.post_training;
    const worst = groups
      .find((g: any) => g.value_or_threshold === '50+')
      .metrics.find((m: any) => m.name === 'DI').value;
    expect(worst).toBe(di);
    expect(value('biased', 'LabelledRecords')).toBe(0);
    expect(value('biased', 'Auc')).toBeUndefined();
  });

  test('broken inputs (JSON requests): 12% missing income and 5% non-numeric tenure are measured per feature and violate the constraints', () => {
    expect(value('broken-inputs', 'MissingRate', { Feature: 'income' })).toBeCloseTo(0.12, 1);
    expect(value('broken-inputs', 'TypeViolationRate', { Feature: 'tenure' })).toBeCloseTo(0.05, 1);
    expect(value('broken-inputs', 'DataQualityViolations')).toBe(2);
    const checks = results['broken-inputs'].report.result.violations.map((v: any) => [
      v.feature_name,
      v.constraint_check_type,
    ]);
    expect(checks.sort()).toEqual([
      ['income', 'completeness_check'],
      ['tenure', 'data_type_check'],
    ]);
    expect(readJson(path.join(root, 'out-broken-inputs', 'constraint_violations.json')).violations).toHaveLength(2);
  });

  test('every datum names its endpoint first, and values are finite numbers (CloudWatch refuses NaN)', () => {
    for (const { datums } of Object.values(results)) {
      for (const d of datums) {
        expect(d.Dimensions[0]).toEqual({ Name: 'Endpoint', Value: 'prod-fraud-score' });
        expect(Number.isFinite(d.Value)).toBe(true);
      }
    }
  });

  test('hostile input: a missing baseline, a facet the baseline lacks, or a capture line that is not JSON stops the run with a clear error (exit 2), never a guess', () => {
    const out = path.join(root, 'hostile-out');
    const base = ['monitor', '--endpoint', 'e', '--problem-type', 'binary_classification', '--output', out];
    const missing = python([
      MONITORING_SCRIPT,
      ...base,
      '--baseline',
      path.join(root, 'nowhere'),
      '--capture',
      path.join(root, 'stable', 'capture', 'champion'),
    ]);
    expect([missing.status, missing.stderr]).toEqual([
      2,
      expect.stringMatching(/nowhere\/baseline-statistics\.json is missing: the model's drift baseline/),
    ]);
    const facet = python([
      MONITORING_SCRIPT,
      ...base,
      '--baseline',
      path.join(root, 'baseline'),
      '--facets',
      'sex',
      '--capture',
      path.join(root, 'stable', 'capture', 'champion'),
    ]);
    expect([facet.status, facet.stderr]).toEqual([
      2,
      expect.stringMatching(/protected facets \['sex'\] are not features of the baseline \(income, tenure, age_band\)/),
    ]);
    const torn = path.join(root, 'torn', 'champion');
    fs.mkdirSync(torn, { recursive: true });
    fs.writeFileSync(path.join(torn, 'part.jsonl'), '{"captureData": {}}\n{"captureData": \n');
    const r = python([MONITORING_SCRIPT, ...base, '--baseline', path.join(root, 'baseline'), '--capture', torn]);
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(/part\.jsonl line 2: not JSON/)]);
    expect(r.stderr).not.toMatch(/Traceback/);
  });
});

describe("the training pipeline's reports (shap-design, the model's predict step, reports) on an additive model", () => {
  let root: string;
  let reports: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-reports-'));
    execFileSync('python3', [GENERATE, 'training', root]);
    run(['shap-design', '--test', path.join(root, 'test'), '--output', path.join(root, 'design')]);
    execFileSync('python3', [GENERATE, 'score', path.join(root, 'test'), path.join(root, 'predictions', 'test')]);
    execFileSync('python3', [GENERATE, 'score', path.join(root, 'design'), path.join(root, 'predictions', 'design')]);
    reports = path.join(root, 'reports');
    run([
      'reports',
      '--problem-type',
      'binary_classification',
      '--facets',
      'age_band',
      '--train',
      path.join(root, 'train'),
      '--test',
      path.join(root, 'test'),
      '--predictions',
      path.join(root, 'predictions', 'test'),
      '--design',
      path.join(root, 'design'),
      '--design-predictions',
      path.join(root, 'predictions', 'design'),
      '--output',
      reports,
    ]);
  }, 60000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('every report of the contract is written, in the shapes the approval gate reads', () => {
    expect(fs.readdirSync(reports).sort()).toEqual([
      'baseline-constraints.json',
      'baseline-score-statistics.json',
      'baseline-statistics.json',
      'bias.json',
      'evaluation.json',
      'explainability.json',
      'statistics.json',
    ]);
    const evaluation = readJson(path.join(reports, 'evaluation.json'));
    for (const m of ['auc', 'f1', 'precision', 'recall', 'accuracy'])
      expect(typeof evaluation.binary_classification_metrics[m].value).toBe('number');
    const stats = readJson(path.join(reports, 'baseline-statistics.json'));
    const income = stats.features.find((f: any) => f.name === 'income');
    expect(income.inferred_type).toBe('Fractional');
    const buckets = income.numerical_statistics.distribution.kll.buckets;
    expect(buckets.length).toBe(10);
    expect(buckets.reduce((n: number, b: any) => n + b.count, 0)).toBe(2000);
    for (const b of buckets) expect(Object.keys(b).sort()).toEqual(['count', 'lower_bound', 'upper_bound']);
    expect(readJson(path.join(reports, 'statistics.json')).dataset.item_count).toBe(600);
    const constraints = readJson(path.join(reports, 'baseline-constraints.json'));
    expect(constraints.features.map((f: any) => [f.name, f.inferred_type])).toEqual([
      ['income', 'Fractional'],
      ['tenure', 'Integral'],
      ['age_band', 'String'],
    ]);
  });

  test('AUC and the bias report agree with a direct computation; the penalised 50+ band has DI below 0.8', () => {
    const evaluation = readJson(path.join(reports, 'evaluation.json'));
    const { direct } = evaluateAll({
      direct: `auc([float(r.split(',')[3]) for r in open(${JSON.stringify(path.join(root, 'test', 'part.csv'))}).read().split()[1:]], [float(x) for x in open(${JSON.stringify(path.join(root, 'predictions', 'test', 'part.csv'))}).read().split()[1:]])`,
    });
    expect(evaluation.binary_classification_metrics.auc.value).toBeCloseTo(direct, 12);
    const bias = readJson(path.join(reports, 'bias.json'));
    const post = bias.post_training_bias_metrics.facets.age_band;
    const di = (g: string) =>
      post.find((x: any) => x.value_or_threshold === g).metrics.find((m: any) => m.name === 'DI').value;
    expect(di('50+')).toBeLessThan(0.8);
    expect(di('30-50')).toBeGreaterThan(0.8);
    expect(bias.pre_training_bias_metrics.facets.age_band.map((g: any) => g.metrics.map((m: any) => m.name))).toEqual([
      ['CI', 'DPL'],
      ['CI', 'DPL'],
      ['CI', 'DPL'],
    ]);
  });

  test('Kernel SHAP recovers the closed form of an additive model: mean |w_j (x_j - mean_background x_j)| per feature', () => {
    const shap = readJson(path.join(reports, 'explainability.json')).explanations.kernel_shap.label.global_shap_values;
    const rows = fs
      .readFileSync(path.join(root, 'test', 'part.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(','));
    const background = rows.slice(0, 20);
    const explained = rows.slice(rows.length - 20);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const effect = {
      income: (r: string[]) => 0.02 * (Number(r[0]) - 50),
      tenure: (r: string[]) => -0.002 * (Number(r[1]) - 60),
      age_band: (r: string[]) => (r[2] === '50+' ? -0.3 : 0),
    };
    for (const [feature, f] of Object.entries(effect)) {
      const base = mean(background.map(f));
      expect([feature, shap[feature]]).toEqual([
        feature,
        expect.closeTo(mean(explained.map((r) => Math.abs(f(r) - base))), 8),
      ]);
    }
  });

  test('hostile input: predictions that do not match the test rows, or a facet that is not a column, stop the step with a clear error', () => {
    const short = path.join(root, 'short');
    fs.mkdirSync(short, { recursive: true });
    fs.writeFileSync(path.join(short, 'p.csv'), 'score\n0.5\n');
    const args = [
      'reports',
      '--problem-type',
      'binary_classification',
      '--train',
      path.join(root, 'train'),
      '--test',
      path.join(root, 'test'),
      '--design',
      path.join(root, 'design'),
      '--design-predictions',
      path.join(root, 'predictions', 'design'),
      '--output',
      path.join(root, 'x'),
    ];
    const r = python([MONITORING_SCRIPT, ...args, '--predictions', short]);
    expect([r.status, r.stderr]).toEqual([2, expect.stringContaining('1 predictions for 600 test rows')]);
    const f = python([
      MONITORING_SCRIPT,
      ...args,
      '--predictions',
      path.join(root, 'predictions', 'test'),
      '--facets',
      'sex',
    ]);
    expect([f.status, f.stderr]).toEqual([
      2,
      expect.stringContaining("protected facets ['sex'] are not columns of the data"),
    ]);
  });
});
