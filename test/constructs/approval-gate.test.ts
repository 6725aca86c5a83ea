/**
 * ApprovalGate on its own: the approver-tagged role with the named name,
 * exactly the calls the handler makes on the given buckets, topic, keys and
 * packages, and IAM's refusal to approve a high-risk group's package.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApprovalGate, ApprovalGateProps } from '../../constructs/approval-gate';
import { APPROVER_TAG } from '../../policies/workload-boundary';
import { cdkJsonContext } from '../support/estate';

const PACKAGES = ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/*'];

function build(extra: Partial<ApprovalGateProps> = {}) {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const ml = new kms.Key(stack, 'MlKey');
  const audit = new kms.Key(stack, 'AuditKey');
  const gate = new ApprovalGate(stack, 'ApprovalGate', {
    roleName: 'bank-dev-approval-gate',
    vpc,
    encryptionKey: ml,
    logsKey: new kms.Key(stack, 'LogsKey'),
    recordsKey: audit,
    config: { tiers: {} },
    configDigest: 'digest-1',
    artifacts: s3.Bucket.fromBucketName(stack, 'Artifacts', 'model-artifacts'),
    decisionRecords: s3.Bucket.fromBucketName(stack, 'Records', 'decision-records'),
    notifications: sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:decisions'),
    packageArns: PACKAGES,
    ...extra,
  });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );
  return {
    stack,
    gate,
    template,
    statements,
    mlId: stack.getLogicalId(ml.node.defaultChild as kms.CfnKey),
    auditId: stack.getLogicalId(audit.node.defaultChild as kms.CfnKey),
  };
}

describe('ApprovalGate', () => {
  const { template, statements, mlId, auditId } = build();
  const bySid = (sid: string) => statements.find((s: any) => s.Sid === sid);

  test('the named role carries the approver tag; the function knows its buckets, topic, digest and own role name', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'bank-dev-approval-gate',
      Tags: [{ Key: APPROVER_TAG, Value: 'true' }],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          RECORD_BUCKET: 'decision-records',
          ARTIFACT_BUCKET: 'model-artifacts',
          TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:decisions',
          POLICY_DIGEST: 'digest-1',
          ACCOUNT_ID: '123456789012',
          PARTITION: 'aws',
          GATE_ROLE_NAME: 'bank-dev-approval-gate',
        },
      },
    });
  });

  test('exactly the calls the handler makes, each on its prefix, key or package group', () => {
    expect(
      statements
        .filter((s: any) => s.Sid !== 'NetworkInterfacesInTheVpc' && !/^[0-9a-f]*$/.test(s.Sid ?? ''))
        .map((s: any) => [s.Sid, s.Action]),
    ).toEqual(
      expect.arrayContaining([
        ['ReadEvidence', 's3:GetObject'],
        ['ListEvidence', 's3:ListBucket'],
        ['DecryptReports', 'kms:Decrypt'],
        ['ReadDecisionRecords', 's3:GetObject'],
        ['ListDecisionRecords', 's3:ListBucket'],
        ['WriteDecisionRecords', 's3:PutObject'],
        ['EncryptDecisionRecords', ['kms:Decrypt', 'kms:GenerateDataKey']],
        ['Notify', 'sns:Publish'],
        ['PublishPendingCalls', 'cloudwatch:PutMetricData'],
        ['EncryptNotifications', ['kms:Decrypt', 'kms:GenerateDataKey']],
        ['DecideOnGovernedPackages', ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage']],
      ]),
    );
    expect(JSON.stringify(bySid('ReadEvidence').Resource)).toContain('model-artifacts/training/*');
    expect(JSON.stringify(bySid('WriteDecisionRecords').Resource)).toMatch(
      /decision-records\/approval\/\*.*decision-records\/unattributable\/\*/,
    );
    expect(bySid('ListDecisionRecords').Condition).toEqual({ StringLike: { 's3:prefix': ['approval/*'] } });
    expect(bySid('EncryptDecisionRecords').Resource).toEqual({ 'Fn::GetAtt': [auditId, 'Arn'] });
    expect(bySid('DecryptReports').Resource).toEqual({ 'Fn::GetAtt': [mlId, 'Arn'] });
    expect(bySid('DecideOnGovernedPackages').Resource).toEqual(PACKAGES[0]);
    // The one grant on *: PutMetricData has no resource type, so the namespace condition is what bounds it.
    expect(bySid('PublishPendingCalls')).toMatchObject({
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': expect.any(String) } },
    });
    // Nothing it was not given: no pipeline execution, no high-risk deny.
    expect(bySid('CheckPipelineExecutions')).toBeUndefined();
    expect(bySid('NeverApproveHighRisk')).toBeUndefined();
  });

  test('a high-risk group: IAM denies the role any Approved status on its packages, whatever the code does', () => {
    const { statements: withHigh } = build({
      highRiskGroups: ['fraud-score'],
      pipelineExecutionArns: [
        'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/dev-credit-default-training/execution/*',
      ],
    });
    expect(withHigh.find((s: any) => s.Sid === 'NeverApproveHighRisk')).toEqual({
      Sid: 'NeverApproveHighRisk',
      Effect: 'Deny',
      Action: ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage'],
      Resource: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-score/*',
      Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } },
    });
    expect(withHigh.find((s: any) => s.Sid === 'CheckPipelineExecutions')).toMatchObject({
      Action: ['sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'],
      Resource: 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/dev-credit-default-training/execution/*',
    });
  });
});
