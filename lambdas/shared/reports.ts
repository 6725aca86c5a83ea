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
  if (typeof node !== 'number') return no(`${path} is not a number (found ${JSON.stringify(node)?.slice(0, 40) ?? typeof node})`);
  if (!Number.isFinite(node)) return no(`${path} is not a finite number`);
  return ok(node);
}

/** A model-quality metric in SageMaker's format: `<group>.<metric>.value`. */
export function metric(report: unknown, group: 'binary_classification_metrics' | 'regression_metrics', name: string): Read<number> {
  return numberAt(report, `${group}.${name}.value`);
}

/**
 * Disparate impact of every value group of a facet in a Clarify analysis.json
 * (`post_training_bias_metrics.facets.<facet>[].metrics[] {name: 'DI', value}`).
 * Returns one entry per facet value; refuses a facet that is absent, empty, or
 * has a value group without a finite DI.
 */
export function disparateImpacts(analysis: unknown, facet: string): Read<Array<{ group: string; value: number }>> {
  if (!isObject(analysis) || !isObject(analysis.post_training_bias_metrics)) return no('post_training_bias_metrics is missing');
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
    if (typeof value !== 'number' || !Number.isFinite(value)) return no(`facet "${facet}" group "${group}" has no finite DI value`);
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
    if (!isObject(entry) || !isObject(entry.global_shap_values)) return no(`explanations.kernel_shap.${label}.global_shap_values is missing`);
    for (const [feature, value] of Object.entries(entry.global_shap_values)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return no(`SHAP value of ${feature} for ${label} is not a finite number`);
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
    const kll = isObject(numerical.distribution) && isObject(numerical.distribution.kll) ? numerical.distribution.kll : undefined;
    if (!kll || !Array.isArray(kll.buckets) || kll.buckets.length === 0) return no(`feature ${feature.name} has no KLL buckets`);
    const buckets: Bucket[] = [];
    for (const b of kll.buckets) {
      if (!isObject(b)) return no(`feature ${feature.name} has a malformed bucket`);
      const { lower_bound: lower, upper_bound: upper, count } = b;
      if (![lower, upper, count].every((v) => typeof v === 'number' && Number.isFinite(v)) || (count as number) < 0 || (upper as number) < (lower as number)) {
        return no(`feature ${feature.name} has a bucket with invalid bounds or count`);
      }
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
 * baseline's bins: each current bucket's count is spread over the baseline
 * bins it overlaps, in proportion to the overlap (uniform within a bucket);
 * values outside the baseline's range fall in its first or last bin.
 */
export function populationStabilityIndex(baseline: Bucket[], current: Bucket[]): number {
  const bins = [...baseline].sort((a, b) => a.lower - b.lower);
  const expected = bins.map((b) => b.count);
  const actual = bins.map(() => 0);
  const lo = bins[0].lower;
  const hi = bins[bins.length - 1].upper;
  for (const bucket of current) {
    if (bucket.count === 0) continue;
    const width = bucket.upper - bucket.lower;
    if (width === 0 || bucket.upper <= lo || bucket.lower >= hi) {
      const x = Math.min(Math.max(bucket.lower, lo), hi);
      const i = bins.findIndex((b, k) => x < b.upper || k === bins.length - 1);
      actual[i] += bucket.count;
      continue;
    }
    // Parts below and above the baseline range go to the edge bins.
    if (bucket.lower < lo) actual[0] += (bucket.count * (lo - bucket.lower)) / width;
    if (bucket.upper > hi) actual[bins.length - 1] += (bucket.count * (bucket.upper - hi)) / width;
    bins.forEach((b, i) => {
      const overlap = Math.min(b.upper, bucket.upper) - Math.max(b.lower, bucket.lower);
      if (overlap > 0) actual[i] += (bucket.count * overlap) / width;
    });
  }
  const totalE = expected.reduce((s, c) => s + c, 0);
  const totalA = actual.reduce((s, c) => s + c, 0);
  let psi = 0;
  for (let i = 0; i < bins.length; i++) {
    const e = Math.max(expected[i] / totalE, EPSILON);
    const a = Math.max(totalA > 0 ? actual[i] / totalA : 0, EPSILON);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}
