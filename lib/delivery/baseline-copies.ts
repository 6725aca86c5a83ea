import { EnvironmentConfig, EstateConfig, ModelConfig, promotionSource } from '../config';
import { BASELINE_COPIER_SUFFIX } from '../../policies/workload-boundary';
import { endpointName, monitoringName } from './names';

/**
 * A monitored prod endpoint's baseline copy: at deploy time, the champion's pinned baseline
 * (`baselines/<model>/<version>/` of the promotion source's approved-model bucket) is copied into
 * `monitoring/<endpoint>/baseline/` of the environment's capture bucket, where the estate's monitoring job reads it
 * (constructs/baseline-copy.ts). The staging bucket admits each copier's role by its exact ARN, so both sides
 * derive the same list from the config.
 */
export interface BaselineCopy {
  readonly model: ModelConfig;
  readonly environment: EnvironmentConfig;
  readonly endpointName: string;
  /** The package version prod serves with the most weight (the first of equals, in config order). */
  readonly championVersion: number;
  /** The copier's role name (at most 63 characters): the staging bucket's policy names it by ARN. */
  readonly roleName: string;
}

/**
 * The champion of an endpoint: the variant with the most weight (its baseline is what live traffic is compared with).
 */
export function championOf(
  variants: readonly { readonly weight: number; readonly modelPackageVersion?: number }[],
): number | undefined {
  let best: { weight: number; version?: number } | undefined;
  for (const v of variants)
    if (!best || v.weight > best.weight) best = { weight: v.weight, version: v.modelPackageVersion };
  return best?.version;
}

/** Ends in `-baseline-copy` whatever the endpoint's length (monitoringName keeps the kind at the end). */
export const baselineCopierRoleName = (endpoint: string): string =>
  monitoringName(endpoint, BASELINE_COPIER_SUFFIX.slice(1));

/**
 * The baseline copies of one prod environment: each endpoint there that the estate's own monitoring watches (data or
 * model quality) and whose champion is a package version of the promotion source's registry. Empty elsewhere.
 */
export function baselineCopies(estate: EstateConfig, environment: EnvironmentConfig): BaselineCopy[] {
  return estate.models
    .map((m) => baselineCopyOf(estate, environment, m))
    .filter((c): c is BaselineCopy => c !== undefined);
}

/** The baseline copy of one model's endpoint in `environment`, if it has one (see baselineCopies). */
export function baselineCopyOf(
  estate: EstateConfig,
  environment: EnvironmentConfig,
  model: ModelConfig,
): BaselineCopy | undefined {
  if (environment.type !== 'prod' || environment.monitoringService !== 'estate') return undefined;
  const source = promotionSource(estate);
  if (!source || source.account === environment.account) return undefined;
  const endpoint = model.endpoints[environment.name];
  if (!endpoint || endpoint.awaitingApproval) return undefined;
  const spec = endpoint.monitoring ?? { dataQuality: true, modelQuality: true };
  if (!spec.dataQuality && !spec.modelQuality) return undefined;
  const championVersion = championOf(endpoint.variants);
  if (championVersion === undefined) return undefined;
  const name = endpointName(environment.name, model.id);
  return { model, environment, endpointName: name, championVersion, roleName: baselineCopierRoleName(name) };
}

/**
 * Every prod environment's baseline copies that read the approved-model bucket of `source` (the staging side's view).
 */
export function baselineCopiesFrom(estate: EstateConfig, source: EnvironmentConfig): BaselineCopy[] {
  if (promotionSource(estate)?.name !== source.name) return [];
  return estate.environments.flatMap((e) => baselineCopies(estate, e));
}
