/**
 * The promotion decision, as a pure function: may this package go to prod?
 * Passes only when the package is Approved, every alarm of the staging
 * endpoint has been OK for the whole bake period (among them a 5XX-errors and
 * a latency alarm of the serving variant's own), and the challenger is not
 * worse than the champion beyond the tolerance. Anything unknown fails.
 */
import { DeploymentPolicy, GovernedModel } from '../shared/gate-config';
import { metric, Read, shown } from '../shared/reports';
import type { Check, FetchedReport } from '../shared/decision';
import { segmentPromotionChecks } from '../shared/segments';
import type { ShadowTraffic } from './shadow-traffic';

/** The largest share of the serving variant's bake-period requests that may be answered with a 5XX. */
export const MAX_STAGING_5XX_SHARE = 0.01;

export interface AlarmView {
  readonly name: string;
  readonly state: string | undefined;
  readonly stateUpdated: Date | undefined;
  /** What the alarm watches, as DescribeAlarms reports it (absent in unit tests not about it). */
  readonly watches?: AlarmMetric;
}

/** The single metric a metric alarm watches (a metric-math alarm has `math` instead of a metric). */
export interface AlarmMetric {
  readonly namespace?: string;
  readonly metricName?: string;
  /** Its dimensions, name to value (a name given twice makes the alarm watch no metric SageMaker publishes). */
  readonly dimensions: readonly { readonly name?: string; readonly value?: string }[];
  readonly math: boolean;
  readonly comparison?: string;
  /**
   * How the alarm evaluates (DescribeAlarms' MetricAlarm fields); absent means the alarm did not say, which cannot be
   * shown to fire.
   */
  readonly statistic?: string;
  readonly extendedStatistic?: string;
  readonly unit?: string;
  readonly threshold?: number;
  readonly period?: number;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData?: string;
}

/**
 * The alarms the serving variant must have of its own: SageMaker publishes these metrics per endpoint and variant
 * (dimensions EndpointName and VariantName, nothing else: SageMaker Developer Guide, "SageMaker AI endpoint invocation
 * metrics"), so an alarm on other dimensions, on extra ones or on another variant's name never sees the variant's data.
 */
export const SERVING_VARIANT_ALARMS = [
  { kind: '5XX errors', metricName: 'Invocation5XXErrors', unit: 'None' },
  { kind: 'latency', metricName: 'ModelLatency', unit: 'Microseconds' },
] as const;

/**
 * The estate's own serving-variant alarms (constructs/model-endpoint/alarms.ts, ROLLBACK_THRESHOLDS; a test holds the
 * two equal): the ceiling of what a staging alarm may demand before it fires. An alarm with a higher threshold would
 * stay OK through a regression the estate's own alarms roll back.
 */
export const ESTATE_ALARM_CEILINGS = {
  /** p99 ModelLatency, microseconds. */
  latencyMicros: 1_000_000,
  /** Invocation5XXErrors per minute (Sum). */
  errors5xxPerMinute: 5,
} as const;
/** What the estate sets (notBreaching), or stricter: `missing` and `breaching` only make an idle alarm leave OK. */
const MISSING_DATA_ALLOWED = new Set(['notBreaching', 'missing', 'breaching']);
const RISING = new Set(['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold']);

