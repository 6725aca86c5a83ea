import * as path from 'node:path';
import { CustomResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { baselinePrefix } from '../lambdas/model-pinner/approved-tag';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { BASELINE_COPIER_SUFFIX } from '../policies/workload-boundary';
import { GateFunction } from './gate-function';
import { ManagedPolicyRole } from './managed-policy-role';

/** A prod copier the approved-model bucket admits: its exact role and the one model whose baselines it copies. */
export interface BaselineReader {
  readonly account: string;
  readonly roleName: string;
  readonly modelId: string;
}

/**
 * Up to this many copiers, each is admitted by its own statement: its exact role ARN, its model's baselines only.
 * S3 caps a bucket policy at 20 KB (Amazon S3 User Guide, bucket policies: "Bucket policies are limited to 20 KB in
 * size"); a statement takes about 330 bytes, so a larger estate's copiers are admitted by one statement per prod
 * account naming every role ARN exactly (about 80 bytes each), each role's own policy keeping it to its model; and
 * where even that list would not fit (over MAX_EXACT_BASELINE_READERS), by the copiers' role-name suffix.
 */
export const MAX_BASELINE_READ_STATEMENTS = 30;
export const MAX_EXACT_BASELINE_READERS = 150;
export { BASELINE_COPIER_SUFFIX };

/**
 * The approved-model bucket's statements that let prod's baseline copiers read `baselines/<model>/*`. The principal is
 * the prod account, narrowed by `aws:PrincipalArn` to the exact role: S3 refuses a bucket policy naming a role that
 * does not exist yet (the prod roles are made after staging's bucket), and a condition on the ARN has no such order.
 */
export function baselineReadStatements(
  bucket: s3.IBucket,
  readers: readonly { model: { id: string }; environment: { account: string }; roleName: string }[],
  partition: string,
): iam.PolicyStatement[] {
  const arn = (r: (typeof readers)[number]) => `arn:${partition}:iam::${r.environment.account}:role/${r.roleName}`;
  if (readers.length <= MAX_BASELINE_READ_STATEMENTS) {
    return readers.map(
      (r, i) =>
        new iam.PolicyStatement({
          sid: `ProdCopiesBaseline${i}`,
          principals: [new iam.AccountPrincipal(r.environment.account)],
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(`${baselinePrefix(r.model.id)}*`)],
          conditions: { ArnEquals: { 'aws:PrincipalArn': arn(r) } },
        }),
    );
  }
  const accounts = [...new Set(readers.map((r) => r.environment.account))];
  return accounts.map(
    (account, i) =>
      new iam.PolicyStatement({
        sid: `ProdCopiesBaselines${i}`,
        principals: [new iam.AccountPrincipal(account)],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects('baselines/*')],
        conditions:
          readers.length <= MAX_EXACT_BASELINE_READERS
            ? { ArnEquals: { 'aws:PrincipalArn': readers.filter((r) => r.environment.account === account).map(arn) } }
            : { ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::${account}:role/*${BASELINE_COPIER_SUFFIX}` } },
      }),
  );
}

export interface BaselineCopierProps {
  readonly vpc: ec2.IVpc;
  /** The environment's ML key: the capture bucket's objects are written under it. */
  readonly mlKey: kms.IKey;
  readonly logsKey: kms.IKey;
  /**
   * How long the copier's log events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /** The environment's capture bucket, where the monitoring job reads `monitoring/<endpoint>/baseline/`. */
  readonly captureBucket: s3.IBucket;
  /** The approved-model bucket the baselines are read from (the promotion source's), with its account and region. */
  readonly source: { readonly bucketName: string; readonly account: string; readonly region: string };
}

export interface BaselineCopyProps {
  readonly endpointName: string;
  readonly modelId: string;
  /** The package version prod serves with the most weight. */
  readonly championVersion: number;
  /** The copier role's name: the source bucket's policy admits exactly `role/<roleName>` of this account. */
  readonly roleName: string;
}

/**
 * One function per endpoint shard that copies each monitored endpoint's champion baseline at deploy time
 * (lambdas/baseline-copier), as that endpoint's own role: per endpoint, a role that reads only its model's pinned
 * baselines in the source bucket and writes only its endpoint's baseline prefix, and the custom resource that runs the
 * copy when the champion changes. The function's own role may only assume those roles.
 */
export class BaselineCopier extends Construct {
  readonly function: GateFunction;
  private readonly props: BaselineCopierProps;
  private readonly assumable: string[] = [];

  constructor(scope: Construct, id: string, props: BaselineCopierProps) {
    super(scope, id);
    this.props = props;
    this.function = new GateFunction(this, 'Function', {
      entry: path.join(__dirname, '..', 'lambdas', 'baseline-copier', 'handler.ts'),
      description: "Copies a monitored endpoint's champion baseline, verified by SHA-256, to its monitoring prefix",
      vpc: props.vpc,
      encryptionKey: props.mlKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: { baselineCopier: true },
      reservedConcurrency: 2,
      timeout: Duration.minutes(5),
    });
    this.function.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ActAsTheEndpointCopiers',
        actions: ['sts:AssumeRole'],
        resources: Lazy.list({ produce: () => this.assumable }),
      }),
    );
  }

  /** The copy for one endpoint, in `scope` (the model's construct): its role and its custom resource. */
  addEndpoint(scope: Construct, props: BaselineCopyProps): CustomResource {
    const { partition, account } = Stack.of(this);
    const p = this.props;
    const role = new ManagedPolicyRole(scope, 'BaselineCopyRole', {
      roleName: props.roleName,
      assumedBy: new iam.ArnPrincipal(this.function.role.roleArn),
      description: `Copies the champion baseline of ${props.endpointName}: reads ${props.modelId}'s pinned baselines, writes this endpoint's baseline prefix`,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    const sourceObjects = `arn:${partition}:s3:::${p.source.bucketName}/${baselinePrefix(props.modelId)}*`;
    const target = p.captureBucket.arnForObjects(`monitoring/${props.endpointName}/baseline/*`);
    allow('ReadItsModelsPinnedBaselines', ['s3:GetObject'], [sourceObjects]);
    allow(
      'DecryptPinnedBaselinesThroughS3',
      ['kms:Decrypt'],
      [`arn:${partition}:kms:${p.source.region}:${p.source.account}:key/*`],
      { StringEquals: { 'kms:ViaService': `s3.${p.source.region}.amazonaws.com` } },
    );
    allow('WriteItsEndpointsBaseline', ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], [target]);
    allow('EncryptTheBaseline', ['kms:GenerateDataKey', 'kms:Decrypt'], [p.mlKey.keyArn]);
    acknowledgeResourceWildcards(
      role.permissionsPolicy!,
      [sourceObjects, target, `arn:${partition}:kms:${p.source.region}:${p.source.account}:key/*`],
      "One model's pinned baseline files (written by the pinner after deployment) and one endpoint's baseline prefix; the source account's key only through S3.",
    );
    this.assumable.push(`arn:${partition}:iam::${account}:role/${props.roleName}`);
    const resource = new CustomResource(scope, 'BaselineCopy', {
      serviceToken: this.function.function.functionArn,
      resourceType: 'Custom::BaselineCopy',
      // A function that dies before answering fails the deployment in minutes, not CloudFormation's default hour.
      serviceTimeout: Duration.minutes(10),
      properties: {
        RoleArn: role.roleArn,
        SourceBucket: p.source.bucketName,
        ModelId: props.modelId,
        Version: String(props.championVersion),
        TargetBucket: p.captureBucket.bucketName,
        EndpointName: props.endpointName,
      },
    });
    // The role's grants exist before the copy runs as it.
    resource.node.addDependency(role);
    return resource;
  }
}
