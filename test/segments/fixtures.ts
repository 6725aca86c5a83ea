/** Evaluation reports with segments, in the format the Evaluate step writes (README, "Evaluation report"). */
import * as path from 'node:path';
import { GateConfig, GovernedModel } from '../../lambdas/shared/gate-config';
import { derivedRates, SegmentationPolicy } from '../../lambdas/shared/segments';
import { gateConfigFor } from '../../lib/config/gate-config';
import { loadEstateConfig } from '../../lib/config/load';
import { GATE_CONFIG } from '../gates/fixtures';

/** The example estate's segment policies, as the gates receive them. */
const example = loadEstateConfig(path.join(__dirname, '..', 'fixtures', 'example-estate.yaml'));
const staging = gateConfigFor(
  example,
  example.environments.find((e) => e.name === 'staging')!,
);
export const FRAUD_SEGMENTS: SegmentationPolicy = staging.models.find((m) => m.id === 'fraud-score')!.segmentation!;
export const CREDIT_SEGMENTS: SegmentationPolicy = staging.models.find((m) => m.id === 'credit-default')!.segmentation!;

/** The gates' test config, with the example's segments on fraud-score (medium) and credit-default (high). */
export const SEGMENTED_CONFIG: GateConfig = {
  ...GATE_CONFIG,
  models: GATE_CONFIG.models.map((m): GovernedModel =>
    m.id === 'fraud-score'
      ? { ...m, segmentation: FRAUD_SEGMENTS }
      : m.id === 'credit-default'
        ? { ...m, segmentation: CREDIT_SEGMENTS }
        : m,
  ),
};

export interface Cell {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  auc?: number;
  f1?: number;
}

const metricBlock = (auc: number | undefined, f1: number | undefined) => ({
  ...(auc !== undefined ? { auc: { value: auc, standard_deviation: 0 } } : {}),
  ...(f1 !== undefined ? { f1: { value: f1, standard_deviation: 0 } } : {}),
});

/** A classifier's evaluation.json with a segment entry per cell (definitions from the policy unless overridden). */
export function segmentedEvaluation(
  policy: SegmentationPolicy,
  cells: Record<string, Cell | undefined>,
  aggregate = { auc: 0.93, f1: 0.8 },
  extra: Record<string, unknown> = {},
) {
  const segments: Record<string, unknown> = {};
  for (const s of policy.segments) {
    const c = cells[s.name];
    if (!c) continue;
    const support = c.tp + c.fp + c.fn + c.tn;
    segments[s.name] = {
      definition: s.definition,
      min_support: s.minSupport,
      support,
      status: support >= s.minSupport ? 'ok' : 'insufficient_data',
      positives: c.tp + c.fn,
      confusion_matrix: { true_positives: c.tp, false_positives: c.fp, false_negatives: c.fn, true_negatives: c.tn },
      // F1 follows from the counts unless a case states another one (a report contradicting itself).
      binary_classification_metrics: metricBlock(c.auc, c.f1 ?? derivedRates(c).f1),
    };
  }
  // The totals: every configured segment's cells summed (segments may overlap, so the test split holds at least these).
  const cellsGiven = Object.values(cells).filter((c): c is Cell => !!c);
  const sum = (f: keyof Cell) => cellsGiven.reduce((n, c) => n + (c[f] ?? 0), 0);
  const totals = {
    rows: sum('tp') + sum('fp') + sum('fn') + sum('tn'),
    confusion_matrix: {
      true_positives: sum('tp'),
      false_positives: sum('fp'),
      false_negatives: sum('fn'),
      true_negatives: sum('tn'),
    },
  };
  const stress = Object.fromEntries(
    policy.stressScenarios.map((n) => [
      n,
      { kind: 'prior_shift', status: 'ok', binary_classification_metrics: metricBlock(0.9, 0.7) },
    ]),
  );
  return {
    binary_classification_metrics: metricBlock(aggregate.auc, aggregate.f1),
    decision_threshold: 0.5,
    ...totals,
    segments,
    stress_scenarios: stress,
    ...extra,
  };
}

/** A healthy segment of `n` rows: error rate `err`, AUC above every floor, F1 (from the counts) too. */
export const good = (n = 1000, err = 0.05, auc = 0.92): Cell => {
  const errors = Math.round(n * err);
  const positives = Math.round(n * 0.2);
  return {
    tp: positives - Math.floor(errors / 2),
    fn: Math.floor(errors / 2),
    fp: Math.ceil(errors / 2),
    tn: n - positives - Math.ceil(errors / 2),
    auc,
  };
};

/** Every fraud-score segment healthy. */
export const fraudCells = (over: Record<string, Cell | undefined> = {}) => ({
  'high-value': good(),
  'high-risk-merchant': good(),
  'cross-border': good(),
  ...over,
});
export const creditCells = (over: Record<string, Cell | undefined> = {}) => ({
  'thin-file': good(),
  'low-income': good(),
  ...over,
});
