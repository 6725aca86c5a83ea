import { Stage, StageProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Aspects } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig, EstateConfig } from '../config/schema';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { auditReplicaLocation } from '../../constructs/audit-replica';
import { AuditReplicaStack } from '../stacks/audit-replica-stack';
import { FoundationStack } from '../stacks/foundation-stack';
import { ModelGovernanceStack } from '../stacks/model-governance-stack';

export interface EnvironmentStageProps extends Omit<StageProps, 'env'> {
  readonly estate: EstateConfig;
  readonly environment: EnvironmentConfig;
}

/**
 * One environment (dev, staging or prod) in its own account and region. Its
 * stacks share the foundation; estate-wide rules are applied here as Aspects:
 * tags, the permissions boundary on every role, and the retention policy of
 * stateful resources.
 */
export class EnvironmentStage extends Stage {
  readonly foundation: FoundationStack;
  readonly auditReplica: AuditReplicaStack;
  readonly governance: ModelGovernanceStack;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { estate, environment, ...rest } = props;
    super(scope, id, { ...rest, env: { account: environment.account, region: environment.region } });

    const prefix = `${estate.organization.name}-${environment.name}`;
    const replicaLocation = auditReplicaLocation(environment.account, environment.auditReplicaRegion, prefix);
    this.auditReplica = new AuditReplicaStack(this, 'AuditReplica', {
      environment,
      location: replicaLocation,
      description: `${estate.organization.name} ${environment.name}: locked second-region copy of the audit logs`,
    });
    this.foundation = new FoundationStack(this, 'Foundation', {
      environment,
      organization: estate.organization.name,
      auditReplica: replicaLocation,
      breakGlassRoleName: estate.organization.breakGlassRoleName,
      trustedAccount: estate.organization.identityAccount ?? environment.account,
      description: `${estate.organization.name} ${environment.name}: keys, isolated network, audit trail, permissions boundary`,
    });
    // The audit bucket's replication rule needs its destination to exist.
    this.foundation.addStackDependency(this.auditReplica, 'audit logs replicate into the replica bucket');

    this.governance = new ModelGovernanceStack(this, 'ModelGovernance', {
      environment,
      estate,
      keys: this.foundation.keys,
      network: this.foundation.network,
      auditReplica: replicaLocation,
      description: `${estate.organization.name} ${environment.name}: model registry, approval gate, decision records`,
    });

    for (const [key, value] of Object.entries(estate.tags)) {
      Tags.of(this).add(key, value);
    }
    Tags.of(this).add('estate:organization', estate.organization.name);
    Tags.of(this).add('estate:environment', environment.name);
    Tags.of(this).add('estate:environment-type', environment.type);
    Tags.of(this).add('data-classification', environment.dataClassification);

    iam.PermissionsBoundary.of(this).apply(this.foundation.permissionsBoundary);
    const retain = environment.type !== 'dev' || environment.flags.retainStatefulResources !== false;
    Aspects.of(this).add(new StatefulResourcePolicy(retain));
  }
}