export interface DeploymentInputs {
  readonly model: GovernedModel | undefined;
  readonly approvalStatus: string | undefined;
  readonly alarms: readonly AlarmView[] | { readonly error: string };
  readonly challengerEvaluation: FetchedReport;
  /**
   * Every champion the challenger is judged against, found by the gate (what
   * the estate has prod serve, the latest Approved version before the
   * challenger) and any the request names. Empty for the first deployment.
   */
  readonly champions: readonly Champion[];
  /**
   * Why a champion is no fit partner for the challenger (another model's version, itself, not approved), if one is not.
   */
  readonly pairingProblems?: readonly string[];
  /** Whether the staging endpoint exists, is in service and its current config serves the package. */
  readonly serving:
    | {
        readonly ok: true;
        readonly variant: string;
        readonly detail: string;
        /** When the endpoint's current config went live (its LastModifiedTime). */ readonly liveSince: Date;
      }
    | { readonly ok: false; readonly reason: string };
  /** Whether the model data is pinned as approved (copied, locked, SHA-256 recorded) and unchanged since. */
  readonly pin?: { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly reason: string };
  /**
   * What the package would serve, checked against the estate's registries and artifact bucket (a person may have
   * approved anything).
   */
  readonly artifacts: readonly Check[];
  /** Invocations the serving variant answered during the bake period, or why they are unknown. */
  readonly invocations: { readonly count: number } | { readonly error: string };
  /**
   * The serving variant's own Invocation5XXErrors over the same window as the invocations: read by the gate, not
   * inferred from alarms (a shadow or renamed variant may have none). The handler always supplies it.
   */
  readonly errors5xx?: { readonly count: number } | { readonly error: string };
  /**
   * The staging endpoint's name. With it (the handler always supplies it), the serving variant must have at least one
   * 5XX-errors alarm and one latency alarm of its own (SERVING_VARIANT_ALARMS), OK for the whole bake period.
   */
  readonly stagingEndpoint?: string;
  /**
   * Where the package is served by the staging shadow variant and the model has segments: the shadow's and the
   * production variant's labelled captured traffic since the current config went live (shadow-traffic.ts), the source
   * of a second per-segment comparison. Not ok (missing, thin windows, malformed): the promotion fails.
   */
  readonly shadowTraffic?: ShadowTraffic;
  readonly now: Date;
}

export interface Champion {
  /** e.g. "version 3 (served by prod: promoted by this gate)". */
  readonly label: string;
  readonly evaluation: FetchedReport;
}

export interface DeploymentDecision {
  readonly pass: boolean;
  readonly reasons: string[];
  readonly checks: Check[];
}

const fail = (name: string, detail: string): Check => ({ name, passed: false, severity: 'block', detail });
const pass = (name: string, detail: string, value?: number): Check => ({
  name,
  passed: true,
  severity: 'block',
  detail,
  value,
});

