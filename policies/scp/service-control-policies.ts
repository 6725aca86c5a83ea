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

/** Exempts the break-glass role (in any member account) from a deny. */
const exceptBreakGlass = (ctx: ScpContext) => ({ ArnNotLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${ctx.breakGlassRoleName}` } });

/** Services that are global or serve global endpoints, exempt from the region allow-list (AWS's documented pattern). */
export const GLOBAL_SERVICE_ACTIONS = [
  'account:*',
  'budgets:*',
  'ce:*',
  'cloudfront:*',
  'globalaccelerator:*',
  'health:*',
  'iam:*',
  'organizations:*',
  'route53:*',
  'route53domains:*',
  'shield:*',
  'sts:*',
  'support:*',
  'trustedadvisor:*',
  'waf:*',
];

/** SageMaker actions that start work on instances and so must run in the VPC with customer keys. */
const SAGEMAKER_JOBS = [
  'sagemaker:CreateTrainingJob',
  'sagemaker:CreateProcessingJob',
  'sagemaker:CreateHyperParameterTuningJob',
  'sagemaker:CreateTransformJob',
  'sagemaker:CreateModel',
  'sagemaker:CreateDataQualityJobDefinition',
  'sagemaker:CreateModelQualityJobDefinition',
  'sagemaker:CreateModelBiasJobDefinition',
  'sagemaker:CreateModelExplainabilityJobDefinition',
  'sagemaker:CreateMonitoringSchedule',
];

export function serviceControlPolicies(ctx: ScpContext): ServiceControlPolicy[] {
  const trails = `arn:aws:cloudtrail:*:*:trail/${ctx.organization}-*`;
  return [
    {
      name: 'baseline-guardrails',
      description: 'No leaving the organization, no root user, no disabling audit, detection or keys',
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
            Condition: exceptBreakGlass(ctx),
          },
          {
            Sid: 'ProtectDetectiveControls',
            Effect: 'Deny',
            Action: [
              'guardduty:DeleteDetector',
              'guardduty:DisassociateFromAdministratorAccount',
              'guardduty:DisassociateFromMasterAccount',
              'guardduty:StopMonitoringMembers',
              'guardduty:UpdateDetector',
              'securityhub:DisableSecurityHub',
              'securityhub:BatchDisableStandards',
              'securityhub:DisassociateFromAdministratorAccount',
              'securityhub:DisassociateFromMasterAccount',
              'config:StopConfigurationRecorder',
              'config:DeleteConfigurationRecorder',
              'config:DeleteDeliveryChannel',
            ],
            Resource: '*',
            Condition: exceptBreakGlass(ctx),
          },
          {
            Sid: 'ProtectCustomerKeys',
            Effect: 'Deny',
            Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation'],
            Resource: '*',
            Condition: exceptBreakGlass(ctx),
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
      description: 'SageMaker work only in the VPC, with customer keys, isolated, never on the internet',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'RequireVpcSubnets', Effect: 'Deny', Action: SAGEMAKER_JOBS, Resource: '*', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } },
          {
            Sid: 'RequireVolumeKey',
            Effect: 'Deny',
            Action: SAGEMAKER_JOBS.filter((a) => !a.endsWith('CreateModel')),
            Resource: '*',
            Condition: { Null: { 'sagemaker:VolumeKmsKey': 'true' } },
          },
          {
            Sid: 'RequireOutputKey',
            Effect: 'Deny',
            Action: ['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:CreateTransformJob'],
            Resource: '*',
            Condition: { Null: { 'sagemaker:OutputKmsKey': 'true' } },
          },
          {
            Sid: 'RequireNetworkIsolation',
            Effect: 'Deny',
            Action: ['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:CreateModel'],
            Resource: '*',
            Condition: { Bool: { 'sagemaker:NetworkIsolation': 'false' } },
          },
          {
            Sid: 'DenyNotebookInternetAccess',
            Effect: 'Deny',
            Action: 'sagemaker:CreateNotebookInstance',
            Resource: '*',
            Condition: { StringEquals: { 'sagemaker:DirectInternetAccess': 'Enabled' } },
          },
          {
            Sid: 'DenyStudioInternetAccess',
            Effect: 'Deny',
            Action: ['sagemaker:CreateDomain', 'sagemaker:UpdateDomain'],
            Resource: '*',
            Condition: { StringEquals: { 'sagemaker:AppNetworkAccessType': 'PublicInternetOnly' } },
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
