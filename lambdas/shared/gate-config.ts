/**
 * What the gates know of the estate, fixed at synth from the estate config and
 * compiled into each function bundle (it can be larger than Lambda's 4 KB of
 * environment variables, and a change to it is a change to the function).
 */

export type ProblemType = 'binary_classification' | 'regression';
export type RiskTier = 'high' | 'medium' | 'low';

/** Thresholds of one risk tier. */
export interface TierPolicy {
  /** Whether a model that passes every check is approved without a person. Never true for high. */
  readonly autoApprove: boolean;
  readonly minAuc: number;
  readonly minF1: number;
  readonly minR2: number;
  /** Four-fifths rule: disparate impact of every protected facet at least this. */
  readonly minDisparateImpact: number;
  /** Population stability index: hold for review at or above warn, reject at or above block. */
  readonly psiWarn: number;
  readonly psiBlock: number;
  readonly requireExplainability: boolean;
  /** Months between periodic reviews of an approved model. */
  readonly reviewEveryMonths: number;
}

export interface GovernedModel {
  readonly id: string;
  /** Model package group of the model in the registry. */
  readonly packageGroupName: string;
  readonly owner: string;
  readonly riskTier: string;
  readonly problemType: ProblemType;
  /** Facets whose disparate impact must be shown (Clarify facet names). */
  readonly protectedAttributes: readonly string[];
  /** Regression only: the largest acceptable RMSE, in the target's unit. */
  readonly maxRmse?: number;
}

export interface DeploymentPolicy {
  /** Minutes the staging endpoint's alarms must have been quiet. */
  readonly stagingBakeMinutes: number;
  /** How much worse than the champion the challenger's primary metric may be. */
  readonly challengerTolerance: number;
}

export interface GateConfig {
  readonly environment: string;
  readonly tiers: Readonly<Record<string, TierPolicy>>;
  readonly models: readonly GovernedModel[];
  readonly deployment: DeploymentPolicy;
}

declare const __GATE_CONFIG__: GateConfig | undefined;

/** The config compiled into the bundle; in tests and tools it is passed explicitly instead. */
export function bundledGateConfig(): GateConfig {
  if (typeof __GATE_CONFIG__ === 'undefined') {
    throw new Error('no gate config was compiled into this bundle');
  }
  return __GATE_CONFIG__;
}
