import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';
import {
  policySize,
  SCP_SIZE_LIMIT,
  ScpAttachment,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { tagEstateResources } from '../aspects/tagging';
import { EstateConfig } from '../config';
import { scpContext } from '../config/scp-context';

// The guardrails' view of the estate lives with the config; the policy tests take it from here with the stack.
export { scpContext } from '../config/scp-context';

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
      throw new Error(
        'OrganizationStack needs organization.managementAccount and organization.rootId in the estate config',
      );
    }
    super(scope, id, {
      ...rest,
      env: { account: org.managementAccount, region: org.homeRegion },
      terminationProtection: true,
    });

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

    const accounts = [
      ...estate.environments.map((e) => e.account),
      ...(estate.delivery ? [estate.delivery.account] : []),
    ];
    const targets: Record<ScpAttachment, string[]> = {
      'units-and-accounts': [security.attrId, workloads.attrId, ...accounts],
      root: [org.rootId],
    };
    const scps = serviceControlPolicies(
      scpContext(estate, this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier')),
    );
    // AWS attaches at most 5 SCPs to a root, OU or account, FullAWSAccess among them.
    for (const attachment of Object.keys(targets) as ScpAttachment[]) {
      const count = scps.filter((p) => p.attachment === attachment).length;
      if (count > SCPS_PER_TARGET)
        throw new Error(
          `${count} service control policies for the ${attachment}, but a target takes ${SCPS_PER_TARGET} besides FullAWSAccess`,
        );
    }
    for (const scp of scps) {
      if (policySize(scp) > SCP_SIZE_LIMIT) {
        throw new Error(
          `service control policy ${scp.name} is ${policySize(scp)} characters, over AWS's ${SCP_SIZE_LIMIT}`,
        );
      }
      const policy = new organizations.CfnPolicy(
        this,
        scp.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
        {
          name: `${org.name}-${scp.name}`,
          description: scp.description,
          type: 'SERVICE_CONTROL_POLICY',
          content: scp.document,
          targetIds: targets[scp.attachment],
        },
      );
      policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.policies[scp.name] = policy;
    }

    tagEstateResources(this, estate);
  }
}
