/**
 * TrainingDataBucket on its own: named, under the given key, versioned with every version kept, its access logs to the
 * given bucket, and its missing replication acknowledged with a reason.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TrainingDataBucket } from '../../constructs/training-data-bucket';

describe('TrainingDataBucket', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'DataKey');
  const logs = new s3.Bucket(stack, 'Logs');
  const bucket = new TrainingDataBucket(stack, 'TrainingData', {
    bucketName: 'training-data-123456789012-eu-west-1',
    encryptionKey: key,
    serverAccessLogsBucket: logs,
  });
  const template = Template.fromStack(stack);
  const props = template.findResources('AWS::S3::Bucket', {
    Properties: { BucketName: 'training-data-123456789012-eu-west-1' },
  });
  const [resource] = Object.values(props) as any[];

  test('named, versioned, under the given key, logging to the given bucket', () => {
    expect(resource.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(JSON.stringify(resource.Properties.BucketEncryption)).toContain(
      stack.getLogicalId(key.node.defaultChild as kms.CfnKey),
    );
    expect(resource.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket),
    });
  });

  test('no rule expires a version: a lineage manifest keeps every version it names readable', () => {
    const rules = resource.Properties.LifecycleConfiguration?.Rules ?? [];
    expect(rules.filter((r: any) => r.NoncurrentVersionExpiration || r.ExpirationInDays)).toEqual([]);
  });

  test('its missing replication is acknowledged on the bucket, with a reason', () => {
    const acknowledged = bucket.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules');
    expect(acknowledged.map((m) => Object.keys(m.data as object)[0]).join(' ')).toMatch(/S3BucketReplicationEnabled/);
  });
});
