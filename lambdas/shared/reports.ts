/**
 * Reading SageMaker report formats without trusting them: every accessor
 * returns a value or a reason why there is none, and never throws.
 */

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const no = <T>(reason: string): Read<T> => ({ ok: false, reason });

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A finite JSON number at `path` (dot-separated) in `doc`; strings, NaN, null and infinities are refused. */
export function numberAt(doc: unknown, path: string): Read<number> {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (!isObject(node) || !(part in node)) return no(`${path} is missing`);
    node = node[part];
  }
  if (typeof node !== 'number')
    return no(`${path} is not a number (found ${JSON.stringify(node)?.slice(0, 40) ?? typeof node})`);
  if (!Number.isFinite(node)) return no(`${path} is not a finite number`);
  return ok(node);
}

/** Where each metric the gates read can lie; a value outside is a broken or mis-scaled report (AUC 62 is a percent). */
export const METRIC_DOMAINS: Readonly<Record<string, { min: number; max: number; text: string }>> = {
  auc: { min: 0, max: 1, text: '[0, 1]' },
  f1: { min: 0, max: 1, text: '[0, 1]' },
  precision: { min: 0, max: 1, text: '[0, 1]' },
  recall: { min: 0, max: 1, text: '[0, 1]' },
  accuracy: { min: 0, max: 1, text: '[0, 1]' },
  r2: { min: Number.NEGATIVE_INFINITY, max: 1, text: 'at most 1' },
  rmse: { min: 0, max: Number.POSITIVE_INFINITY, text: 'non-negative' },
  mae: { min: 0, max: Number.POSITIVE_INFINITY, text: 'non-negative' },
  mse: { min: 0, max: Number.POSITIVE_INFINITY, text: 'non-negative' },
  di: { min: 0, max: Number.POSITIVE_INFINITY, text: 'non-negative' },
  psi: { min: 0, max: Number.POSITIVE_INFINITY, text: 'non-negative' },
};

/** The value if it lies in the domain of `name`, else why not (metric, value, domain). */
export function inDomain(name: string, value: number, label = name.toUpperCase()): Read<number> {
  const domain = METRIC_DOMAINS[name];
  if (domain && (value < domain.min || value > domain.max))
    return no(`${label} ${value} is outside its domain (${domain.text}), so the report cannot be trusted`);
  return ok(value);
}

const LABELS: Record<string, string> = {
  auc: 'AUC',
  f1: 'F1',
  r2: 'R2',
  rmse: 'RMSE',
  mae: 'MAE',
  mse: 'MSE',
  precision: 'precision',
  recall: 'recall',
  accuracy: 'accuracy',
};

/** A model-quality metric in SageMaker's format, `<group>.<metric>.value`, checked against its domain. */
export function metric(
  report: unknown,
  group: 'binary_classification_metrics' | 'regression_metrics',
  name: string,
): Read<number> {
  const read = numberAt(report, `${group}.${name}.value`);
  return read.ok ? inDomain(name, read.value, LABELS[name] ?? name) : read;
}

/**
 * Disparate impact of every value group of a facet in a Clarify analysis.json
 * (`post_training_bias_metrics.facets.<facet>[].metrics[] {name: 'DI', value}`).
 * Returns one entry per facet value; refuses a facet that is absent, empty, or
 * has a value group without a finite DI.
 */
export function disparateImpacts(analysis: unknown, facet: string): Read<Array<{ group: string; value: number }>> {
  if (!isObject(analysis) || !isObject(analysis.post_training_bias_metrics))
    return no('post_training_bias_metrics is missing');
  const facets = analysis.post_training_bias_metrics.facets;
  if (!isObject(facets)) return no('post_training_bias_metrics.facets is missing');
  const groups = facets[facet];
  if (!Array.isArray(groups) || groups.length === 0) return no(`facet "${facet}" is not in the bias report`);
  const out: Array<{ group: string; value: number }> = [];
  for (const entry of groups) {
    if (!isObject(entry) || !Array.isArray(entry.metrics)) return no(`facet "${facet}" has a malformed entry`);
    const group = String(entry.value_or_threshold ?? '?');
    const di = entry.metrics.filter((m) => isObject(m) && m.name === 'DI');
    if (di.length !== 1) return no(`facet "${facet}" group "${group}" has ${di.length} DI metrics, expected 1`);
    const value = (di[0] as Record<string, unknown>).value;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return no(`facet "${facet}" group "${group}" has no finite DI value`);
    if (value < 0)
      return no(
        `DI of facet "${facet}" group "${group}" is ${value}, outside its domain (non-negative), so the report cannot be trusted`,
      );
    out.push({ group, value });
  }
  return ok(out);
}

/** Global SHAP values per label in a Clarify explainability analysis.json; refuses an empty or non-numeric one. */
export function globalShapValues(analysis: unknown): Read<number> {
  if (!isObject(analysis) || !isObject(analysis.explanations) || !isObject(analysis.explanations.kernel_shap)) {
    return no('explanations.kernel_shap is missing');
  }
  let count = 0;
  for (const [label, entry] of Object.entries(analysis.explanations.kernel_shap)) {
    if (!isObject(entry) || !isObject(entry.global_shap_values))
      return no(`explanations.kernel_shap.${label}.global_shap_values is missing`);
    for (const [feature, value] of Object.entries(entry.global_shap_values)) {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return no(`SHAP value of ${feature} for ${label} is not a finite number`);
      count++;
    }
  }
  return count > 0 ? ok(count) : no('no global SHAP values');
}

