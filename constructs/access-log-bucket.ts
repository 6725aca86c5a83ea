import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFindings, acknowledgeNoReplication } from '../policies/acknowledge';

export interface AccessLogBucketProps {
  /** How long access log objects are kept. */
  readonly retention: Duration;
}

/**
 * Target of S3 server access logging for the estate's buckets.
 *
 * S3 delivers server access logs only to buckets encrypted with SSE-S3, and
 * only to buckets without an Object Lock default retention, so this bucket
 * cannot use the customer key or COMPLIANCE mode the others use. It is
 * versioned, private, TLS-only and keeps its objects for the retention given.
 * It is not itself access-logged (that would loop); CloudTrail records every
 * change to its configuration.
 */
export class AccessLogBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: props.retention, noncurrentVersionExpiration: Duration.days(30) },
      ],
    });

    acknowledgeFindings(
      this,
      [
        'NIST.800.53.R5-S3DefaultEncryptionKMS',
        'PCI.DSS.321-S3DefaultEncryptionKMS',
        'HIPAA.Security-S3DefaultEncryptionKMS',
      ],
      'S3 server access log delivery supports only SSE-S3 default encryption on the target bucket (AWS S3 user guide, "Enabling Amazon S3 server access logging"), so a customer KMS key cannot be used here; the bucket holds access metadata, not customer data.',
    );
    acknowledgeNoReplication(
      this,
      'Server access logs are secondary evidence (the trail records the same API calls); they are versioned in S3 storage spread over three or more AZs, and a lost copy loses no audit record.',
    );
  }
}
