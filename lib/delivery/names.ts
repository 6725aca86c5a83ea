import type { EnvironmentConfig, EstateConfig } from '../config';

/**
 * Names the delivery pipeline and the environments agree on without a
 * cross-account reference: the pipeline's gate step role (tooling account)
 * and each environment's deployment gate function.
 */

/**
 * IAM path of the pipeline's own roles in the tooling account (the pipeline's,
 * its actions' and its CodeBuild projects'): the guardrails let only roles
 * under it assume the target accounts' bootstrap roles or start the
 * pipeline's builds, and only the deploy creates or changes a role there.
 */
export const PIPELINE_ROLE_PATH = '/estate-pipeline/';

/** Role the pipeline's pre-prod gate step runs under, in the tooling account. */
export const DEPLOYMENT_GATE_STEP_ROLE = (organization: string): string => `${organization}-pipeline-deployment-gate`;

/**
 * Roles that may set a model package Approved, named so that the
 * organization's guardrails can name them by exact ARN (no cross-account
 * reference): the model-risk approver persona and the approval gate of one
 * environment. At most 32 + 1 + 16 + 14 = 63 characters (IAM allows 64).
 */
export const approverRoleName = (organization: string, environment: string): string => `${organization}-${environment}-approver`;
export const approvalGateRoleName = (organization: string, environment: string): string => `${organization}-${environment}-approval-gate`;

/** The deployment gate function of one environment. */
export const deploymentGateFunctionName = (organization: string, environment: string): string => `${organization}-${environment}-deployment-gate`;

/**
 * The environment prod promotes from: the staging environment that prod's
 * `promoteFrom` names (config requires it, and the same one for every prod).
 * Its registry holds the approved versions prod serves, and its deployment
 * gate judges them before the pipeline deploys prod. An estate without prod
 * has none.
 */
export function promotionSource(estate: EstateConfig): EnvironmentConfig | undefined {
  const from = estate.environments.find((e) => e.type === 'prod' && e.promoteFrom !== undefined)?.promoteFrom;
  return from === undefined ? undefined : estate.environments.find((e) => e.name === from);
}

/**
 * Accounts of the environments that serve approved versions from the promotion
 * source's registry, or will once one is approved (an endpoint awaiting approval
 * is shared with ahead of its first version, so that adding the version is all
 * it takes).
 */
export function servingAccounts(estate: EstateConfig): string[] {
  const serving = new Set(
    estate.models.flatMap((m) =>
      Object.entries(m.endpoints)
        .filter(([, e]) => e.awaitingApproval || e.variants.some((v) => v.modelPackageVersion !== undefined))
        .map(([env]) => env),
    ),
  );
  // The promotion source serves its own registry's versions (its staging bake): no grant to itself.
  const source = promotionSource(estate)?.name;
  return estate.environments.filter((e) => serving.has(e.name) && e.name !== source).map((e) => e.account);
}
