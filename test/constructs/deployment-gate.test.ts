/**
 * DeploymentGate on its own: the named function, at most two at once,
 * invocable by the given role only, reading what it judges on and writing
 * only its own decision records.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DeploymentGate, DeploymentGateProps } from '../../constructs/deployment-gate';
import { cdkJsonContext } from '../support/estate';

const STEP_ROLE = 'arn:aws:iam::999999999999:role/bank-delivery-deployment-gate';

function build(extra: Partial<DeploymentGateProps> = {}) {
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Probe', {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  new DeploymentGate(stack, 'DeploymentGate', {
    functionName: 'bank-staging-deployment-gate',
    vpc,
    encryptionKey: new kms.Key(stack, 'MlKey'),
    logsKey: new kms.Key(stack, 'LogsKey'),
    recordsKey: new kms.Key(stack, 'AuditKey'),
    config: {},
    configDigest: 'digest-2',
    artifacts: s3.Bucket.fromBucketName(stack, 'Artifacts', 'model-artifacts'),
    decisionRecords: s3.Bucket.fromBucketName(stack, 'Records', 'decision-records'),
    approvedModels: s3.Bucket.fromBucketName(stack, 'Approved', 'approved-models'),
    captureBucketName: 'inference-capture-123456789012-eu-west-1',
    monitoringReportsPrefix: 'monitoring/staging-*/reports/',
    packageArns: ['arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/*'],
    approvalGateRoleName: 'bank-staging-approval-gate',
    ...extra,
  });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement,
  );
  return { template, statements };
}

describe('DeploymentGate', () => {
  const { template, statements } = build({ invokerRoleArn: STEP_ROLE });
  const bySid = (sid: string) => statements.find((s: any) => s.Sid === sid);

  test('named, two at once, invocable by the given role and no other principal', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'bank-staging-deployment-gate',
      ReservedConcurrentExecutions: 2,
      Environment: {
        Variables: {
          RECORD_BUCKET: 'decision-records',
          ARTIFACT_BUCKET: 'model-artifacts',
          APPROVED_BUCKET: 'approved-models',
          CAPTURE_BUCKET: 'inference-capture-123456789012-eu-west-1',
          POLICY_DIGEST: 'digest-2',
          APPROVAL_GATE_ROLE_NAME: 'bank-staging-approval-gate',
          ACCOUNT_ID: '123456789012',
          PARTITION: 'aws',
        },
      },
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map((p: any) => p.Properties);
    expect(permissions.map((p) => [p.Action, p.Principal])).toEqual([['lambda:InvokeFunction', STEP_ROLE]]);
    expect(Object.keys(build().template.findResources('AWS::Lambda::Permission'))).toEqual([]);
  });

  test("reads CloudTrail's event history (LookupEvents, which has no resource type) and tells the approval gate's calls by its role name", () => {
    expect(bySid('ReadRaceWindowHistory')).toMatchObject({
      Effect: 'Allow',
      Action: 'cloudtrail:LookupEvents',
      Resource: '*',
    });
    expect(
      statements
        .filter((s: any) => [s.Action].flat().some((x: string) => x.startsWith('cloudtrail:')))
        .map((s: any) => s.Sid),
    ).toEqual(['ReadRaceWindowHistory']);
  });

  test('writes only its own records (deployment/); evidence read only at a kept version', () => {
    const writes = statements.filter((s: any) => [s.Action].flat().some((a: string) => /^s3:(Put|Delete)/.test(a)));
    expect(writes.map((s: any) => s.Sid)).toEqual(['ReadAndWriteDecisionRecords']);
    expect(JSON.stringify(bySid('ReadAndWriteDecisionRecords').Resource)).toMatch(/decision-records\/deployment\/\*"/);
    expect(bySid('ReadApprovedEvaluations').Action).toBe('s3:GetObjectVersion');
    expect(bySid('ListDecisionRecords').Condition).toEqual({
      StringLike: { 's3:prefix': ['deployment/*', 'approval/*', 'pins/*'] },
    });
  });

  test('shadow traffic: the daily reports under the given prefix of the capture bucket, nothing else of it', () => {
    expect(bySid('ReadShadowTrafficReports').Resource).toBe(
      'arn:aws:s3:::inference-capture-123456789012-eu-west-1/monitoring/staging-*/reports/*/report.json',
    );
    expect(bySid('ListShadowTrafficReports')).toMatchObject({
      Resource: 'arn:aws:s3:::inference-capture-123456789012-eu-west-1',
      Condition: { StringLike: { 's3:prefix': ['monitoring/staging-*/reports/*'] } },
    });
  });

  test("SageMaker: reads of this account's endpoints, configs, models and the governed packages; no write", () => {
    const sagemaker = statements
      .flatMap((s: any) => [s.Action].flat())
      .filter((a: string) => a.startsWith('sagemaker:'));
    expect(sagemaker.filter((a: string) => !/^sagemaker:(Describe|List)/.test(a))).toEqual([]);
    expect(bySid('ReadStagingEndpoints').Resource).toEqual([
      'arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/*',
      'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/*',
      'arn:aws:sagemaker:eu-west-1:123456789012:model/*',
    ]);
  });
});
