import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { ApprovalGate } from '../../constructs/approval-gate';
import { ApprovalWaitSweep } from '../../constructs/approval-wait-sweep';
import { ApprovedModelsBucket } from '../../constructs/approved-models-bucket';
import { AuditReplicaLocation } from '../../constructs/audit-replica';
import { DecisionRecordsBucket } from '../../constructs/decision-records-bucket';
import { DeploymentGate } from '../../constructs/deployment-gate';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { ModelArtifactsBucket } from '../../constructs/model-artifacts-bucket';
import { ModelDecisionsTopic } from '../../constructs/model-decisions-topic';
import { PackageStatusCallRule, PackageStatusRule } from '../../constructs/model-package-rules';
import { ModelPinner } from '../../constructs/model-pinner';
import { PersonaRoles } from '../../constructs/persona-roles';
import { RoleAssumptionAlarm, RoleAssumptionAlarmProps } from '../../constructs/role-assumption-alarm';
import { ReviewReminder, ReviewSchedule } from '../../constructs/review-reminder';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateConfig } from '../config';
import { governanceProps } from '../props/governance';
import { EstateStack, EstateStackProps } from './estate-stack';

export interface ModelGovernanceStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  readonly keys: EncryptionKeys;
  readonly network: IsolatedNetwork;
  /** Second-region replica the decision records are copied to. */
  readonly auditReplica?: AuditReplicaLocation;
  /**
   * Where every session of the model-risk approver's role is announced: the trail's log copy and the findings topic.
   */
  readonly identityAlerts: Pick<RoleAssumptionAlarmProps, 'trailLogGroup' | 'alerts'>;
}

/**
 * Model governance of one environment: the model registry's gates and rules, the artifact bucket reports are read
 * from, the append-only decision records, the pinned copies of approved model data, and the personas' roles. The
 * constructs' props come from the config through lib/props/governance.ts.
 */
export class ModelGovernanceStack extends EstateStack {
  readonly artifacts: ModelArtifactsBucket;
  readonly decisionRecords: DecisionRecordsBucket;
  readonly notifications: ModelDecisionsTopic;
  readonly approvalGate: ApprovalGate;
  /** Pins approved model data into `approvedModels` (lambdas/model-pinner). */
  readonly modelPinner: ModelPinner;
  /** Object Lock copies of approved model data, each version locked in COMPLIANCE mode by the pinner. */
  readonly approvedModels: ApprovedModelsBucket;
  readonly deploymentGate: DeploymentGate;
  readonly reviewReminder: ReviewReminder;
  readonly personas: PersonaRoles;

  constructor(scope: Construct, id: string, props: ModelGovernanceStackProps) {
    super(scope, id, props);
    const { keys } = props;
    const p = governanceProps(this, props.estate, props.environment);
    const base = { vpc: props.network.vpc, encryptionKey: keys.ml, logsKey: keys.logs, recordsKey: keys.audit };
    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket', { retention: p.accessLogRetention });
    const buckets = { encryptionKey: keys.ml, serverAccessLogsBucket: accessLogs };
    this.artifacts = new ModelArtifactsBucket(this, 'ModelArtifacts', { ...buckets, ...p.artifacts });
    const recordsBucket = {
      encryptionKey: keys.audit,
      serverAccessLogsBucket: accessLogs,
      replica: props.auditReplica,
    };
    this.decisionRecords = new DecisionRecordsBucket(this, 'DecisionRecords', {
      ...recordsBucket,
      ...p.decisionRecords,
    });
    StatefulResourcePolicy.alwaysRetain(this.decisionRecords);
    StatefulResourcePolicy.alwaysRetain(accessLogs);
    const topic = { environment: props.environment.name, encryptionKey: keys.ml };
    const notifications = (this.notifications = new ModelDecisionsTopic(this, 'ModelDecisions', topic));
    const evidence = { artifacts: this.artifacts, decisionRecords: this.decisionRecords };
    const approvalGate = { ...base, ...evidence, notifications, ...p.approvalGate };
    this.approvalGate = new ApprovalGate(this, 'ApprovalGate', approvalGate);
    const approvedModels = (this.approvedModels = new ApprovedModelsBucket(this, 'ApprovedModels', {
      ...buckets,
      bucketName: p.approvedModelsBucketName,
    }));
    StatefulResourcePolicy.alwaysRetain(approvedModels);
    this.modelPinner = new ModelPinner(this, 'ModelPinner', { ...base, ...evidence, approvedModels, ...p.modelPinner });
    new PackageStatusRule(this, 'PackageApproved', {
      description: 'A model package of a governed group was approved: pin its model data',
      packageGroups: p.packageGroups,
      approvalStatus: 'Approved',
      function: this.modelPinner.function,
      deadLetterQueue: this.modelPinner.deadLetterQueue,
    });
    const deploymentGate = { ...base, ...evidence, approvedModels, ...p.deploymentGate };
    this.deploymentGate = new DeploymentGate(this, 'DeploymentGate', deploymentGate);
    this.reviewReminder = new ReviewReminder(this, 'ReviewReminder', { ...base, notifications, ...p.reviewReminder });
    for (const { tier, everyMonths } of p.reviews) {
      const id = `Review${tier[0].toUpperCase()}${tier.slice(1)}Risk`;
      new ReviewSchedule(this, id, { reminder: this.reviewReminder, tier, everyMonths });
    }
    const personaKeys = { mlKey: keys.ml, auditKey: keys.audit };
    this.personas = new PersonaRoles(this, 'Personas', { ...evidence, ...personaKeys, ...p.personas });
    // The approver's role sets packages Approved (as only the gate and break-glass may): each session is announced.
    const approver = { roleId: this.personas.modelRiskApprover.roleId, ...props.identityAlerts };
    new RoleAssumptionAlarm(this, 'ApproverAssumed', { ...approver, ...p.approverAssumed });
    const gate = { function: this.approvalGate.function, deadLetterQueue: this.approvalGate.deadLetterQueue };
    new PackageStatusRule(this, 'PackageRegistered', {
      description: 'A model package of a governed group awaits approval',
      packageGroups: p.packageGroups,
      approvalStatus: 'PendingManualApproval',
      ...gate,
    });
    new PackageStatusCallRule(this, 'PackageStatusCall', gate);
    const environment = props.environment.name;
    new ApprovalWaitSweep(this, 'ApprovalWaitSweep', { ...gate, alarmTopic: notifications, environment });
  }
}
