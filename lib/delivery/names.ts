import type { EnvironmentConfig, EstateConfig } from '../config/schema';

/**
 * Names the delivery pipeline and the environments agree on without a
 * cross-account reference: the pipeline's gate step role (tooling account)
 * and each environment's deployment gate function.
 */

/** Role the pipeline's pre-prod gate step runs under, in the tooling account. */
export const DEPLOYMENT_GATE_STEP_ROLE = (organization: string): string => `${organization}-pipeline-deployment-gate`;

/** The deployment gate function of one environment. */
export const deploymentGateFunctionName = (organization: string, environment: string): string => `${organization}-${environment}-deployment-gate`;

/**
 * The environment prod promotes from: the first staging environment. Its
 * registry holds the approved versions prod serves, and its deployment gate
 * judges them before the pipeline deploys prod.
 */
export function promotionSource(estate: EstateConfig): EnvironmentConfig | undefined {
  return estate.environments.find((e) => e.type === 'staging');
}

/** Accounts of the prod environments that serve approved versions from the promotion source's registry. */
export function servingAccounts(estate: EstateConfig): string[] {
  const serving = new Set(estate.models.flatMap((m) => Object.entries(m.endpoints).filter(([, e]) => e.variants.some((v) => v.modelPackageVersion !== undefined)).map(([env]) => env)));
  return estate.environments.filter((e) => serving.has(e.name)).map((e) => e.account);
}
