import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AuditReplicaLocation } from '../../constructs/audit-replica';
import { AuditTrail } from '../../constructs/audit-trail';
import { BreakGlassRole } from '../../constructs/break-glass-role';
import { DetectiveControls } from '../../constructs/detective-controls';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { NamedPrincipals } from '../../constructs/named-principals';
import { workloadBoundaryStatements } from '../../policies/workload-boundary';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateStack, EstateStackProps } from './estate-stack';
import { acknowledgeBoundaryFindings } from '../compliance/acknowledgements';

export interface FoundationStackProps extends EstateStackProps {
  /** Organisation slug, prefixes names that must be stable (trail, boundary, key aliases). */
  readonly organization: string;
  /** The second-region bucket the audit logs are replicated to. */
  readonly auditReplica: AuditReplicaLocation;
  /** Name of the break-glass role (the guardrails exempt exactly this name). */
  readonly breakGlassRoleName: string;
  /** Who may assume the break-glass role: named principals of the account people sign in from. */
  readonly breakGlassPrincipals: NamedPrincipals;
  /**
   * Every account of the estate: calls through the VPC endpoints may name resources there only.
   * @default - this account only
   */
  readonly estateAccounts?: readonly string[];
  /**
   * Object ARN patterns of other environments' buckets read through the S3 gateway endpoint.
   * @default - none
   */
  readonly readableObjects?: readonly string[];
  /** Functions of this environment answer CloudFormation custom resources (IsolatedNetwork). */
  readonly customResourceResponses?: boolean;
  /**
   * GuardDuty, Config and Security Hub are run by the organization here: adopt them, wire only the alerts.
   * @default - none: the foundation creates them
   */
  readonly inheritedDetectiveControls?: { readonly administratorAccount?: string };
  /**
   * The environment's other allowed regions: their Security Hub findings are aggregated here.
   * @default - none
   */
  readonly linkedRegions?: readonly string[];
}

/**
 * The foundation of one environment: customer keys, the isolated network, the
 * immutable audit trail, detective controls and the permissions boundary that
 * every role carries.
 * Later stacks of the environment take these as props.
 */
export class FoundationStack extends EstateStack {
  readonly keys: EncryptionKeys;
  readonly network: IsolatedNetwork;
  readonly audit: AuditTrail;
  readonly permissionsBoundary: iam.ManagedPolicy;
  readonly detective: DetectiveControls;
  readonly breakGlass: BreakGlassRole;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const prefix = `${props.organization}-${env.name}`;
    const logRetention = env.logRetentionDays as logs.RetentionDays;

    const boundaryStatements = workloadBoundaryStatements({ environment: env.name });
    this.permissionsBoundary = new iam.ManagedPolicy(this, 'WorkloadPermissionsBoundary', {
      managedPolicyName: `${prefix}-workload-boundary`,
      description: 'Permissions boundary of every workload role in this environment',
      statements: boundaryStatements,
    });
    acknowledgeBoundaryFindings(this.permissionsBoundary, boundaryStatements);

    this.keys = new EncryptionKeys(this, 'Keys', { aliasPrefix: prefix });

    this.network = new IsolatedNetwork(this, 'Network', {
      cidr: env.vpcCidr,
      availabilityZones: env.availabilityZones,
      logsKey: this.keys.logs,
      flowLogRetention: logRetention,
      resourceAccounts: props.estateAccounts,
      readableObjects: props.readableObjects,
      customResourceResponses: props.customResourceResponses,
    });

    this.audit = new AuditTrail(this, 'Audit', {
      trailName: `${prefix}-audit`,
      auditKey: this.keys.audit,
      logsKey: this.keys.logs,
      retentionYears: env.auditLogRetentionYears,
      logGroupRetention: logRetention,
      replica: props.auditReplica,
    });
    StatefulResourcePolicy.alwaysRetain(this.audit);

    this.detective = new DetectiveControls(this, 'Detective', {
      key: this.keys.audit,
      deliveryBucket: this.audit.bucket,
      inheritedFrom: props.inheritedDetectiveControls,
      alertSubscription: env.securityAlerts,
      linkedRegions: props.linkedRegions,
    });

    this.breakGlass = new BreakGlassRole(this, 'BreakGlass', {
      roleName: props.breakGlassRoleName,
      trustedPrincipals: props.breakGlassPrincipals,
      alerts: this.detective.findings,
      undelivered: this.detective.undelivered,
      trailLogGroup: this.audit.logGroup,
      alertsKey: this.keys.audit,
    });
  }
}
