import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from './helpers';

/** Both stores of a feature group that has them are encrypted with a customer key. */
export function SageMakerFeatureGroupEncrypted(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::FeatureGroup') return NagRuleCompliance.NOT_APPLICABLE;
  const p = rendered(node);
  const online = p.OnlineStoreConfig;
  const offline = p.OfflineStoreConfig;
  if (!online && !offline) return NagRuleCompliance.NON_COMPLIANT;
  const onlineOk = !online || online.EnableOnlineStore === false || Boolean(online.SecurityConfig?.KmsKeyId);
  const offlineOk = !offline || Boolean(offline.S3StorageConfig?.KmsKeyId);
  return onlineOk && offlineOk ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}
