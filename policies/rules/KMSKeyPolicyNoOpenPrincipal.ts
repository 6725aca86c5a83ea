import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from './helpers';

const isWildcard = (principal: unknown): boolean =>
  principal === '*' || (typeof principal === 'object' && principal !== null && [(principal as any).AWS].flat().includes('*'));

/** No statement of a key policy allows the `*` principal without a condition. */
export function KMSKeyPolicyNoOpenPrincipal(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
  const statements = [rendered(node).KeyPolicy?.Statement ?? []].flat();
  const open = statements.some((s: any) => s?.Effect === 'Allow' && isWildcard(s.Principal) && (!s.Condition || Object.keys(s.Condition).length === 0));
  return open ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
