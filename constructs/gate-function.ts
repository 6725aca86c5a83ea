import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { GATE_TAG } from '../policies/rules/GateFunctionHardened';
import { EncryptedLogGroup } from './encrypted-log-group';
import { bundleHandler } from './gate-bundle';
import { ManagedPolicyRole } from './managed-policy-role';

export interface GateFunctionProps {
  /** Handler module, e.g. `lambdas/model-approval-gate/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  /** Key for the function's environment variables and its dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** Key for its log group. */
  readonly logsKey: kms.IKey;
  /**
   * JSON the handler reads at `/opt/gate-config.json`, shipped as a layer so
   * that every environment shares one bundle of the code.
   */
  readonly config: unknown;
  readonly environment?: Record<string, string>;
  /**
   * Most concurrent executions; also what the function can never exceed.
   * @default 5
   */
  readonly reservedConcurrency?: number;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A gate's Lambda function with the defaults a bank expects: Node.js 24,
 * bundled by esbuild in process (no Docker; the AWS SDK v3 comes from the
 * runtime: a 14 KB bundle instead of 1 MB, and the handlers use only stable
 * S3, SageMaker, SNS and CloudWatch APIs, tested against moto), in the isolated subnets with HTTPS
 * egress only, environment encrypted with a customer key, reserved
 * concurrency, active tracing, JSON logs to a KMS log group kept a year,
 * two async retries then a KMS-encrypted dead-letter queue, and a role whose
 * grants live in a managed policy.
 */
export class GateFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: ManagedPolicyRole;
  readonly deadLetterQueue: sqs.Queue;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: GateFunctionProps) {
    super(scope, id);
    const logGroup = new EncryptedLogGroup(this, 'Logs', { encryptionKey: props.logsKey, retention: props.logRetention });
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: props.description,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NetworkInterfacesInTheVpc',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }),
    );
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFindings(
      this.deadLetterQueue,
      ['Serverless-SQSRedrivePolicy'],
      'This queue is itself the failure destination of the gate function; failed events rest here for investigation.',
    );
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${id}: HTTPS out to VPC endpoints only (the subnets have no other route)`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to interface and gateway endpoints');

    const configLayer = new lambda.LayerVersion(this, 'Config', {
      code: lambda.Code.fromAsset(writeConfigDir(props.config)),
      description: `${id} configuration from the estate config`,
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
    });

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(bundleHandler(props.entry)),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      role: this.role,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      environment: props.environment,
      environmentEncryption: props.encryptionKey,
      layers: [configLayer],
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      timeout: props.timeout ?? Duration.minutes(1),
      memorySize: 512,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      retryAttempts: 2,
      // Both, to one queue: the dead-letter copy carries the event, the
      // failure destination the invocation record with the error.
      deadLetterQueue: this.deadLetterQueue,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    // Marks the function for the RegulatedMLOps pack's gate rule (on the resource
    // itself, so the mark does not wait for the tagging aspects of synthesis).
    (this.function.node.defaultChild as lambda.CfnFunction).tags.setTag(GATE_TAG, 'validation-gate');
    acknowledgeFindings(
      this.role.permissionsPolicy!,
      ['AwsSolutions-IAM5[Resource::*]'],
      'Only actions that take no resource ARN are granted on *: ENI management for a function in a VPC, X-Ray, alarm and package listing; the boundary still caps the role.',
    );
    acknowledgeFindings(
      this.role.permissionsPolicy!,
      ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]'],
      "aws-cdk-lib's grant for sending to the KMS-encrypted failure queue; it is limited to that one key.",
    );
  }
}

/** A folder holding `gate-config.json`, content-addressed so that the same config gives the same asset. */
function writeConfigDir(config: unknown): string {
  const body = JSON.stringify(config, null, 2);
  const dir = path.join(os.tmpdir(), 'estate-gate-config', createHash('sha256').update(body).digest('hex').slice(0, 16));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'gate-config.json'), body);
  return dir;
}
