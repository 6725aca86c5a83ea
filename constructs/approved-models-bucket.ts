import { Duration } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeNoReplication } from '../policies/acknowledge';
import { SecureBucket } from './secure-bucket';

export interface ApprovedModelsBucketProps {
  /** Physical name: prod's models name the pinned keys they read. */
  readonly bucketName: string;
  /** Key of the pinned copies (the key of the model data they copy). */
  readonly encryptionKey: kms.IKey;
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
}

/**
 * Where the model pinner keeps the locked copy of each approved version's
 * model data: Object Lock on, with no default rule (the pinner locks each
 * version in COMPLIANCE mode itself; a default rule would also lock whatever
 * else were written, and ModelPinner denies every other write), and
 * incomplete multipart copies of a pinner run killed part-way removed after a
 * day. A SecureBucket.
 */
export class ApprovedModelsBucket extends SecureBucket {
  constructor(scope: Construct, id: string, props: ApprovedModelsBucketProps) {
    super(scope, id, {
      bucketName: props.bucketName,
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
    });
    // A pinner run killed part-way leaves an incomplete multipart upload (no object): S3 removes it.
    this.addLifecycleRule({ id: 'AbortIncompletePinCopies', abortIncompleteMultipartUploadAfter: Duration.days(1) });
    const cfn = this.node.defaultChild as s3.CfnBucket;
    cfn.objectLockEnabled = true;
    // Locked per version by the pinner (PutObjectRetention), with no default rule.
    cfn.objectLockConfiguration = { objectLockEnabled: 'Enabled' };
    acknowledgeNoReplication(
      this,
      'Approved model data is a locked copy of versioned training outputs; the pin records with its SHA-256 are replicated with the decision records.',
    );
  }
}
