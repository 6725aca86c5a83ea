/**
 * A shadow variant's captured traffic as the source of the per-segment comparison. The estate's monitoring job
 * (processing/estate_monitoring.py `monitor --shadow <name>`) writes, for each daily window, every variant's labelled
 * captured records in the evaluation report's shape: `result.variants.<variant>` = {shadow, rows, decision_threshold,
 * confusion_matrix, segments.<name>: {definition, min_support, support, positives, confusion_matrix}}, under
 * `monitoring/<endpoint>/reports/<job>-d<YYYYMMDDHH of the window's end>/report.json` of the environment's capture
 * bucket. The gate sums the windows that lie wholly after the endpoint's current config went live (the shadow keeps its
 * name across configs, so an earlier window's records were another model's), for the shadow and for the production
 * variant it shadows, and compares them segment by segment like two evaluations (lambdas/shared/segments.ts).
 *
 * The two variants answered the same requests (the shadow a sampled copy), so their counts are not independent: the
 * unpaired Newcombe interval is then conservative (wider) for positively correlated answers, never narrower.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { errorText, listKeys, readRecord } from '../shared/s3-objects';

const DAY_MS = 86_400_000;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const whole = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const CELLS = ['true_positives', 'false_positives', 'false_negatives', 'true_negatives'] as const;

/** Summed figures of one variant, in the evaluation report's shape (what readSegment reads). */
export interface LiveEvaluation {
  readonly rows: number;
  readonly decision_threshold: number;
  readonly confusion_matrix: Record<(typeof CELLS)[number], number>;
  readonly segments: Record<
    string,
    {
      definition: unknown;
      support: number;
      positives: number;
      confusion_matrix: Record<(typeof CELLS)[number], number>;
    }
  >;
}

export type ShadowTraffic =
  | {
      readonly ok: true;
      readonly shadow: LiveEvaluation;
      readonly production: LiveEvaluation;
      readonly productionVariant: string;
      readonly windows: readonly string[];
      readonly detail: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Daily report keys of an endpoint with the end of their window. */
export function dailyReports(endpoint: string, keys: readonly string[]): Array<{ key: string; end: Date }> {
  const out: Array<{ key: string; end: Date }> = [];
  const prefix = `monitoring/${endpoint}/reports/`;
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const m = /^[^/]+-d(\d{4})(\d{2})(\d{2})(\d{2})\/report\.json$/.exec(key.slice(prefix.length));
    if (!m) continue;
    const end = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])));
    if (Number.isFinite(end.getTime())) out.push({ key, end });
  }
  return out.sort((a, b) => a.end.getTime() - b.end.getTime());
}

/**
 * Adds one window's figures of a variant to a running sum; a reason when they are not whole counts of the same
 * segments.
 */
function add(sum: LiveEvaluation | undefined, v: unknown, where: string): LiveEvaluation | string {
  if (!isObject(v)) return `${where} has no figures`;
  if (!whole(v.rows)) return `${where}: rows ${JSON.stringify(v.rows)} is not a whole number`;
  if (typeof v.decision_threshold !== 'number' || !Number.isFinite(v.decision_threshold))
    return `${where}: no decision_threshold`;
  if (sum && sum.decision_threshold !== v.decision_threshold)
    return `${where} uses decision threshold ${v.decision_threshold}, another window ${sum.decision_threshold}`;
  const cm = v.confusion_matrix;
  if (!isObject(cm) || !CELLS.every((c) => whole(cm[c])))
    return `${where}: no aggregate confusion_matrix of whole counts`;
  if (!isObject(v.segments)) return `${where}: no segments`;
  const segments: LiveEvaluation['segments'] = {};
  for (const [name, s] of Object.entries(v.segments)) {
    if (
      !isObject(s) ||
      !whole(s.support) ||
      !whole(s.positives) ||
      !isObject(s.confusion_matrix) ||
      !CELLS.every((c) => whole((s.confusion_matrix as Record<string, unknown>)[c]))
    ) {
      return `${where}: segment ${name} has no whole support, positives and confusion counts`;
    }
    const before = sum?.segments[name];
    if (sum && !before) return `${where} has segment ${name}, an earlier window does not`;
    if (before && JSON.stringify(before.definition) !== JSON.stringify(s.definition))
      return `${where} defines segment ${name} otherwise than an earlier window`;
    const c = s.confusion_matrix as Record<(typeof CELLS)[number], number>;
    segments[name] = {
      definition: s.definition,
      support: (before?.support ?? 0) + s.support,
      positives: (before?.positives ?? 0) + s.positives,
      confusion_matrix: Object.fromEntries(CELLS.map((k) => [k, (before?.confusion_matrix[k] ?? 0) + c[k]])) as Record<
        (typeof CELLS)[number],
        number
      >,
    };
  }
  if (sum && Object.keys(sum.segments).some((n) => !(n in segments)))
    return `${where} lacks a segment an earlier window has`;
  return {
    rows: (sum?.rows ?? 0) + v.rows,
    decision_threshold: v.decision_threshold,
    confusion_matrix: Object.fromEntries(
      CELLS.map((k) => [k, (sum?.confusion_matrix[k] ?? 0) + (cm[k] as number)]),
    ) as LiveEvaluation['confusion_matrix'],
    segments,
  };
}