export function decideDeployment(policy: DeploymentPolicy, inputs: DeploymentInputs): DeploymentDecision {
  const checks: Check[] = [];
  const { model } = inputs;

  checks.push(
    inputs.approvalStatus === 'Approved'
      ? pass('approval', 'the model package is Approved')
      : fail('approval', `the model package is ${inputs.approvalStatus ?? 'unknown'}, not Approved`),
  );
  if (!model) checks.push(fail('governance', 'the model package group is not governed by the estate config'));
  for (const problem of inputs.pairingProblems ?? []) checks.push(fail('pairing', problem));
  checks.push(...inputs.artifacts);
  // What was approved is what is served: without a pin (or with model data changed since), nothing is promoted.
  // (The handler always supplies it; a policy unit test that is not about pinning may leave it out.)
  if (inputs.pin)
    checks.push(
      inputs.pin.ok ? pass('approved model data', inputs.pin.detail) : fail('approved model data', inputs.pin.reason),
    );
  checks.push(
    inputs.serving.ok
      ? pass('staging serves the package', inputs.serving.detail)
      : fail('staging serves the package', inputs.serving.reason),
  );
  // The bake is of the current config only: CloudWatch keys invocations and alarms by endpoint and variant, not by
  // config, so traffic and quiet alarms from before the config went live were another model's.
  const bakeStartMs = inputs.now.getTime() - policy.stagingBakeMinutes * 60_000;
  if (inputs.serving.ok) {
    const since = inputs.serving.liveSince;
    checks.push(
      Number.isFinite(since.getTime()) && since.getTime() <= bakeStartMs
        ? pass(
            'bake of the current config',
            `the current config has been live since ${since.toISOString()}, before the ${policy.stagingBakeMinutes}-minute bake period began`,
          )
        : fail(
            'bake of the current config',
            `the current config went live at ${Number.isFinite(since.getTime()) ? since.toISOString() : 'an unknown time'}, after the ${policy.stagingBakeMinutes}-minute bake period began at ${new Date(bakeStartMs).toISOString()}: the package has not baked for the whole period`,
          ),
    );
  }
  const minimum = policy.minStagingInvocations ?? 1;
  if ('error' in inputs.invocations) {
    checks.push(
      fail('staging traffic', `the staging endpoint's invocations could not be read: ${inputs.invocations.error}`),
    );
  } else if (!Number.isInteger(inputs.invocations.count) || inputs.invocations.count < 0) {
    checks.push(
      fail(
        'staging traffic',
        `the invocation count ${inputs.invocations.count} is outside its domain (whole and non-negative)`,
      ),
    );
  } else if (inputs.invocations.count < minimum) {
    checks.push({
      ...fail(
        'staging traffic',
        `the staging endpoint served ${inputs.invocations.count} invocation(s) in the ${policy.stagingBakeMinutes}-minute bake period, fewer than the ${minimum} required: quiet alarms on an idle endpoint show nothing`,
      ),
      value: inputs.invocations.count,
    });
  } else {
    checks.push(
      pass(
        'staging traffic',
        `the staging endpoint served ${inputs.invocations.count} invocations in the bake period (at least ${minimum})`,
        inputs.invocations.count,
      ),
    );
  }

  // The variant's own 5XX share over the counted window (a shadow's responses reach no caller, so only this shows
  // them). (The handler always supplies it; a policy unit test that is not about errors may leave it out.)
  if (inputs.errors5xx) {
    const served = 'error' in inputs.invocations ? undefined : inputs.invocations.count;
    if ('error' in inputs.errors5xx)
      checks.push(
        fail('staging errors', `the serving variant's 5XX errors could not be read: ${inputs.errors5xx.error}`),
      );
    else if (!Number.isInteger(inputs.errors5xx.count) || inputs.errors5xx.count < 0)
      checks.push(
        fail(
          'staging errors',
          `the 5XX error count ${inputs.errors5xx.count} is outside its domain (whole and non-negative)`,
        ),
      );
    else if (served !== undefined && inputs.errors5xx.count > MAX_STAGING_5XX_SHARE * served) {
      checks.push({
        ...fail(
          'staging errors',
          `the serving variant answered ${inputs.errors5xx.count} of ${served} requests with a 5XX error in the bake period, above ${MAX_STAGING_5XX_SHARE * 100}%`,
        ),
        value: inputs.errors5xx.count,
      });
    } else
      checks.push(
        pass(
          'staging errors',
          `the serving variant answered ${inputs.errors5xx.count} request(s) with a 5XX error in the bake period (at most ${MAX_STAGING_5XX_SHARE * 100}% of ${served ?? 'its'} requests)`,
          inputs.errors5xx.count,
        ),
      );
  }

  if ('error' in inputs.alarms) {
    checks.push(fail('staging health', `the staging endpoint's alarms could not be read: ${inputs.alarms.error}`));
  } else if (inputs.alarms.length === 0) {
    checks.push(fail('staging health', 'no alarm watches the staging endpoint, so its health cannot be shown'));
  } else {
    const bakeStart = inputs.now.getTime() - policy.stagingBakeMinutes * 60_000;
    for (const alarm of inputs.alarms) {
      const name = `alarm ${alarm.name}`;
      if (alarm.state !== 'OK')
        checks.push(fail(name, `${alarm.name} is ${alarm.state ?? 'in an unknown state'}, not OK`));
      else if (!alarm.stateUpdated || alarm.stateUpdated.getTime() > bakeStart) {
        checks.push(
          fail(name, `${alarm.name} has been OK for less than the ${policy.stagingBakeMinutes}-minute bake period`),
        );
      } else checks.push(pass(name, `${alarm.name} has been OK since ${alarm.stateUpdated.toISOString()}`));
    }
  }

  if (inputs.stagingEndpoint !== undefined && inputs.serving.ok && !('error' in inputs.alarms)) {
    checks.push(
      ...servingVariantAlarmChecks(
        inputs.stagingEndpoint,
        inputs.serving.variant,
        inputs.alarms,
        policy.stagingBakeMinutes,
        inputs.now,
      ),
    );
  }

  if (model) {
    if (inputs.champions.length === 0)
      checks.push(challengerCheck(model, policy, inputs.challengerEvaluation, undefined));
    // One champion keeps the check's plain name (the label is in its detail); several are named apart.
    for (const champion of inputs.champions)
      checks.push(challengerCheck(model, policy, inputs.challengerEvaluation, champion, inputs.champions.length > 1));
  }
  // Every critical segment too, against every champion: a challenger that wins overall may not lose a critical segment
  // significantly.
  if (model?.segmentation && inputs.challengerEvaluation.status === 'ok') {
    const segmentChecks = (champion: unknown | undefined) =>
      segmentPromotionChecks({
        policy: model.segmentation!,
        problemType: model.problemType,
        tolerance: policy.challengerTolerance,
        challenger: (inputs.challengerEvaluation as { json: unknown }).json,
        champion,
      });
    if (inputs.champions.length === 0) checks.push(...segmentChecks(undefined));
    for (const champion of inputs.champions) {
      const against = segmentChecks(champion.evaluation.status === 'ok' ? champion.evaluation.json : null);
      checks.push(
        ...(inputs.champions.length === 1
          ? against
          : against.map((c) => ({
              ...c,
              name: `${c.name} against ${champion.label}`,
              detail: `${c.detail} (${champion.label})`,
            }))),
      );
    }
  }

  // Where a shadow serves the challenger, its captured traffic is the source too: the shadow against the production
  // variant on the same requests, in every critical segment, by the same non-inferiority test.
  if (model?.segmentation && inputs.shadowTraffic) {
    const live = inputs.shadowTraffic;
    if (!live.ok) checks.push(fail('captured traffic per segment', live.reason));
    else {
      checks.push(pass('captured traffic per segment', live.detail));
      const against = `the shadow's captured traffic against production variant ${live.productionVariant} on the same requests`;
      for (const c of segmentPromotionChecks({
        policy: model.segmentation,
        problemType: model.problemType,
        tolerance: policy.challengerTolerance,
        challenger: live.shadow,
        champion: live.production,
      })) {
        checks.push({ ...c, name: `${c.name} on captured traffic`, detail: `${c.detail} (${against})` });
      }
    }
  }

  const failed = checks.filter((c) => !c.passed);
  return {
    pass: failed.length === 0,
    reasons: failed.length === 0 ? ['every promotion check passed'] : failed.map((c) => c.detail),
    checks,
  };
}

