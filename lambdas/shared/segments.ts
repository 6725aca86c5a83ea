/**
 * Segments in the gates: every critical segment meets its floors at approval,
 * and is not significantly worse than the champion's at promotion. Pure
 * functions of the estate's segment policy and the evaluation reports; no I/O.
 *
 * The report's segments section (README, "Evaluation report") repeats each
 * segment's definition; a report whose segment is defined otherwise than the
 * estate config, or whose counts do not add up, is not evidence for it.
 */
import type { Check } from './decision';
import { inDomain, Read, shown } from './reports';

/** A segment as the gates know it (from lib/config/segments.ts). */
export interface SegmentPolicy {
  readonly name: string;
  readonly definition: {
    readonly feature: string;
    readonly values?: ReadonlyArray<string | number>;
    readonly range?: { readonly min?: number; readonly max?: number };
  };
  readonly critical: boolean;
  readonly minSupport: number;
  readonly floors?: {
    readonly minAuc?: number;
    readonly minF1?: number;
    readonly minR2?: number;
    readonly maxRmse?: number;
  };
}

export interface SegmentationPolicy {
  /** A segment whose primary metric is more than this below the aggregate's holds for a person. */
  readonly marginBelowAggregate: number;
  readonly segments: readonly SegmentPolicy[];
  /** Names of the stress scenarios the evaluation must carry. */
  readonly stressScenarios: readonly string[];
}

/** Floors that apply to a segment: its own, else the tier's (and the model's RMSE ceiling). */
export interface Floors {
  readonly minAuc: number;
  readonly minF1: number;
  readonly minR2: number;
  readonly maxRmse?: number;
}

type ProblemType = 'binary_classification' | 'regression';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const no = <T>(reason: string): Read<T> => ({ ok: false, reason });

/** Stable JSON (sorted keys) for comparing definitions. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (isObject(x))
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}

const describeDefinition = (d: SegmentPolicy['definition']) =>
  d.values
    ? `${d.feature} in [${d.values.join(', ')}]`
    : `${d.range?.min !== undefined ? `${d.range.min} <= ` : ''}${d.feature}${d.range?.max !== undefined ? ` < ${d.range.max}` : ''}`;

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/** One segment of an evaluation report, read without trusting it. */
export interface SegmentFigures {
  readonly support: number;
  readonly positives?: number;
  readonly confusion?: Confusion;
  /** Metric values present in the report, each checked against its domain. */
  readonly metrics: Readonly<Record<string, Read<number>>>;
  readonly squaredError?: { readonly mean: number; readonly variance: number };
}