interface Bucket {
  lower: number;
  upper: number;
  count: number;
}

/** KLL buckets of each numerical feature of a Model Monitor statistics.json. */
export function kllBuckets(statistics: unknown): Read<Map<string, Bucket[]>> {
  if (!isObject(statistics) || !Array.isArray(statistics.features)) return no('features is missing');
  const out = new Map<string, Bucket[]>();
  for (const feature of statistics.features) {
    if (!isObject(feature) || typeof feature.name !== 'string') return no('a feature has no name');
    const numerical = feature.numerical_statistics;
    if (!isObject(numerical)) continue; // string features carry no KLL sketch
    const kll =
      isObject(numerical.distribution) && isObject(numerical.distribution.kll) ? numerical.distribution.kll : undefined;
    if (!kll || !Array.isArray(kll.buckets) || kll.buckets.length === 0)
      return no(`feature ${feature.name} has no KLL buckets`);
    const buckets: Bucket[] = [];
    for (const b of kll.buckets) {
      if (!isObject(b)) return no(`feature ${feature.name} has a malformed bucket`);
      const { lower_bound: lower, upper_bound: upper, count } = b;
      if (
        ![lower, upper, count].every((v) => typeof v === 'number' && Number.isFinite(v)) ||
        (upper as number) < (lower as number)
      ) {
        return no(`feature ${feature.name} has a bucket with invalid bounds`);
      }
      if (!Number.isInteger(count) || (count as number) < 0)
        return no(
          `feature ${feature.name} has a bucket count of ${String(count)}, outside its domain (whole and non-negative)`,
        );
      buckets.push({ lower: lower as number, upper: upper as number, count: count as number });
    }
    if (buckets.reduce((s, b) => s + b.count, 0) <= 0) return no(`feature ${feature.name} has no observations`);
    out.set(feature.name, buckets);
  }
  return out.size > 0 ? ok(out) : no('no numerical feature has a KLL sketch');
}

/** Smallest proportion used in PSI, so that an empty bin does not make it infinite. */
const EPSILON = 1e-4;

/**
 * Population stability index of `current` against `baseline`, on the
 * baseline's bins plus one bin below and one above its range (so values the
 * baseline never saw count as drift, also when the baseline is one bin or a
 * constant): each current bucket's count is spread over the bins it overlaps,
 * in proportion to the overlap (uniform within a bucket); a bucket of zero
 * width goes to the bin holding its value.
 */
export function populationStabilityIndex(baseline: Bucket[], current: Bucket[]): number {
  const bins = [...baseline].sort((a, b) => a.lower - b.lower);
  const lo = bins[0].lower;
  const hi = bins[bins.length - 1].upper;
  // Index 0: below lo; 1..k: the baseline's bins; k+1: above hi.
  const expected = [0, ...bins.map((b) => b.count), 0];
  const actual = expected.map(() => 0);
  const binOf = (x: number) => {
    if (x < lo) return 0;
    if (x > hi) return bins.length + 1;
    const i = bins.findIndex(
      (b, k) => x < b.upper || (x === b.upper && k === bins.length - 1) || (b.lower === b.upper && x === b.lower),
    );
    return 1 + (i < 0 ? bins.length - 1 : i);
  };
  for (const bucket of current) {
    if (bucket.count === 0) continue;
    const width = bucket.upper - bucket.lower;
    if (width === 0) {
      actual[binOf(bucket.lower)] += bucket.count;
      continue;
    }
    let placed = 0;
    const put = (i: number, share: number) => {
      actual[i] += bucket.count * share;
      placed += share;
    };
    if (bucket.lower < lo) put(0, (Math.min(lo, bucket.upper) - bucket.lower) / width);
    if (bucket.upper > hi) put(bins.length + 1, (bucket.upper - Math.max(hi, bucket.lower)) / width);
    bins.forEach((b, i) => {
      const overlap = Math.min(b.upper, bucket.upper) - Math.max(b.lower, bucket.lower);
      if (overlap > 0) put(i + 1, overlap / width);
    });
    // What falls on zero-width baseline bins (a constant) inside the bucket.
    if (placed < 1 - 1e-12) {
      const points = bins
        .map((b, i) => [b, i] as const)
        .filter(([b]) => b.lower === b.upper && b.lower >= bucket.lower && b.lower <= bucket.upper);
      if (points.length > 0)
        points.forEach(([, i]) => (actual[i + 1] += (bucket.count * (1 - placed)) / points.length));
    }
  }
  const totalE = expected.reduce((s, c) => s + c, 0);
  const totalA = actual.reduce((s, c) => s + c, 0);
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / totalE, EPSILON);
    const a = Math.max(totalA > 0 ? actual[i] / totalA : 0, EPSILON);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * A number as a reason shows it: rounded to 4 decimals unless that would
 * make it read like `other` (AUC 0.69999 below the floor 0.7 must not read
 * "0.7 is below 0.7"); then with as many digits as it takes to differ.
 */
export function shown(x: number, other?: number): string {
  for (let digits = 4; digits <= 17; digits++) {
    const text = String(Number(x.toFixed(digits)));
    if (other === undefined || x === other || text !== String(other)) return text;
  }
  return String(x);
}
