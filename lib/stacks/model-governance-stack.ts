import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  approvalGateRoleName,
  approvedModelsBucketName,
  approverRoleName,
  DEPLOYMENT_GATE_STEP_ROLE,
  deploymentGateFunctionName,
  inferenceCaptureBucketName,
  modelArtifactsBucketName,
  TRAINING_ROLE_PATH,
  trainingPipelineName,
} from '../delivery/names';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { AuditReplicaLocation, lockForCalendarYears, replicateToAuditReplica } from '../../constructs/audit-replica';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { ApprovalGate } from '../../constructs/approval-gate';
import { DeploymentGate } from '../../constructs/deployment-gate';
import { ApprovedModelsBucket } from '../../constructs/approved-models-bucket';
import { ModelPinner } from '../../constructs/model-pinner';
import { ReviewReminder, reviewSchedule } from '../../constructs/review-reminder';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { PersonaRoles } from '../../constructs/persona-roles';
import { RoleAssumptionAlarm } from '../../constructs/role-assumption-alarm';
import { personaPrincipals } from '../config/access';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { gateConfigDigest, gateConfigFor } from '../config/gate-config';
import { EstateConfig, promotionSource, retentionDays, RISK_TIERS, servesPinnedCopy, servingAccounts } from '../config';
import { governedGroupArns, governedGroupFilter, governedPackageArns } from '../ml/registry-scope';
import { EVIDENCE_PREFIX } from '../../lambdas/model-approval-gate/evidence';
import { ApprovalWaitSweep } from '../../constructs/approval-wait-sweep';
import { APPROVED_TAG } from '../../lambdas/model-pinner/approved-tag';
import { baselineCopiesFrom } from '../delivery/baseline-copies';
import { prodChampionsOf, prodImagesOf, prodServesPackages } from '../config/prod-serving';
import { EstateStack, EstateStackProps } from './estate-stack';

// What prod serves is a question about the config; the promotion tests take it from here with the stack.
export { prodChampionsOf, prodImagesOf } from '../config/prod-serving';

export { EVIDENCE_WRITE_ACTIONS } from '../../constructs/model-pinner';

export interface ModelGovernanceStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  readonly keys: EncryptionKeys;
  readonly network: IsolatedNetwork;
  /** Second-region replica the decision records are copied to. */
  readonly auditReplica?: AuditReplicaLocation;
  /** Where every session of the model-risk approver's role is announced (the foundation's). */
  readonly identityAlerts: {
    /** The CloudWatch Logs copy of the account's multi-region trail. */
    readonly trailLogGroup: logs.ILogGroup;
    /** The security findings topic; CloudWatch may publish to it. */
    readonly topic: sns.ITopic;
  };
}

/**
 * Model governance of one environment: the model registry, the artifact
 * bucket reports are read from, the append-only decision records, and the
 * model approval gate wired to registry events.
 */
export class ModelGovernanceStack extends EstateStack {
  readonly artifacts: SecureBucket;
  readonly decisionRecords: SecureBucket;
  readonly notifications: sns.Topic;
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
    const env = props.environment;
    const { keys } = props;
    const gateConfig = gateConfigFor(props.estate, env);
    const logRetention = env.logRetentionDays as logs.RetentionDays;

    // Prod serves versions approved in this (staging) registry: the prod accounts read its artifacts
    // (and its package groups, which live with each model in the endpoint shards).
    const readers = promotionSource(props.estate)?.name === env.name ? servingAccounts(props.estate) : [];
    const groups = props.estate.models.map((m) => m.id);

