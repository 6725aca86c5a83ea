import { BASELINE_COPIER_SUFFIX } from '../workload-boundary';
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
   * Exact ARNs of the estate's deployment role in each account and region it
   * deploys to: the CloudFormation execution role of the CDK bootstrap. It alone
   * (with break-glass) may change the audit and detection chain, because it
   * creates and updates it; landing zones exempt their own pipeline roles the
   * same way. Exact, not a pattern: no role an admin creates can match, and the
   * bootstrap roles themselves are protected (ProtectTheDeploymentRoles).
   */
  readonly deploymentRoleArns: readonly string[];
  /**
   * Exact ARNs of the CDK bootstrap's deploy role in the same accounts and
   * regions: the role the pipeline (or `cdk deploy`) assumes to create and
   * execute change sets, passing the execution role to CloudFormation.
   */
  readonly deployRoleArns: readonly string[];
  /** Qualifier of the CDK bootstrap (`@aws-cdk/core:bootstrapQualifier`), naming its roles `cdk-<qualifier>-*`. */
  readonly bootstrapQualifier: string;
  /** Stack names of the estate (`<name>-*` patterns): changed only through the CDK deploy role. */
  readonly stackNamePrefixes: readonly string[];
  /**
   * The tooling account whose pipeline deploys the estate. When set, the
   * bootstrap roles of every account may be assumed only from it (and by
   * break-glass): an admin of an environment cannot borrow the deploy role.
   */
  readonly deliveryAccount?: string;
  /**
   * ARN patterns of the roles that may set a model package Approved: each
   * environment's model-risk approver persona and approval gate, as
   * `role/<org>-<env>-appro*` in that environment's account. Only the deploy
   * and break-glass create or change a role of such a name (ProtectTheEstate
   * reserves `role/<org>-*-appro*`).
   */
  readonly approverRoleArns: readonly string[];
  /**
   * More resources only the deployment role and break-glass change: IAM paths
   * a bucket policy trusts (the training roles' path, whose roles alone write
   * the gate's evidence) and buckets whose policy carries a control.
   */
  readonly protectedResources: readonly string[];
  /**
   * Roles a guardrail or resource policy trusts by identity, as ARN patterns:
   * passed (iam:PassRole) only by the deployment role. A pattern ending in `/*`
   * is a path whose roles may pass each other (the training roles pass
   * themselves to their jobs); ProtectTheEstate keeps that path for the deploy.
   */
  readonly trustedRoles: readonly string[];
  /**
   * Patterns among `trustedRoles` whose roles may pass each other, in the environment accounts (the training roles to
   * their jobs).
   */
  readonly selfPassingRoles: readonly string[];
  /**
   * The pipeline's own roles in the tooling account (an IAM path only the
   * deploy creates roles under): they alone assume the bootstrap roles and
   * start or change the pipeline's builds.
   */
  readonly pipelineRoles: readonly string[];
  /** The pipeline's artifact buckets (their policy lets only the pipeline's roles write). */
  readonly pipelineBuckets: readonly string[];
  /** Accounts the estate bootstraps (environments and tooling): their publishing roles write the bootstrap's assets. */
  readonly bootstrapAccounts: readonly string[];
  /**
   * Exact ARNs of the role that re-bootstraps the tooling account (`cdk bootstrap` as it), where no
   * break-glass role is deployed: exempt from exactly the statements a bootstrap meets
   * (ProtectTheDeploymentRoles, PublishOnlyThroughTheBootstrap), and itself changed by no one in
   * that account (ProtectTheDeploymentRoles names it).
   */
  readonly toolingBootstrapRoles: readonly string[];
  /** The accounts of prod environments: their endpoints are changed only by the deployment role or break-glass. */
  readonly prodAccounts: readonly string[];
  /**
   * The accounts whose baseline copiers staging's approved-model bucket admits by role-name suffix (over
   * MAX_EXACT_BASELINE_READERS copiers; constructs/baseline-copy.ts): OnlyTheDeployMakesBaselineCopiers guards
   * the suffix there. Empty (and no statement) while the bucket names each copier exactly.
   */
  readonly baselineCopierAccounts: readonly string[];
}

/**
 * The role that re-bootstraps the tooling account: the one AWS Organizations creates in an account it
 * creates, trusting the management account only (Organizations User Guide, "Accessing a member account
 * that has a management account access role"). Whoever may assume it may already detach the SCPs, so
 * exempting it gives no one a power they lack; an account enrolled by Control Tower names it
 * `AWSControlTowerExecution`.
 */
export const TOOLING_BOOTSTRAP_ROLE = 'OrganizationAccountAccessRole';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Where a policy is attached. `units-and-accounts`: both top OUs (Security, ML Workloads) and every
 * environment and tooling account directly, so an adopted account is bound before it is moved.
 * `root`: the organization's root, which binds every member account wherever it sits; only a policy
 * whose every statement names the environment accounts' own resources goes there (it then changes
 * nothing for the organization's other accounts). Each target takes five SCPs, FullAWSAccess among them.
 */
export type ScpAttachment = 'units-and-accounts' | 'root';

export interface ServiceControlPolicy {
  readonly name: string;
  readonly description: string;
  readonly attachment: ScpAttachment;
  readonly document: { readonly Version: '2012-10-17'; readonly Statement: PolicyStatement[] };
}

export const DEFAULT_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** The CloudFormation execution role the CDK bootstrap creates in an account and region (its exact ARN). */
export function cdkDeploymentRoleArn(account: string, region: string, qualifier = DEFAULT_BOOTSTRAP_QUALIFIER): string {
  return `arn:*:iam::${account}:role/cdk-${qualifier}-cfn-exec-role-${account}-${region}`;
}

/** The deploy role the CDK bootstrap creates in an account and region (its exact ARN). */
export function cdkDeployRoleArn(account: string, region: string, qualifier = DEFAULT_BOOTSTRAP_QUALIFIER): string {
  return `arn:*:iam::${account}:role/cdk-${qualifier}-deploy-role-${account}-${region}`;
}

const breakGlassArns = (ctx: ScpContext) =>
  ctx.breakGlassAccounts.map((a) => `arn:*:iam::${a}:role/${ctx.breakGlassRoleName}`);

/** Exempts the break-glass role, in the accounts where the estate deploys it, from a deny. */
const exceptBreakGlass = (ctx: ScpContext) => ({ ArnNotLike: { 'aws:PrincipalArn': breakGlassArns(ctx) } });

