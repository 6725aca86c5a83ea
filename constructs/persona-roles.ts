import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { APPROVER_TAG } from '../policies/workload-boundary';
import { ManagedPolicyRole } from './managed-policy-role';
import { NamedPrincipals, namedPrincipalTrust } from './named-principals';

/** The personas, each trusting only the principals named for it. */
export interface PersonaTrust {
  readonly dataScientist: NamedPrincipals;
  readonly mlEngineer: NamedPrincipals;
  readonly modelRiskApprover: NamedPrincipals;
  readonly auditor: NamedPrincipals;
}

export interface PersonaRolesProps {
  /** Who may assume each persona: named principals of the account people sign in from, never the whole account. */
  readonly trustedPrincipals: PersonaTrust;
  /** ARN patterns of every package version of the governed groups. */
  readonly packageArns: readonly string[];
  /** ARN patterns of the governed package groups. */
  readonly packageGroupArns: readonly string[];
  readonly artifacts: s3.IBucket;
  readonly decisionRecords: s3.IBucket;
  readonly mlKey: kms.IKey;
  readonly auditKey: kms.IKey;
  /**
   * Whether the ML engineer may create endpoint configs and create or update
   * endpoints. In prod only the delivery pipeline changes endpoints, after the
   * deployment gate; people there read them.
   * @default true
   */
  readonly engineersChangeEndpoints?: boolean;
  /**
   * A fixed name for the model-risk approver's role: the organization's
   * guardrails let only it and the approval gate set a package Approved, by
   * exact ARN.
   * @default - a name CloudFormation generates
   */
  readonly approverRoleName?: string;
}

/** Who may set a model package's approval status, and to what. */
const APPROVAL_ACTIONS = ['sagemaker:UpdateModelPackage'];

/**
 * The people of an environment, as roles each assumed only by the principals
 * named for it (Identity Center permission sets, roles, or IAM users with
 * MFA), each carrying the workload boundary:
 *
 * - data scientist: registers model packages, only as PendingManualApproval;
 * - ML engineer: deploys approved models; cannot change any approval;
 * - model-risk approver: the only persona that may update a package's
 *   approval (the approval gate is the other principal that may);
 * - auditor: reads the registry, decisions and audit records; changes nothing.
 */
export class PersonaRoles extends Construct {
  readonly dataScientist: ManagedPolicyRole;
  readonly mlEngineer: ManagedPolicyRole;
  readonly modelRiskApprover: ManagedPolicyRole;
  readonly auditor: ManagedPolicyRole;

