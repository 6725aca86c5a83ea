import * as path from 'node:path';
import { Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EVIDENCE_PREFIX } from '../lambdas/model-approval-gate/evidence';
import { WAITING_METRIC } from '../lambdas/model-approval-gate/sweep-contract';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { APPROVER_TAG } from '../policies/workload-boundary';
import { DecisionGateProps, GateFunction } from './gate-function';

export interface ApprovalGateProps extends DecisionGateProps {
  /** The role's name: guardrails and the registry's policies name the gate's role by it. */
  readonly roleName: string;
  /**
   * Key of the function's configuration and dead-letter queue, of the reports it reads and of the notifications it
   * sends.
   */
  readonly encryptionKey: kms.IKey;
  /** Bucket of the training pipelines' reports, read under the evidence prefix only. */
  readonly artifacts: s3.IBucket;
  /** Object Lock bucket the decisions are written to (`approval/`, `unattributable/`). */
  readonly decisionRecords: s3.IBucket;
  /** Topic every decision is announced on. */
  readonly notifications: sns.ITopic;
  /** The governed model packages (one ARN pattern per package group): the only ones it may read or decide on. */
  readonly packageArns: readonly string[];
  /**
   * The executions of the training pipelines whose evidence it accepts.
   * @default - none: no pipeline execution is readable
   */
  readonly pipelineExecutionArns?: readonly string[];
  /**
   * Package groups of high-risk models: IAM refuses the role the approval of
   * any of their packages, whatever the code does.
   * @default - none
   */
  readonly highRiskGroups?: readonly string[];
}

/**
 * The model approval gate (lambdas/model-approval-gate): approves, rejects
 * or holds each registered package of a governed group on its evidence, and
 * records every decision. Its role carries the approver tag (the workload
 * boundary lets only tagged roles decide) and exactly the calls the handler
 * makes (test/gates/iam-calls.test.ts pins the list): exact actions rather
 * than grant*() helpers, whose action wildcards (s3:GetObject*,
 * kms:GenerateDataKey*) exceed what the gate does. High-risk packages are
 * never approved by it: IAM denies it too (sagemaker:ModelApprovalStatus is a
 * condition key of UpdateModelPackage).
 */
export class ApprovalGate extends GateFunction {
  constructor(scope: Construct, id: string, props: ApprovalGateProps) {
    super(scope, id, {
      entry: path.join(__dirname, '..', 'lambdas', 'model-approval-gate', 'handler.ts'),
      description: 'Model approval gate: approves, rejects or holds registered model packages',
      roleName: props.roleName,
      vpc: props.vpc,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: props.config,
      environment: {
        RECORD_BUCKET: props.decisionRecords.bucketName,
        ARTIFACT_BUCKET: props.artifacts.bucketName,
        TOPIC_ARN: props.notifications.topicArn,
        POLICY_DIGEST: props.configDigest,
        ACCOUNT_ID: Stack.of(scope).account,
        PARTITION: Stack.of(scope).partition,
        // Its own updates, seen again through CloudTrail, are not a person's (the race restoration, handler.ts).
        GATE_ROLE_NAME: props.roleName,
      },
    });
    const { partition, region, account } = Stack.of(this);
    const gateRole = this.role;
    const evidence = props.artifacts.arnForObjects(`${EVIDENCE_PREFIX}*`);
    Tags.of(gateRole).add(APPROVER_TAG, 'true');
    const approvals = props.decisionRecords.arnForObjects('approval/*');
    const unattributable = props.decisionRecords.arnForObjects('unattributable/*');
    const packages = [...props.packageArns];
    const executions = [...(props.pipelineExecutionArns ?? [])];
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      gateRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    allow('ReadEvidence', ['s3:GetObject'], [evidence]);
    // Listing the evidence prefix makes a missing report read as missing (S3 answers 403 for a missing key without
    // s3:ListBucket).
    allow('ListEvidence', ['s3:ListBucket'], [props.artifacts.bucketArn], {
      StringLike: { 's3:prefix': [`${EVIDENCE_PREFIX}*`] },
    });
    allow('DecryptReports', ['kms:Decrypt'], [props.encryptionKey.keyArn]);
    allow('ReadDecisionRecords', ['s3:GetObject'], [approvals]);
    allow('ListDecisionRecords', ['s3:ListBucket'], [props.decisionRecords.bucketArn], {
      StringLike: { 's3:prefix': ['approval/*'] },
    });
    allow('WriteDecisionRecords', ['s3:PutObject'], [approvals, unattributable]);
    allow('EncryptDecisionRecords', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.recordsKey.keyArn]);
    allow('Notify', ['sns:Publish'], [props.notifications.topicArn]);
    // PutMetricData takes no resource; the condition keeps the gate to its own namespace
    // (constructs/approval-wait-sweep.ts).
    allow('PublishPendingCalls', ['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': WAITING_METRIC.namespace },
    });
    allow('EncryptNotifications', ['kms:GenerateDataKey', 'kms:Decrypt'], [props.encryptionKey.keyArn]);
    allow('DecideOnGovernedPackages', ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'], packages);
    // ListPipelineExecutionSteps shows which package the execution's RegisterModel step registered (resource type:
    // pipeline-execution).
    if (executions.length > 0)
      allow(
        'CheckPipelineExecutions',
        ['sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'],
        executions,
      );
    // Code never approves a high-risk package; IAM refuses it too (sagemaker:ModelApprovalStatus is a key of
    // UpdateModelPackage).
    const highRisk = props.highRiskGroups ?? [];
    if (highRisk.length > 0) {
      gateRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'NeverApproveHighRisk',
          effect: iam.Effect.DENY,
          actions: ['sagemaker:UpdateModelPackage', 'sagemaker:CreateModelPackage'],
          resources: highRisk.map(
            (group) => `arn:${partition}:sagemaker:${region}:${account}:model-package/${group}/*`,
          ),
          conditions: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } },
        }),
      );
    }
    acknowledgeResourceWildcards(
      gateRole.permissionsPolicy!,
      [evidence, approvals, unattributable, ...packages, ...executions],
      'Report and record object keys, package versions and pipeline executions are created after deployment; each grant is limited to one bucket prefix, one governed package group or one training pipeline.',
    );
  }
}
