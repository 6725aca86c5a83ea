/**
 * ExperimentTracking on its own: the tracking server, its artifact bucket on
 * the given key, and a role that reaches the bucket's mlflow/ prefix and the
 * key and nothing else; with the id `Default` its children keep the logical
 * IDs of stack-level resources.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ExperimentTracking, ExperimentTrackingProps } from '../../constructs/experiment-tracking';

function build(id = 'Tracking', extra: Partial<ExperimentTrackingProps> = {}) {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'MlKey');
  const tracking = new ExperimentTracking(stack, id, {
    trackingServerName: 'bank-dev',
    encryptionKey: key,
    accessLogs: new s3.Bucket(stack, 'AccessLogs'),
    ...extra,
  });
  return {
    stack,
    tracking,
    template: Template.fromStack(stack),
    keyId: stack.getLogicalId(key.node.defaultChild as kms.CfnKey),
  };
}

const statementsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );

describe('ExperimentTracking', () => {
  test('a small server by default, never registering models by itself, its artifacts under mlflow/ of its own bucket', () => {
    const { template, stack, tracking } = build();
    template.hasResourceProperties('AWS::SageMaker::MlflowTrackingServer', {
      TrackingServerName: 'bank-dev',
      TrackingServerSize: 'Small',
      AutomaticModelRegistration: false,
      WeeklyMaintenanceWindowStart: 'Sun:02:00',
    });
    const server = template.findResources('AWS::SageMaker::MlflowTrackingServer');
    const [props] = Object.values(server).map((r: any) => r.Properties);
    expect(JSON.stringify(props.ArtifactStoreUri)).toContain(
      stack.getLogicalId(tracking.artifactBucket.node.defaultChild as s3.CfnBucket),
    );
    expect(JSON.stringify(props.ArtifactStoreUri)).toContain('/mlflow');
    expect(JSON.stringify(props.RoleArn)).toContain(stack.getLogicalId(tracking.role.node.defaultChild as any));
  });

  test('the artifact bucket: the given key, versions expire after a year unless told otherwise', () => {
    const { template, keyId } = build();
    template.hasResourceProperties('AWS::S3::Bucket', {
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
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 365 } })] },
    });
    build('Tracking', {
      noncurrentVersionExpiration: Duration.days(30),
      trackingServerSize: 'Medium',
    }).template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })] },
    });
  });

  test('the role: trusted by SageMaker of this account only; the mlflow/ prefix, the bucket listing and the key, nothing else', () => {
    const { template, keyId } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          },
        ],
      },
    });
    const statements = statementsOf(template);
    expect(statements.map((s: any) => [s.Sid, s.Effect, s.Action])).toEqual([
      ['TrackingArtifacts', 'Allow', ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']],
      ['ListArtifactBucket', 'Allow', ['s3:ListBucket', 's3:GetBucketLocation']],
      ['UseMlKey', 'Allow', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']],
    ]);
    // No bare "*" anywhere: every resource names the bucket, its prefix or the key.
    for (const s of statements) for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).not.toBe('"*"');
    expect(JSON.stringify(statements[0].Resource)).toMatch(/\/mlflow\/\*"/);
    expect(statements[2].Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test("the server waits for its role's grants", () => {
    const { template } = build();
    const [server] = Object.values(template.findResources('AWS::SageMaker::MlflowTrackingServer')) as any[];
    const [policyId] = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(server.DependsOn).toEqual(expect.arrayContaining([policyId]));
  });

  test('under the id Default, the children keep the logical IDs of stack-level resources', () => {
    const { template } = build('Default');
    const ids = Object.keys(template.toJSON().Resources);
    expect(ids).toContain('Experiments');
    expect(ids.some((id) => /^ExperimentArtifacts[0-9A-F]{8}$/.test(id))).toBe(true);
    expect(ids.some((id) => /^ExperimentsRole[0-9A-F]{8}$/.test(id))).toBe(true);
    // ...and the role's policy describes it by that path too, not through Default.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Description: 'Permissions of Probe/ExperimentsRole' });
    // The control: under any other id they carry it.
    expect(Object.keys(build('Tracking').template.toJSON().Resources)).not.toContain('Experiments');
  });
});
