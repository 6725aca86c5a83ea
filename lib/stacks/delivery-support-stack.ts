import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { customerKey } from '../../constructs/encryption-keys';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { tagEstateResources } from '../aspects/tagging';
import { EstateConfig } from '../config';
import { replicaArtifactBucketName } from '../delivery/names';
import { writtenOnlyByThePipeline } from '../delivery/pipeline-artifacts';

export interface DeliverySupportStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  readonly estate: EstateConfig;
  readonly region: string;
}

/**
 * Artifact store of the pipeline in a region other than its own (CodePipeline
 * hands artifacts to CloudFormation through a bucket in the deployment's
 * region). Replaces the support stack CDK would otherwise generate, so the
 * bucket has the estate's defaults: customer key, versioning, access logs.
 */
export class DeliverySupportStack extends Stack {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: DeliverySupportStackProps) {
    const { estate, region, ...rest } = props;
    const account = estate.delivery!.account;
    super(scope, id, { ...rest, env: { account, region }, terminationProtection: true });
    const key = customerKey(this, 'ArtifactKey', {
      description: `${estate.organization.name}: pipeline artifacts in ${region}`,
    });
    // CodePipeline names the key of a replica artifact store by a physical
    // reference; an alias with a fixed name gives one without a cross-region export.
    const alias = new kms.Alias(this, 'ArtifactKeyAlias', {
      aliasName: `alias/${estate.organization.name}/pipeline-artifacts`,
      targetKey: key,
    });
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: Duration.days(365) });
    this.bucket = new SecureBucket(this, 'Artifacts', {
      bucketName: replicaArtifactBucketName(account, region),
      encryptionKey: alias,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: Duration.days(90),
    });
    writtenOnlyByThePipeline(this.bucket, account, this.partition);
    acknowledgeNoReplication(
      this.bucket,
      'Copies of pipeline artifacts for deployments in this region, rebuilt at every run; what was deployed is kept by CloudFormation and CloudTrail in the target accounts.',
    );
    tagEstateResources(this, estate, 'delivery');
  }
}
