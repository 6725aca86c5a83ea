import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { OrganizationalUnit } from '../../constructs/organizational-unit';
import { ServiceControlPolicy } from '../../constructs/service-control-policy';
import { tagEstateResources } from '../aspects/tagging';
import { EstateConfig } from '../config';
import { guardedAccounts, serviceControlPolicyPlans } from '../props/organization';

// The guardrails' view of the estate lives with the config; the policy tests take it from here with the stack.
export { scpContext } from '../config/scp-context';

export interface OrganizationStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  readonly estate: EstateConfig;
}

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
  readonly units: Record<string, OrganizationalUnit> = {};
  readonly policies: Record<string, ServiceControlPolicy> = {};

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

    const unit = (unitId: string, name: string, parentId: string) =>
      (this.units[unitId] = new OrganizationalUnit(this, unitId, { name, parentId }));
    const security = unit('SecurityUnit', 'Security', org.rootId);
    const workloads = unit('MLWorkloadsUnit', 'ML Workloads', org.rootId);
    for (const type of new Set(estate.environments.map((e) => e.type))) {
      unit(`${UNIT_NAMES[type]}Unit`, `ML ${UNIT_NAMES[type]}`, workloads.attrId);
    }

    const qualifier = this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier');
    const plans = serviceControlPolicyPlans(estate, qualifier, {
      'units-and-accounts': [security.attrId, workloads.attrId, ...guardedAccounts(estate)],
      root: [org.rootId],
    });
    for (const scp of plans) this.policies[scp.name] = new ServiceControlPolicy(this, scp.id, scp.props);

    tagEstateResources(this, estate);
  }
}
