import { RemovalPolicy } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';

export interface ServiceControlPolicyProps {
  /** Name of the policy in Organizations. */
  readonly policyName: string;
  readonly description: string;
  /** The policy document. */
  readonly document: object;
  /** The root, OUs and accounts it is attached to. */
  readonly targetIds: readonly string[];
}

/**
 * A service control policy attached to the given targets, retained when removed from the stack (a guardrail is
 * lifted by a change that detaches it, never by a stack's deletion). A CfnPolicy, so that a stack that had the L1
 * inline adopts it under the same id.
 */
export class ServiceControlPolicy extends organizations.CfnPolicy {
  constructor(scope: Construct, id: string, props: ServiceControlPolicyProps) {
    super(scope, id, {
      name: props.policyName,
      description: props.description,
      type: 'SERVICE_CONTROL_POLICY',
      content: props.document,
      targetIds: [...props.targetIds],
    });
    this.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
