/**
 * DeliveryPipeline on its own: artifacts and build logs under its own rotated
 * key, the artifact bucket writable only by the given roles, the other
 * regions' stores wired beside its own, and the synth step as given.
 */
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { DeliveryPipeline, DeliveryPipelineProps } from '../../constructs/delivery-pipeline';
import { cdkJsonContext } from '../support/estate';

const WRITERS = 'arn:aws:iam::123456789012:role/pipeline/*';

function build(id = 'Delivery', extra: Partial<DeliveryPipelineProps> = {}, context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...cdkJsonContext(), ...context } });
  const stack = new Stack(app, 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const delivery = new DeliveryPipeline(stack, id, {
    pipelineName: 'bank-estate',
    artifactKeyAlias: 'alias/bank/pipeline-artifacts',
    artifactKeyDescription: 'bank: pipeline artifacts',
    artifactWriters: WRITERS,
    source: pipelines.CodePipelineSource.connection('bank/estate', 'main', {
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/abc',
    }),
    synthCommands: ['npm ci', 'npm run synth'],
    buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
    ...extra,
  });
  // A stage to deploy, as a caller adds them, then the pipeline built.
  const target = new Stage(app, 'dev', { env: { account: '210987654321', region: 'eu-west-1' } });
  new s3.Bucket(new Stack(target, 'Workload'), 'Data');
  delivery.pipeline.addStage(target);
  delivery.build();
  return { stack, delivery, template: Template.fromStack(stack) };
}

describe('DeliveryPipeline', () => {
  const { template, stack, delivery } = build();
  const keyId = stack.getLogicalId(delivery.artifactKey.node.defaultChild as any);
  const bucketId = stack.getLogicalId(delivery.artifactBucket.node.defaultChild as any);

  test('its own key, rotated, under the given alias; the artifact bucket and the build logs use it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'bank: pipeline artifacts',
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/bank/pipeline-artifacts',
      TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
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
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('artifacts are written only by the given roles: every write and delete denied to anyone else', () => {
    const [policy] = Object.values(
      template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: bucketId } } }),
    ) as any[];
    const deny = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'WrittenOnlyByThePipeline');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Condition: { ArnNotLike: { 'aws:PrincipalArn': WRITERS } },
    });
    expect(deny.Action).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']));
  });

  test('a V2 pipeline with the given name whose artifacts use the key; the synth step runs the given commands on the given image', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: 'bank-estate',
      PipelineType: 'V2',
      RestartExecutionOnUpdate: true,
      ArtifactStores: [
        {
          Region: 'eu-west-1',
          ArtifactStore: {
            Location: { Ref: bucketId },
            EncryptionKey: { Id: { 'Fn::GetAtt': [keyId, 'Arn'] }, Type: 'KMS' },
          },
        },
      ],
    });
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project')).map((p: any) => p.Properties);
    const synth = projects.find((p) => JSON.stringify(p.Source.BuildSpec).includes('npm run synth'));
    expect(synth).toBeDefined();
    expect(JSON.stringify(synth.Source.BuildSpec)).toContain('npm ci');
    expect(synth.Environment).toMatchObject({
      Image: 'aws/codebuild/standard:7.0',
      ComputeType: 'BUILD_GENERAL1_MEDIUM',
      PrivilegedMode: false,
    });
    expect(synth.TimeoutInMinutes).toBe(60);
  });

  test("another region's store sits beside its own; its own region named again is refused", () => {
    const other = new Stack(new App({ context: cdkJsonContext() }), 'Other', {
      env: { account: '123456789012', region: 'eu-central-1' },
    });
    const replica = s3.Bucket.fromBucketName(other, 'Replica', 'replica-artifacts-eu-central-1');
    const { template: withReplica } = build('Delivery', { crossRegionArtifactBuckets: { 'eu-central-1': replica } });
    const [pipeline] = Object.values(withReplica.findResources('AWS::CodePipeline::Pipeline')) as any[];
    expect(pipeline.Properties.ArtifactStores.map((s: any) => s.Region)).toEqual(['eu-west-1', 'eu-central-1']);
    expect(() => build('Delivery', { crossRegionArtifactBuckets: { 'eu-west-1': replica } })).toThrow(
      /crossRegionArtifactBuckets names eu-west-1, the pipeline's own region/,
    );
  });

  test('under the id Default, its children keep the logical IDs of stack-level resources', () => {
    const ids = Object.keys(build('Default').template.toJSON().Resources);
    for (const prefix of ['ArtifactKey', 'AccessLogs', 'Artifacts', 'BuildLogs', 'CodePipeline'])
      expect(ids.some((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id))).toBe(true);
  });
});

describe('DeliveryPipeline roles', () => {
  test('build() puts every role the pipeline made under the given path; without one they stay at the root', () => {
    const paths = (t: Template) => Object.values(t.findResources('AWS::IAM::Role')).map((r: any) => r.Properties.Path);
    // aws-cdk-lib's default rules take the CodeBuild projects' role references for Refs (E3050), which under a path
    // would name a role CodeBuild cannot find; the template has GetAtt ...Arn, asserted below, so those rules are off
    // here.
    const { template } = build(
      'Delivery',
      { rolePath: '/pipeline/' },
      { '@aws-cdk/core:validateAgainstDefaultRules': false },
    );
    const withPath = paths(template);
    expect(withPath.length).toBeGreaterThan(3);
    expect(new Set(withPath)).toEqual(new Set(['/pipeline/']));
    const serviceRoles = Object.values(template.findResources('AWS::CodeBuild::Project')).map(
      (p: any) => p.Properties.ServiceRole,
    );
    expect(serviceRoles.length).toBeGreaterThan(1);
    for (const role of serviceRoles) expect(role).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    expect(new Set(paths(build().template))).toEqual(new Set([undefined]));
  });
});