/** Exempts the break-glass role and the estate's deployment role, which builds what the deny protects. */
const exceptBreakGlassAndDeployment = (ctx: ScpContext) => ({
  ArnNotLike: { 'aws:PrincipalArn': [...breakGlassArns(ctx), ...ctx.deploymentRoleArns] },
});

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
export const INSTANCE_STORAGE_TYPE_PATTERNS = [
  'ml.*d.*',
  'ml.g4dn.*',
  'ml.g5.*',
  'ml.g6.*',
  'ml.g6e.*',
  'ml.p3dn.*',
  'ml.p4de.*',
  'ml.p5.*',
  'ml.p5e.*',
  'ml.p5en.*',
];

/** SageMaker actions that start compute from a full job description: each must name subnets, keys and isolation. */
const SAGEMAKER_JOBS = [
  'sagemaker:CreateTrainingJob',
  'sagemaker:CreateProcessingJob',
  'sagemaker:CreateHyperParameterTuningJob',
  // Data quality, model quality, bias and explainability (exactly these four in the pinned reference).
  'sagemaker:Create*JobDefinition',
];

/**
 * A monitoring schedule either describes its job inline or names a job
 * definition (checked when that was created). Whether SageMaker fills the
 * network and key context from a named definition is not documented, so the
 * schedule's requirement applies only to inline jobs: those give an instance
 * type, a named definition does not.
 */
/** AutoML's front door: the jobs it starts are not the caller's requests, so the requirements apply here. */
const AUTOML_JOBS = ['sagemaker:CreateAutoMLJob*'];

const MONITORING_SCHEDULES = ['sagemaker:CreateMonitoringSchedule', 'sagemaker:UpdateMonitoringSchedule'];
const INLINE_JOB = { 'sagemaker:InstanceTypes': 'false' };

/**
 * CloudFormation calls that change a stack. A stack keeps the service role it
 * was created with, and "other users that have permissions to perform
 * operations on this stack are able to use this role, regardless of whether
 * those users have the iam:PassRole permission" (CloudFormation User Guide,
 * "CloudFormation service role"): denying PassRole alone would leave every
 * admin able to update the estate's stacks as the execution role.
 */
const STACK_CHANGES = [
  // Wildcards for room, each expanded against the reference snapshot (test/access/scp-size.test.ts):
  // Create/Update/Delete/Rollback/CancelUpdateStack; Create/Execute/DeleteChangeSet.
  'cloudformation:*Stack',
  'cloudformation:*teChangeSet',
  'cloudformation:ContinueUpdateRollback',
  'cloudformation:SetStackPolicy',
  'cloudformation:UpdateTerminationProtection',
  'cloudformation:ImportStacksToStackSet',
  // A stack refactor moves resources out of a stack into another one (CloudFormation User Guide, "Stack refactoring").
  'cloudformation:CreateStackRefactor',
  'cloudformation:ExecuteStackRefactor',
];

/**
 * IAM calls that create a role or change what it may do, who may assume it, or how it is tagged:
 * CreateRole, DeleteRole, UpdateRole, UpdateAssumeRolePolicy, Put/DeleteRolePolicy,
 * Attach/DetachRolePolicy, Put/DeleteRolePermissionsBoundary, Tag/UntagRole. Wildcards for room,
 * each expanded against the Service Authorization Reference snapshot to exactly these twelve and no
 * read (test/access/scp-size.test.ts).
 */
export const ROLE_CHANGES = [
  'iam:*eRole',
  'iam:*eRolePolicy',
  'iam:PutRolePolicy',
  'iam:*tachRolePolicy',
  'iam:*RolePermissionsBoundary',
  'iam:*agRole',
];

/**
 * Every write of Route 53 Resolver (endpoints, forwarding rules and their associations, query-log configurations,
 * the DNS Firewall's rule groups, rules, domain lists and associations, the firewall and resolver configurations,
 * the sharing policies), and no read or tag: each pattern is pinned to its expansion in the reference snapshot.
 */
export const RESOLVER_WRITES = [
  'route53resolver:Associate*',
  'route53resolver:Create*',
  'route53resolver:Delete*',
  'route53resolver:Disassociate*',
  'route53resolver:Import*',
  'route53resolver:Put*',
  'route53resolver:Update*',
];