const whole = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The segment's entry in a report: present, defined as configured, its counts whole and consistent. */
export function readSegment(report: unknown, policy: SegmentPolicy, problemType: ProblemType): Read<SegmentFigures> {
  if (!isObject(report) || !isObject(report.segments)) return no('the evaluation report has no segments section');
  const entry = Object.prototype.hasOwnProperty.call(report.segments, policy.name)
    ? report.segments[policy.name]
    : undefined;
  if (!isObject(entry)) return no(`segment ${policy.name} is not in the evaluation report`);
  if (canonical(entry.definition) !== canonical(policy.definition)) {
    return no(
      `segment ${policy.name} is defined in the report as ${canonical(entry.definition).slice(0, 200)}, not as configured (${describeDefinition(policy.definition)}), so its figures are not evidence for it`,
    );
  }
  if (!whole(entry.support))
    return no(
      `segment ${policy.name} has a support of ${JSON.stringify(entry.support)?.slice(0, 40)}, outside its domain (whole and non-negative)`,
    );
  // A segment is a subset of the test split: its support is at most the report's rows (and, for a classifier, each of
  // its confusion counts at most the aggregate's). Without the totals, support that does not add up cannot be seen.
  if (!whole(report.rows))
    return no(
      `the evaluation report has no total row count (rows), so segment ${policy.name}'s support cannot be checked against it`,
    );
  if (entry.support > report.rows)
    return no(
      `segment ${policy.name} has a support of ${entry.support}, more than the ${report.rows} rows of the evaluation, so the report cannot be trusted`,
    );
  const group = problemType === 'binary_classification' ? 'binary_classification_metrics' : 'regression_metrics';
  const metrics: Record<string, Read<number>> = {};
  const block = entry[group];
  if (isObject(block)) {
    for (const name of problemType === 'binary_classification' ? ['auc', 'f1'] : ['r2', 'rmse']) {
      const m = block[name];
      const value = isObject(m) ? m.value : undefined;
      metrics[name] =
        typeof value === 'number' && Number.isFinite(value)
          ? inDomain(name, value, `${policy.name} ${name.toUpperCase()}`)
          : no(`${name.toUpperCase()} of segment ${policy.name} is missing`);
    }
  }
  if (problemType === 'binary_classification') {
    const c = entry.confusion_matrix;
    if (!isObject(c)) return no(`segment ${policy.name} has no confusion_matrix`);
    const confusion = { tp: c.true_positives, fp: c.false_positives, fn: c.false_negatives, tn: c.true_negatives };
    if (!Object.values(confusion).every(whole))
      return no(`segment ${policy.name} has a confusion count outside its domain (whole and non-negative)`);
    const k = confusion as unknown as Confusion;
    if (k.tp + k.fp + k.fn + k.tn !== entry.support)
      return no(
        `segment ${policy.name}'s confusion counts add up to ${k.tp + k.fp + k.fn + k.tn}, not its support ${entry.support}, so the report cannot be trusted`,
      );
    const t = isObject(report.confusion_matrix) ? report.confusion_matrix : undefined;
    const total = t && { tp: t.true_positives, fp: t.false_positives, fn: t.false_negatives, tn: t.true_negatives };
    if (!total || !Object.values(total).every(whole))
      return no(
        `the evaluation report has no aggregate confusion_matrix of whole counts, so segment ${policy.name}'s counts cannot be checked against it`,
      );
    const all = total as unknown as Confusion;
    if (all.tp + all.fp + all.fn + all.tn !== report.rows)
      return no(
        `the evaluation's confusion counts add up to ${all.tp + all.fp + all.fn + all.tn}, not its ${report.rows} rows, so the report cannot be trusted`,
      );
    const over = (['tp', 'fp', 'fn', 'tn'] as const).filter((c) => k[c] > all[c]);
    if (over.length > 0)
      return no(
        `segment ${policy.name} counts more ${over.map((c) => `${c.toUpperCase()} (${k[c]} > ${all[c]})`).join(', ')} than the whole evaluation, so the report cannot be trusted`,
      );
    if (entry.positives !== undefined && entry.positives !== k.tp + k.fn)
      return no(
        `segment ${policy.name} reports ${JSON.stringify(entry.positives)} positives, but its confusion counts hold ${k.tp + k.fn}`,
      );
    // F1, precision and recall follow from the counts (as the Evaluate step computes them: 0 where undefined). A stated
    // value that differs by more than rounding is a report that contradicts itself; the floors judge the recomputed F1.
    const derived = derivedRates(k);
    for (const metric of ['f1', 'precision', 'recall'] as const) {
      const stated =
        isObject(block) && isObject(block[metric]) ? (block[metric] as Record<string, unknown>).value : undefined;
      if (stated === undefined) continue;
      if (
        typeof stated !== 'number' ||
        !Number.isFinite(stated) ||
        Math.abs(stated - derived[metric]) > RATE_ROUNDING
      ) {
        return no(
          `segment ${policy.name} states ${metric} ${JSON.stringify(stated)?.slice(0, 40)}, but its confusion counts (TP ${k.tp} FP ${k.fp} FN ${k.fn} TN ${k.tn}) give ${shown(derived[metric])}, so the report cannot be trusted`,
        );
      }
    }
    metrics.f1 = ok(derived.f1);
    return ok({ support: entry.support, positives: k.tp + k.fn, confusion: k, metrics });
  }
  const se = entry.squared_error;
  if (se === undefined) return ok({ support: entry.support, metrics });
  if (!(
    isObject(se) &&
    typeof se.mean === 'number' &&
    typeof se.variance === 'number' &&
    se.mean >= 0 &&
    se.variance >= 0 &&
    Number.isFinite(se.mean) &&
    Number.isFinite(se.variance)
  )) {
    return no(
      `segment ${policy.name} has a squared_error outside its domain (mean and variance finite and non-negative)`,
    );
  }
  // The mean squared error is RMSE squared; the sample variance of n non-negative values with mean m is at most n * m^2
  // (all of the error in one row). A report outside either controls its own dispersion, and is not evidence.
  const rmse = metrics.rmse;
  if (rmse?.ok && Math.abs(se.mean - rmse.value ** 2) > RATE_ROUNDING * Math.max(se.mean, rmse.value ** 2, 1e-12)) {
    return no(
      `segment ${policy.name} states a mean squared error of ${shown(se.mean)}, but its RMSE ${shown(rmse.value)} squared is ${shown(rmse.value ** 2)}, so the report cannot be trusted`,
    );
  }
  if (se.variance > entry.support * se.mean ** 2 * (1 + RATE_ROUNDING)) {
    return no(
      `segment ${policy.name} states a squared-error variance of ${shown(se.variance)}, above ${shown(entry.support * se.mean ** 2)}, the most ${entry.support} non-negative values with mean ${shown(se.mean)} can have, so the report cannot be trusted`,
    );
  }
  return ok({ support: entry.support, metrics, squaredError: { mean: se.mean, variance: se.variance } });
}

