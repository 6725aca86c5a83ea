import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isTrue, rendered } from './helpers';

/** A trail records every region, validates its files, is KMS-encrypted and records S3 object data events. */
export function CloudTrailAuditGrade(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::CloudTrail::Trail') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const basicData = (p.EventSelectors ?? []).some((s: any) =>
    (s.DataResources ?? []).some((d: any) => d.Type === 'AWS::S3::Object'),
  );
  const advancedData = (p.AdvancedEventSelectors ?? []).some((s: any) => {
    const fields = s.FieldSelectors ?? [];
    const is = (field: string, value: string) =>
      fields.some((f: any) => f.Field === field && (f.Equals ?? []).includes(value));
    return is('eventCategory', 'Data') && is('resources.type', 'AWS::S3::Object');
  });
  const ok =
    isTrue(p.IsMultiRegionTrail) &&
    isTrue(p.EnableLogFileValidation) &&
    Boolean(p.KMSKeyId) &&
    (basicData || advancedData);
  return ok ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
