/**
 * The CloudFormation execution policy to bootstrap an account with, instead of
 * AdministratorAccess (`cdk bootstrap --cloudformation-execution-policies`).
 * Built from what the estate deploys there: every service its templates use,
 * in the regions the organization allows, with denies a reviewer checks first.
 * `npm run bootstrap-policies` writes one per account kind to policies/bootstrap/.
 */

/** An IAM policy document (the shape the IAM API takes). */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: Record<string, unknown>[];
}

/** Account kinds with their own policy: environments, the tooling account of the pipeline, the management account. */
export type AccountKind = 'environment' | 'tooling' | 'management';

/** CloudFormation namespaces whose IAM service prefix is not the lower-cased namespace. */
const PREFIX_EXCEPTIONS: Record<string, string> = {
  ApplicationAutoScaling: 'application-autoscaling',
  CloudWatch: 'cloudwatch',
  Logs: 'logs',
  Events: 'events',
  CodeStarConnections: 'codestar-connections',
};

/**
 * The IAM service prefix of a CloudFormation resource type (`AWS::SageMaker::Model` -> `sagemaker`); undefined for
 * CDK's own types.
 */
export function servicePrefix(type: string): string | undefined {
  const [vendor, namespace] = type.split('::');
  if (vendor !== 'AWS' || !namespace) return undefined; // Custom::*, CDK metadata: run by Lambda, which is listed itself
  return PREFIX_EXCEPTIONS[namespace] ?? namespace.toLowerCase();
}

/** Services that are global, or called in us-east-1 whatever the region: exempt from the region condition. */
const GLOBAL_SERVICES = ['iam:*', 'sts:*', 'organizations:*', 'cloudfront:*', 'route53:*', 'support:*'];

export function executionPolicy(options: {
  readonly kind: AccountKind;
  readonly resourceTypes: Iterable<string>;
  readonly allowedRegions: readonly string[];
}): PolicyDocument {
  const prefixes = [
    ...new Set([...options.resourceTypes].map(servicePrefix).filter((p): p is string => p !== undefined)),
  ].sort();
  const statements: Record<string, unknown>[] = [
    {
      Sid: 'DeployWhatTheEstateDeclares',
      Effect: 'Allow',
      Action: prefixes.map((p) => `${p}:*`),
      Resource: '*',
    },
    {
      // The CDK's templates check the bootstrap version in this parameter.
      Sid: 'ReadTheBootstrapVersion',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: 'arn:*:ssm:*:*:parameter/cdk-bootstrap/*',
    },
    {
      Sid: 'OnlyInTheAllowedRegions',
      Effect: 'Deny',
      NotAction: GLOBAL_SERVICES,
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': [...options.allowedRegions] } },
    },
    {
      // People sign in through the identity account; nothing the estate deploys is a user or a long-lived key.
      Sid: 'NoUsersOrLongLivedKeys',
      Effect: 'Deny',
      Action: [
        'iam:CreateUser',
        'iam:CreateAccessKey',
        'iam:CreateLoginProfile',
        'iam:UpdateLoginProfile',
        'iam:CreateServiceSpecificCredential',
        'iam:CreateVirtualMFADevice',
      ],
      Resource: '*',
    },
  ];
  if (options.kind === 'environment') {
    statements.push(
      {
        // Every role of an environment carries the workload boundary, or the break-glass role its own (the estate's
        // Aspect and construct).
        Sid: 'RolesOnlyUnderTheEstateBoundaries',
        Effect: 'Deny',
        Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
        Resource: '*',
        Condition: {
          StringNotLike: {
            'iam:PermissionsBoundary': [
              'arn:*:iam::*:policy/*-workload-boundary',
              'arn:*:iam::*:policy/*BreakGlassBoundary*',
            ],
          },
        },
      },
      {
        Sid: 'BoundariesStay',
        Effect: 'Deny',
        Action: ['iam:DeleteRolePermissionsBoundary'],
        Resource: '*',
      },
    );
  }
  if (options.kind !== 'management') {
    statements.push({
      Sid: 'NoOrganizationChanges',
      Effect: 'Deny',
      Action: ['organizations:*', 'account:*'],
      Resource: '*',
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
