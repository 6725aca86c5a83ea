import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /** Customer-managed key for default encryption (SSE-KMS with an S3 bucket key). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Object Lock in COMPLIANCE mode with this default retention: nobody, root
   * included, can delete or overwrite a locked object version before it expires.
   * @default - no Object Lock
   */
  readonly complianceRetention?: Duration;
  /**
   * Days after which non-current object versions are removed.
   * @default - non-current versions are kept
   */
  readonly noncurrentVersionExpiration?: Duration;
}

/**
 * An S3 bucket with the defaults a bank expects: SSE-KMS with a customer key,
 * versioning, public access blocked, TLS 1.2+ only, ACLs disabled, access
 * logged, retained when the stack goes, and optionally Object Lock in
 * COMPLIANCE mode.
 */
export class SecureBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: `${id}/`,
      removalPolicy: RemovalPolicy.RETAIN,
      objectLockEnabled: props.complianceRetention !== undefined,
      objectLockDefaultRetention: props.complianceRetention
        ? s3.ObjectLockRetention.compliance(props.complianceRetention)
        : undefined,
      lifecycleRules: props.noncurrentVersionExpiration
        ? [{ id: 'expire-noncurrent-versions', noncurrentVersionExpiration: props.noncurrentVersionExpiration }]
        : undefined,
    });
  }
}
