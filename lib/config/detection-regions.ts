import type { EnvironmentConfig } from './environments';
import type { EstateConfig } from './estate-config';

/**
 * The regions other than its own where an environment runs detective
 * controls: every region the organization allows (the region guardrail lets
 * work happen in each, so each is watched).
 */
export function detectionRegions(estate: EstateConfig, environment: EnvironmentConfig): string[] {
  return estate.organization.allowedRegions.filter((r) => r !== environment.region);
}

/**
 * The regions outside the home region that the pipeline deploys to (each
 * environment's region, its audit replica's and its detection regions'): each
 * needs an artifact store of the pipeline, in sorted order.
 */
export function deliverySupportRegions(estate: EstateConfig): string[] {
  const regions = new Set(
    estate.environments.flatMap((e) => [e.region, e.auditReplicaRegion, ...detectionRegions(estate, e)]),
  );
  regions.delete(estate.organization.homeRegion);
  return [...regions].sort();
}
