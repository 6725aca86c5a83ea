import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The end of every baseline copier role's name (lib/delivery/baseline-copies.ts). */
export const BASELINE_COPIER_SUFFIX = '-baseline-copy';

/**
 * The permissions boundary every IAM role in an environment carries: the most
 * any workload role (function, SageMaker job, log delivery) can ever be
 * granted, whatever its identity policy says. Identity policies still grant
 * least privilege; the boundary caps them and forbids tampering with the audit
 * trail, the keys and the network isolation.
 *
 * Statement by statement, what each closes:
 *
 * - AllowWorkloadServices: a role granted an unrelated service (IAM, Organizations, EC2 instances ...) by mistake
 * - AllowGrantsForAwsServices: a key grant to anything but an AWS service acting for the role
 *   (kms:GrantIsForAWSResource)
 * - AllowAssumingBaselineCopiers: role chaining into anything but a baseline copier role (whose trust admits one
 *   function's role)
 * - AllowPassRoleToWorkloadServices: passing a role to anything but SageMaker or Lambda, or a role of another
 *   environment
 * - DenyApprovalByOthers: setting a model package Approved by any role not tagged as an approver (the model-risk
 *   approver, the approval gate)
 * - DenyAuditTampering: stopping or re-pointing CloudTrail, loosening audit buckets or deleting log groups
 * - DenyKeyDestruction: disabling or deleting customer keys, rewriting key policies
 * - DenyNetworkEscape: adding an internet gateway, NAT or peering to an isolated VPC
 * - DenyUngovernedRegistry: creating, deleting or re-sharing a model package group outside the estate's stacks (every
 *   group is a governed group)
 */
/** The principal tag that marks the roles allowed to approve a model package. */
export const APPROVER_TAG = 'estate:approver';

export interface WorkloadBoundaryOptions {
  /**
   * Name of the environment: roles may pass only roles tagged
   * `estate:environment` with it (every role of a stage is).
   * @default - any role trusted by SageMaker or Lambda
   */
  readonly environment?: string;
}

export function workloadBoundaryStatements(options: WorkloadBoundaryOptions = {}): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'AllowWorkloadServices',
      actions: [
        'sagemaker:*',
        's3:Get*',
        's3:List*',
        's3:PutObject',
        's3:PutObjectTagging',
        // Tagging a given version (the model pinner marks the approved version, not the key's current one).
        's3:PutObjectVersionTagging',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:ReplicateObject',
        's3:ReplicateTags',
        'kms:Decrypt',
        'kms:Encrypt',
        'kms:ReEncrypt*',
        'kms:GenerateDataKey*',
        'kms:DescribeKey',
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'cloudwatch:PutMetricData',
        'cloudwatch:GetMetricData',
        'cloudwatch:GetMetricStatistics',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:DescribeAlarmHistory',
        'ecr:GetAuthorizationToken',
        'ecr:BatchGetImage',
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        // The feature store's offline store registers its Iceberg tables in the Glue catalog.
        'glue:GetTable',
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:GetDatabase',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
        'sns:Publish',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'events:PutEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        // The deployment gate reads CloudTrail's event history of the approval gate's race window (read-only).
        'cloudtrail:LookupEvents',
        'sts:GetCallerIdentity',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:Describe*',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
        'ec2:CreateNetworkInterfacePermission',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        'lambda:InvokeFunction',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AllowGrantsForAwsServices',
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    // Role chaining only into a baseline copier (constructs/baseline-copy.ts): the shard's copy function acts as each
    // endpoint's copier role, whose trust names that function's role alone.
    new iam.PolicyStatement({
      sid: 'AllowAssumingBaselineCopiers',
      actions: ['sts:AssumeRole'],
      resources: [`arn:${Aws.PARTITION}:iam::*:role/*${BASELINE_COPIER_SUFFIX}`],
    }),
    new iam.PolicyStatement({
      sid: 'AllowPassRoleToWorkloadServices',
      actions: ['iam:PassRole'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'iam:PassedToService': ['sagemaker.amazonaws.com', 'lambda.amazonaws.com'],
          ...(options.environment ? { 'aws:ResourceTag/estate:environment': options.environment } : {}),
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'DenyApprovalByOthers',
      effect: iam.Effect.DENY,
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' },
        // Negated: a role without the tag is denied too.
        StringNotEquals: { [`aws:PrincipalTag/${APPROVER_TAG}`]: 'true' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'DenyAuditTampering',
      effect: iam.Effect.DENY,
      actions: [
        'cloudtrail:StopLogging',
        'cloudtrail:DeleteTrail',
        'cloudtrail:UpdateTrail',
        'cloudtrail:PutEventSelectors',
        's3:PutBucketObjectLockConfiguration',
        's3:BypassGovernanceRetention',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutBucketVersioning',
        's3:PutLifecycleConfiguration',
        's3:PutBucketLogging',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:DisassociateKmsKey',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DenyKeyDestruction',
      effect: iam.Effect.DENY,
      actions: [
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
        'kms:DisableKeyRotation',
        'kms:PutKeyPolicy',
        'kms:DeleteAlias',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DenyNetworkEscape',
      effect: iam.Effect.DENY,
      actions: [
        'ec2:CreateInternetGateway',
        'ec2:AttachInternetGateway',
        'ec2:CreateEgressOnlyInternetGateway',
        'ec2:CreateNatGateway',
        'ec2:CreateVpcPeeringConnection',
        'ec2:AcceptVpcPeeringConnection',
        'ec2:CreateRoute',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'DenyUngovernedRegistry',
      effect: iam.Effect.DENY,
      actions: [
        'sagemaker:CreateModelPackageGroup',
        'sagemaker:DeleteModelPackageGroup',
        'sagemaker:PutModelPackageGroupPolicy',
        'sagemaker:DeleteModelPackageGroupPolicy',
      ],
      resources: ['*'],
    }),
  ];
}
