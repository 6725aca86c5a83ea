import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { AUDIT_RETENTION_FLOOR_DAYS, retentionDays } from '../regulatory-floors';
import { environmentType, refersTo, rendered, siblings, tagsOf } from './helpers';

/** Tag that marks a bucket holding audit records (set by the constructs that create them). */
export const AUDIT_RECORDS_TAG = 'estate:records';

/**
 * A bucket that holds audit records (a trail's destination, or tagged as
 * such) has Object Lock in COMPLIANCE mode with a default retention of at
 * least the floor of its environment.
 */
export function AuditBucketLocked(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
  const mine = siblings(node).find((s) => s.resource === node)!;
  const trailTarget = siblings(node).some(
    ({ resource }) =>
      resource.cfnResourceType === 'AWS::CloudTrail::Trail' && refersTo(rendered(resource).S3BucketName, mine.id),
  );
  if (!trailTarget && tagsOf(node)[AUDIT_RECORDS_TAG] !== 'audit') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const retention = p.ObjectLockConfiguration?.Rule?.DefaultRetention;
  const days = retention ? Number(retention.Days ?? 0) + retentionDays(Number(retention.Years ?? 0)) : 0;
  const floors: Readonly<Record<string, number>> = AUDIT_RETENTION_FLOOR_DAYS;
  const floor = floors[environmentType(node) ?? 'prod'] ?? floors.prod;
  const ok =
    (p.ObjectLockEnabled === true || p.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') &&
    retention?.Mode === 'COMPLIANCE' &&
    days >= floor;
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
