import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVIDENCE_PREFIX } from '../lambdas/model-approval-gate/evidence';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { DecisionGateProps, GateFunction } from './gate-function';

export interface DeploymentGateProps extends DecisionGateProps {
  /** Name of the function: the delivery pipeline's gate step invokes it by name from another account. */
  readonly functionName: string;
  /** Key of the function's configuration and dead-letter queue, and of the reports and model data it reads. */
  readonly encryptionKey: kms.IKey;
  /** The gate's policy (lambdas/shared/gate-config, with what prod serves). */
  readonly config: unknown;
  /** Bucket of the training pipelines' reports and model data (the evidence prefix). */
  readonly artifacts: s3.IBucket;
  /** Object Lock bucket of the decision records: reads `approval/` and `pins/`, reads and writes `deployment/`. */
  readonly decisionRecords: s3.IBucket;
  /** Object Lock bucket of the pinned model data prod serves (`models/`). */
  readonly approvedModels: s3.IBucket;
  /** Name of the environment's inference capture bucket, where the monitoring jobs write their reports. */
  readonly captureBucketName: string;
  /**
   * Prefix of the monitoring reports of this environment's endpoints in the
   * capture bucket, e.g. `monitoring/staging-*` + `/reports/`: a shadow
   * variant's traffic is read there, daily reports only.
   */
  readonly monitoringReportsPrefix: string;
  /** The governed model packages (one ARN pattern per package group): read only. */
  readonly packageArns: readonly string[];
  /**
   * The approval gate's role name: its calls in CloudTrail's event history are the gate's own. A gate-written Approved
   * counts only on that history of its race window (lambdas/deployment-gate/restorations.ts).
   */
  readonly approvalGateRoleName: string;
  /**
   * The one role allowed to invoke the gate (the delivery pipeline's gate step, in the tooling account).
   * @default - no other principal may invoke it
   */
  readonly invokerRoleArn?: string;
}

/**
 * The deployment gate (lambdas/deployment-gate): may this approved package be
 * promoted to prod? It reads the approval and pin records, the pinned copy
 * and its source, the staging endpoints, their alarms and traffic, and the
 * shadow traffic reports, and writes its own decision records; nothing else.
 * At most two run at once; only the given role may invoke it.
 */
export class DeploymentGate extends GateFunction {
  constructor(scope: Construct, id: string, props: DeploymentGateProps) {
    super(scope, id, {
      entry: path.join(__dirname, '..', 'lambdas', 'deployment-gate', 'handler.ts'),
      description: 'Deployment gate: may this approved package be promoted to prod?',
      functionName: props.functionName,
      vpc: props.vpc,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: props.config,
      reservedConcurrency: 2,
      environment: {
        RECORD_BUCKET: props.decisionRecords.bucketName,
        ARTIFACT_BUCKET: props.artifacts.bucketName,
        APPROVED_BUCKET: props.approvedModels.bucketName,
        CAPTURE_BUCKET: props.captureBucketName,
        POLICY_DIGEST: props.configDigest,
        APPROVAL_GATE_ROLE_NAME: props.approvalGateRoleName,
        ACCOUNT_ID: Stack.of(scope).account,
        PARTITION: Stack.of(scope).partition,
      },
    });
    const { partition, region, account } = Stack.of(this);
    if (props.invokerRoleArn) {
      this.function.addPermission('InvokedByThePipelineGateStep', {
        principal: new iam.ArnPrincipal(props.invokerRoleArn),
        action: 'lambda:InvokeFunction',
      });
    }
    const evidence = props.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*`);
    const approvals = props.decisionRecords.arnForObjects('approval/*');
    const pins = props.decisionRecords.arnForObjects('pins/*');
    const pinned = props.approvedModels.arnForObjects('models/*');
    const modelData = props.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*/*/model/*`);
    const deployments = props.decisionRecords.arnForObjects('deployment/*');
    const packages = [...props.packageArns];
    const deployRole = this.role;
    const allowDeploy = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      deployRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    // Evaluations are read only at the version the approval record keeps (GetObject with a VersionId is
    // s3:GetObjectVersion), only from the evidence prefix; listing it makes a missing report read as missing.
    allowDeploy('ReadApprovedEvaluations', ['s3:GetObjectVersion'], [evidence]);
    allowDeploy('ListEvidence', ['s3:ListBucket'], [props.artifacts.bucketArn], {
      StringLike: { 's3:prefix': [`${EVIDENCE_PREFIX}*`] },
    });
    allowDeploy('DecryptReports', ['kms:Decrypt'], [props.encryptionKey.keyArn]);
    allowDeploy('ReadApprovalAndPinRecords', ['s3:GetObject'], [approvals, pins]);
    // The pin holds while the locked copy keeps its version and SHA-256 and the source key still holds the approved
    // version. ...and the pinned key (what prod reads) still holds that version and no other.
    allowDeploy('CheckPinnedModelData', ['s3:GetObjectVersion', 's3:GetObject'], [pinned]);
    allowDeploy('CheckServedModelData', ['s3:GetObject'], [modelData]);
    allowDeploy('ReadAndWriteDecisionRecords', ['s3:GetObject', 's3:PutObject'], [deployments]);
    allowDeploy('ListDecisionRecords', ['s3:ListBucket'], [props.decisionRecords.bucketArn], {
      StringLike: { 's3:prefix': ['deployment/*', 'approval/*', 'pins/*'] },
    });
    // ListModelPackages has no resource type (Service Authorization Reference, Amazon SageMaker): it takes "*".
    allowDeploy('FindChampions', ['sagemaker:ListModelPackages'], ['*']);
    // CloudTrail's event history of the approval gate's race window; LookupEvents has no resource type (Service
    // Authorization Reference, AWS CloudTrail): it takes "*".
    allowDeploy('ReadRaceWindowHistory', ['cloudtrail:LookupEvents'], ['*']);
    allowDeploy('EncryptDecisionRecords', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.recordsKey.keyArn]);
    allowDeploy('ReadGovernedPackages', ['sagemaker:DescribeModelPackage'], packages);
    const stagingResources = [
      `arn:${partition}:sagemaker:${region}:${account}:endpoint/*`,
      `arn:${partition}:sagemaker:${region}:${account}:endpoint-config/*`,
      `arn:${partition}:sagemaker:${region}:${account}:model/*`,
    ];
    allowDeploy(
      'ReadStagingEndpoints',
      ['sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeModel'],
      stagingResources,
    );
    allowDeploy('ReadStagingAlarmsAndTraffic', ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricStatistics'], ['*']);
    // A shadow variant's captured traffic, as the monitoring job of this environment's endpoints reports it (the
    // capture bucket is under the ML key, whose Decrypt the gate already has): only the daily reports, listed under
    // their prefix.
    const capture = `arn:${partition}:s3:::${props.captureBucketName}`;
    const monitoringReports = `${capture}/${props.monitoringReportsPrefix}*/report.json`;
    allowDeploy('ReadShadowTrafficReports', ['s3:GetObject'], [monitoringReports]);
    allowDeploy('ListShadowTrafficReports', ['s3:ListBucket'], [capture], {
      StringLike: { 's3:prefix': [`${props.monitoringReportsPrefix}*`] },
    });
    acknowledgeResourceWildcards(
      deployRole.permissionsPolicy!,
      [evidence, approvals, pins, pinned, modelData, deployments, monitoringReports, ...packages, ...stagingResources],
      "Report and record object keys, package versions, endpoint configs and models are created after deployment; each grant is limited to one bucket prefix, one governed package group or this account's endpoints, read only. ListModelPackages and CloudTrail LookupEvents have no resource type.",
    );
  }
}
