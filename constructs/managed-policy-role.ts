import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * An IAM role whose granted permissions live in one customer-managed policy
 * instead of an inline one. `grant*()` calls and `addToPrincipalPolicy()` land
 * in that managed policy, so the usual CDK wiring works while the role carries
 * no inline policy (NIST 800-53 AC-6, PCI DSS 7.2.1: permissions are
 * versioned, reviewable objects).
 */
export class ManagedPolicyRole extends iam.Role {
  private permissions?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    if (props.inlinePolicies && Object.keys(props.inlinePolicies).length > 0) {
      throw new Error(`ManagedPolicyRole ${id}: inline policies are not allowed; grant permissions instead`);
    }
    super(scope, id, props);
  }

  /** The managed policy that holds this role's grants (created on the first grant). */
  get permissionsPolicy(): iam.ManagedPolicy | undefined {
    return this.permissions;
  }

  override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.permissions) {
      this.permissions = new iam.ManagedPolicy(this, 'Grants', {
        // The path as CloudFormation sees it: a `Default` scope, left out of logical IDs, is left out here too.
        description: `Permissions of ${this.node.path
          .split('/')
          .filter((id) => id !== 'Default')
          .join('/')}`,
        roles: [this],
      });
    }
    this.permissions.addStatements(statement);
    return { statementAdded: true, policyDependable: this.permissions };
  }
}
