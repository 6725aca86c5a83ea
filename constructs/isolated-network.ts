import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DnsFirewall, endpointDomains } from './dns-firewall';
import { EncryptedLogGroup } from './encrypted-log-group';
import { ManagedPolicyRole } from './managed-policy-role';

/** An interface endpoint and the IAM service prefix whose actions its policy allows. */
export interface InterfaceEndpointSpec {
  /** Service name suffix after `com.amazonaws.<region>.`, e.g. `sagemaker.api`. */
  readonly service: string;
  /** IAM action prefix the endpoint policy allows, e.g. `sagemaker`. */
  readonly actionPrefix: string;
}

/** The AWS APIs an ML workload in an isolated subnet needs, reached privately. */
export const DEFAULT_INTERFACE_ENDPOINTS: readonly InterfaceEndpointSpec[] = [
  { service: 'sagemaker.api', actionPrefix: 'sagemaker' },
  { service: 'sagemaker.runtime', actionPrefix: 'sagemaker' },
  { service: 'sagemaker.featurestore-runtime', actionPrefix: 'sagemaker' },
  { service: 'sts', actionPrefix: 'sts' },
  { service: 'kms', actionPrefix: 'kms' },
  { service: 'logs', actionPrefix: 'logs' },
  { service: 'monitoring', actionPrefix: 'cloudwatch' },
  { service: 'ecr.api', actionPrefix: 'ecr' },
  { service: 'ecr.dkr', actionPrefix: 'ecr' },
  // For the gate functions: notifications and traces.
  { service: 'sns', actionPrefix: 'sns' },
  { service: 'xray', actionPrefix: 'xray' },
  // For the deployment gate: CloudTrail's event history of the approval gate's race window (LookupEvents).
  { service: 'cloudtrail', actionPrefix: 'cloudtrail' },
];

export interface IsolatedNetworkProps {
  /** IPv4 CIDR of the VPC. */
  readonly cidr: string;
  /** Availability zones to span; at least two. */
  readonly availabilityZones: readonly string[];
  /** Customer key for the flow-log group. */
  readonly logsKey: kms.IKey;
  /**
   * Flow-log retention.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * Interface endpoints to create.
   * @default DEFAULT_INTERFACE_ENDPOINTS
   */
  readonly interfaceEndpoints?: readonly InterfaceEndpointSpec[];
  /**
   * Accounts whose resources calls through the endpoints may reach (the
   * estate's accounts): a request naming a resource of any other account is
   * denied at the endpoint, whoever makes it.
   * @default - this account only
   */
  readonly resourceAccounts?: readonly string[];
  /**
   * Objects of other accounts' buckets that workloads here read through the S3
   * gateway endpoint, as ARN patterns (prod reads the approved model artifacts
   * of the environment it promotes from).
   * @default - none
   */
  readonly readableObjects?: readonly string[];
  /**
   * Whether functions here answer CloudFormation custom resources: the answer is a PUT to a pre-signed URL of
   * CloudFormation's response bucket in the region (AWS CloudFormation User Guide, custom resources: the provider
   * "uploads its response to the pre-signed S3 URL"), which a function in isolated subnets reaches only through the
   * S3 gateway endpoint. The request is signed by CloudFormation, not by this account, so the statement admits
   * s3:PutObject to those buckets alone, from this VPC, without the account condition.
   * @default false
   */
  readonly customResourceResponses?: boolean;
  /**
   * Route 53 Resolver DNS Firewall on the VPC: the names it may resolve, every other answered NXDOMAIN.
   * @default - the private DNS names of the interface endpoints and the S3 and DynamoDB regional names
   */
  readonly allowedDomains?: readonly string[];
}

/**
 * A VPC with isolated subnets only: no internet gateway, no NAT, no route out.
 * AWS APIs are reached through VPC endpoints whose policies admit only
 * principals of this account; S3 and DynamoDB through gateway endpoints.
 * The default security group is stripped of all rules and every flow is logged
 * to a KMS-encrypted log group.
 */
