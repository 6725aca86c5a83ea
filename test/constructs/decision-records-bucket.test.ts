/**
 * DecisionRecordsBucket on its own: on the given key, locked in COMPLIANCE mode for whole calendar years, marked as
 * audit records; replicated to the second region only when a replica is given.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DecisionRecordsBucket, DecisionRecordsBucketProps } from '../../constructs/decision-records-bucket';
import { AUDIT_RECORDS_TAG } from '../../policies/rules/AuditBucketLocked';

function build(extra: Partial<DecisionRecordsBucketProps> = {}) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'AuditKey');
  new DecisionRecordsBucket(stack, 'DecisionRecords', {
    encryptionKey: key,
    serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
    retentionYears: 7,
    ...extra,
  });
  return { template: Template.fromStack(stack), keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey) };
}

describe('DecisionRecordsBucket', () => {
  test('on the given key, locked in COMPLIANCE mode for the years given (calendar years, not days), audit records', () => {
    const { template, keyId } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
            },
          },
        ],
      },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } } },
    });
    const [records] = Object.values(
      template.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
    );
    expect(records.Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days).toBeUndefined();
    expect(records.Properties.Tags).toEqual(
      expect.arrayContaining([expect.objectContaining({ Key: AUDIT_RECORDS_TAG })]),
    );
  });

  test('not replicated without a replica; replicated to the replica bucket with its key when given one', () => {
    const alone = build().template;
    expect(Object.keys(alone.findResources('AWS::IAM::Role'))).toEqual([]);
    const replicated = build({
      replica: {
        region: 'eu-central-1',
        bucketName: 'audit-replica-123456789012-eu-central-1',
        keyAliasName: 'alias/x',
      },
    }).template;
    const [bucket] = Object.values(
      replicated.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } }),
    ) as any[];
    const [rule] = bucket.Properties.ReplicationConfiguration.Rules;
    expect(JSON.stringify(rule.Destination.Bucket)).toContain(':s3:::audit-replica-123456789012-eu-central-1');
    expect(JSON.stringify(rule.Destination.EncryptionConfiguration)).toContain('alias/x');
    expect(Object.keys(replicated.findResources('AWS::IAM::Role'))).toHaveLength(1);
  });
});