/** Relative (and, for rates, absolute) difference a stated figure may have from the one the gate computes: rounding. */
const RATE_ROUNDING = 1e-3;

/** F1, precision and recall of confusion counts, 0 where undefined (as the Evaluate step computes them). */
export function derivedRates(k: Confusion): { f1: number; precision: number; recall: number } {
  const precision = k.tp + k.fp > 0 ? k.tp / (k.tp + k.fp) : 0;
  const recall = k.tp + k.fn > 0 ? k.tp / (k.tp + k.fn) : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

const figuresText = (f: SegmentFigures) =>
  [
    `support ${f.support}`,
    f.positives !== undefined ? `positives ${f.positives}` : '',
    f.confusion ? `TP ${f.confusion.tp} FP ${f.confusion.fp} FN ${f.confusion.fn} TN ${f.confusion.tn}` : '',
    ...Object.entries(f.metrics)
      .filter(([, r]) => r.ok)
      .map(([n, r]) => `${n.toUpperCase()} ${shown((r as { value: number }).value)}`),
  ]
    .filter(Boolean)
    .join(', ');

/**
 * Approval checks of a model's segments and stress scenarios. A critical
 * segment below a floor blocks (rejects); a non-critical one holds for a
 * person; a segment more than the margin below the aggregate holds; a segment
 * below its minimum support is recorded, and holds where it is critical or the
 * model is high-risk (never silently passed). Each segment's figures are in
 * its checks' details, so in the decision record.
 */
export function segmentApprovalChecks(input: {
  readonly policy: SegmentationPolicy;
  readonly problemType: ProblemType;
  readonly riskTier: string;
  readonly floors: Floors;
  readonly report: unknown;
}): Check[] {
  const { policy, problemType, report } = input;
  const classifier = problemType === 'binary_classification';
  const primary = classifier ? 'auc' : 'r2';
  const group = classifier ? 'binary_classification_metrics' : 'regression_metrics';
  const aggregateValue =
    isObject(report) && isObject(report[group]) && isObject((report[group] as Record<string, unknown>)[primary])
      ? ((report[group] as Record<string, Record<string, unknown>>)[primary].value as unknown)
      : undefined;
  const aggregate = typeof aggregateValue === 'number' && Number.isFinite(aggregateValue) ? aggregateValue : undefined;
  const checks: Check[] = [];
  for (const s of policy.segments) {
    const label = `segment ${s.name}${s.critical ? ' (critical)' : ''}`;
    const severity = s.critical ? 'block' : 'warn';
    const read = readSegment(report, s, problemType);
    if (!read.ok) {
      checks.push({ name: label, passed: false, severity, detail: `${label}: ${read.reason}` });
      continue;
    }
    const f = read.value;
    if (f.support < s.minSupport) {
      const holds = s.critical || input.riskTier === 'high';
      checks.push({
        name: `${label} support`,
        passed: !holds,
        severity: 'warn',
        value: f.support,
        threshold: `>= ${s.minSupport}`,
        detail: `${label}: insufficient data (${figuresText(f)}; at least ${s.minSupport} rows are judged), so its figures are not judged${holds ? `; ${s.critical ? 'a critical segment' : `a segment of a ${input.riskTier}-risk model`} that cannot be shown holds for a person` : ''}`,
      });
      continue;
    }
    checks.push({
      name: `${label} support`,
      passed: true,
      severity: 'warn',
      value: f.support,
      threshold: `>= ${s.minSupport}`,
      detail: `${label}: ${figuresText(f)}`,
    });
    const limits: Array<[string, number | undefined, 'min' | 'max']> = classifier
      ? [
          ['auc', s.floors?.minAuc ?? input.floors.minAuc, 'min'],
          ['f1', s.floors?.minF1 ?? input.floors.minF1, 'min'],
        ]
      : [
          ['r2', s.floors?.minR2 ?? input.floors.minR2, 'min'],
          ['rmse', s.floors?.maxRmse ?? input.floors.maxRmse, 'max'],
        ];
    for (const [metricName, limit, side] of limits) {
      if (limit === undefined) continue;
      const name = `${label} ${metricName.toUpperCase()}`;
      const m = f.metrics[metricName];
      if (!m || !m.ok) {
        // Enough rows but no figure (one class only, or a report without it): nothing shows the segment meets its
        // floor.
        checks.push({
          name,
          passed: false,
          severity: 'warn',
          detail: `${name}: ${m && !m.ok ? m.reason : `${metricName.toUpperCase()} is missing`}; the segment cannot be judged, so a person decides`,
        });
        continue;
      }
      const value = m.value;
      const passed = side === 'min' ? value >= limit : value <= limit;
      const own =
        (side === 'min'
          ? metricName === 'auc'
            ? s.floors?.minAuc
            : metricName === 'f1'
              ? s.floors?.minF1
              : s.floors?.minR2
          : s.floors?.maxRmse) !== undefined;
      checks.push({
        name,
        passed,
        severity,
        value,
        threshold: `${side === 'min' ? '>=' : '<='} ${limit}`,
        detail: `${name} ${shown(value, limit)} ${passed ? (side === 'min' ? 'meets' : 'is within') : side === 'min' ? 'is below' : 'exceeds'} the ${own ? "segment's own" : "tier's"} ${side === 'min' ? 'floor' : 'ceiling'} ${limit}`,
      });
    }
    const p = f.metrics[primary];
    if (aggregate !== undefined && p?.ok) {
      const gap = aggregate - p.value;
      const name = `${label} gap to aggregate ${primary.toUpperCase()}`;
      const passed = gap <= policy.marginBelowAggregate + 1e-12;
      checks.push({
        name,
        passed,
        severity: 'warn',
        value: Math.round(gap * 10000) / 10000,
        threshold: `<= ${policy.marginBelowAggregate}`,
        detail: `${label} ${primary.toUpperCase()} ${shown(p.value)} is ${shown(gap)} ${gap >= 0 ? 'below' : 'above'} the aggregate ${shown(aggregate)}${passed ? '' : `, more than the margin ${policy.marginBelowAggregate}: a person reviews what the aggregate hides`}`,
      });
    }
  }
  const scenarios = isObject(report) && isObject(report.stress_scenarios) ? report.stress_scenarios : undefined;
  for (const name of policy.stressScenarios) {
    const label = `stress ${name}`;
    const entry = scenarios && Object.prototype.hasOwnProperty.call(scenarios, name) ? scenarios[name] : undefined;
    if (!isObject(entry)) {
      checks.push({
        name: label,
        passed: false,
        severity: 'warn',
        detail: `${label}: the scenario is not in the evaluation report`,
      });
      continue;
    }
    const block = entry[group];
    const m =
      isObject(block) && isObject(block[primary]) ? (block[primary] as Record<string, unknown>).value : undefined;
    const floor = classifier ? input.floors.minAuc : input.floors.minR2;
    if (entry.status !== 'ok' || typeof m !== 'number' || !Number.isFinite(m)) {
      checks.push({
        name: label,
        passed: false,
        severity: 'warn',
        detail: `${label}: no ${primary.toUpperCase()} (${String(entry.reason ?? entry.status ?? 'missing').slice(0, 200)}); a person reviews the scenario`,
      });
      continue;
    }
    const passed = m >= floor;
    checks.push({
      name: label,
      passed,
      severity: 'warn',
      value: m,
      threshold: `>= ${floor}`,
      detail: `${label} (${String(entry.kind)}): ${primary.toUpperCase()} ${shown(m, floor)} ${passed ? 'meets' : 'is below'} the tier's floor ${floor}${passed ? '' : ': a person reviews how the model fares in the scenario'}`,
    });
  }
  return checks;
}

// ------------------------------------------------------------------ significance

/**
 * Standard normal quantile (Acklam's rational approximation, relative error
 * below 1.2e-9), for the confidence level of the intervals.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: ${p} is not in (0, 1)`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Wilson score interval of a binomial proportion x/n at normal quantile z. */
export function wilson(x: number, n: number, z: number): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval for p1 - p2 (Newcombe 1998, method 10):
 * from the two Wilson intervals; good coverage for small samples and
 * proportions near 0 or 1, where the Wald interval of a z-test fails.
 */
export function newcombe(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  z: number,
): { difference: number; lower: number; upper: number } {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilson(x1, n1, z);
  const w2 = wilson(x2, n2, z);
  const d = p1 - p2;
  return {
    difference: d,
    lower: d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2),
    upper: d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2),
  };
}

