import { Construct } from 'constructs';
import { AuditReplica, AuditReplicaLocation } from '../../constructs/audit-replica';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateStack, EstateStackProps } from './estate-stack';

export interface AuditReplicaStackProps extends Omit<EstateStackProps, 'region'> {
  readonly location: AuditReplicaLocation;
}

/**
 * The environment's audit-log replica, in its second region. Deployed before
 * the foundation, whose audit bucket replicates into it.
 */
export class AuditReplicaStack extends EstateStack {
  readonly replica: AuditReplica;

  constructor(scope: Construct, id: string, props: AuditReplicaStackProps) {
    super(scope, id, { ...props, region: props.location.region });
    this.replica = new AuditReplica(this, 'AuditReplica', {
      location: props.location,
      retentionYears: props.environment.auditLogRetentionYears,
    });
    StatefulResourcePolicy.alwaysRetain(this.replica);
  }
}