function primaryMetric(model: GovernedModel, report: FetchedReport): Read<number> {
  if (report.status !== 'ok') return { ok: false, reason: report.reason };
  return model.problemType === 'binary_classification'
    ? metric(report.json, 'binary_classification_metrics', 'auc')
    : metric(report.json, 'regression_metrics', 'r2');
}

function challengerCheck(
  model: GovernedModel,
  policy: DeploymentPolicy,
  challenger: FetchedReport,
  champion: Champion | undefined,
  named = false,
): Check {
  const label = model.problemType === 'binary_classification' ? 'AUC' : 'R2';
  const name = champion && named ? `challenger ${label} against ${champion.label}` : `challenger ${label}`;
  const mine = primaryMetric(model, challenger);
  if (!mine.ok) return fail(name, `challenger evaluation: ${mine.reason}`);
  if (!champion)
    return pass(
      name,
      `no champion: prod serves no other version and no earlier version is Approved; challenger ${label} is ${mine.value}`,
      mine.value,
    );
  const theirs = primaryMetric(model, champion.evaluation);
  if (!theirs.ok) return fail(name, `champion evaluation (${champion.label}): ${theirs.reason}`);
  const floor = theirs.value - policy.challengerTolerance;
  return mine.value >= floor - 1e-12
    ? pass(
        name,
        `challenger ${label} ${shown(mine.value, theirs.value)} is within ${policy.challengerTolerance} of the champion's ${shown(theirs.value, mine.value)} (${champion.label})`,
        mine.value,
      )
    : {
        ...fail(
          name,
          `challenger ${label} ${shown(mine.value, theirs.value)} is worse than the champion's ${shown(theirs.value, mine.value)} (${champion.label}) by more than ${policy.challengerTolerance}`,
        ),
        value: mine.value,
      };
}

/** `Namespace MetricName {Name=Value, ...}` of what an alarm watches, for reasons and records. */
export function describeWatched(m: AlarmMetric | undefined): string {
  if (!m) return 'an unknown metric';
  if (m.math) return 'a metric-math expression';
  return `${m.namespace ?? '?'} ${m.metricName ?? '?'} {${m.dimensions.map((d) => `${d.name}=${d.value}`).join(', ')}}`;
}

/**
 * Per kind of SERVING_VARIANT_ALARMS, one check: at least one alarm of the endpoint watches exactly the serving
 * variant's metric (namespace AWS/SageMaker, the metric, dimensions exactly {EndpointName, VariantName}, no metric
 * math, firing when the metric rises), could fire within the bake (alarmCannotFire) and has been OK for the whole bake
 * period: an alarm that stays OK whatever the variant does shows nothing. The reason names what was found
 * instead (alarms of the metric on other dimensions), so a renamed variant or a deleted alarm reads as such.
 */
