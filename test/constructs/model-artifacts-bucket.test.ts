/**
 * ModelArtifactsBucket on its own: named, on the given key; with reader accounts, they decrypt through S3 in the
 * bucket's region only, and read model data only of versions the pinner marked approved, only when asked to.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ModelArtifactsBucket, ModelArtifactsBucketProps } from '../../constructs/model-artifacts-bucket';
import { APPROVED_TAG } from '../../lambdas/model-pinner/approved-tag';

function build(readers: Partial<ModelArtifactsBucketProps>) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const bucket = new ModelArtifactsBucket(stack, 'ModelArtifacts', {
    bucketName: 'model-artifacts-123456789012-eu-west-1',
    encryptionKey: new kms.Key(stack, 'MlKey'),
    serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
    ...readers,
  });
  const template = Template.fromStack(stack);
  const statements = (type: string) =>
    Object.values(template.findResources(type)).flatMap(
      (r: any) => (r.Properties.KeyPolicy ?? r.Properties.PolicyDocument).Statement,
    );
  return { bucket, template, statements };
}

describe('ModelArtifactsBucket', () => {
  test('named; no reader account: neither the key nor the bucket names another account', () => {
    const { template, statements } = build({});
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'model-artifacts-123456789012-eu-west-1' });
    expect(statements('AWS::KMS::Key').map((s: any) => s.Sid)).not.toContain('ProdDecryptsApprovedArtifactsThroughS3');
    expect(statements('AWS::S3::BucketPolicy').map((s: any) => s.Sid)).not.toContain('ProdReadsApprovedArtifacts');
  });

  test('reader accounts decrypt the key through S3 in this region only', () => {
    const { statements } = build({ readerAccounts: ['210987654321'] });
    const decrypt = statements('AWS::KMS::Key').find((s: any) => s.Sid === 'ProdDecryptsApprovedArtifactsThroughS3');
    expect(decrypt).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey'],
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    expect(JSON.stringify(decrypt.Principal)).toContain('210987654321');
    // Without readersGetApprovedModelData they read the pinned copies elsewhere, nothing of this bucket.
    expect(statements('AWS::S3::BucketPolicy').map((s: any) => s.Sid)).not.toContain('ProdReadsApprovedArtifacts');
  });

  test('with readersGetApprovedModelData, they read model data of marked versions only', () => {
    const { statements } = build({ readerAccounts: ['210987654321'], readersGetApprovedModelData: true });
    const read = statements('AWS::S3::BucketPolicy').find((s: any) => s.Sid === 'ProdReadsApprovedArtifacts');
    expect(read).toMatchObject({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Condition: { StringLike: { [`s3:ExistingObjectTag/${APPROVED_TAG}`]: '?*' } },
    });
    expect(JSON.stringify(read.Resource)).toContain('/model/*');
  });

  test('its missing replication is acknowledged on the bucket, with a reason', () => {
    const { bucket } = build({});
    const acknowledged = bucket.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules');
    expect(acknowledged.map((m) => Object.keys(m.data as object)[0]).join(' ')).toMatch(/S3BucketReplicationEnabled/);
  });
});
