/**
 * ModelPinner on its own, with the ApprovedModelsBucket it fills: the calls
 * the handler makes and nothing more, and the bucket policies that hold the
 * evidence prefix to the training roles, the approval mark and tags to the
 * pinner, and each pinned key to one write by the pinner, never deleted.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApprovedModelsBucket } from '../../constructs/approved-models-bucket';
import { EVIDENCE_WRITE_ACTIONS, ModelPinner, ModelPinnerProps } from '../../constructs/model-pinner';
import { APPROVED_TAG } from '../../lambdas/model-pinner/approved-tag';
import { cdkJsonContext } from '../support/estate';

const TRAINING = 'arn:aws:iam::123456789012:role/training/*';

function build(extra: Partial<ModelPinnerProps> = {}) {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const ml = new kms.Key(stack, 'MlKey');
  const logsBucket = new s3.Bucket(stack, 'AccessLogs');
  const artifacts = new s3.Bucket(stack, 'ModelArtifacts', { enforceSSL: true });
  const approvedModels = new ApprovedModelsBucket(stack, 'ApprovedModels', {
    bucketName: 'approved-models-123456789012-eu-west-1',
    encryptionKey: ml,
    serverAccessLogsBucket: logsBucket,
  });
  const pinner = new ModelPinner(stack, 'ModelPinner', {
    vpc,
    encryptionKey: ml,
    logsKey: new kms.Key(stack, 'LogsKey'),
    recordsKey: new kms.Key(stack, 'AuditKey'),
    config: {},
    artifacts,
    decisionRecords: s3.Bucket.fromBucketName(stack, 'Records', 'decision-records'),
    approvedModels,
    retentionYears: 7,
    packageArns: ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/*'],
    evidenceWriters: TRAINING,
    ...extra,
  });
  const template = Template.fromStack(stack);
  const policyOf = (bucket: s3.Bucket) =>
    (
      Object.values(
        template.findResources('AWS::S3::BucketPolicy', {
          Properties: { Bucket: { Ref: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket) } },
        }),
      )[0] as any
    ).Properties.PolicyDocument.Statement;
  const roleStatements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );
  return {
    stack,
    template,
    pinner,
    artifacts: policyOf(artifacts),
    approved: policyOf(approvedModels),
    roleStatements,
    pinnerRoleId: stack.getLogicalId(pinner.role.node.defaultChild as any),
  };
}

describe('ModelPinner', () => {
  const { template, artifacts, approved, roleStatements, pinnerRoleId } = build({ readerAccounts: ['444444444444'] });
  const pinnerArn = { 'Fn::GetAtt': [pinnerRoleId, 'Arn'] };

  test('ten minutes per run; pinned copies retained the given years in days', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 600,
      Environment: {
        Variables: {
          RETAIN_DAYS: String(7 * 365),
          RECORD_BUCKET: 'decision-records',
          PARTITION: 'aws',
          ACCOUNT_ID: '123456789012',
        },
      },
    });
  });

  test('the approved-models bucket: Object Lock with no default rule, killed copies cleaned after a day', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'approved-models-123456789012-eu-west-1',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
    });
    const [bucket] = Object.values(
      template.findResources('AWS::S3::Bucket', {
        Properties: { BucketName: 'approved-models-123456789012-eu-west-1' },
      }),
    ) as any[];
    expect(bucket.Properties.ObjectLockConfiguration.Rule).toBeUndefined();
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Id: 'AbortIncompletePinCopies',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ]),
    );
  });

  test('its role: reads packages and records, writes pins, copies model data and locks the copy; no delete anywhere', () => {
    const sids = roleStatements.map((s: any) => s.Sid);
    expect(sids).toEqual(
      expect.arrayContaining([
        'ReadApprovedPackages',
        'ReadApprovalAndPinRecords',
        'ListApprovalAndPinRecords',
        'WritePinRecords',
        'EncryptPinRecords',
        'ListModelDataVersions',
        'CopyApprovedVersion',
        'WriteAndLockPinnedCopy',
        'CopyUnderTheMlKey',
      ]),
    );
    const actions = roleStatements.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => /^s3:Delete|^s3:BypassGovernanceRetention|^sagemaker:Update/.test(a))).toEqual(
      [],
    );
    expect(JSON.stringify(roleStatements.find((s: any) => s.Sid === 'WritePinRecords').Resource)).toMatch(
      /decision-records\/pins\/\*"/,
    );
  });

  test('the evidence prefix: every write denied but to the training roles and the pinner', () => {
    const evidence = artifacts.find((s: any) => s.Sid === 'EvidenceWrittenOnlyByTrainingPipelines');
    expect(evidence).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...EVIDENCE_WRITE_ACTIONS].sort(),
      Condition: { ArnNotLike: { 'aws:PrincipalArn': [TRAINING, pinnerArn] } },
    });
    expect(JSON.stringify(evidence.Resource)).toMatch(/\/training\/\*"/);
  });

  test("the approval mark and any tag in the artifact bucket: the pinner's alone", () => {
    expect(artifacts.find((s: any) => s.Sid === 'OnlyThePinnerMarksApproved')).toMatchObject({
      Effect: 'Deny',
      Condition: {
        'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': [APPROVED_TAG] },
        ArnNotEquals: { 'aws:PrincipalArn': pinnerArn },
      },
    });
    expect(artifacts.find((s: any) => s.Sid === 'OnlyThePinnerTags')).toMatchObject({
      Effect: 'Deny',
      Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
    });
  });

  test('the pinned copies: only the pinner writes, each key once (If-None-Match, no If-Match), nobody deletes; prod reads models/ only', () => {
    const bySid = (sid: string) => approved.find((s: any) => s.Sid === sid);
    expect(bySid('OnlyThePinnerWrites')).toMatchObject({
      Effect: 'Deny',
      Action: [...EVIDENCE_WRITE_ACTIONS, 's3:BypassGovernanceRetention'].sort(),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': pinnerArn } },
    });
    expect(bySid('PinnedKeysWrittenOnce')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
    });
    expect(bySid('PinnedKeysNeverOverwritten')).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: { Null: { 's3:if-match': 'false' } },
    });
    expect(bySid('PinnedKeysNeverDeleted')).toMatchObject({
      Effect: 'Deny',
      Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
    });
    expect(bySid('PinnedKeysNeverDeleted').Condition).toBeUndefined();
    // Baselines are held like model data.
    for (const sid of ['PinnedKeysWrittenOnce', 'PinnedKeysNeverOverwritten', 'PinnedKeysNeverDeleted']) {
      const resources = JSON.stringify(bySid(sid).Resource);
      expect([resources.includes('/models/*"'), resources.includes('/baselines/*"')]).toEqual([true, true]);
    }
    expect(bySid('ProdReadsPinnedModels')).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::444444444444:root' },
      Action: 's3:GetObject',
    });
    expect(JSON.stringify(bySid('ProdReadsPinnedModels').Resource)).toMatch(/\/models\/\*"/);
  });

  test('without reader accounts nobody outside reads the pinned copies', () => {
    expect(build().approved.find((s: any) => s.Sid === 'ProdReadsPinnedModels')).toBeUndefined();
  });
});