export function servingVariantAlarmChecks(
  endpoint: string,
  variant: string,
  alarms: readonly AlarmView[],
  bakeMinutes: number,
  now: Date,
): Check[] {
  const bakeStart = now.getTime() - bakeMinutes * 60_000;
  return SERVING_VARIANT_ALARMS.map(({ kind, metricName }) => {
    const name = `serving variant's ${kind} alarm`;
    const ofMetric = alarms.filter(
      (a) =>
        a.watches && !a.watches.math && a.watches.namespace === 'AWS/SageMaker' && a.watches.metricName === metricName,
    );
    const exact = ofMetric.filter((a) => {
      const d = a.watches!.dimensions;
      return (
        d.length === 2 &&
        d.some((x) => x.name === 'EndpointName' && x.value === endpoint) &&
        d.some((x) => x.name === 'VariantName' && x.value === variant)
      );
    });
    const rising = exact.filter((a) => RISING.has(a.watches!.comparison ?? ''));
    // A quiet alarm shows health only if it could have fired within the bake (alarmCannotFire).
    const unable = rising
      .map((a) => ({ a, why: alarmCannotFire(metricName, a.watches!, bakeMinutes) }))
      .filter((x) => x.why.length > 0);
    const able = rising.filter((a) => !unable.some((x) => x.a === a));
    const quiet = able.filter((a) => a.state === 'OK' && a.stateUpdated && a.stateUpdated.getTime() <= bakeStart);
    const wanted = `AWS/SageMaker ${metricName} {EndpointName=${endpoint}, VariantName=${variant}}`;
    if (quiet.length > 0)
      return pass(
        name,
        `${quiet.map((a) => a.name).join(', ')} watch${quiet.length === 1 ? 'es' : ''} ${wanted}, could fire within the bake, and ha${quiet.length === 1 ? 's' : 've'} been OK for the whole bake period`,
      );
    if (able.length > 0) {
      return fail(
        name,
        `no ${kind} alarm of variant ${variant} has been OK for the whole ${bakeMinutes}-minute bake period: ${able.map((a) => `${a.name} is ${a.state ?? 'in an unknown state'}${a.state === 'OK' ? ` since ${a.stateUpdated?.toISOString() ?? 'an unknown time'}` : ''}`).join('; ')}`,
      );
    }
    if (unable.length > 0) {
      return fail(
        name,
        `no ${kind} alarm of variant ${variant} could fire within the ${bakeMinutes}-minute bake, so its quiet shows nothing: ${unable.map((x) => `${x.a.name}: ${x.why.join('; ')}`).join(' | ')}`,
      );
    }
    const others = [
      ...exact.map(
        (a) => `${a.name} has ComparisonOperator ${a.watches!.comparison ?? 'unknown'}, so a rise does not fire it`,
      ),
      ...ofMetric.filter((a) => !exact.includes(a)).map((a) => `${a.name} watches ${describeWatched(a.watches)}`),
    ];
    return fail(
      name,
      `no ${kind} alarm watches the serving variant ${variant} of ${endpoint} (${wanted}, firing when it rises)${others.length > 0 ? `; found instead: ${others.join('; ')}` : ''}`,
    );
  });
}

/**
 * Why an alarm on the serving variant's metric could not fire within the bake, whatever the variant does (empty: it
 * could). The estate's own alarms (constructs/model-endpoint/alarms.ts) pass; each rule is one way an alarm stays OK
 * forever:
 * - statistic: 5XX errors by Sum (the count, as the estate) or Average (the share of requests, so a threshold below 1);
 *   latency by Average, Maximum or a percentile p50 to p100 (a low percentile or Minimum follows the fastest requests);
 * - unit: none, or the unit SageMaker publishes the metric in (None for 5XX errors, Microseconds for ModelLatency:
 *   SageMaker Developer Guide, "SageMaker AI endpoint invocation metrics"); an alarm with another unit matches no
 *   datapoint (CloudWatch API Reference, PutMetricAlarm, Unit), and with missing data not breaching it reads OK;
 * - threshold: a finite number at most the estate's ceiling (ESTATE_ALARM_CEILINGS; 5XX per minute of the period);
 * - period: whole minutes (SageMaker publishes these metrics once a minute, so a shorter period is mostly missing
 *   data); Period x EvaluationPeriods within the bake, and DatapointsToAlarm between 1 and EvaluationPeriods;
 * - TreatMissingData: notBreaching (the estate's), missing or breaching; `ignore` keeps the last state when data stops.
 */
