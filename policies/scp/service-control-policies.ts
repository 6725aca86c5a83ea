/**
 * Service control policies of the organization, as policy documents built
 * from the estate config. Each statement closes one risk; README's
 * "Guardrails" table lists them. Every policy must stay within AWS's 5,120
 * characters (checked by a test, minified as AWS counts it).
 */

export interface ScpContext {
  readonly organization: string;
  readonly allowedRegions: readonly string[];
  /** Role that may act in an emergency, and only it. */
  readonly breakGlassRoleName: string;
  /**
   * Accounts where the estate deploys its break-glass role. The exemption holds
   * only there: in any other account the guardrails bind (the Security OU,
   * the tooling account), a role created with that name is not exempt.
   */
  readonly breakGlassAccounts: readonly string[];
  /**
   * ARNs (ArnLike patterns) of the estate's deployment role in each account it
   * deploys to: the CloudFormation execution role of the CDK bootstrap. It alone
   * (with break-glass) may change the audit and detection chain, because it
   * creates and updates it; landing zones exempt their own pipeline roles the same way.
   */
  readonly deploymentRoleArns: readonly string[];
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface ServiceControlPolicy {
  readonly name: string;
  readonly description: string;
  readonly document: { readonly Version: '2012-10-17'; readonly Statement: PolicyStatement[] };
}

/** The CloudFormation execution role the CDK bootstrap creates in an account (any region). */
export function cdkDeploymentRoleArn(account: string, qualifier = 'hnb659fds'): string {
  return `arn:*:iam::${account}:role/cdk-${qualifier}-cfn-exec-role-${account}-*`;
}

const breakGlassArns = (ctx: ScpContext) => ctx.breakGlassAccounts.map((a) => `arn:*:iam::${a}:role/${ctx.breakGlassRoleName}`);

/** Exempts the break-glass role, in the accounts where the estate deploys it, from a deny. */
const exceptBreakGlass = (ctx: ScpContext) => ({ ArnNotLike: { 'aws:PrincipalArn': breakGlassArns(ctx) } });

/** Exempts the break-glass role and the estate's deployment role, which builds what the deny protects. */
const exceptBreakGlassAndDeployment = (ctx: ScpContext) => ({ ArnNotLike: { 'aws:PrincipalArn': [...breakGlassArns(ctx), ...ctx.deploymentRoleArns] } });

/**
 * Services that are global or serve global endpoints, exempt from the region
 * allow-list (AWS's documented example "Deny access to AWS based on the
 * requested Region", Organizations User Guide). `sts:*` stays exempt for the
 * global endpoint; assumptions of the break-glass role through it are still
 * announced (BreakGlassRole's alarm on the trail's log copy sees every region).
 */
export const GLOBAL_SERVICE_ACTIONS = [
  'a4b:*',
  'account:*',
  'acm:*',
  'aws-marketplace:*',
  'aws-marketplace-management:*',
  'budgets:*',
  'ce:*',
  'chime:*',
  'cloudfront:*',
  'cur:*',
  'directconnect:*',
  'ec2:DescribeRegions',
  'ec2:DescribeTransitGateways',
  'ec2:DescribeVpnGateways',
  'fms:*',
  'globalaccelerator:*',
  'health:*',
  'iam:*',
  'networkmanager:*',
  'organizations:*',
  'pricing:*',
  'route53:*',
  'route53domains:*',
  'route53-recovery-cluster:*',
  'route53-recovery-control-config:*',
  'route53-recovery-readiness:*',
  's3:GetAccountPublicAccessBlock',
  's3:ListAllMyBuckets',
  's3:ListMultiRegionAccessPoints',
  's3:PutAccountPublicAccessBlock',
  'shield:*',
  'sso:*',
  'sts:*',
  'support:*',
  'trustedadvisor:*',
  'waf:*',
  'wellarchitected:*',
];

/**
 * Instance types with local NVMe storage, as IAM `StringLike` patterns (the
 * same families as `hasInstanceStorage` in lib/ml/instances.ts): SageMaker
 * encrypts their storage in hardware and refuses a volume key, so the
 * volume-key requirement exempts them.
 */
export const INSTANCE_STORAGE_TYPE_PATTERNS = ['ml.*d.*', 'ml.g4dn.*', 'ml.g5.*', 'ml.g6.*', 'ml.g6e.*', 'ml.p3dn.*', 'ml.p4de.*', 'ml.p5.*', 'ml.p5e.*', 'ml.p5en.*'];

/** SageMaker actions that start compute from a full job description: each must name subnets, keys and isolation. */
const SAGEMAKER_JOBS = [
  'sagemaker:CreateTrainingJob',
  'sagemaker:CreateProcessingJob',
  'sagemaker:CreateHyperParameterTuningJob',
  'sagemaker:CreateDataQualityJobDefinition',
  'sagemaker:CreateModelQualityJobDefinition',
  'sagemaker:CreateModelBiasJobDefinition',
  'sagemaker:CreateModelExplainabilityJobDefinition',
];

/**
 * A monitoring schedule either describes its job inline or names a job
 * definition (checked when that was created). Whether SageMaker fills the
 * network and key context from a named definition is not documented, so the
 * schedule's requirement applies only to inline jobs: those give an instance
 * type, a named definition does not.
 */
const MONITORING_SCHEDULES = ['sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule'];
const INLINE_JOB = { 'sagemaker:InstanceTypes': 'false' };

export function serviceControlPolicies(ctx: ScpContext): ServiceControlPolicy[] {
  const trails = `arn:*:cloudtrail:*:*:trail/${ctx.organization}-*`;
  const estateTagged = { StringEquals: { 'aws:ResourceTag/estate:organization': ctx.organization } };
  return [
    {
      name: 'baseline-guardrails',
      description: 'No leaving the organization, no root user, no disabling the audit trail or keys, boundaries and break-glass kept',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'DenyLeavingTheOrganization', Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' },
          {
            Sid: 'DenyRootUser',
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { StringLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:root' } },
          },
          {
            Sid: 'ProtectTheAuditTrail',
            Effect: 'Deny',
            Action: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors', 'cloudtrail:PutInsightSelectors'],
            Resource: trails,
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            Sid: 'ProtectCustomerKeys',
            Effect: 'Deny',
            Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation'],
            Resource: '*',
            Condition: exceptBreakGlass(ctx),
          },
          {
            Sid: 'ProtectEstateKeyPolicies',
            Effect: 'Deny',
            Action: ['kms:PutKeyPolicy'],
            Resource: '*',
            Condition: { ...estateTagged, ...exceptBreakGlassAndDeployment(ctx) },
          },
          {
            Sid: 'ProtectEstateKeyAliases',
            Effect: 'Deny',
            Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
            Resource: `arn:*:kms:*:*:alias/${ctx.organization}-*`,
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            Sid: 'ProtectBoundariesAndBreakGlass',
            Effect: 'Deny',
            Action: [
              'iam:CreatePolicyVersion',
              'iam:DeletePolicy',
              'iam:DeletePolicyVersion',
              'iam:SetDefaultPolicyVersion',
              'iam:CreateRole',
              'iam:DeleteRole',
              'iam:UpdateRole',
              'iam:UpdateAssumeRolePolicy',
              'iam:AttachRolePolicy',
              'iam:DetachRolePolicy',
              'iam:PutRolePolicy',
              'iam:DeleteRolePolicy',
              'iam:PutRolePermissionsBoundary',
              'iam:DeleteRolePermissionsBoundary',
            ],
            Resource: [`arn:*:iam::*:policy/${ctx.organization}-*`, `arn:*:iam::*:role/${ctx.breakGlassRoleName}`],
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            Sid: 'KeepWorkloadBoundaries',
            Effect: 'Deny',
            Action: ['iam:DeleteRolePermissionsBoundary'],
            Resource: '*',
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
        ],
      },
    },
    {
      name: 'detection-guardrails',
      description: 'GuardDuty, Security Hub, Config, the security rules, alarms and topics, and the audit buckets: changed only by the deployment role or break-glass',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ProtectDetectiveControls',
            Effect: 'Deny',
            Action: [
              'guardduty:DeleteDetector',
              'guardduty:DisassociateFromAdministratorAccount',
              'guardduty:DisassociateFromMasterAccount',
              'guardduty:StopMonitoringMembers',
              'guardduty:UpdateDetector',
              'guardduty:CreateFilter',
              'guardduty:UpdateFilter',
              'guardduty:CreateIPSet',
              'guardduty:UpdateIPSet',
              'securityhub:DisableSecurityHub',
              'securityhub:BatchDisableStandards',
              'securityhub:UpdateStandardsControl',
              'securityhub:BatchUpdateStandardsControlAssociations',
              'securityhub:DisableImportFindingsForProduct',
              'securityhub:DisassociateFromAdministratorAccount',
              'securityhub:DisassociateFromMasterAccount',
              'config:StopConfigurationRecorder',
              'config:DeleteConfigurationRecorder',
              'config:PutConfigurationRecorder',
              'config:DeleteDeliveryChannel',
              'config:PutDeliveryChannel',
            ],
            Resource: '*',
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            Sid: 'DenySuppressingFindings',
            Effect: 'Deny',
            Action: ['securityhub:BatchUpdateFindings'],
            Resource: '*',
            Condition: { StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': 'SUPPRESSED' }, ...exceptBreakGlassAndDeployment(ctx) },
          },
          {
            Sid: 'ProtectEstateAlerting',
            Effect: 'Deny',
            Action: [
              'events:DeleteRule',
              'events:DisableRule',
              'events:PutRule',
              'events:PutTargets',
              'events:RemoveTargets',
              'cloudwatch:DeleteAlarms',
              'cloudwatch:DisableAlarmActions',
              'cloudwatch:PutMetricAlarm',
              'sns:DeleteTopic',
              'sns:SetTopicAttributes',
              'sns:AddPermission',
              'sns:RemovePermission',
            ],
            Resource: '*',
            Condition: { ...estateTagged, ...exceptBreakGlassAndDeployment(ctx) },
          },
          {
            Sid: 'ProtectAuditBuckets',
            Effect: 'Deny',
            Action: [
              's3:DeleteBucket',
              's3:DeleteBucketPolicy',
              's3:PutBucketPolicy',
              's3:PutBucketObjectLockConfiguration',
              's3:PutBucketVersioning',
              's3:PutEncryptionConfiguration',
              's3:PutLifecycleConfiguration',
              's3:PutReplicationConfiguration',
              's3:PutBucketLogging',
            ],
            // CloudFormation names a bucket <stack>-<logical id>-<suffix>; the replica has a fixed name.
            Resource: ['arn:*:s3:::*-foundation-audit*', 'arn:*:s3:::*-modelgovernance-decisionrecords*', 'arn:*:s3:::audit-replica-*'],
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
        ],
      },
    },
    {
      name: 'region-allow-list',
      description: `Only ${ctx.allowedRegions.join(', ')}, but for global services`,
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyOutsideAllowedRegions',
            Effect: 'Deny',
            NotAction: GLOBAL_SERVICE_ACTIONS,
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:RequestedRegion': [...ctx.allowedRegions] }, ...exceptBreakGlass(ctx) },
          },
        ],
      },
    },
    {
      name: 'sagemaker-guardrails',
      description: 'SageMaker work only in the VPC, with customer keys, isolated, never on the internet, whether a setting is given or left out',
      document: {
        Version: '2012-10-17',
        Statement: [
          // Batch transform has no subnet key (it runs in its model's VPC, required by CreateModel).
          { Sid: 'RequireVpcSubnets', Effect: 'Deny', Action: [...SAGEMAKER_JOBS, 'sagemaker:CreateModel', 'sagemaker:CreateNotebookInstance', 'sagemaker:CreateDomain'], Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } },
          { Sid: 'RequireVpcSubnetsInline', Effect: 'Deny', Action: MONITORING_SCHEDULES, Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true', ...INLINE_JOB } } },
          {
            Sid: 'RequireVolumeKey',
            Effect: 'Deny',
            Action: [...SAGEMAKER_JOBS, 'sagemaker:CreateTransformJob', 'sagemaker:CreateEndpointConfig', ...MONITORING_SCHEDULES],
            Resource: '*',
            // An instance type without local storage must name a volume key (a request with none is not a job).
            Condition: { Null: { 'sagemaker:VolumeKmsKeyArn': 'true' }, 'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': INSTANCE_STORAGE_TYPE_PATTERNS } },
          },
          {
            Sid: 'RequireOutputKey',
            Effect: 'Deny',
            Action: [...SAGEMAKER_JOBS, 'sagemaker:CreateTransformJob'],
            Resource: '*',
            Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true' } },
          },
          { Sid: 'RequireOutputKeyInline', Effect: 'Deny', Action: MONITORING_SCHEDULES, Resource: '*', Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true', ...INLINE_JOB } } },
          {
            Sid: 'RequireNetworkIsolation',
            Effect: 'Deny',
            Action: [...SAGEMAKER_JOBS, 'sagemaker:CreateModel'],
            Resource: '*',
            // IfExists: a request that leaves the setting out (default: not isolated) is denied too.
            Condition: { BoolIfExists: { 'sagemaker:NetworkIsolation': 'false' } },
          },
          {
            Sid: 'DenyNotebookInternetAccess',
            Effect: 'Deny',
            Action: 'sagemaker:CreateNotebookInstance',
            Resource: '*',
            // Negated: true when the setting is left out, whose default is Enabled.
            Condition: { StringNotEquals: { 'sagemaker:DirectInternetAccess': 'Disabled' } },
          },
          {
            Sid: 'DenyStudioInternetAccess',
            Effect: 'Deny',
            Action: 'sagemaker:CreateDomain',
            Resource: '*',
            // Negated: true when the setting is left out, whose default is PublicInternetOnly.
            Condition: { StringNotEquals: { 'sagemaker:AppNetworkAccessType': 'VpcOnly' } },
          },
          {
            Sid: 'DenyStudioInternetAccessLater',
            Effect: 'Deny',
            Action: 'sagemaker:UpdateDomain',
            Resource: '*',
            // Leaving the setting out of an update keeps the domain's current one.
            Condition: { StringNotEqualsIfExists: { 'sagemaker:AppNetworkAccessType': 'VpcOnly' } },
          },
        ],
      },
    },
  ];
}

/** Size of a policy as AWS counts it against the 5,120-character limit: JSON without whitespace. */
export function policySize(policy: ServiceControlPolicy): number {
  return JSON.stringify(policy.document).length;
}

export const SCP_SIZE_LIMIT = 5120;