/**
 * The shadow's and the production variant's labelled captured traffic, summed over the daily windows wholly inside
 * [liveSince, now]. Missing reports, a window without either variant, or malformed figures: not ok, with the reason
 * (the gate then fails: a comparison it cannot make never passes).
 */
export async function shadowTrafficOf(
  deps: { readonly s3: S3Client; readonly captureBucket: string | undefined },
  endpoint: string,
  shadow: string,
  productionVariant: string | undefined,
  liveSince: Date,
  now: Date,
): Promise<ShadowTraffic> {
  if (!deps.captureBucket)
    return {
      ok: false,
      reason: "the gate is not told the capture bucket, so the shadow's captured traffic cannot be read",
    };
  if (!productionVariant)
    return {
      ok: false,
      reason: `${endpoint} has no production variant with traffic for the shadow ${shadow} to be compared with`,
    };
  const source = `s3://${deps.captureBucket}/monitoring/${endpoint}/reports/`;
  try {
    const windows = dailyReports(
      endpoint,
      await listKeys(deps.s3, deps.captureBucket, `monitoring/${endpoint}/reports/`),
    ).filter((w) => w.end.getTime() - DAY_MS >= liveSince.getTime() && w.end.getTime() <= now.getTime());
    if (windows.length === 0) {
      return {
        ok: false,
        reason: `no daily monitoring report under ${source} covers a whole day since the current config went live at ${liveSince.toISOString()}, so the shadow ${shadow}'s captured traffic has no figures yet (model-quality monitoring with ground truth must run on the staging endpoint)`,
      };
    }
    let mine: LiveEvaluation | undefined;
    let theirs: LiveEvaluation | undefined;
    for (const w of windows) {
      const report = await readRecord<unknown>(deps.s3, { bucket: deps.captureBucket, key: w.key });
      const variants =
        isObject(report) && report.endpoint === endpoint && isObject(report.result) && isObject(report.result.variants)
          ? report.result.variants
          : undefined;
      if (!variants)
        return {
          ok: false,
          reason: `s3://${deps.captureBucket}/${w.key} is not a monitoring report of ${endpoint} with per-variant figures`,
        };
      const s = variants[shadow];
      if (isObject(s) && s.shadow !== true)
        return {
          ok: false,
          reason: `s3://${deps.captureBucket}/${w.key} does not report ${shadow} as a shadow variant`,
        };
      const a = add(mine, s, `s3://${deps.captureBucket}/${w.key} (variant ${shadow})`);
      const b = add(
        theirs,
        variants[productionVariant],
        `s3://${deps.captureBucket}/${w.key} (variant ${productionVariant})`,
      );
      if (typeof a === 'string') return { ok: false, reason: a };
      if (typeof b === 'string') return { ok: false, reason: b };
      mine = a;
      theirs = b;
    }
    return {
      ok: true,
      shadow: mine!,
      production: theirs!,
      productionVariant,
      windows: windows.map((w) => w.key),
      detail: `${windows.length} daily window(s) of captured traffic since ${liveSince.toISOString()}: ${mine!.rows} labelled record(s) of shadow ${shadow}, ${theirs!.rows} of production variant ${productionVariant}`,
    };
  } catch (e) {
    return { ok: false, reason: `the monitoring reports under ${source} could not be read: ${errorText(e)}` };
  }
}
