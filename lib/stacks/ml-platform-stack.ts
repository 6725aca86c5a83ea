import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { FeatureStore } from '../../constructs/feature-store';
import { ManagedPolicyRole } from '../../constructs/managed-policy-role';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeFindings } from '../../policies/acknowledge';
import { acknowledgeResourceWildcards } from '../../policies/acknowledge-wildcards';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateConfig } from '../config/schema';
import { EstateStack, EstateStackProps } from './estate-stack';

/** Name of an environment's inference-capture bucket. */
export const inferenceCaptureBucketName = (account: string, region: string): string => `inference-capture-${account}-${region}`;

export interface MLPlatformStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  readonly keys: EncryptionKeys;
}

/**
 * What every model of an environment shares: the feature store (groups,
 * offline bucket, its role), the Object Lock bucket that receives endpoint
 * data capture and Model Monitor reports, and the managed MLflow tracking
 * server for experiments, with its artifacts in a KMS bucket.
 */
export class MLPlatformStack extends EstateStack {
  readonly featureStore: FeatureStore;
  readonly captureBucket: SecureBucket;
  readonly experiments: sagemaker.CfnMlflowTrackingServer;

  constructor(scope: Construct, id: string, props: MLPlatformStackProps) {
    super(scope, id, props);
    const { estate, keys, environment: env } = props;
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: Duration.days(365) });
    StatefulResourcePolicy.alwaysRetain(accessLogs);

    this.featureStore = new FeatureStore(this, 'FeatureStore', { groups: estate.featureGroups, dataKey: keys.data, accessLogs });

    // What the models saw and said: locked as long as the audit logs, as evidence of each decision.
    this.captureBucket = new SecureBucket(this, 'InferenceCapture', {
      // Named, so that endpoint shards find it without a cross-stack export per grant.
      bucketName: inferenceCaptureBucketName(this.account, this.region),
      encryptionKey: keys.ml,
      serverAccessLogsBucket: accessLogs,
      complianceRetention: Duration.days(365 * env.auditLogRetentionYears),
    });
    StatefulResourcePolicy.alwaysRetain(this.captureBucket);
    acknowledgeFindings(
      this.captureBucket,
      ['NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
      'Captured inference requests hold customer data that stays in the environment\'s region (data residency); they are locked under COMPLIANCE retention, and the decisions made on them are replicated with the decision records.',
    );

    const experimentsBucket = new SecureBucket(this, 'ExperimentArtifacts', {
      encryptionKey: keys.ml,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: Duration.days(365),
    });
    acknowledgeFindings(
      experimentsBucket,
      ['NIST.800.53.R5-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled'],
      'Experiment artifacts are working material; what a model version was trained and evaluated on is recorded in its registered package and the locked decision records.',
    );
    const experimentsRole = new ManagedPolicyRole(this, 'ExperimentsRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: 'Managed MLflow tracking server: reads and writes its artifact bucket only',
    });
    const artifacts = experimentsBucket.arnForObjects('mlflow/*');
    experimentsRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'TrackingArtifacts', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [artifacts] }));
    experimentsRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListArtifactBucket', actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [experimentsBucket.bucketArn] }));
    experimentsRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UseMlKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [keys.ml.keyArn] }));
    acknowledgeResourceWildcards(experimentsRole.permissionsPolicy!, [artifacts], 'Run artifacts are created by MLflow at run time; the grant is limited to the mlflow/ prefix of the experiments bucket.');
    this.experiments = new sagemaker.CfnMlflowTrackingServer(this, 'Experiments', {
      trackingServerName: `${estate.organization.name}-${env.name}`,
      artifactStoreUri: experimentsBucket.s3UrlForObject('mlflow'),
      roleArn: experimentsRole.roleArn,
      trackingServerSize: 'Small',
      automaticModelRegistration: false,
      weeklyMaintenanceWindowStart: 'Sun:02:00',
    });
    this.experiments.node.addDependency(experimentsRole);
  }
}
