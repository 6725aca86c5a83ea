import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from './helpers';
import { isEventBridgeTargetKeyUse, unsupportedSourceKeys } from '../validation/eventbridge-key-use';

const isWildcard = (principal: unknown): boolean =>
  principal === '*' ||
  (typeof principal === 'object' && principal !== null && [(principal as any).AWS].flat().includes('*'));

/** Condition keys that tie a service's use of the key to this account's own resources (confused deputy). */
const SOURCE_KEYS = [
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'kms:encryptioncontext:aws:logs:arn',
];

const conditionKeys = (s: any): string[] =>
  Object.values((s?.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((t) =>
    Object.keys(t ?? {}).map((k) => k.toLowerCase()),
  );

const servicePrincipals = (principal: unknown): unknown[] =>
  typeof principal === 'object' && principal !== null ? [(principal as any).Service ?? []].flat() : [];

/**
 * No statement of a key policy allows the `*` principal without a condition,
 * nor an AWS service without naming the source it acts for
 * (`aws:SourceAccount`, `aws:SourceArn`, ...): a service grant without one
 * lets any account's use of that service reach the key. The exception is
 * EventBridge's delivery to encrypted topics and queues, for which AWS
 * documents the statement without a source (KMS never receives one there):
 * that form is compliant, and a source condition on it is not.
 */
export function KMSKeyPolicyNoOpenPrincipal(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::KMS::Key') return NagRuleCompliance.NOT_APPLICABLE;
  const statements = [rendered(node).KeyPolicy?.Statement ?? []].flat();
  const open = statements.some(
    (s: any) =>
      s?.Effect === 'Allow' && isWildcard(s.Principal) && (!s.Condition || Object.keys(s.Condition).length === 0),
  );
  const unsourced = statements.some(
    (s: any) =>
      s?.Effect === 'Allow' &&
      servicePrincipals(s.Principal).length > 0 &&
      !isEventBridgeTargetKeyUse(s) &&
      !conditionKeys(s).some((k) => SOURCE_KEYS.includes(k)),
  );
  // EventBridge's delivery to encrypted topics and queues never sends a source to KMS: a condition there drops every
  // event.
  const unsatisfiable = statements.some(
    (s: any) => isEventBridgeTargetKeyUse(s) && unsupportedSourceKeys(s).length > 0,
  );
  return open || unsourced || unsatisfiable ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
