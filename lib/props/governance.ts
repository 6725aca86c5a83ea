/**
 * The model governance stack's constructs, as the config sets them: what each gate is given, whose accounts read what
 * this environment approved, the review period of each risk tier. The stack wires the buckets, keys and topic.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ApprovalGateProps } from '../../constructs/approval-gate';
import { DecisionRecordsBucketProps } from '../../constructs/decision-records-bucket';
import { DeploymentGateProps } from '../../constructs/deployment-gate';
import { ModelArtifactsBucketProps } from '../../constructs/model-artifacts-bucket';
import { ModelPinnerProps } from '../../constructs/model-pinner';
import { PersonaRolesProps } from '../../constructs/persona-roles';
import { RoleAssumptionAlarmProps } from '../../constructs/role-assumption-alarm';
import { ReviewReminderProps } from '../../constructs/review-reminder';
import {
  EnvironmentConfig,
  EstateConfig,
  promotionSource,
  retentionDays,
  RISK_TIERS,
  servesPinnedCopy,
  servingAccounts,
} from '../config';
import { personaPrincipals } from '../config/access';
import { gateConfigDigest, gateConfigFor } from '../config/gate-config';
import { prodChampionsOf, prodImagesOf, prodServesPackages } from '../config/prod-serving';
import { baselineCopiesFrom } from '../delivery/baseline-copies';
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
import { governedGroupArns, governedGroupFilter, governedPackageArns } from '../ml/registry-scope';

/** What the stack gives each construct itself: the network, keys, buckets and topic. */
type Wired =
  | 'vpc'
  | 'encryptionKey'
  | 'logsKey'
  | 'recordsKey'
  | 'artifacts'
  | 'decisionRecords'
  | 'approvedModels'
  | 'notifications';

export interface GovernanceProps {
  /** How long the access logs are kept: the environment's audit-log retention. */
  readonly accessLogRetention: Duration;
  readonly decisionRecords: Omit<DecisionRecordsBucketProps, 'encryptionKey' | 'serverAccessLogsBucket'>;
  /** The governed package groups the registry rules listen to; undefined: every group of the account. */
  readonly packageGroups?: readonly string[];
  readonly artifacts: Omit<ModelArtifactsBucketProps, 'encryptionKey' | 'serverAccessLogsBucket'>;
  readonly approvedModelsBucketName: string;
  readonly approvalGate: Omit<ApprovalGateProps, Wired>;
  readonly modelPinner: Omit<ModelPinnerProps, Wired>;
  readonly deploymentGate: Omit<DeploymentGateProps, Wired>;
  readonly reviewReminder: Omit<ReviewReminderProps, Wired>;
  /** The review period of each risk tier, in months. */
  readonly reviews: readonly { readonly tier: string; readonly everyMonths: number }[];
  /** The alarm on every session of the model-risk approver's role. */
  readonly approverAssumed: Omit<RoleAssumptionAlarmProps, 'roleId' | 'trailLogGroup' | 'alerts'>;
  readonly personas: Omit<PersonaRolesProps, 'artifacts' | 'decisionRecords' | 'mlKey' | 'auditKey'>;
}

/** The props of the governance constructs of `env`, for its stack `stack` (account, region and partition). */
export function governanceProps(stack: Stack, estate: EstateConfig, env: EnvironmentConfig): GovernanceProps {
  const org = estate.organization.name;
  const groups = estate.models.map((m) => m.id);
  const packageArns = governedPackageArns(stack, groups);
  const promotesToProd = promotionSource(estate)?.name === env.name;
  // Prod serves versions approved in this (staging) registry: the prod accounts read its artifacts.
  const readerAccounts = promotesToProd ? servingAccounts(estate) : [];
  const logRetention = env.logRetentionDays as logs.RetentionDays;
  const config = gateConfigFor(estate, env);
  // The deployment gate also knows what the committed estate has prod serve: it finds the champion itself.
  const deploymentConfig = {
    ...config,
    prodChampions: prodChampionsOf(estate, env.name),
    prodImages: prodImagesOf(estate),
  };
  return {
    accessLogRetention: Duration.days(retentionDays(env.auditLogRetentionYears)),
    decisionRecords: { retentionYears: env.auditLogRetentionYears },
    packageGroups: governedGroupFilter(groups),
    artifacts: {
      bucketName: modelArtifactsBucketName(stack.account, stack.region),
      readerAccounts,
      // A model without a training pipeline has no pinned copy: prod reads its package's approved model data here.
      readersGetApprovedModelData: estate.models.some(
        (m) => !servesPinnedCopy(m, { type: 'prod' }) && prodServesPackages(estate, m),
      ),
    },
    approvedModelsBucketName: approvedModelsBucketName(stack.account, stack.region),
    approvalGate: {
      roleName: approvalGateRoleName(org, env.name),
      logRetention,
      config,
      configDigest: gateConfigDigest(config),
      packageArns,
      // Executions of the training pipelines that run here: the only ones whose evidence the gate accepts.
      pipelineExecutionArns: estate.models
        .filter((m) => m.training?.environments.includes(env.name))
        .map(
          (m) =>
            `arn:${stack.partition}:sagemaker:${stack.region}:${stack.account}:pipeline/${trainingPipelineName(env.name, m.id).toLowerCase()}/execution/*`,
        ),
      highRiskGroups: estate.models.filter((m) => m.riskTier === 'high').map((m) => m.id),
    },
    modelPinner: {
      logRetention,
      config,
      retentionYears: env.auditLogRetentionYears,
      packageArns,
      evidenceWriters: `arn:${stack.partition}:iam::${stack.account}:role${TRAINING_ROLE_PATH}*`,
      readerAccounts,
      baselineReaders: baselineCopiesFrom(estate, env),
    },
    deploymentGate: {
      functionName: deploymentGateFunctionName(org, env.name),
      logRetention,
      config: deploymentConfig,
      configDigest: gateConfigDigest(deploymentConfig),
      captureBucketName: inferenceCaptureBucketName(stack.account, stack.region),
      monitoringReportsPrefix: `monitoring/${env.name}-*/reports/`,
      packageArns,
      approvalGateRoleName: approvalGateRoleName(org, env.name),
      // The delivery pipeline's pre-prod step, and nothing else in the tooling account, may ask.
      invokerRoleArn:
        estate.delivery && promotesToProd
          ? `arn:${stack.partition}:iam::${estate.delivery.account}:role/${DEPLOYMENT_GATE_STEP_ROLE(org)}`
          : undefined,
    },
    reviewReminder: { logRetention, config, packageArns },
    reviews: RISK_TIERS.map((tier) => ({ tier, everyMonths: estate.modelRisk.tiers[tier].reviewEveryMonths })),
    approverAssumed: {
      purpose: `The model-risk approver role ${approverRoleName(org, env.name)}`,
      metricNamespace: 'Estate/Identity',
      metricName: 'ApproverAssumed',
    },
    personas: {
      trustedPrincipals: {
        dataScientist: personaPrincipals(estate, env, 'dataScientist'),
        mlEngineer: personaPrincipals(estate, env, 'mlEngineer'),
        modelRiskApprover: personaPrincipals(estate, env, 'modelRiskApprover'),
        auditor: personaPrincipals(estate, env, 'auditor'),
      },
      packageArns,
      packageGroupArns: governedGroupArns(stack, groups),
      engineersChangeEndpoints: env.type !== 'prod',
      approverRoleName: approverRoleName(org, env.name),
    },
  };
}