/**
 * One-sided level of the promotion test: the challenger is blocked when it is worse beyond tolerance with 95%
 * confidence.
 */
export const PROMOTION_CONFIDENCE = 0.95;

/**
 * Champion/challenger per critical segment, as non-inferiority tests. Classifiers: each kind of error at the report's
 * decision threshold on its own, among the rows it can happen to: missed positives FN / (TP + FN) and false alarms
 * FP / (FP + TN), each with a one-sided 95% Newcombe interval of (challenger - champion). A pooled error rate would
 * reward a model that never flags the rare class. Passes only when the upper bound is within the tolerance (shown no
 * worse beyond it); a lower bound above it is significantly worse; between is inconclusive and does not pass.
 * Regression: the mean squared error, with Welch's normal interval, against the tolerance as a share of the champion's,
 * by the same rule. A segment below its minimum support in either report cannot be compared and blocks. Assumptions:
 * the rows of each report are independent draws from the segment's population (each evaluation's own held-out split),
 * the two evaluations are independent, and both use the same segment definition and threshold.
 */
export function segmentPromotionChecks(input: {
  readonly policy: SegmentationPolicy;
  readonly problemType: ProblemType;
  readonly tolerance: number;
  readonly challenger: unknown;
  readonly champion: unknown | undefined;
}): Check[] {
  const { policy, problemType, tolerance } = input;
  const z = normalQuantile(PROMOTION_CONFIDENCE);
  const checks: Check[] = [];
  const thresholdOf = (r: unknown) =>
    isObject(r) && typeof r.decision_threshold === 'number' ? r.decision_threshold : undefined;
  for (const s of policy.segments.filter((x) => x.critical)) {
    const name = `challenger in segment ${s.name}`;
    const fail = (detail: string, value?: number): Check => ({
      name,
      passed: false,
      severity: 'block',
      detail: `${name}: ${detail}`,
      ...(value !== undefined ? { value } : {}),
    });
    const mine = readSegment(input.challenger, s, problemType);
    if (!mine.ok) {
      checks.push(fail(`challenger evaluation: ${mine.reason}`));
      continue;
    }
    if (input.champion === undefined) {
      checks.push({
        name,
        passed: true,
        severity: 'block',
        detail: `${name}: no champion in prod yet; challenger ${figuresText(mine.value)}`,
      });
      continue;
    }
    const theirs = readSegment(input.champion, s, problemType);
    if (!theirs.ok) {
      checks.push(fail(`champion evaluation: ${theirs.reason}`));
      continue;
    }
    const [a, b] = [mine.value, theirs.value];
    if (a.support < s.minSupport || b.support < s.minSupport) {
      checks.push(
        fail(
          `cannot be compared: support ${a.support} (challenger) and ${b.support} (champion), at least ${s.minSupport} each needed; a segment this small shows noise, not a difference`,
        ),
      );
      continue;
    }
    if (problemType === 'binary_classification') {
      if (thresholdOf(input.challenger) !== thresholdOf(input.champion)) {
        checks.push(
          fail(
            `the evaluations use different decision thresholds (${String(thresholdOf(input.challenger))} and ${String(thresholdOf(input.champion))}), so their error rates cannot be compared`,
          ),
        );
        continue;
      }
      // Each kind of error on its own, among the rows it can happen to: missed positives among positives (1 - recall)
      // and false alarms among negatives. A pooled error rate rewards a model that never flags the rare class.
      const rates: Array<[string, number, number, number, number]> = [
        [
          'missed-positive rate (1 - recall)',
          a.confusion!.fn,
          a.confusion!.tp + a.confusion!.fn,
          b.confusion!.fn,
          b.confusion!.tp + b.confusion!.fn,
        ],
        [
          'false-positive rate',
          a.confusion!.fp,
          a.confusion!.fp + a.confusion!.tn,
          b.confusion!.fp,
          b.confusion!.fp + b.confusion!.tn,
        ],
      ];
      for (const [what, x1, n1, x2, n2] of rates) {
        const rateName = `${name}: ${what}`;
        if (n1 === 0 || n2 === 0) {
          checks.push({
            name: rateName,
            passed: false,
            severity: 'block',
            detail: `${rateName}: cannot be compared: ${n1} (challenger) and ${n2} (champion) rows it can happen to; a person decides`,
          });
          continue;
        }
        checks.push(
          nonInferiority(
            rateName,
            newcombe(x1, n1, x2, n2, z),
            tolerance,
            `${shown(x1 / n1)} (${x1}/${n1}) against the champion's ${shown(x2 / n2)} (${x2}/${n2})`,
            'Newcombe',
          ),
        );
      }
      continue;
    }
    if (!a.squaredError || !b.squaredError) {
      checks.push(fail('the evaluations carry no squared_error of the segment, so the comparison cannot be made'));
      continue;
    }
    const diff = a.squaredError.mean - b.squaredError.mean;
    const se = Math.sqrt(a.squaredError.variance / a.support + b.squaredError.variance / b.support);
    const allowed = tolerance * b.squaredError.mean;
    checks.push(
      nonInferiority(
        name,
        { difference: diff, lower: diff - z * se, upper: diff + z * se },
        allowed,
        `mean squared error ${shown(a.squaredError.mean)} against the champion's ${shown(b.squaredError.mean)}`,
        'Welch',
        `${tolerance} of the champion's error`,
      ),
    );
  }
  return checks;
}

