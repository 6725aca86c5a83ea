import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { ManagedPolicyRole } from './managed-policy-role';
import { SecureBucket } from './secure-bucket';

export interface ExperimentTrackingProps {
  /** Name of the tracking server, unique in the account and region. */
  readonly trackingServerName: string;
  /** Key of the artifact bucket; the server's role may use it and no other. */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives the artifact bucket's server access logs. */
  readonly accessLogs: s3.IBucket;
  /**
   * How long a replaced or deleted artifact version is kept.
   * @default Duration.days(365)
   */
  readonly noncurrentVersionExpiration?: Duration;
  /**
   * Size of the tracking server.
   * @default 'Small'
   */
  readonly trackingServerSize?: 'Small' | 'Medium' | 'Large';
  /**
   * Weekly maintenance window start, `Ddd:HH:MM` in UTC.
   * @default 'Sun:02:00'
   */
  readonly weeklyMaintenanceWindowStart?: string;
}

/**
 * Managed MLflow tracking of an environment's experiments: the tracking
 * server, its artifact bucket (customer key, versioned, access logged) and
 * the role the server runs as, which may read and write the bucket's
 * `mlflow/` prefix, list the bucket and use its key, and nothing else. The
 * server registers nothing in the model registry by itself: a model version
 * reaches the registry through a training pipeline, whose reports the
 * approval gate reads.
 *
 * Its children keep the IDs they had as a stack's own resources: created
 * with the id `Default`, the construct adds nothing to their logical IDs
 * (AWS CDK Developer Guide, "Preserve deployed resources when refactoring
 * CDK code"), so a stack that had them inline can adopt it unchanged.
 */
export class ExperimentTracking extends Construct {
  readonly server: sagemaker.CfnMlflowTrackingServer;
  readonly artifactBucket: SecureBucket;
  readonly role: ManagedPolicyRole;

  constructor(scope: Construct, id: string, props: ExperimentTrackingProps) {
    super(scope, id);
    const bucket = (this.artifactBucket = new SecureBucket(this, 'ExperimentArtifacts', {
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.accessLogs,
      noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(365),
    }));
    acknowledgeNoReplication(
      bucket,
      'Experiment artifacts are working material; what a model version was trained and evaluated on is recorded in its registered package and the locked decision records.',
    );
    const role = (this.role = new ManagedPolicyRole(this, 'ExperimentsRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Managed MLflow tracking server: reads and writes its artifact bucket only',
    }));
    const artifacts = bucket.arnForObjects('mlflow/*');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TrackingArtifacts',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [artifacts],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListArtifactBucket',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [bucket.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseMlKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.encryptionKey.keyArn],
      }),
    );
    acknowledgeResourceWildcards(
      role.permissionsPolicy!,
      [artifacts],
      'Run artifacts are created by MLflow at run time; the grant is limited to the mlflow/ prefix of the experiments bucket.',
    );
    this.server = new sagemaker.CfnMlflowTrackingServer(this, 'Experiments', {
      trackingServerName: props.trackingServerName,
      artifactStoreUri: bucket.s3UrlForObject('mlflow'),
      roleArn: role.roleArn,
      trackingServerSize: props.trackingServerSize ?? 'Small',
      automaticModelRegistration: false,
      weeklyMaintenanceWindowStart: props.weeklyMaintenanceWindowStart ?? 'Sun:02:00',
    });
    // The role's grants exist before the server first writes.
    this.server.node.addDependency(role);
  }
}
