/**
 * The organization stack's guardrails, as the config sets them: the accounts they bind directly, and each service
 * control policy with its construct id and targets, checked against Organizations' limits.
 */
import { ServiceControlPolicyProps } from '../../constructs/service-control-policy';
import {
  policySize,
  SCP_SIZE_LIMIT,
  ScpAttachment,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { EstateConfig } from '../config';
import { scpContext } from '../config/scp-context';

/** Organizations' limit of 5 SCPs per target, less FullAWSAccess. */
const SCPS_PER_TARGET = 4;

/** Every environment account and the tooling account: the guardrails bind each directly, wherever it sits. */
export const guardedAccounts = (estate: EstateConfig): string[] => [
  ...estate.environments.map((e) => e.account),
  ...(estate.delivery ? [estate.delivery.account] : []),
];

/** A service control policy: its short name, the id of its construct, and the construct's props. */
export interface ServiceControlPolicyPlan {
  readonly name: string;
  readonly id: string;
  readonly props: ServiceControlPolicyProps;
}

/**
 * The estate's service control policies, each attached to the targets of its attachment. Throws, naming each, when
 * a target would take more than Organizations allows or a policy is over AWS's size limit.
 */
export function serviceControlPolicyPlans(
  estate: EstateConfig,
  bootstrapQualifier: string | undefined,
  targets: Readonly<Record<ScpAttachment, readonly string[]>>,
): ServiceControlPolicyPlan[] {
  const scps = serviceControlPolicies(scpContext(estate, bootstrapQualifier));
  // AWS attaches at most 5 SCPs to a root, OU or account, FullAWSAccess among them.
  for (const attachment of Object.keys(targets) as ScpAttachment[]) {
    const count = scps.filter((p) => p.attachment === attachment).length;
    if (count > SCPS_PER_TARGET)
      throw new Error(
        `${count} service control policies for the ${attachment}, but a target takes ${SCPS_PER_TARGET} besides FullAWSAccess`,
      );
  }
  const tooLarge = scps.find((scp) => policySize(scp) > SCP_SIZE_LIMIT);
  if (tooLarge)
    throw new Error(
      `service control policy ${tooLarge.name} is ${policySize(tooLarge)} characters, over AWS's ${SCP_SIZE_LIMIT}`,
    );
  return scps.map((scp) => ({
    name: scp.name,
    id: scp.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
    props: {
      policyName: `${estate.organization.name}-${scp.name}`,
      description: scp.description,
      document: scp.document,
      targetIds: targets[scp.attachment],
    },
  }));
}
