/**
 * InferenceCaptureBucket on its own: named, on the given key, locked in
 * COMPLIANCE mode for whole calendar years, marked as audit records, and a
 * retention that is not a whole number of years refused.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { InferenceCaptureBucket } from '../../constructs/inference-capture-bucket';
import { AUDIT_RECORDS_TAG } from '../../policies/rules/AuditBucketLocked';

function build(retentionYears: number) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'MlKey');
  new InferenceCaptureBucket(stack, 'InferenceCapture', {
    bucketName: 'inference-capture-123456789012-eu-west-1',
    encryptionKey: key,
    serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
    retentionYears,
  });
  return { template: Template.fromStack(stack), keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey) };
}

describe('InferenceCaptureBucket', () => {
  test('named, on the given key, locked in COMPLIANCE mode for the years given (calendar years, not days)', () => {
    const { template, keyId } = build(7);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'inference-capture-123456789012-eu-west-1',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } },
      },
    });
    const [bucket] = Object.values(
      template.findResources('AWS::S3::Bucket', {
        Properties: { BucketName: 'inference-capture-123456789012-eu-west-1' },
      }),
    ) as any[];
    expect(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days).toBeUndefined();
    expect(bucket.Properties.Tags).toEqual(expect.arrayContaining([{ Key: AUDIT_RECORDS_TAG, Value: 'audit' }]));
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test.each([0, -1, 1.5, Number.NaN])('a retention of %p years is refused, naming the field', (years) => {
    expect(() => build(years)).toThrow(/InferenceCapture: retentionYears must be a whole number of years, at least 1/);
  });
});
