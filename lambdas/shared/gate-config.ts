import * as fs from 'node:fs';
import type { SegmentationPolicy } from './segments';

/**
 * What the gates know of the estate, fixed at synth from the estate config and
 * shipped to each function in a small layer (it can outgrow Lambda's 4 KB of
 * environment variables; the code bundle stays the same in every environment).
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
  /**
   * The SageMaker pipeline that retrains the model in this environment; only
   * its executions produce evidence the gate may approve on.
   */
  readonly trainingPipeline?: string;
  /** Segments judged on their own at approval and promotion (lambdas/shared/segments.ts). */
  readonly segmentation?: SegmentationPolicy;
}

export interface DeploymentPolicy {
  /** Minutes the staging endpoint's alarms must have been quiet. */
  readonly stagingBakeMinutes: number;
  /** How much worse than the champion the challenger's primary metric may be. */
  readonly challengerTolerance: number;
  /**
   * Invocations the staging endpoint must have served during the bake period:
   * an idle endpoint's alarms stay OK on missing data, which is not health.
   * @default 1
   */
  readonly minStagingInvocations?: number;
}

/** Where what the gates approve may come from. */
export interface ArtifactRules {
  /** Accounts whose ECR registries hold the estate's images. */
  readonly registryAccounts: readonly string[];
  /** Outside dev, images are named by digest: a tag can be moved after approval. */
  readonly requireImageDigest: boolean;
}

export interface GateConfig {
  readonly environment: string;
  readonly tiers: Readonly<Record<string, TierPolicy>>;
  readonly models: readonly GovernedModel[];
  readonly deployment: DeploymentPolicy;
  readonly artifacts: ArtifactRules;
  /**
   * Deployment gate only: per package group, the versions the committed estate
   * has prod serve with the most weight (each prod endpoint's champion). The
   * gate judges a challenger against these and against the latest Approved
   * version before it, whatever champion the request names or leaves out.
   */
  readonly prodChampions?: Readonly<Record<string, readonly number[]>>;
  /**
   * Deployment gate only: per package group served in prod from its pinned copy, the image prod's model runs (the
   * model's training image). A package whose container is another image, or that has more than one, is not promoted.
   */
  readonly prodImages?: Readonly<Record<string, string>>;
}

/** Where the config layer puts the estate's gate config. */
export const GATE_CONFIG_PATH = '/opt/gate-config.json';

/** Reads the gate config shipped in the function's config layer. */
export function loadGateConfig(file = GATE_CONFIG_PATH): GateConfig {
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as GateConfig;
  if (
    !config ||
    typeof config.tiers !== 'object' ||
    !Array.isArray(config.models) ||
    !Array.isArray(config.artifacts?.registryAccounts)
  ) {
    throw new Error(`${file} is not a gate config`);
  }
  return config;
}
