import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { MIN_LOG_RETENTION_DAYS } from '../regulatory-floors';
import { rendered } from './helpers';

/**
 * A log group keeps events at least MIN_LOG_RETENTION_DAYS (365) days (or never expires them) and is encrypted with a
 * customer key.
 */
export function LogGroupRetainedEncrypted(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const retentionOk = p.RetentionInDays === undefined || Number(p.RetentionInDays) >= MIN_LOG_RETENTION_DAYS;
  return retentionOk && Boolean(p.KmsKeyId) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