export function alarmCannotFire(metricName: string, m: AlarmMetric, bakeMinutes: number): string[] {
  const why: string[] = [];
  const published = SERVING_VARIANT_ALARMS.find((x) => x.metricName === metricName)?.unit;
  const period = m.period;
  const periodOk = typeof period === 'number' && Number.isInteger(period) && period >= 60 && period % 60 === 0;
  if (!periodOk)
    why.push(
      `Period ${period ?? 'not reported'} is not a whole number of minutes (SageMaker publishes ${metricName} once a minute)`,
    );
  const threshold = m.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold))
    why.push(`Threshold ${threshold ?? 'not reported'} is not a finite number`);
  const percentile =
    m.extendedStatistic !== undefined ? /^p(\d{1,2}(?:\.\d{1,10})?|100)$/.exec(m.extendedStatistic) : null;
  if (metricName === 'Invocation5XXErrors') {
    if (m.extendedStatistic !== undefined || (m.statistic !== 'Sum' && m.statistic !== 'Average')) {
      why.push(
        `statistic ${m.extendedStatistic ?? m.statistic ?? 'not reported'} is not Sum (the count of 5XX errors) or Average (their share of requests)`,
      );
    } else if (typeof threshold === 'number' && Number.isFinite(threshold)) {
      if (m.statistic === 'Average' && !(threshold < 1))
        why.push(`Threshold ${threshold} on the Average (a share of requests, at most 1) is never exceeded`);
      if (m.statistic === 'Sum' && periodOk) {
        const ceiling = ESTATE_ALARM_CEILINGS.errors5xxPerMinute * (period! / 60);
        if (threshold > ceiling)
          why.push(
            `Threshold ${threshold} 5XX errors per ${period}-second period is above the estate's ${ESTATE_ALARM_CEILINGS.errors5xxPerMinute} per minute (${ceiling})`,
          );
      }
    }
  } else {
    const statistic = percentile
      ? Number(percentile[1]) >= 50
      : m.extendedStatistic === undefined && (m.statistic === 'Average' || m.statistic === 'Maximum');
    if (!statistic)
      why.push(
        `statistic ${m.extendedStatistic ?? m.statistic ?? 'not reported'} is not one a latency regression moves for certain (Average, Maximum or a percentile from p50 to p100)`,
      );
    if (typeof threshold === 'number' && threshold > ESTATE_ALARM_CEILINGS.latencyMicros) {
      why.push(
        `Threshold ${threshold} microseconds is above the estate's ${ESTATE_ALARM_CEILINGS.latencyMicros} (${ESTATE_ALARM_CEILINGS.latencyMicros / 1000} ms)`,
      );
    }
  }
  if (m.unit !== undefined && m.unit !== published)
    why.push(`Unit ${m.unit} matches no datapoint (SageMaker publishes ${metricName} in ${published})`);
  const n = m.evaluationPeriods;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    why.push(`EvaluationPeriods ${n ?? 'not reported'} is not a whole number of at least 1`);
  else {
    const k = m.datapointsToAlarm ?? n;
    if (!Number.isInteger(k) || k < 1 || k > n)
      why.push(`DatapointsToAlarm ${k} is not between 1 and EvaluationPeriods ${n}`);
    if (periodOk && period! * n > bakeMinutes * 60)
      why.push(
        `Period ${period} s x EvaluationPeriods ${n} is ${(period! * n) / 60} minutes, longer than the ${bakeMinutes}-minute bake`,
      );
  }
  // DescribeAlarms leaves TreatMissingData out when the alarm has the default, `missing`.
  const missing = m.treatMissingData ?? 'missing';
  if (!MISSING_DATA_ALLOWED.has(missing))
    why.push(`TreatMissingData ${missing} keeps the alarm's last state when data stops (the estate sets notBreaching)`);
  return why;
}