export class IsolatedNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Security group of the interface endpoints: HTTPS from inside the VPC only. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;
  readonly flowLogGroup: EncryptedLogGroup;
  readonly interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps) {
    super(scope, id);
    if (props.availabilityZones.length < 2) {
      throw new Error(
        `IsolatedNetwork ${id}: needs at least 2 availability zones, got ${props.availabilityZones.length}`,
      );
    }
    const account = Stack.of(this).account;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: 0,
      createInternetGateway: false,
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      subnetConfiguration: [{ name: 'workload', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });

    this.flowLogGroup = new EncryptedLogGroup(this, 'FlowLogGroup', {
      encryptionKey: props.logsKey,
      retention: props.flowLogRetention,
    });
    const flowLogRole = new ManagedPolicyRole(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'Delivers VPC flow logs to the encrypted flow-log group',
    });
    // The VPC resolver would answer any public name from the isolated subnets: DNS is a way out without a route.
    new DnsFirewall(this, 'DnsFirewall', {
      vpc: this.vpc,
      allowedDomains:
        props.allowedDomains ??
        endpointDomains(
          (props.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS).map((e) => e.service),
          Stack.of(this).region,
        ),
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, flowLogRole),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');

    const inThisAccount = { StringEquals: { 'aws:PrincipalAccount': account } };
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const resourceAccounts = [...new Set([account, ...(props.resourceAccounts ?? [])])];
    // Resource side of the perimeter: where a request names a resource (the key
    // is present), it must belong to the estate. Actions without a resource
    // (ListKeys, PutMetricData, GetAuthorizationToken) carry no such key and pass.
    const outsideTheEstate = (actionPrefix: string) =>
      new iam.PolicyStatement({
        sid: 'NoResourcesOutsideTheEstate',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [`${actionPrefix}:*`],
        resources: ['*'],
        conditions: {
          Null: { 'aws:ResourceAccount': 'false' },
          StringNotEquals: { 'aws:ResourceAccount': resourceAccounts },
        },
      });
    for (const spec of props.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS) {
      const endpoint = this.vpc.addInterfaceEndpoint(endpointId(spec.service), {
        service: new ec2.InterfaceVpcEndpointAwsService(spec.service),
        subnets,
        securityGroups: [this.endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'OnlyThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: [`${spec.actionPrefix}:*`],
          resources: ['*'],
          conditions: inThisAccount,
        }),
      );
      if (RESOURCE_SCOPED_PREFIXES.includes(spec.actionPrefix))
        endpoint.addToPolicy(outsideTheEstate(spec.actionPrefix));
      this.interfaceEndpoints[spec.service] = endpoint;
    }

    // Gateway endpoints: this account's principals, to this account's resources only.
    const gateway = (id: string, service: ec2.GatewayVpcEndpointAwsService, actionPrefix: string, sid: string) => {
      const endpoint = this.vpc.addGatewayEndpoint(id, { service, subnets: [subnets] });
      endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid,
          principals: [new iam.AnyPrincipal()],
          actions: [`${actionPrefix}:*`],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:PrincipalAccount': account, 'aws:ResourceAccount': account } },
        }),
      );
      return endpoint;
    };
    const s3 = gateway('S3Endpoint', ec2.GatewayVpcEndpointAwsService.S3, 's3', 'OnlyThisAccountsBuckets');
    gateway('DynamoDbEndpoint', ec2.GatewayVpcEndpointAwsService.DYNAMODB, 'dynamodb', 'OnlyThisAccountsTables');
    if (props.readableObjects?.length) {
      s3.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadApprovedArtifactsOfTheEstate',
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:GetObject'],
          resources: [...props.readableObjects],
          conditions: inThisAccount,
        }),
      );
    }
    if (props.customResourceResponses) {
      s3.addToPolicy(
        new iam.PolicyStatement({
          sid: 'CustomResourceResponses',
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject'],
          // Exactly the region's response bucket (AWS Lambda Developer Guide, "Using Lambda with CloudFormation": the
          // event's ResponseURL is
          // `https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com/...`, the region
          // without its dashes). Bucket names are first come, first served: a pattern would let a workload here write
          // to any bucket whose owner picked a name under the prefix.
          resources: [`arn:${Stack.of(this).partition}:s3:::${customResourceResponseBucket(Stack.of(this).region)}/*`],
          // The one condition that holds for CloudFormation's signer is the network's: the request leaves this VPC.
          // (Through this endpoint it always does; it says so, and the statement stays valid if the policy is reused.)
          conditions: { StringEquals: { 'aws:SourceVpc': this.vpc.vpcId } },
        }),
      );
    }
    // ECR keeps image layers in an AWS-owned bucket of the region.
    s3.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EcrImageLayers',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [`arn:${Stack.of(this).partition}:s3:::prod-${Stack.of(this).region}-starport-layer-bucket/*`],
        conditions: inThisAccount,
      }),
    );
  }
}

/** CloudFormation's custom-resource response bucket of a region (the region's name without dashes). */
export function customResourceResponseBucket(region: string): string {
  if (Token.isUnresolved(region) || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new Error(
      `IsolatedNetwork: customResourceResponses needs the stack's region as a literal (CloudFormation's response bucket is named after it); got ${region}`,
    );
  }
  return `cloudformation-custom-resource-response-${region.replace(/-/g, '')}`;
}

/**
 * Services whose calls name a resource in another account only by mistake or
 * exfiltration, and whose endpoints therefore also check the resource's
 * account. STS (roles of the identity account), CloudWatch metrics, X-Ray and
 * CloudTrail's LookupEvents (no resources) are left to the principal check.
 */
const RESOURCE_SCOPED_PREFIXES = ['sagemaker', 'kms', 'logs', 'sns', 'ecr'];

/** `sagemaker.featurestore-runtime` -> `SagemakerFeaturestoreRuntimeEndpoint`: stable construct IDs. */
function endpointId(service: string): string {
  return (
    service
      .split(/[.-]/)
      .map((part) => part[0].toUpperCase() + part.slice(1))
      .join('') + 'Endpoint'
  );
}