export function serviceControlPolicies(ctx: ScpContext): ServiceControlPolicy[] {
  const trails = `arn:*:cloudtrail:*:*:trail/${ctx.organization}-*`;
  const estateTagged = { StringEquals: { 'aws:ResourceTag/estate:organization': ctx.organization } };
  const cdkRoles = `arn:*:iam::*:role/cdk-${ctx.bootstrapQualifier}-*`;
  const execRoles = `arn:*:iam::*:role/cdk-${ctx.bootstrapQualifier}-cfn-exec-role-*`;
  const stacks = ctx.stackNamePrefixes.map((p) => `arn:*:cloudformation:*:*:stack/${p}-*`);
  // Every EC2 resource of the environment accounts (and of no other account: see environment-guardrails).
  const environmentEc2 = ctx.breakGlassAccounts.map((a) => `arn:*:ec2:*:${a}:*`);
  return [
    {
      name: 'baseline-guardrails',
      attachment: 'units-and-accounts',
      description:
        'The audit trail, keys, aliases, boundaries, audit buckets, break-glass and the deployment path: changed only by the deployment role or break-glass',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            // Break-glass only: the deployment role retains keys and never removes a boundary
            // (deleting a role needs no DeleteRolePermissionsBoundary).
            Sid: 'ProtectKeysAndBoundaries',
            Effect: 'Deny',
            Action: [
              'kms:ScheduleKeyDeletion',
              'kms:DisableKey',
              'kms:DisableKeyRotation',
              'iam:DeleteRolePermissionsBoundary',
            ],
            Resource: '*',
            Condition: exceptBreakGlass(ctx),
          },
          {
            // One statement for everything the estate names: an action only ever
            // applies to resources of its own service, so the union is exact.
            Sid: 'ProtectTheEstate',
            Effect: 'Deny',
            Action: [
              'cloudtrail:StopLogging',
              // Create, Delete and UpdateTrail (creating one under the estate's name included).
              'cloudtrail:*eTrail',
              'cloudtrail:Put*Selectors',
              'kms:*Alias',
              // Create/DeletePolicy and their versions: no new version, and no policy created under an estate
              // name (the boundary's name is what RolesCarryTheBoundary admits).
              'iam:*tePolicy*',
              'iam:SetDefaultPolicyVersion',
              ...ROLE_CHANGES,
              // Every bucket-level configuration write and deletion (policy, ACL, ownership, public access
              // block, versioning, lock, logging, notification, tags; encryption, lifecycle, replication,
              // inventory...): the deploy alone configures these buckets.
              's3:DeleteBucket*',
              's3:PutBucket*',
              's3:Put*Configuration',
              // Model monitoring (SR 11-7 ongoing monitoring), by the names the estate gives it: each endpoint's
              // Model Monitor schedules and their job definitions (`<endpoint>-dataquality`, `-modelquality`;
              // a definition deleted and re-created under its name would run the admin's job), and the runs of
              // its runner state machine (`<endpoint>-monitoring`). Executions carry no tag a condition could
              // read, so by name; IAM takes no wildcard in an ARN's resource type, so one pattern per type.
              'sagemaker:StopMonitoringSchedule',
              'sagemaker:DeleteMonitoringSchedule',
              'sagemaker:UpdateMonitoring*',
              'sagemaker:Delete*JobDefinition',
              'states:StopExecution',
              // And the Scheduler schedules that start the runner (`<endpoint>-hourly`, `-daily`, default group):
              // Create, Delete and UpdateSchedule.
              'scheduler:*eSchedule',
              // Prod's endpoints change only through the delivery pipeline (its deploy) or break-glass: an
              // account admin neither creates, re-points (UpdateEndpoint, UpdateEndpointWeightsAndCapacities) nor
              // deletes one, past the approval, the deployment gate and the pipeline. Create/Delete/Update
              // Endpoint(Config) and UpdateEndpointWeightsAndCapacities; on endpoint ARNs only the endpoint
              // actions apply. Application Auto Scaling acts through its service-linked role, which SCPs do not bind.
              'sagemaker:*teEndpoint*',
            ],
            Resource: [
              trails,
              `arn:*:kms:*:*:alias/${ctx.organization}-*`,
              // The pipeline's artifact keys (`alias/<org>/pipeline-artifacts` names a replica store's key).
              `arn:*:kms:*:*:alias/${ctx.organization}/*`,
              // The boundary (`<org>-<env>-workload-boundary`) and every managed policy CloudFormation names after an
              // estate stack (`<stack>-<logical id>-...`): grants, the break-glass boundary.
              ...ctx.stackNamePrefixes.map((p) => `arn:*:iam::*:policy/${p}-*`),
              `arn:*:iam::*:role/${ctx.breakGlassRoleName}`,
              // Every name of an approver or approval gate (`<org>-<env>-approver`, `-approval-gate`), reserved before
              // their stack creates them: OnlyApproversApprove exempts `<org>-<env>-appro*` in the environment's
              // account.
              `arn:*:iam::*:role/${ctx.organization}-*-appro*`,
              // CloudFormation names a bucket <stack>-<logical id>-<suffix>; the replica has a fixed name.
              'arn:*:s3:::*-foundation-audit*',
              'arn:*:s3:::*-modelgovernance-decisionrecords*',
              'arn:*:s3:::audit-replica-*',
              ...ctx.protectedResources,
              ...['monitoring-schedule', 'data-quality-job-definition', 'model-quality-job-definition'].map(
                (type) => `arn:*:sagemaker:*:*:${type}/*quality`,
              ),
              'arn:*:states:*:*:execution:*-monitoring:*',
              'arn:*:scheduler:*:*:schedule/default/*-hourly',
              'arn:*:scheduler:*:*:schedule/default/*-daily',
              ...ctx.prodAccounts.map((account) => `arn:*:sagemaker:*:${account}:endpoint/*`),
            ],
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            // The bootstrap's roles (deploy, execution, publishing, lookup): nobody but
            // break-glass creates, re-trusts, re-grants or re-tags one, so no admin can
            // mint a role of that name or widen the real ones. Re-bootstrap with
            // break-glass (environments) or the tooling account's bootstrap role.
            Sid: 'ProtectTheDeploymentRoles',
            Effect: 'Deny',
            Action: ROLE_CHANGES,
            // The tooling account's bootstrap role too: no one there creates, re-trusts or re-grants it.
            Resource: [cdkRoles, ...ctx.toolingBootstrapRoles],
            // Break-glass re-bootstraps an environment account; the tooling account has none, its bootstrap role does.
            Condition: { ArnNotLike: { 'aws:PrincipalArn': [...breakGlassArns(ctx), ...ctx.toolingBootstrapRoles] } },
          },
          {
            // The execution role is used only by the deploy role: passed to CloudFormation,
            // or through a stack that already has it (which needs no PassRole). Break-glass
            // deploys by assuming the deploy role (BootstrapRolesOnlyFromThePipeline exempts it).
            Sid: 'DeployOnlyThroughTheDeployRole',
            Effect: 'Deny',
            Action: ['iam:PassRole', ...STACK_CHANGES],
            Resource: [execRoles, ...stacks],
            Condition: { ArnNotLike: { 'aws:PrincipalArn': ctx.deployRoleArns } },
          },
          {
            // Every role created in an environment account carries the workload boundary, and keeps it: a
            // role without it (or under a policy an admin wrote) is an admin's way around the ceiling the
            // estate's roles live under. The deploy is held to it too: every role of the estate's templates
            // names it, but the break-glass role (its own boundary; only the deploy and break-glass create a
            // role of that name: ProtectTheEstate) and the bootstrap's roles (only break-glass: a re-bootstrap
            // creates them as the CDK defines them). No policy can be created under the boundary's name but by
            // the deploy (ProtectTheEstate, iam:CreatePolicy*); removing a boundary is break-glass only
            // (ProtectKeysAndBoundaries).
            Sid: 'RolesCarryTheBoundary',
            Effect: 'Deny',
            Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
            NotResource: [cdkRoles, `arn:*:iam::*:role/${ctx.breakGlassRoleName}`],
            Condition: {
              StringEquals: { 'aws:PrincipalAccount': [...ctx.breakGlassAccounts] },
              StringNotLike: {
                'iam:PermissionsBoundary': `arn:*:iam::*:policy/${ctx.organization}-*-workload-boundary`,
              },
            },
          },
          ...(ctx.deliveryAccount
            ? [
                {
                  Sid: 'BootstrapRolesOnlyFromThePipeline',
                  Effect: 'Deny' as const,
                  Action: 'sts:AssumeRole',
                  Resource: cdkRoles,
                  // The pipeline's roles by path, not the tooling account: anyone there with
                  // sts:AssumeRole would otherwise deploy to prod as the exempt execution role.
                  Condition: { ArnNotLike: { 'aws:PrincipalArn': [...ctx.pipelineRoles, ...breakGlassArns(ctx)] } },
                },
              ]
            : []),
        ],
      },
    },
    {
      name: 'detection-guardrails',
      attachment: 'units-and-accounts',
      description:
        'GuardDuty, Security Hub, Config, the security rules, alarms, topics and key policies: changed only by the deployment role or break-glass',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ProtectDetectiveControls',
            Effect: 'Deny',
            Action: [
              'guardduty:DeleteDetector',
              // Wildcards each checked against the Service Authorization Reference snapshot
              // (test/access/detection-switches.test.ts lists exactly what they match).
              'guardduty:DisassociateFrom*',
              'guardduty:StopMonitoringMembers',
              'guardduty:UpdateDetector',
              'guardduty:CreateFilter',
              'guardduty:UpdateFilter',
              // IP sets and their successors, trusted and threat entity sets: no findings for a trusted entry.
              'guardduty:Create*Set',
              'guardduty:Update*Set',
              'guardduty:ArchiveFindings',
              'guardduty:DeletePublishingDestination',
              'guardduty:UpdatePublishingDestination',
              // Not detection, but here for room (same exemption, every resource of its type): a model package
              // group's resource policy admits other accounts to register packages (Approved, where no SCP binds
              // the caller) or deploy them, and prod reads through it. Only the deploy writes it.
              'sagemaker:PutModelPackageGroupPolicy',
              'sagemaker:DeleteModelPackageGroupPolicy',
              'securityhub:DisableSecurityHub*',
              'securityhub:CreateAutomationRule*',
              'securityhub:BatchUpdateAutomationRules',
              'securityhub:UpdateAutomationRuleV2',
              'securityhub:UpdateFindings',
              'securityhub:BatchDisableStandards',
              'securityhub:UpdateStandardsControl',
              'securityhub:BatchUpdateStandardsControlAssociations',
              'securityhub:DisableImportFindingsForProduct',
              'securityhub:DisassociateFrom*',
              'securityhub:UpdateSecurityControl',
              'securityhub:UpdateSecurityHubConfiguration',
              'config:StopConfigurationRecorder',
              'config:Delete*Recorder',
              'config:Put*Recorder',
              'config:*DeliveryChannel',
              'config:DisassociateResourceTypes',
              'config:DeleteConfigRule',
              'config:*RetentionConfiguration',
            ],
            Resource: '*',
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            Sid: 'DenySuppressingFindings',
            Effect: 'Deny',
            Action: ['securityhub:BatchUpdateFindings'],
            Resource: '*',
            // Break-glass only: the deployment role never triages findings.
            Condition: {
              StringEquals: { 'securityhub:ASFFSyntaxPath/Workflow.Status': 'SUPPRESSED' },
              ...exceptBreakGlass(ctx),
            },
          },
          {
            // Security Hub's OCSF findings (BatchUpdateFindingsV2 is authorized as BatchUpdateFindings, its fields as
            // `securityhub:OCSFSyntaxPath/<field>`: SeverityId, StatusId, Comment; Security Hub API Reference,
            // BatchUpdateFindingsV2). A status other than New (1), In Progress (2) or Resolved (4), as for ASFF
            // findings: no one suppresses or archives one. No exemption: an emergency needs no finding hidden.
            Sid: 'DenySuppressingFindingsV2',
            Effect: 'Deny',
            Action: 'securityhub:BatchUpdateFindings',
            Resource: '*',
            Condition: {
              Null: { 'securityhub:OCSFSyntaxPath/StatusId': 'false' },
              StringNotEquals: { 'securityhub:OCSFSyntaxPath/StatusId': ['1', '2', '4'] },
            },
          },
          {
            // Everything the estate tags `estate:organization`: key policies, the rules, alarms, topics and
            // subscriptions, dead-letter queues and log groups (the trail's copy carries the break-glass metric filter)
            // of the alert chain, the gates' functions (no new code), and every estate role (no new grant, trust,
            // boundary or approver tag). The tag itself cannot be removed or overwritten (the tag calls are here, on a
            // tagged resource), so the protection cannot be switched off by untagging first.
            Sid: 'ProtectEstateAlerting',
            Effect: 'Deny',
            Action: [
              'kms:PutKeyPolicy',
              'kms:*TagResource',
              'events:DeleteRule',
              'events:DisableRule',
              'events:PutRule',
              'events:*Targets',
              'events:*TagResource',
              'cloudwatch:DeleteAlarms',
              'cloudwatch:DisableAlarmActions',
              'cloudwatch:PutMetricAlarm',
              'cloudwatch:*TagResource',
              'sns:DeleteTopic',
              'sns:SetTopicAttributes',
              'sns:*Permission',
              'sns:Unsubscribe',
              'sns:SetSubscriptionAttributes',
              'sns:*TagResource',
              'sqs:DeleteQueue',
              'sqs:PurgeQueue',
              'sqs:SetQueueAttributes',
              'sqs:*TagQueue',
              'logs:DeleteLogGroup',
              'logs:PutMetricFilter',
              'logs:DeleteMetricFilter',
              'logs:PutTransformer',
              'logs:PutRetentionPolicy',
              'logs:DisassociateKmsKey',
              'logs:Tag*',
              'logs:Untag*',
              // Code, configuration and code-signing configuration.
              'lambda:UpdateFunctionCo*',
              'lambda:DeleteFunction',
              'lambda:PutFunctionConcurrency',
              'lambda:*TagResource',
              // The model-monitoring runner (SR 11-7 ongoing monitoring): its definition and tags.
              'states:UpdateStateMachine',
              'states:DeleteStateMachine',
              'states:*TagResource',
              ...ROLE_CHANGES,
            ],
            Resource: '*',
            Condition: { ...estateTagged, ...exceptBreakGlassAndDeployment(ctx) },
          },
          {
            // An update that leaves the status out changes an approved package's content
            // (InferenceSpecification, SourceUri, metadata) without a new decision, and no
            // status condition can see it: every update must state a status. (Kept here, where
            // there was room.)
            Sid: 'NoUpdateWithoutAStatus',
            Effect: 'Deny',
            Action: 'sagemaker:UpdateModelPackage',
            Resource: '*',
            Condition: { Null: { 'sagemaker:ModelApprovalStatus': 'true' }, ...exceptBreakGlass(ctx) },
          },
          ...(ctx.pipelineRoles.length
            ? [
                {
                  // The pipeline's builds run as its roles, which alone assume the bootstrap roles: a
                  // build started with a buildspec override, or a project or pipeline rewritten, would
                  // publish assets or deploy as them. Only the pipeline starts them; only the deploy
                  // changes them. The tag cannot be removed (CodeBuild tags change with UpdateProject).
                  Sid: 'ProtectThePipeline',
                  Effect: 'Deny' as const,
                  Action: [
                    'codebuild:StartBuild*',
                    'codebuild:RetryBuild*',
                    'codebuild:UpdateProject',
                    'codebuild:DeleteProject',
                    'codepipeline:UpdatePipeline',
                    'codepipeline:DeletePipeline',
                    'codepipeline:*TagResource',
                  ],
                  Resource: '*',
                  Condition: {
                    ...estateTagged,
                    ArnNotLike: {
                      'aws:PrincipalArn': [
                        ...ctx.pipelineRoles,
                        ...ctx.deploymentRoleArns.filter((a) => a.includes(`::${ctx.deliveryAccount}:`)),
                      ],
                    },
                  },
                },
              ]
            : []),
        ],
      },
    },
    {
      name: 'region-allow-list',
      attachment: 'units-and-accounts',
      description: `Only ${ctx.allowedRegions.join(', ')}, but for global services; no leaving the organization; no root user; no borrowing a trusted role`,
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyLeavingTheOrganization',
            Effect: 'Deny',
            Action: 'organizations:LeaveOrganization',
            Resource: '*',
          },
          {
            Sid: 'DenyRootUser',
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { StringLike: { 'aws:PrincipalArn': 'arn:*:iam::*:root' } },
          },
          {
            // Roles the guardrails or a resource policy trust by identity: the approval gate and the
            // approver (OnlyApproversApprove), the training roles (the only writers of the gate's
            // evidence) and the pipeline's fixed-name roles (the staging deployment gate trusts one).
            // Lambda, SageMaker and CodeBuild trust cannot name the function, job or project, so a role
            // passed to an admin's own function or job would act as the trusted one. Only the execution
            // role passes them (it creates the functions, pipelines and projects), and a training role
            // its own self to the jobs its pipeline starts (its identity policy allows itself only).
            // A SageMaker pipeline keeps its role when an update leaves RoleArn out (no PassRole then):
            // the training pipelines' definitions change only through the deploy too.
            Sid: 'NoBorrowingTrustedRoles',
            Effect: 'Deny',
            // The pipeline's artifact buckets keep the policy that lets only its roles write them.
            Action: [
              'iam:PassRole',
              'sagemaker:UpdatePipeline',
              'sagemaker:UpdatePipelineVersion',
              'sagemaker:DeletePipeline',
              's3:PutBucketPolicy',
              's3:DeleteBucketPolicy',
            ],
            Resource: [
              ...ctx.trustedRoles,
              ...ctx.stackNamePrefixes.map((p) => `arn:*:sagemaker:*:*:pipeline/${p}-*-training`),
              ...ctx.pipelineBuckets,
            ],
            // A path's roles pass each other only in the environment accounts (where the estate deploys them).
            Condition: {
              ArnNotLike: {
                'aws:PrincipalArn': [
                  ...ctx.deploymentRoleArns,
                  ...ctx.selfPassingRoles.flatMap((r) =>
                    ctx.breakGlassAccounts.map((a) => r.replace('::*:', `::${a}:`)),
                  ),
                ],
              },
            },
          },
          {
            // The CDK bootstrap's asset bucket and image repository hold the code and config the
            // deploy hands to CloudFormation (the gates' functions and threshold layers among them).
            // cdk-assets skips an upload when an object or image of that content hash already
            // exists, so a write before the deploy would be deployed as the estate's own. Only the
            // bootstrap's publishing roles (assumable only from the pipeline) write there, and
            // break-glass (re-bootstrap). Roles named `cdk-<qualifier>-*` cannot be created but by
            // break-glass (ProtectTheDeploymentRoles).
            Sid: 'PublishOnlyThroughTheBootstrap',
            Effect: 'Deny',
            Action: [
              's3:PutObject',
              's3:DeleteObject',
              's3:DeleteObjectVersion',
              's3:ReplicateObject',
              's3:PutObjectAcl',
              's3:PutBucket*',
              's3:DeleteBucket*',
              's3:PutLifecycleConfiguration',
              // On a repository: images, tag mutability, scanning, lifecycle, policy; deleting it or its policy.
              'ecr:Put*',
              'ecr:BatchDeleteImage',
              'ecr:SetRepositoryPolicy',
              'ecr:DeleteRepository*',
            ],
            Resource: [
              `arn:*:s3:::cdk-${ctx.bootstrapQualifier}-assets-*`,
              `arn:*:ecr:*:*:repository/cdk-${ctx.bootstrapQualifier}-container-assets-*`,
            ],
            Condition: {
              ArnNotLike: {
                'aws:PrincipalArn': [
                  ...ctx.bootstrapAccounts.map(
                    (a) => `arn:*:iam::${a}:role/cdk-${ctx.bootstrapQualifier}-*-publishing-role-*`,
                  ),
                  ...breakGlassArns(ctx),
                  ...ctx.toolingBootstrapRoles,
                ],
              },
            },
          },
          // People sign in through Identity Center. An IAM user with a password or keys and an MFA device
          // is a principal of the account that an admin mints at will, and it satisfies any trust of the
          // account root with MFA. No exemption: break-glass's own boundary denies the same calls.
          {
            Sid: 'DenyIamUsers',
            Effect: 'Deny',
            Action: [
              'iam:CreateUser',
              'iam:CreateLoginProfile',
              'iam:UpdateLoginProfile',
              'iam:CreateAccessKey',
              'iam:EnableMFADevice',
            ],
            Resource: '*',
          },
          // Severity set by a customer stays, whatever the provider reports later (Security Hub User
          // Guide, "BatchUpdateFindings for customers"): a finding lowered below HIGH leaves the alert
          // rule for good. Either field sets it, so one statement each (condition keys are ANDed).
          ...['Label', 'Normalized'].map((field) => ({
            Sid: `DenyChangingSeverity${field}`,
            Effect: 'Deny' as const,
            Action: 'securityhub:BatchUpdateFindings',
            Resource: '*',
            Condition: {
              Null: { [`securityhub:ASFFSyntaxPath/Severity.${field}`]: 'false' },
              ...exceptBreakGlass(ctx),
            },
          })),
          // The same for an OCSF finding's severity (SeverityId), no exemption.
          {
            Sid: 'DenyChangingSeverityV2',
            Effect: 'Deny',
            Action: 'securityhub:BatchUpdateFindings',
            Resource: '*',
            Condition: { Null: { 'securityhub:OCSFSyntaxPath/SeverityId': 'false' } },
          },
          {
            Sid: 'DenyOutsideAllowedRegions',
            Effect: 'Deny',
            NotAction: GLOBAL_SERVICE_ACTIONS,
            Resource: '*',
            Condition: {
              StringNotEquals: { 'aws:RequestedRegion': [...ctx.allowedRegions] },
              ...exceptBreakGlass(ctx),
            },
          },
        ],
      },
    },
    {
      name: 'sagemaker-guardrails',
      attachment: 'units-and-accounts',
      description:
        'SageMaker work only in the VPC, with customer keys, isolated, never on the internet, whether a setting is given or left out',
      document: {
        Version: '2012-10-17',
        Statement: [
          // Batch transform has no subnet key (it runs in its model's VPC, required by CreateModel). HyperPod clusters
          // and AutoML jobs too (their keys are in the reference); UpdateCluster may leave the VPC out to keep it.
          {
            Sid: 'RequireVpcSubnets',
            Effect: 'Deny',
            Action: [
              ...SAGEMAKER_JOBS,
              ...AUTOML_JOBS,
              'sagemaker:CreateModel',
              'sagemaker:CreateNotebookInstance',
              'sagemaker:CreateDomain',
              'sagemaker:CreateCluster',
            ],
            Resource: '*',
            Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
          },
          {
            Sid: 'RequireVpcSubnetsInline',
            Effect: 'Deny',
            Action: MONITORING_SCHEDULES,
            Resource: '*',
            Condition: { Null: { 'sagemaker:VpcSubnets': 'true', ...INLINE_JOB } },
          },
          {
            Sid: 'RequireVolumeKey',
            Effect: 'Deny',
            Action: [
              ...SAGEMAKER_JOBS,
              'sagemaker:CreateTransformJob',
              'sagemaker:CreateEndpointConfig',
              ...MONITORING_SCHEDULES,
            ],
            Resource: '*',
            // Instance types none of which has local storage must name a volume key. SageMaker refuses a key when any
            // type has local storage ("if any of the models ... use nitro-based instances with local storage, do not
            // specify a value for the KmsKeyId parameter", CreateEndpointConfig API Reference), so a request mixing
            // both kinds goes without one. ForAllValues holds on an empty set: Null keeps out a request with no type.
            Condition: {
              Null: { 'sagemaker:VolumeKmsKeyArn': 'true', 'sagemaker:InstanceTypes': 'false' },
              'ForAllValues:StringNotLike': { 'sagemaker:InstanceTypes': INSTANCE_STORAGE_TYPE_PATTERNS },
            },
          },
          {
            // No instance type in these requests: the volume key is always required (notebooks and Studio domains keep
            // data on it).
            Sid: 'RequireVolumeKeyAlways',
            Effect: 'Deny',
            Action: [...AUTOML_JOBS, 'sagemaker:CreateNotebookInstance', 'sagemaker:CreateDomain'],
            Resource: '*',
            Condition: { Null: { 'sagemaker:VolumeKmsKeyArn': 'true' } },
          },
          {
            Sid: 'RequireOutputKey',
            Effect: 'Deny',
            Action: [...SAGEMAKER_JOBS, ...AUTOML_JOBS, 'sagemaker:CreateTransformJob'],
            Resource: '*',
            Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true' } },
          },
          {
            Sid: 'RequireOutputKeyInline',
            Effect: 'Deny',
            Action: MONITORING_SCHEDULES,
            Resource: '*',
            Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true', ...INLINE_JOB } },
          },
          {
            Sid: 'RequireNetworkIsolation',
            Effect: 'Deny',
            Action: [...SAGEMAKER_JOBS, 'sagemaker:CreateModel'],
            Resource: '*',
            // IfExists: a request that leaves the setting out (default: not isolated) is denied too.
            Condition: { BoolIfExists: { 'sagemaker:NetworkIsolation': 'false' } },
          },
          // The same job described inline in a monitoring schedule (one naming a definition carries no instance type).
          {
            Sid: 'RequireNetworkIsolationInline',
            Effect: 'Deny',
            Action: MONITORING_SCHEDULES,
            Resource: '*',
            Condition: { BoolIfExists: { 'sagemaker:NetworkIsolation': 'false' }, Null: INLINE_JOB },
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
            // Jobs whose network and keys the reference gives no condition key for cannot be held to
            // the VPC and customer keys; the estate runs none of them. A component must run a model
            // (whose CreateModel the statements above bind), not containers of its own.
            Sid: 'DenyUnguardableCompute',
            Effect: 'Deny',
            Action: [
              'sagemaker:CreateOptimizationJob',
              'sagemaker:CreateCompilationJob',
              'sagemaker:CreateInferenceRecommendationsJob',
              'sagemaker:CreateLabelingJob',
            ],
            Resource: '*',
          },
          {
            Sid: 'ComponentsRunModels',
            Effect: 'Deny',
            Action: 'sagemaker:CreateInferenceComponent',
            Resource: '*',
            Condition: { Null: { 'sagemaker:ModelArn': 'true' } },
          },
          {
            // Approval is a person's (or the gate's) decision, whatever an admin's
            // identity policy or boundary says: the workload boundary binds only the
            // roles that carry it.
            Sid: 'OnlyApproversApprove',
            Effect: 'Deny',
            Action: ['sagemaker:UpdateModelPackage', 'sagemaker:CreateModelPackage'],
            Resource: '*',
            Condition: {
              StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' },
              ArnNotLike: { 'aws:PrincipalArn': [...ctx.approverRoleArns, ...breakGlassArns(ctx)] },
            },
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
    {
      // At the root, for room (each target takes five SCPs and the units and accounts carry four): every
      // statement names only the environment accounts' own resources, so it binds those accounts wherever they
      // sit in the organization and changes nothing for any other account.
      name: 'environment-guardrails',
      description:
        "In the environment accounts: no route, gateway, VPN or endpoint out of their networks, routes and endpoints changed only by the deployment role or break-glass; no instance in their subnets, no interface in another's, no RAM share; Identity Center's SAML provider changed by no one; baseline copier roles made only by the deployment role",
      attachment: 'root',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            // No route out of the environments' networks: the SageMaker statements require subnets, not which.
            // Nor a site-to-site VPN (a customer gateway, a virtual private gateway on the VPC, a connection, its
            // routes propagated), a Client VPN endpoint into it, or an endpoint service another account connects
            // to: the estate creates none of them.
            Sid: 'DenyNetworkEscape',
            Effect: 'Deny',
            Action: [
              'ec2:CreateNatGateway',
              'ec2:AttachInternetGateway',
              'ec2:CreateEgressOnlyInternetGateway',
              'ec2:CreateVpcPeeringConnection',
              'ec2:AcceptVpcPeeringConnection',
              'ec2:CreateTransitGatewayVpcAttachment',
              'ec2:CreateCustomerGateway',
              'ec2:AttachVpnGateway',
              'ec2:CreateVpnConnection',
              'ec2:EnableVgwRoutePropagation',
              'ec2:CreateClientVpnEndpoint',
              'ec2:CreateVpcEndpointServiceConfiguration',
            ],
            Resource: environmentEc2,
            Condition: exceptBreakGlass(ctx),
          },
          {
            // The routes and endpoints the deploy creates, and no one else: a route to any target (an internet,
            // VPN or transit gateway, a peering, an ENI of an instance homed in another VPC) authorizes on the
            // route table alone, so every CreateRoute/ReplaceRoute is denied rather than some targets; the S3 and
            // DynamoDB gateway endpoints' policies (only the estate's buckets and tables) are not widened
            // (ModifyVpcEndpoint), and no endpoint is added (CreateVpcEndpoint): one to another account's
            // PrivateLink service is a way out, and so is an S3 endpoint with the default full-access policy on a
            // route table of the admin's own, to which a subnet is then moved (the association calls).
            Sid: 'NetworkChangesOnlyByTheDeploy',
            Effect: 'Deny',
            Action: [
              'ec2:CreateRoute',
              'ec2:ReplaceRoute',
              'ec2:CreateVpcEndpoint',
              'ec2:ModifyVpcEndpoint',
              'ec2:AssociateRouteTable',
              'ec2:ReplaceRouteTableAssociation',
            ],
            Resource: environmentEc2,
            Condition: exceptBreakGlassAndDeployment(ctx),
          },
          {
            // Nor an instance of the admin's own in the VPC: one homed in two VPCs (a network interface in an estate
            // subnet, its primary one in a VPC with an internet gateway; EC2's multi-VPC ENI attachments, same account
            // and zone) is a proxy the workloads reach by the local route. The estate runs no EC2 instance (SageMaker's
            // and Lambda's run in their services' accounts, attached to interfaces those services create), so no launch
            // and no attachment of an interface of these accounts but by break-glass. The subnets too: an instance
            // another account of the organization launches in an estate subnet shared with it has an interface of that
            // account, but RunInstances authorizes on the subnet, the environment's.
            Sid: 'NoInstancesInTheNetworks',
            Effect: 'Deny',
            Action: ['ec2:RunInstances', 'ec2:AttachNetworkInterface'],
            Resource: ctx.breakGlassAccounts.flatMap((a) => [
              `arn:*:ec2:*:${a}:network-interface/*`,
              `arn:*:ec2:*:${a}:subnet/*`,
            ]),
            Condition: exceptBreakGlass(ctx),
          },
          {
            // Nor an interface of these accounts in another account's subnet: the SageMaker and Lambda VPC keys say a
            // job or function has subnets, not whose, and a subnet another account shares with these (VPC sharing,
            // accepted by no one within the organization) may route to a NAT or internet gateway none of these
            // statements reach. The interface is created with the execution role's permissions (Lambda Developer
            // Guide, "Giving Lambda functions access to resources in an Amazon VPC") and authorizes on the subnet.
            Sid: 'OnlyTheirOwnSubnets',
            Effect: 'Deny',
            Action: 'ec2:CreateNetworkInterface',
            NotResource: environmentEc2,
            Condition: { StringEquals: { 'aws:PrincipalAccount': [...ctx.breakGlassAccounts] } },
          },
          {
            // Nor a share of the accounts' resources through RAM: a subnet shared with another account (VPC sharing)
            // takes that account's instances, whose interfaces are its own, and an account outside the organization is
            // bound by no SCP. The estate shares nothing. CreateResourceShare authorizes on no resource (the reference
            // lists none), so the statement binds the environment accounts' principals instead; only their owner
            // changes their shares. Adding resources or principals to a share, allowing external principals on it, or
            // widening its permission are the other writes that open one.
            Sid: 'NoResourceShares',
            Effect: 'Deny',
            Action: [
              'ram:CreateResourceShare',
              'ram:AssociateResourceShare',
              'ram:UpdateResourceShare',
              'ram:AssociateResourceSharePermission',
              'ram:PromoteResourceShareCreatedFromPolicy',
            ],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:PrincipalAccount': [...ctx.breakGlassAccounts] },
              ...exceptBreakGlass(ctx),
            },
          },
          {
            // VPC Lattice needs no route either: a VPC associated with a service network (one another account shares,
            // say) reaches its services by link-local addresses, and a resource gateway or a target group in the VPC
            // lets other accounts' service networks in. The estate uses none; break-glass only.
            Sid: 'DenyLatticePaths',
            Effect: 'Deny',
            Action: [
              'vpc-lattice:CreateServiceNetworkVpcAssociation',
              'vpc-lattice:CreateResourceGateway',
              'vpc-lattice:CreateTargetGroup',
            ],
            Resource: ctx.breakGlassAccounts.map((a) => `arn:*:vpc-lattice:*:${a}:*`),
            Condition: exceptBreakGlass(ctx),
          },
          {
            // People reach an environment's personas and break-glass through Identity Center: its permission-set
            // roles (`AWSReservedSSO_<set>_<suffix>`, which only Identity Center changes) trust the account's SAML
            // provider `AWSSSO_<id>_DO_NOT_DELETE`, an ordinary IAM provider an admin may update, or delete and
            // create again under its name. With the admin's own IdP metadata in it, a forged assertion signs in as
            // any permission set's role (AssumeRoleWithSAML carries no principal an SCP could bind), the approver's
            // and break-glass's among them, which their roles trust by name. Identity Center writes it through its
            // service-linked role, which SCPs do not bind; break-glass repairs it.
            // By the name's shape, `AWSSSO_<id>_DO_NOT_DELETE` in any case: ARN matching is case-sensitive, and
            // whether IAM resolves a provider named in another case to this one is not documented (role names are
            // not distinguished by case), so `AWSSSO_*` alone might not hold.
            Sid: 'ProtectIdentityCenterSignIn',
            Effect: 'Deny',
            Action: ['iam:CreateSAMLProvider', 'iam:UpdateSAMLProvider', 'iam:DeleteSAMLProvider'],
            Resource: ctx.breakGlassAccounts.map((a) => `arn:*:iam::${a}:saml-provider/??????_*_??_???_??????`),
            Condition: exceptBreakGlass(ctx),
          },
          ...(ctx.baselineCopierAccounts.length > 0
            ? [
                {
                  // Above MAX_EXACT_BASELINE_READERS copiers, staging's approved-model bucket admits these accounts'
                  // roles by the name suffix (`role/*-baseline-copy`, case-sensitive like the resource here), so a
                  // role an admin created or re-trusted under it would read every model's pinned baselines. Only
                  // the deploy makes them. Only in such an estate, and only for those accounts: the room is shared.
                  Sid: 'OnlyTheDeployMakesBaselineCopiers',
                  Effect: 'Deny' as const,
                  Action: ['iam:CreateRole', 'iam:UpdateAssumeRolePolicy'],
                  Resource: ctx.baselineCopierAccounts.map((a) => `arn:*:iam::${a}:role/*${BASELINE_COPIER_SUFFIX}`),
                  Condition: {
                    ArnNotLike: {
                      'aws:PrincipalArn': [...breakGlassArns(ctx), ...ctx.deploymentRoleArns].filter((arn) =>
                        ctx.baselineCopierAccounts.some((a) => arn.includes(`::${a}:`)),
                      ),
                    },
                  },
                },
              ]
            : []),
        ],
      },
    },
    {
      // At the root too, for room (the environment policy has no room for two more deploy exemptions): the
      // statements bind only the environment accounts' own principals (`aws:PrincipalAccount`), so no other account
      // of the organization is bound. Ways data leaves an environment without any route of its networks: a managed
      // service that reaches the internet or another account by itself. The estate creates what it needs of them
      // (its functions, their permissions, its alert subscription) through the deploy; no one else creates or
      // re-points one.
      name: 'egress-guardrails',
      description:
        'In the environment accounts: functions only in a VPC; function URLs and permissions, API destinations, HTTP tasks, subscriptions, access points, bucket policies, ACLs and replication, and DNS resolution changed only by the deployment role or break-glass',
      attachment: 'root',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            // A function without a VPC runs in Lambda's own network, which has the internet (Lambda Developer
            // Guide, "Giving Lambda functions access to resources in an Amazon VPC"). `lambda:VpcIds` is not a
            // request parameter: Lambda derives it from the subnets and security groups, and it is absent when the
            // request names none ("Using IAM condition keys for VPC settings": deny on `Null` true). So a create or
            // configuration update that leaves the VPC out is denied, an update that keeps the function's VPC
            // only if it restates it: only the deploy updates the estate's functions. The deploy creates one
            // function without a VPC, CDK's provider that strips the default security group's rules.
            Sid: 'FunctionsOnlyInAVpc',
            Effect: 'Deny',
            Action: ['lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:PrincipalAccount': [...ctx.breakGlassAccounts] },
              Null: { 'lambda:VpcIds': 'true' },
              ...exceptBreakGlassAndDeployment(ctx),
            },
          },
          {
            // Managed ways out that need no route of ours, each created or re-pointed only by the deploy (which
            // creates none of them but the estate's function permissions and its e-mail alert subscription):
            // a function URL (auth NONE is public; AWS_IAM with a permission for `*` too) or a function permission
            // for another account; an EventBridge API destination or its connection (rules then send events to any
            // HTTPS endpoint) and Step Functions' HTTP task; an SNS subscription of any protocol (http, https,
            // e-mail and SMS leave AWS; sqs, lambda and firehose endpoints may be another account's); an S3 access
            // point or multi-region access point; a bucket policy, ACL, ownership setting or replication rule
            // (another account's principals, or a bucket of another account); and every Route 53 Resolver write
            // (outbound endpoints and forwarding rules, rules and query-log configurations shared from another
            // account, the DNS Firewall's rule groups, domain lists, associations and fail-open setting) and
            // Route 53 Profile association (a profile shared from another account brings its rules).
            // By principal, not resource: bucket ARNs name no account, Resolver associations name the shared
            // rule's owner, and Route 53 Profiles' associations name no resource at all.
            Sid: 'EgressOnlyByTheDeploy',
            Effect: 'Deny',
            Action: [
              'lambda:CreateFunctionUrlConfig',
              'lambda:UpdateFunctionUrlConfig',
              'lambda:AddPermission',
              'events:CreateApiDestination',
              'events:UpdateApiDestination',
              'events:CreateConnection',
              'events:UpdateConnection',
              'states:InvokeHTTPEndpoint',
              'sns:Subscribe',
              's3:CreateAccessPoint',
              's3:CreateMultiRegionAccessPoint',
              's3:PutBucketPolicy',
              's3:PutBucketAcl',
              's3:PutBucketOwnershipControls',
              's3:PutReplicationConfiguration',
              // The same under other names: directory and table bucket policies, batch copy or replication.
              's3express:PutBucketPolicy',
              's3tables:PutTableBucketPolicy',
              's3:CreateJob',
              // A topic policy that lets another account subscribe its endpoint (its Subscribe no SCP here binds).
              'sns:AddPermission',
              // Sending to another account, or out of AWS, by a service's own delivery: queue and layer permissions,
              // async-invoke destinations, log exports and subscriptions, DataSync tasks, Firehose streams (HTTP
              // endpoints), public Transfer Family servers, e-mail, and builds or Glue jobs that run on a network with
              // the internet when no VPC is named. (Not events:PutTargets: the monitoring state machines' .sync
              // integration puts targets on its managed rule at run time.)
              'sqs:AddPermission',
              'lambda:PutFunctionEventInvokeConfig',
              'lambda:UpdateFunctionEventInvokeConfig',
              'lambda:AddLayerVersionPermission',
              'logs:CreateExportTask',
              'logs:PutSubscriptionFilter',
              'datasync:CreateTask',
              'firehose:CreateDeliveryStream',
              'firehose:UpdateDestination',
              'transfer:CreateServer',
              'transfer:UpdateServer',
              'ses:SendEmail',
              'ses:SendRawEmail',
              'codebuild:CreateProject',
              'codebuild:UpdateProject',
              'glue:CreateJob',
              'glue:UpdateJob',
              'glue:CreateSession',
              'glue:CreateDevEndpoint',
              ...RESOLVER_WRITES,
              'route53profiles:Associate*',
            ],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:PrincipalAccount': [...ctx.breakGlassAccounts] },
              ...exceptBreakGlassAndDeployment(ctx),
            },
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
