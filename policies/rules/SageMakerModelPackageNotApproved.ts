import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { rendered } from './helpers';

/** A template never registers a model package as Approved: only the approval gate or a model-risk approver may. */
export function SageMakerModelPackageNotApproved(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::SageMaker::ModelPackage') return NagRuleCompliance.NOT_APPLICABLE;
  const status = rendered(node).ModelApprovalStatus;
  return status === undefined || status === 'PendingManualApproval' || status === 'Rejected'
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