    const accessLogs = new AccessLogBucket(this, 'AccessLogBucket', {
      retention: Duration.days(retentionDays(env.auditLogRetentionYears)),
    });
    // Named, so that the endpoint shards (retraining outputs) grant on it without a cross-stack export.
    this.artifacts = new SecureBucket(this, 'ModelArtifacts', {
      bucketName: modelArtifactsBucketName(this.account, this.region),
      encryptionKey: keys.ml,
      serverAccessLogsBucket: accessLogs,
    });
    if (readers.length > 0) {
      const principals = readers.map((a) => new iam.AccountPrincipal(a));
      // Prod serves the pinned copies (approvedModels, below). A model without a training pipeline has no pinned path
      // (its package's image is not known at synth), so prod reads its package's model data here, only versions the
      // model pinner marked approved: a later write to the key is a new, unmarked version, which prod cannot read.
      if (
        props.estate.models.some((m) => !servesPinnedCopy(m, { type: 'prod' }) && prodServesPackages(props.estate, m))
      ) {
        this.artifacts.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'ProdReadsApprovedArtifacts',
            principals,
            actions: ['s3:GetObject'],
            resources: [this.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`)],
            conditions: { StringLike: { [`s3:ExistingObjectTag/${APPROVED_TAG}`]: '?*' } },
          }),
        );
      }
      keys.ml.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ProdDecryptsApprovedArtifactsThroughS3',
          principals,
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${env.region}.amazonaws.com` } },
        }),
      );
    }
    // Every gate decision, kept unalterable for as long as the audit logs.
    this.decisionRecords = new SecureBucket(this, 'DecisionRecords', {
      encryptionKey: keys.audit,
      serverAccessLogsBucket: accessLogs,
      complianceRetention: Duration.days(retentionDays(env.auditLogRetentionYears)),
      auditRecords: true,
    });
    lockForCalendarYears(this.decisionRecords, env.auditLogRetentionYears);
    StatefulResourcePolicy.alwaysRetain(this.decisionRecords);
    StatefulResourcePolicy.alwaysRetain(accessLogs);

    this.notifications = new sns.Topic(this, 'ModelDecisions', {
      displayName: `${env.name} model decisions, endpoint alarms and training failures`,
      masterKey: keys.ml,
      enforceSSL: true,
    });
    // Endpoint alarms (CloudWatch) and pipeline events (EventBridge) publish to this KMS topic.
    keys.ml.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    // EventBridge's delivery to an encrypted topic or queue sends KMS no source: the documented statement
    // has no condition (policies/validation/eventbridge-key-use.ts); the topic policy keeps the source.
    keys.ml.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventsPublishToTheModelTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );

    const packages = governedPackageArns(this, groups);
    this.approvalGate = new ApprovalGate(this, 'ApprovalGate', {
      roleName: approvalGateRoleName(props.estate.organization.name, env.name),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      recordsKey: keys.audit,
      logRetention,
      config: gateConfig,
      configDigest: gateConfigDigest(gateConfig),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      notifications: this.notifications,
      packageArns: packages,
      pipelineExecutionArns: trainingExecutionArns(this, props.estate, env.name),
      highRiskGroups: props.estate.models.filter((m) => m.riskTier === 'high').map((m) => m.id),
    });
    acknowledgeNoReplication(
      this.artifacts,
      'Model artifacts and reports are rebuilt by the training pipelines from versioned data; the decisions made on them are replicated with the decision records.',
    );
    if (props.auditReplica) replicateToAuditReplica(this.decisionRecords, keys.audit, props.auditReplica);

    // What was approved is what is served: the pinner copies each approved version's model data into this Object Lock
    // bucket and locks it; prod serves those copies (constructs/model-pinner.ts).
    this.approvedModels = new ApprovedModelsBucket(this, 'ApprovedModels', {
      bucketName: approvedModelsBucketName(this.account, this.region),
      encryptionKey: keys.ml,
      serverAccessLogsBucket: accessLogs,
    });
    StatefulResourcePolicy.alwaysRetain(this.approvedModels);
    this.modelPinner = new ModelPinner(this, 'ModelPinner', {
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      recordsKey: keys.audit,
      logRetention,
      config: gateConfig,
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      approvedModels: this.approvedModels,
      retentionYears: env.auditLogRetentionYears,
      packageArns: packages,
      evidenceWriters: `arn:${this.partition}:iam::${this.account}:role${TRAINING_ROLE_PATH}*`,
      readerAccounts: readers,
      baselineReaders: baselineCopiesFrom(props.estate, env),
    });
    new events.Rule(this, 'PackageApproved', {
      description: 'A model package of a governed group was approved: pin its model data',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: governedGroupFilter(groups), ModelApprovalStatus: ['Approved'] },
      },
      targets: [
        new targets.LambdaFunction(this.modelPinner.function, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.modelPinner.deadLetterQueue,
        }),
      ],
    });

    // The deployment gate also knows what the committed estate has prod serve: it finds the champion itself.
    const deploymentGateConfig = {
      ...gateConfig,
      prodChampions: prodChampionsOf(props.estate, env.name),
      prodImages: prodImagesOf(props.estate),
    };
    const org = props.estate.organization.name;
    this.deploymentGate = new DeploymentGate(this, 'DeploymentGate', {
      functionName: deploymentGateFunctionName(org, env.name),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      recordsKey: keys.audit,
      logRetention,
      config: deploymentGateConfig,
      configDigest: gateConfigDigest(deploymentGateConfig),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      approvedModels: this.approvedModels,
      captureBucketName: inferenceCaptureBucketName(this.account, this.region),
      monitoringReportsPrefix: `monitoring/${env.name}-*/reports/`,
      packageArns: packages,
      approvalGateRoleName: approvalGateRoleName(org, env.name),
      // The delivery pipeline's pre-prod step, and nothing else in the tooling account, may ask.
      invokerRoleArn:
        props.estate.delivery && promotionSource(props.estate)?.name === env.name
          ? `arn:${this.partition}:iam::${props.estate.delivery.account}:role/${DEPLOYMENT_GATE_STEP_ROLE(org)}`
          : undefined,
    });

    this.reviewReminder = new ReviewReminder(this, 'ReviewReminder', {
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      logRetention,
      config: gateConfig,
      notifications: this.notifications,
      packageArns: packages,
    });
    for (const tier of RISK_TIERS) {
      const months = props.estate.modelRisk.tiers[tier].reviewEveryMonths;
      new events.Rule(this, `Review${tier[0].toUpperCase()}${tier.slice(1)}Risk`, {
        description: `Periodic review of ${tier}-risk models, every ${months} month(s)`,
        schedule: reviewSchedule(months),
        targets: [this.reviewReminder.targetFor(tier)],
      });
    }

    this.personas = new PersonaRoles(this, 'Personas', {
      trustedPrincipals: {
        dataScientist: personaPrincipals(props.estate, env, 'dataScientist'),
        mlEngineer: personaPrincipals(props.estate, env, 'mlEngineer'),
        modelRiskApprover: personaPrincipals(props.estate, env, 'modelRiskApprover'),
        auditor: personaPrincipals(props.estate, env, 'auditor'),
      },
      packageArns: packages,
      packageGroupArns: governedGroupArns(this, groups),
      artifacts: this.artifacts,
      decisionRecords: this.decisionRecords,
      mlKey: keys.ml,
      auditKey: keys.audit,
      engineersChangeEndpoints: env.type !== 'prod',
      approverRoleName: approverRoleName(props.estate.organization.name, env.name),
    });
    // The approver's role sets packages Approved, which the guardrails let no one else do but the gate and
    // break-glass: each of its sessions is announced, as break-glass's are, by the role's unique ID.
    new RoleAssumptionAlarm(this, 'ApproverAssumed', {
      roleId: this.personas.modelRiskApprover.roleId,
      purpose: `The model-risk approver role ${approverRoleName(props.estate.organization.name, env.name)}`,
      trailLogGroup: props.identityAlerts.trailLogGroup,
      alerts: props.identityAlerts.topic,
      metricNamespace: 'Estate/Identity',
      metricName: 'ApproverAssumed',
    });

    new events.Rule(this, 'PackageRegistered', {
      description: 'A model package of a governed group awaits approval',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: governedGroupFilter(groups),
          ModelApprovalStatus: ['PendingManualApproval'],
        },
      },
      targets: [
        new targets.LambdaFunction(this.approvalGate.function, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.approvalGate.deadLetterQueue,
        }),
      ],
    });
    // SageMaker's UpdateModelPackage has no condition: a person's Approved or Rejected that lands inside the gate's
    // window (after its re-read, before its update) is overwritten. CloudTrail's record of every UpdateModelPackage
    // (who called, when, with what status) lets the gate set such a decision back; the handler ignores its own calls,
    // failed calls and packages it does not govern. Needs a trail recording management events in the account.
    new events.Rule(this, 'PackageStatusCall', {
      description:
        "A model package status update recorded by CloudTrail, so that a person's decision overwritten by the approval gate is restored",
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
      },
      targets: [
        new targets.LambdaFunction(this.approvalGate.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.approvalGate.deadLetterQueue,
        }),
      ],
    });
    new ApprovalWaitSweep(this, 'ApprovalWaitSweep', {
      function: this.approvalGate.function,
      deadLetterQueue: this.approvalGate.deadLetterQueue,
      alarmTopic: this.notifications,
      environment: env.name,
    });
  }
}

/** Executions of the training pipelines that run in this environment: the only ones whose evidence the gate accepts. */
function trainingExecutionArns(stack: EstateStack, estate: EstateConfig, environment: string): string[] {
  return estate.models
    .filter((m) => m.training?.environments.includes(environment))
    .map(
      (m) =>
        `arn:${stack.partition}:sagemaker:${stack.region}:${stack.account}:pipeline/${trainingPipelineName(environment, m.id).toLowerCase()}/execution/*`,
    );
}
