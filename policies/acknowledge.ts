import { CfnResource, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Shortest reason a reviewer accepts for an acknowledged finding. */
export const MIN_ACKNOWLEDGEMENT_REASON = 20;

/**
 * Acknowledges compliance findings on one resource, one rule ID per
 * acknowledgement, with a reason a reviewer can check.
 *
 * Refuses (throws) a reason under 20 characters, and any target that is not
 * a CloudFormation resource or an L2 construct wrapping one: findings are
 * never acknowledged for a whole stack or stage.
 */
export function acknowledgeFindings(target: IConstruct, ruleIds: readonly string[], reason: string): void {
  const resource = CfnResource.isCfnResource(target) ? target : target.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(
      `acknowledgeFindings: ${target.node.path} is not a resource; acknowledge findings on the resource that has them`,
    );
  }
  if (reason.trim().length < MIN_ACKNOWLEDGEMENT_REASON) {
    throw new Error(
      `acknowledgeFindings: the reason for ${ruleIds.join(', ')} on ${target.node.path} is under ${MIN_ACKNOWLEDGEMENT_REASON} characters`,
    );
  }
  for (const id of ruleIds) {
    Validations.of(resource).acknowledge({ id, reason });
  }
}

/** The replication rule of the three packs that have one. */
const REPLICATION_RULES = [
  'NIST.800.53.R5-S3BucketReplicationEnabled',
  'PCI.DSS.321-S3BucketReplicationEnabled',
  'HIPAA.Security-S3BucketReplicationEnabled',
];

/** Acknowledges, with the reason, that a bucket is not replicated to a second region. */
export function acknowledgeNoReplication(bucket: IConstruct, reason: string): void {
  acknowledgeFindings(bucket, REPLICATION_RULES, reason);
}
