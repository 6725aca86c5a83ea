import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import { cdkDeploymentRoleArn, cdkDeployRoleArn, DEFAULT_BOOTSTRAP_QUALIFIER, policySize, SCP_SIZE_LIMIT, ScpAttachment, ScpContext, serviceControlPolicies, TOOLING_BOOTSTRAP_ROLE } from '../../policies/scp/service-control-policies';
import { tagEstateResources } from '../aspects/tagging';
import { EstateConfig } from '../config';
import { approvalGateRoleName, approverRoleName, DEPLOYMENT_GATE_STEP_ROLE, modelArtifactsBucketName, PIPELINE_ROLE_PATH, replicaArtifactBucketName, TRAINING_ROLE_PATH } from '../delivery/names';

export interface OrganizationStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  readonly estate: EstateConfig;
}

/** Organizations' limit of 5 SCPs per target, less FullAWSAccess. */
const SCPS_PER_TARGET = 4;

const UNIT_NAMES: Record<string, string> = { dev: 'Dev', staging: 'Staging', prod: 'Prod' };

/**
 * The organization's guardrails, in the management account: a Security OU, an
 * ML Workloads OU with one OU per environment type beneath it, and the service
 * control policies, attached to both top OUs and directly to every
 * environment account and the tooling account (so they bind an adopted
 * account before it is moved), but for those that name only the environment
 * accounts' own resources, attached at the root (binding those accounts
 * wherever they sit, and no other account's resources).
 */
export class OrganizationStack extends Stack {
  readonly units: Record<string, organizations.CfnOrganizationalUnit> = {};
  readonly policies: Record<string, organizations.CfnPolicy> = {};

  constructor(scope: Construct, id: string, props: OrganizationStackProps) {
    const { estate, ...rest } = props;
    const org = estate.organization;
    if (!org.managementAccount || !org.rootId) {
      throw new Error('OrganizationStack needs organization.managementAccount and organization.rootId in the estate config');
    }
    super(scope, id, { ...rest, env: { account: org.managementAccount, region: org.homeRegion }, terminationProtection: true });

    const unit = (unitId: string, name: string, parentId: string) => {
      const ou = new organizations.CfnOrganizationalUnit(this, unitId, { name, parentId });
      ou.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.units[unitId] = ou;
      return ou;
    };
    const security = unit('SecurityUnit', 'Security', org.rootId);
    const workloads = unit('MLWorkloadsUnit', 'ML Workloads', org.rootId);
    for (const type of new Set(estate.environments.map((e) => e.type))) {
      unit(`${UNIT_NAMES[type]}Unit`, `ML ${UNIT_NAMES[type]}`, workloads.attrId);
    }

    const accounts = [...estate.environments.map((e) => e.account), ...(estate.delivery ? [estate.delivery.account] : [])];
    const targets: Record<ScpAttachment, string[]> = { 'units-and-accounts': [security.attrId, workloads.attrId, ...accounts], root: [org.rootId] };
    const scps = serviceControlPolicies(scpContext(estate, this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier')));
    // AWS attaches at most 5 SCPs to a root, OU or account, FullAWSAccess among them.
    for (const attachment of Object.keys(targets) as ScpAttachment[]) {
      const count = scps.filter((p) => p.attachment === attachment).length;
      if (count > SCPS_PER_TARGET) throw new Error(`${count} service control policies for the ${attachment}, but a target takes ${SCPS_PER_TARGET} besides FullAWSAccess`);
    }
    for (const scp of scps) {
      if (policySize(scp) > SCP_SIZE_LIMIT) {
        throw new Error(`service control policy ${scp.name} is ${policySize(scp)} characters, over AWS's ${SCP_SIZE_LIMIT}`);
      }
      const policy = new organizations.CfnPolicy(this, scp.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()), {
        name: `${org.name}-${scp.name}`,
        description: scp.description,
        type: 'SERVICE_CONTROL_POLICY',
        content: scp.document,
        targetIds: targets[scp.attachment],
      });
      policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.policies[scp.name] = policy;
    }

    tagEstateResources(this, estate);
  }
}

/**
 * What the guardrails need to know of the estate: the break-glass role exists
 * only in the environment accounts; the estate deploys (environments and
 * pipeline) through the CDK CloudFormation execution role of each account and
 * region it deploys to, named exactly; its stacks are `<environment>-*` and
 * `<organization>-*`; the tooling account, when there is one, runs the pipeline.
 */
const commonPrefix = (a: string, b: string): string => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(0, i);
};

