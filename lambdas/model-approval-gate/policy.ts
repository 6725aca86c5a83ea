/**
 * The approval decision, as a pure function of the model's config, its risk
 * tier's thresholds and the reports the handler fetched. No I/O here.
 *
 * Fails closed: anything missing, malformed or ambiguous rejects or holds; only
 * a complete set of finite metrics that clears every threshold of a tier that
 * allows it approves. High-risk models are never approved here.
 */
import { GovernedModel, TierPolicy } from '../shared/gate-config';
import { Check, FetchedReport } from '../shared/decision';
import { segmentApprovalChecks } from '../shared/segments';
import {
  disparateImpacts,
  globalShapValues,
  kllBuckets,
  metric,
  populationStabilityIndex,
  Read,
  shown,
} from '../shared/reports';

export type { Check, FetchedReport } from '../shared/decision';

export type Outcome = 'approve' | 'reject' | 'hold';

/**
 * Where the package's evidence comes from, as the handler established it
 * through the SageMaker API: an execution of this model's own training
 * pipeline (whose role alone may write the evidence prefix), a package
 * registered by hand, one that names an execution that cannot have produced
 * it, or one whose execution could not be looked up.
 */
export type Provenance =
  | { readonly kind: 'pipeline'; readonly execution: string; readonly detail: string }
  | { readonly kind: 'hand-registered'; readonly reason: string }
  | { readonly kind: 'forged'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface ApprovalInputs {
  /** Model quality / evaluation report (`binary_classification_metrics` or `regression_metrics`). */
  readonly evaluation: FetchedReport;
  /** Clarify post-training bias analysis.json. */
  readonly bias: FetchedReport;
  /** Clarify explainability analysis.json. */
  readonly explainability: FetchedReport;
  /** Model Monitor statistics.json of the data the model was validated on. */
  readonly statistics: FetchedReport;
  /** Model Monitor statistics.json of the training baseline (the package's drift-check baseline). */
  readonly baseline: FetchedReport;
}

export interface ApprovalContext {
  readonly provenance: Provenance;
  /**
   * What the package would serve (images, model data), each checked by the handler against the estate's registries and
   * buckets.
   */
  readonly artifacts: readonly Check[];
}

export interface ApprovalDecision {
  readonly outcome: Outcome;
  readonly reasons: string[];
  readonly checks: Check[];
  readonly riskTier?: string;
  readonly thresholds?: TierPolicy;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

export function decideApproval(
  model: GovernedModel | undefined,
  tiers: Readonly<Record<string, TierPolicy>>,
  inputs: ApprovalInputs,
  context: ApprovalContext,
): ApprovalDecision {
  if (!model) {
    return { outcome: 'hold', reasons: ['the model package group is not governed by the estate config'], checks: [] };
  }
  const tier = Object.prototype.hasOwnProperty.call(tiers, model.riskTier) ? tiers[model.riskTier] : undefined;
  if (!tier) {
    return {
      outcome: 'hold',
      reasons: [`risk tier "${model.riskTier}" has no policy in the estate config`],
      checks: [],
      riskTier: model.riskTier,
    };
  }

  if (context.provenance.kind === 'hand-registered' || context.provenance.kind === 'forged') {
    // Its reports are not read (a hand registration is reviewed by a person; a false claim rejects on provenance
    // alone); what it would serve must still come from the estate.
    const checks = [provenanceCheck(context.provenance), ...context.artifacts];
    const blocked = checks.filter((c) => !c.passed && c.severity === 'block');
    const base = { checks, riskTier: model.riskTier, thresholds: tier };
    if (blocked.length > 0) return { ...base, outcome: 'reject', reasons: blocked.map((c) => c.detail) };
    return { ...base, outcome: 'hold', reasons: [checks[0].detail] };
  }

  const unavailable = Object.entries(inputs).filter(([, r]) => r.status === 'unavailable');
  if (unavailable.length > 0 || context.provenance.kind === 'unavailable') {
    return {
      outcome: 'hold',
      reasons: [
        ...(context.provenance.kind === 'unavailable'
          ? [`the pipeline execution could not be checked: ${context.provenance.reason}`]
          : []),
        ...unavailable.map(([name, r]) => `${name} report could not be read: ${(r as { reason: string }).reason}`),
      ],
      checks: [],
      riskTier: model.riskTier,
      thresholds: tier,
    };
  }

  const checks: Check[] = [
    ...performanceChecks(model, tier, inputs.evaluation),
    ...(model.segmentation && inputs.evaluation.status === 'ok'
      ? segmentApprovalChecks({
          policy: model.segmentation,
          problemType: model.problemType,
          riskTier: model.riskTier,
          floors: { minAuc: tier.minAuc, minF1: tier.minF1, minR2: tier.minR2, maxRmse: model.maxRmse },
          report: inputs.evaluation.json,
        })
      : []),
    ...fairnessChecks(model, tier, inputs.bias),
    ...explainabilityChecks(tier, inputs.explainability),
    ...driftChecks(tier, inputs.baseline, inputs.statistics),
    provenanceCheck(context.provenance),
    ...context.artifacts,
  ];

  const blocked = checks.filter((c) => !c.passed && c.severity === 'block');
  const warned = checks.filter((c) => !c.passed && c.severity === 'warn');
  const base = { checks, riskTier: model.riskTier, thresholds: tier };
  if (blocked.length > 0) return { ...base, outcome: 'reject', reasons: blocked.map((c) => c.detail) };
  if (warned.length > 0) return { ...base, outcome: 'hold', reasons: warned.map((c) => c.detail) };
  if (context.provenance.kind !== 'pipeline') {
    return {
      ...base,
      outcome: 'hold',
      reasons: [
        'every check passed, but the evidence does not come from the training pipeline, so only a person in the model-risk role may approve',
      ],
    };
  }
  if (model.riskTier === 'high' || !tier.autoApprove) {
    return {
      ...base,
      outcome: 'hold',
      reasons: [
        `every check passed; a ${model.riskTier}-risk model is approved only by a person in the model-risk role`,
      ],
    };
  }
  return { ...base, outcome: 'approve', reasons: ['every check passed'] };
}

/** Evidence from the model's own pipeline passes; a hand registration holds; a false claim rejects. */
function provenanceCheck(p: Provenance): Check {
  switch (p.kind) {
    case 'pipeline':
      return { name: 'provenance', passed: true, severity: 'block', detail: p.detail };
    case 'hand-registered':
      return {
        name: 'provenance',
        passed: false,
        severity: 'warn',
        detail: `provenance: ${p.reason}; a hand-registered package is reviewed by a person, never approved by the gate`,
      };
    case 'forged':
      return { name: 'provenance', passed: false, severity: 'block', detail: `provenance: ${p.reason}` };
    default:
      return { name: 'provenance', passed: false, severity: 'warn', detail: `provenance: ${p.reason}` };
  }
}

/** Turns a report that is not usable into one failed blocking check. */
function unusable(name: string, report: FetchedReport): Check[] | undefined {
  if (report.status === 'ok') return undefined;
  return [{ name, passed: false, severity: 'block', detail: `${name}: ${report.reason}` }];
}

function floor(name: string, read: Read<number>, min: number): Check {
  if (!read.ok) return { name, passed: false, severity: 'block', detail: `${name}: ${read.reason}` };
  const passed = read.value >= min;
  return {
    name,
    passed,
    severity: 'block',
    value: read.value,
    threshold: `>= ${min}`,
    detail: `${name} ${shown(read.value, min)} ${passed ? 'meets' : 'is below'} the floor ${min}`,
  };
}

function performanceChecks(model: GovernedModel, tier: TierPolicy, report: FetchedReport): Check[] {
  const bad = unusable('evaluation report', report);
  if (bad || report.status !== 'ok') return bad!;
  if (model.problemType === 'binary_classification') {
    return [
      floor('AUC', metric(report.json, 'binary_classification_metrics', 'auc'), tier.minAuc),
      floor('F1', metric(report.json, 'binary_classification_metrics', 'f1'), tier.minF1),
    ];
  }
  const checks = [floor('R2', metric(report.json, 'regression_metrics', 'r2'), tier.minR2)];
  const rmse = metric(report.json, 'regression_metrics', 'rmse');
  if (!rmse.ok) {
    checks.push({ name: 'RMSE', passed: false, severity: 'block', detail: `RMSE: ${rmse.reason}` });
  } else if (model.maxRmse !== undefined) {
    const passed = rmse.value <= model.maxRmse;
    checks.push({
      name: 'RMSE',
      passed,
      severity: 'block',
      value: rmse.value,
      threshold: `<= ${model.maxRmse}`,
      detail: `RMSE ${shown(rmse.value, model.maxRmse)} ${passed ? 'is within' : 'exceeds'} the ceiling ${model.maxRmse}`,
    });
  }
  return checks;
}

function fairnessChecks(model: GovernedModel, tier: TierPolicy, report: FetchedReport): Check[] {
  if (model.protectedAttributes.length === 0) return [];
  const bad = unusable('bias report', report);
  if (bad || report.status !== 'ok') return bad!;
  return model.protectedAttributes.flatMap((facet): Check[] => {
    const name = `disparate impact (${facet})`;
    const read = disparateImpacts(report.json, facet);
    if (!read.ok) return [{ name, passed: false, severity: 'block', detail: `${name}: ${read.reason}` }];
    // The four-fifths rule is two-sided: a facet favoured far above the rest is as unfair as one far below.
    const min = tier.minDisparateImpact;
    const max = 1 / min;
    const maxShown = Number(max.toPrecision(6));
    return read.value.map(({ group, value }) => {
      const low = value < min;
      const high = value > max;
      const passed = !low && !high;
      const where = low ? `below ${min}` : high ? `above ${maxShown} (1/${min})` : `within [${min}, ${maxShown}]`;
      return {
        name: `${name} = ${group}`,
        passed,
        severity: 'block' as const,
        value,
        threshold: `>= ${min} and <= ${maxShown}`,
        detail: `disparate impact for ${facet} = ${group} is ${shown(value, high ? max : min)}, ${where}`,
      };
    });
  });
}

function explainabilityChecks(tier: TierPolicy, report: FetchedReport): Check[] {
  if (!tier.requireExplainability) return [];
  const bad = unusable('explainability report', report);
  if (bad || report.status !== 'ok') return bad!;
  const read = globalShapValues(report.json);
  return [
    read.ok
      ? {
          name: 'explainability',
          passed: true,
          severity: 'block',
          value: read.value,
          detail: `${read.value} global SHAP values present`,
        }
      : { name: 'explainability', passed: false, severity: 'block', detail: `explainability report: ${read.reason}` },
  ];
}

function driftChecks(tier: TierPolicy, baselineReport: FetchedReport, currentReport: FetchedReport): Check[] {
  const bad = unusable('baseline statistics', baselineReport) ?? unusable('statistics', currentReport);
  if (bad || baselineReport.status !== 'ok' || currentReport.status !== 'ok') return bad!;
  const baseline = kllBuckets(baselineReport.json);
  const current = kllBuckets(currentReport.json);
  if (!baseline.ok)
    return [{ name: 'PSI', passed: false, severity: 'block', detail: `baseline statistics: ${baseline.reason}` }];
  if (!current.ok) return [{ name: 'PSI', passed: false, severity: 'block', detail: `statistics: ${current.reason}` }];
  return [...baseline.value.entries()].map(([feature, buckets]): Check => {
    const name = `PSI (${feature})`;
    const now = current.value.get(feature);
    if (!now)
      return {
        name,
        passed: false,
        severity: 'block',
        detail: `${name}: feature ${feature} is in the baseline but not in the statistics`,
      };
    const exact = populationStabilityIndex(buckets, now);
    const psi = round(exact);
    if (!(exact >= 0))
      return {
        name,
        passed: false,
        severity: 'block',
        detail: `PSI of ${feature} is ${exact}, outside its domain (non-negative)`,
      };
    if (exact >= tier.psiBlock) {
      return {
        name,
        passed: false,
        severity: 'block',
        value: psi,
        threshold: `< ${tier.psiBlock}`,
        detail: `PSI of ${feature} is ${shown(exact, tier.psiBlock)}, at or above the block level ${tier.psiBlock}`,
      };
    }
    if (exact >= tier.psiWarn) {
      return {
        name,
        passed: false,
        severity: 'warn',
        value: psi,
        threshold: `< ${tier.psiWarn}`,
        detail: `PSI of ${feature} is ${shown(exact, tier.psiWarn)}, at or above the warning level ${tier.psiWarn}: review the drift`,
      };
    }
    return {
      name,
      passed: true,
      severity: 'block',
      value: psi,
      threshold: `< ${tier.psiWarn}`,
      detail: `PSI of ${feature} is ${shown(exact, tier.psiWarn)}`,
    };
  });
}
