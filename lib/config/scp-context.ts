import {
  cdkDeploymentRoleArn,
  cdkDeployRoleArn,
  DEFAULT_BOOTSTRAP_QUALIFIER,
  ScpContext,
  TOOLING_BOOTSTRAP_ROLE,
} from '../../policies/scp/service-control-policies';
import {
  approvalGateRoleName,
  approverRoleName,
  DEPLOYMENT_GATE_STEP_ROLE,
  modelArtifactsBucketName,
  PIPELINE_ROLE_PATH,
  replicaArtifactBucketName,
  TRAINING_ROLE_PATH,
} from '../delivery/names';
import type { EstateConfig } from '.';
import { baselineCopiesFrom } from '../delivery/baseline-copies';
import { MAX_EXACT_BASELINE_READERS } from '../../constructs/baseline-copy';

/**
 * The accounts whose copiers the promotion source's approved-model bucket admits by role-name suffix: those of
 * its copiers when there are more than it names exactly (baselineReadStatements), none otherwise.
 */
export function baselineCopierSuffixAccounts(estate: EstateConfig): string[] {
  const copies = estate.environments.flatMap((e) => baselineCopiesFrom(estate, e));
  if (copies.length <= MAX_EXACT_BASELINE_READERS) return [];
  return [...new Set(copies.map((c) => c.environment.account))];
}

/** The longest common start of two names. */
const commonPrefix = (a: string, b: string): string => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(0, i);
};

/**
 * What the guardrails need to know of the estate: the break-glass role exists
 * only in the environment accounts; the estate deploys (environments and
 * pipeline) through the CDK CloudFormation execution role of each account and
 * region it deploys to, named exactly; its stacks are `<environment>-*` and
 * `<organization>-*`; the tooling account, when there is one, runs the pipeline.
 */
export function scpContext(estate: EstateConfig, bootstrapQualifier: string = DEFAULT_BOOTSTRAP_QUALIFIER): ScpContext {
  const org = estate.organization;
  const environmentAccounts = [...new Set(estate.environments.map((e) => e.account))];
  const deployedTo = estate.environments.flatMap((e) =>
    [e.region, e.auditReplicaRegion].map((region) => [e.account, region] as const),
  );
  if (estate.delivery) {
    // The pipeline's stack in the home region, its artifact stores wherever a stage deploys.
    for (const region of [org.homeRegion, ...estate.environments.flatMap((e) => [e.region, e.auditReplicaRegion])])
      deployedTo.push([estate.delivery.account, region]);
  }
  return {
    organization: org.name,
    allowedRegions: org.allowedRegions,
    breakGlassRoleName: org.breakGlassRoleName,
    breakGlassAccounts: environmentAccounts,
    // One pattern per account, any region: `<acct>-*` (the region suffix). Exact per account and region, the
    // lists grew with every pair and no longer fit AWS's 5,120 characters for four environments over two
    // regions. The pattern cannot be claimed: no one but break-glass creates or changes a `cdk-<q>-*` role
    // (ProtectTheDeploymentRoles), in every account these policies bind.
    deploymentRoleArns: [
      ...new Set(deployedTo.map(([account]) => cdkDeploymentRoleArn(account, '*', bootstrapQualifier))),
    ],
    deployRoleArns: [...new Set(deployedTo.map(([account]) => cdkDeployRoleArn(account, '*', bootstrapQualifier)))],
    bootstrapQualifier,
    stackNamePrefixes: [...new Set([...estate.environments.map((e) => e.name), org.name])],
    prodAccounts: [...new Set(estate.environments.filter((e) => e.type === 'prod').map((e) => e.account))],
    baselineCopierAccounts: baselineCopierSuffixAccounts(estate),
    deliveryAccount: estate.delivery?.account,
    // The training roles' path is what the artifact bucket trusts to write the gate's evidence; that bucket's policy
    // holds the rule.
    protectedResources: [
      `arn:*:iam::*:role${TRAINING_ROLE_PATH}*`,
      `arn:*:iam::*:role${PIPELINE_ROLE_PATH}*`,
      `arn:*:s3:::${modelArtifactsBucketName('*', '*')}`,
    ],
    bootstrapAccounts: [...new Set(deployedTo.map(([account]) => account))],
    toolingBootstrapRoles: estate.delivery
      ? [`arn:*:iam::${estate.delivery.account}:role/${TOOLING_BOOTSTRAP_ROLE}`]
      : [],
    trustedRoles: [
      `arn:*:iam::*:role/${approverRoleName(org.name, '*')}`,
      `arn:*:iam::*:role/${approvalGateRoleName(org.name, '*')}`,
      `arn:*:iam::*:role/${DEPLOYMENT_GATE_STEP_ROLE(org.name).replace(/deployment-gate$/, '*')}`,
      `arn:*:iam::*:role${TRAINING_ROLE_PATH}*`,
      `arn:*:iam::*:role${PIPELINE_ROLE_PATH}*`,
    ],
    selfPassingRoles: [`arn:*:iam::*:role${TRAINING_ROLE_PATH}*`],
    // The home store: CloudFormation names it `<org>-delivery-artifacts<id>-<suffix>`; the replica stores have fixed
    // names.
    pipelineBuckets: estate.delivery
      ? [
          `arn:*:s3:::${org.name}-delivery-artifacts*`,
          `arn:*:s3:::${replicaArtifactBucketName(estate.delivery.account, '*')}`,
        ]
      : [],
    pipelineRoles: estate.delivery ? [`arn:*:iam::${estate.delivery.account}:role${PIPELINE_ROLE_PATH}*`] : [],
    // One pattern per environment for both roles (`<org>-<env>-appro*`), for room; ProtectTheEstate reserves such
    // names.
    approverRoleArns: estate.environments.map(
      (e) =>
        `arn:*:iam::${e.account}:role/${commonPrefix(approverRoleName(org.name, e.name), approvalGateRoleName(org.name, e.name))}*`,
    ),
  };
}