export function scpContext(estate: EstateConfig, bootstrapQualifier: string = DEFAULT_BOOTSTRAP_QUALIFIER): ScpContext {
  const org = estate.organization;
  const environmentAccounts = [...new Set(estate.environments.map((e) => e.account))];
  const deployedTo = estate.environments.flatMap((e) => [e.region, e.auditReplicaRegion].map((region) => [e.account, region] as const));
  if (estate.delivery) {
    // The pipeline's stack in the home region, its artifact stores wherever a stage deploys.
    for (const region of [org.homeRegion, ...estate.environments.flatMap((e) => [e.region, e.auditReplicaRegion])]) deployedTo.push([estate.delivery.account, region]);
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
    deploymentRoleArns: [...new Set(deployedTo.map(([account]) => cdkDeploymentRoleArn(account, '*', bootstrapQualifier)))],
    deployRoleArns: [...new Set(deployedTo.map(([account]) => cdkDeployRoleArn(account, '*', bootstrapQualifier)))],
    bootstrapQualifier,
    stackNamePrefixes: [...new Set([...estate.environments.map((e) => e.name), org.name])],
    prodAccounts: [...new Set(estate.environments.filter((e) => e.type === 'prod').map((e) => e.account))],
    deliveryAccount: estate.delivery?.account,
    // The training roles' path is what the artifact bucket trusts to write the gate's evidence; that bucket's policy holds the rule.
    protectedResources: [`arn:*:iam::*:role${TRAINING_ROLE_PATH}*`, `arn:*:iam::*:role${PIPELINE_ROLE_PATH}*`, `arn:*:s3:::${modelArtifactsBucketName('*', '*')}`],
    bootstrapAccounts: [...new Set(deployedTo.map(([account]) => account))],
    toolingBootstrapRoles: estate.delivery ? [`arn:*:iam::${estate.delivery.account}:role/${TOOLING_BOOTSTRAP_ROLE}`] : [],
    trustedRoles: [
      `arn:*:iam::*:role/${approverRoleName(org.name, '*')}`,
      `arn:*:iam::*:role/${approvalGateRoleName(org.name, '*')}`,
      `arn:*:iam::*:role/${DEPLOYMENT_GATE_STEP_ROLE(org.name).replace(/deployment-gate$/, '*')}`,
      `arn:*:iam::*:role${TRAINING_ROLE_PATH}*`,
      `arn:*:iam::*:role${PIPELINE_ROLE_PATH}*`,
    ],
    selfPassingRoles: [`arn:*:iam::*:role${TRAINING_ROLE_PATH}*`],
    // The home store: CloudFormation names it `<org>-delivery-artifacts<id>-<suffix>`; the replica stores have fixed names.
    pipelineBuckets: estate.delivery ? [`arn:*:s3:::${org.name}-delivery-artifacts*`, `arn:*:s3:::${replicaArtifactBucketName(estate.delivery.account, '*')}`] : [],
    pipelineRoles: estate.delivery ? [`arn:*:iam::${estate.delivery.account}:role${PIPELINE_ROLE_PATH}*`] : [],
    // One pattern per environment for both roles (`<org>-<env>-appro*`), for room; ProtectTheEstate reserves such names.
    approverRoleArns: estate.environments.map((e) => `arn:*:iam::${e.account}:role/${commonPrefix(approverRoleName(org.name, e.name), approvalGateRoleName(org.name, e.name))}*`),
  };
}