/**
 * A non-inferiority verdict on the one-sided interval of challenger - champion (larger is worse): passes only when the
 * upper bound is within the allowance (shown no worse beyond it); fails as significantly worse when the lower bound is
 * above it; anything between is inconclusive and does not pass: the data cannot show the challenger is as good, so a
 * person decides (with the interval in the reason), or a larger evaluation split shows it.
 */
function nonInferiority(
  name: string,
  i: { difference: number; lower: number; upper: number },
  allowed: number,
  text: string,
  method: string,
  allowance = String(allowed),
): Check {
  const figures = `${name}: ${text}; difference ${shown(i.difference)}, one-sided ${PROMOTION_CONFIDENCE * 100}% ${method} interval [${shown(i.lower)}, ${shown(i.upper)}]`;
  const value = Math.round(i.difference * 10000) / 10000;
  if (i.upper <= allowed)
    return {
      name,
      passed: true,
      severity: 'block',
      value,
      detail: `${figures}: shown no worse than the champion beyond the tolerance ${allowance}`,
    };
  if (i.lower > allowed)
    return {
      name,
      passed: false,
      severity: 'block',
      value,
      detail: `${figures}: worse than the champion by more than the tolerance ${allowance}, significantly`,
    };
  return {
    name,
    passed: false,
    severity: 'block',
    value,
    detail: `${figures}: inconclusive: not shown within the tolerance ${allowance} (upper bound above it), so not promoted; a person decides, or a larger evaluation split shows it`,
  };
}