  constructor(scope: Construct, id: string, props: PersonaRolesProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    const persona = (roleId: string, description: string, principals: NamedPrincipals, roleName?: string) => {
      const trust = namedPrincipalTrust(this, principals);
      const role = new ManagedPolicyRole(this, roleId, {
        roleName,
        assumedBy: trust.principal,
        description,
        maxSessionDuration: Duration.hours(4),
      });
      trust.addTo(role);
      return role;
    };
    const named = props.trustedPrincipals;
    // Wildcard resources each role is granted, acknowledged below one by one.
    const wildcards = new Map<ManagedPolicyRole, Set<string>>();
    const allow = (
      role: ManagedPolicyRole,
      sid: string,
      actions: string[],
      resources: string[],
      conditions?: Record<string, unknown>,
    ) => {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
      const mine = wildcards.get(role) ?? new Set<string>();
      for (const r of resources) if (JSON.stringify(Stack.of(this).resolve(r)).includes('*')) mine.add(r);
      wildcards.set(role, mine);
    };
    const deny = (role: ManagedPolicyRole, sid: string, actions: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, actions, resources: ['*'], conditions }),
      );
    const readRegistry = [
      'sagemaker:DescribeModelPackage',
      'sagemaker:DescribeModelPackageGroup',
      'sagemaker:ListModelPackages',
    ];
    const registry = [...props.packageArns, ...props.packageGroupArns];
    const artifacts = props.artifacts.arnForObjects('*');
    const decisions = props.decisionRecords.arnForObjects('*');
    const endpoints = `arn:${partition}:sagemaker:${region}:${account}:endpoint*`;
    const models = `arn:${partition}:sagemaker:${region}:${account}:model/*`;

    this.dataScientist = persona(
      'DataScientist',
      'Data scientist: trains and registers models; registrations await approval',
      named.dataScientist,
    );
    allow(this.dataScientist, 'ReadRegistry', readRegistry, registry);
    allow(
      this.dataScientist,
      'RegisterPendingPackages',
      ['sagemaker:CreateModelPackage'],
      props.packageGroupArns.concat(props.packageArns),
      {
        StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' },
      },
    );
    allow(this.dataScientist, 'UseArtifacts', ['s3:GetObject', 's3:PutObject'], [artifacts]);
    allow(this.dataScientist, 'UseTheMlKey', ['kms:Decrypt', 'kms:GenerateDataKey'], [props.mlKey.keyArn]);
    deny(this.dataScientist, 'NeverChangeApprovals', APPROVAL_ACTIONS);

    this.mlEngineer = persona(
      'MlEngineer',
      'ML engineer: deploys approved models to endpoints; cannot approve',
      named.mlEngineer,
    );
    allow(this.mlEngineer, 'ReadRegistry', readRegistry, registry);
    const readEndpoints = ['sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeModel'];
    if (props.engineersChangeEndpoints ?? true) {
      allow(
        this.mlEngineer,
        'DeployModels',
        [
          'sagemaker:CreateModel',
          'sagemaker:CreateEndpointConfig',
          'sagemaker:CreateEndpoint',
          'sagemaker:UpdateEndpoint',
          ...readEndpoints,
        ],
        [endpoints, models],
      );
    } else {
      allow(this.mlEngineer, 'ReadEndpoints', readEndpoints, [endpoints, models]);
    }
    allow(this.mlEngineer, 'ReadArtifacts', ['s3:GetObject'], [artifacts]);
    allow(this.mlEngineer, 'UseTheMlKey', ['kms:Decrypt'], [props.mlKey.keyArn]);
    deny(this.mlEngineer, 'NeverChangeApprovals', APPROVAL_ACTIONS);
    deny(this.mlEngineer, 'NeverRegisterApproved', ['sagemaker:CreateModelPackage'], {
      StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' },
    });

    this.modelRiskApprover = persona(
      'ModelRiskApprover',
      'Model-risk approver: the person who approves or rejects model packages',
      named.modelRiskApprover,
      props.approverRoleName,
    );
    // The workload boundary lets only roles with this tag set a package Approved.
    Tags.of(this.modelRiskApprover).add(APPROVER_TAG, 'true');
    allow(this.modelRiskApprover, 'ReadRegistry', readRegistry, registry);
    allow(this.modelRiskApprover, 'DecideOnPackages', APPROVAL_ACTIONS, [...props.packageArns]);
    allow(this.modelRiskApprover, 'ReadEvidence', ['s3:GetObject'], [artifacts, decisions]);
    allow(this.modelRiskApprover, 'DecryptEvidence', ['kms:Decrypt'], [props.mlKey.keyArn, props.auditKey.keyArn]);

    this.auditor = persona(
      'Auditor',
      'Auditor: reads the registry, gate decisions and audit records; changes nothing',
      named.auditor,
    );
    allow(this.auditor, 'ReadRegistry', readRegistry, registry);
    allow(
      this.auditor,
      'ReadDecisionRecords',
      ['s3:GetObject', 's3:ListBucket'],
      [decisions, props.decisionRecords.bucketArn],
    );
    allow(
      this.auditor,
      'ReadLogs',
      ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams'],
      [`arn:${partition}:logs:${region}:${account}:log-group:*`],
    );
    allow(this.auditor, 'DecryptRecords', ['kms:Decrypt'], [props.auditKey.keyArn]);
    allow(
      this.auditor,
      'ReadTrailAndFindings',
      [
        'cloudtrail:LookupEvents',
        'securityhub:GetFindings',
        'guardduty:ListFindings',
        'guardduty:GetFindings',
        'config:SelectResourceConfig',
      ],
      ['*'],
    );

    for (const [role, resources] of wildcards) {
      acknowledgeResourceWildcards(
        role.permissionsPolicy!,
        [...resources],
        'Object keys, package versions and endpoints exist only after deployment, and the audit reads take no resource; each grant names one bucket, governed group or kind, and the boundary caps the role.',
      );
    }
  }
}
