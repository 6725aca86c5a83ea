import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { wildcardFindings } from '../policies/acknowledge-wildcards';
import { ManagedPolicyRole } from './managed-policy-role';

export interface SageMakerExecutionRoleProps {
  readonly description: string;
  /** Log groups the jobs or endpoint write to, such as `/aws/sagemaker/ProcessingJobs`. */
  readonly logGroups: readonly string[];
  /** ECR repository ARNs the containers are pulled from. */
  readonly repositories: readonly string[];
  /**
   * IAM path, for roles a resource policy names by path.
   * @default '/'
   */
  readonly path?: string;
}

/**
 * The role SageMaker assumes for an endpoint or a job in the isolated VPC:
 * trusted by SageMaker of this account only, with what every such workload
 * needs (network interfaces in the VPC, its log groups, metrics in the
 * SageMaker namespaces, pulls from its repositories), grants in a managed
 * policy. Callers add their data with `allow`, then `acknowledgeWildcards`.
 */
export class SageMakerExecutionRole extends ManagedPolicyRole {
  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    const { partition, region, account } = Stack.of(scope);
    super(scope, id, {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: props.description,
      path: props.path,
    });
    this.allow(
      'NetworkInterfacesInTheVpc',
      [
        'ec2:CreateNetworkInterface',
        'ec2:CreateNetworkInterfacePermission',
        'ec2:DeleteNetworkInterface',
        'ec2:DeleteNetworkInterfacePermission',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVpcs',
        'ec2:DescribeDhcpOptions',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
      ],
      ['*'],
    );
    this.allow(
      'WriteLogs',
      ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      props.logGroups.map((g) => `arn:${partition}:logs:${region}:${account}:log-group:${g}:*`),
    );
    this.allow('PublishMetrics', ['cloudwatch:PutMetricData'], ['*'], {
      StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] },
    });
    if (props.repositories.length > 0) {
      this.allow(
        'PullImages',
        ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        [...props.repositories],
      );
      this.allow('EcrLogin', ['ecr:GetAuthorizationToken'], ['*']);
    }
  }

  /** Adds one statement to the role's managed policy. */
  allow(sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
    this.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
  }

  /** Acknowledges the wildcards the policy holds, each as its own finding, with the caller's reason. */
  acknowledgeWildcards(reason: string): void {
    acknowledgeFindings(
      this.permissionsPolicy!,
      wildcardFindings(Stack.of(this), this.permissionsPolicy!.document),
      reason,
    );
  }
}
