import { RemovalPolicy } from 'aws-cdk-lib';
import * as organizations from 'aws-cdk-lib/aws-organizations';
import { Construct } from 'constructs';

export interface OrganizationalUnitProps {
  /** Name of the OU in Organizations. */
  readonly name: string;
  /** The root or OU it sits under. */
  readonly parentId: string;
}

/**
 * An organizational unit, retained when removed from the stack: deleting an OU would first need its accounts moved
 * out, and the guardrails attached to it would stop binding them. A CfnOrganizationalUnit, so that a stack that had
 * the L1 inline adopts it under the same id.
 */
export class OrganizationalUnit extends organizations.CfnOrganizationalUnit {
  constructor(scope: Construct, id: string, props: OrganizationalUnitProps) {
    super(scope, id, { name: props.name, parentId: props.parentId });
    this.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
