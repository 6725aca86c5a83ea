/** Construct-level defaults and refusals, on minimal stacks (no estate, no synthesis of the app). */
import { App, Duration, RemovalPolicy, Stack, Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessLogBucket } from '../constructs/access-log-bucket';
import { AuditTrail } from '../constructs/audit-trail';
import { EncryptedLogGroup } from '../constructs/encrypted-log-group';
import { IsolatedNetwork } from '../constructs/isolated-network';
import { ManagedPolicyRole } from '../constructs/managed-policy-role';
import { SecureBucket } from '../constructs/secure-bucket';
import { StatefulResourcePolicy } from '../lib/aspects/stateful-resources';
import { acknowledgeFindings } from '../policies/acknowledge';
import { cdkJsonContext } from './support/estate';

const newStack = () =>
  new Stack(new App({ context: cdkJsonContext() }), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });

describe('EncryptedLogGroup', () => {
  test('refuses retention under a year', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () => new EncryptedLogGroup(stack, 'Short', { encryptionKey: key, retention: logs.RetentionDays.SIX_MONTHS }),
    ).toThrow(
      'EncryptedLogGroup Short: retention 180 days is below the 365-day floor; use RetentionDays.ONE_YEAR or longer',
    );
  });

  test('is encrypted, kept a year by default and retained', () => {
    const stack = newStack();
    new EncryptedLogGroup(stack, 'Group', { encryptionKey: new kms.Key(stack, 'Key') });
    Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('IsolatedNetwork', () => {
  test('refuses a single availability zone', () => {
    const stack = newStack();
    expect(
      () =>
        new IsolatedNetwork(stack, 'Net', {
          cidr: '10.0.0.0/16',
          availabilityZones: ['eu-west-1a'],
          logsKey: new kms.Key(stack, 'Key'),
        }),
    ).toThrow('IsolatedNetwork Net: needs at least 2 availability zones, got 1');
  });

  test('endpoint list can be narrowed; every endpoint keeps an account-scoped policy', () => {
    const stack = newStack();
    new IsolatedNetwork(stack, 'Net', {
      cidr: '10.0.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      logsKey: new kms.Key(stack, 'Key'),
      interfaceEndpoints: [{ service: 'sts', actionPrefix: 'sts' }],
    });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PolicyDocument: {
        Statement: [
          {
            Action: 'sts:*',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Resource: '*',
            Sid: 'OnlyThisAccount',
            Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012' } },
          },
        ],
      },
    });
  });
});

describe('AuditTrail', () => {
  test('refuses a retention that is not a whole number of years', () => {
    const stack = newStack();
    const props = { trailName: 't', auditKey: new kms.Key(stack, 'A'), logsKey: new kms.Key(stack, 'L') };
    expect(() => new AuditTrail(stack, 'Zero', { ...props, retentionYears: 0 })).toThrow(
      'AuditTrail Zero: retentionYears must be a whole number of at least 1, got 0',
    );
    expect(() => new AuditTrail(stack, 'Half', { ...props, retentionYears: 0.5 })).toThrow(/got 0\.5/);
  });
});

describe('SecureBucket', () => {
  test('defaults: SSE-KMS with bucket key, versioned, private, TLS 1.2+, ACLs off, logged, retained', () => {
    const stack = newStack();
    const logsBucket = new AccessLogBucket(stack, 'Logs', { retention: Duration.days(365) });
    new SecureBucket(stack, 'Data', { encryptionKey: new kms.Key(stack, 'Key'), serverAccessLogsBucket: logsBucket });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: 'Logs6819BB44' }, LogFilePrefix: 'Data/' },
      },
      DeletionPolicy: 'Retain',
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as any[];
    const statements = JSON.stringify(policies.find((p) => p.Properties.Bucket.Ref.startsWith('Data')));
    expect(statements).toContain('"aws:SecureTransport":"false"');
    expect(statements).toContain('"s3:TlsVersion":1.2');
  });

  test('no Object Lock unless a COMPLIANCE retention is asked for', () => {
    const stack = newStack();
    const logsBucket = new AccessLogBucket(stack, 'Logs', { retention: Duration.days(365) });
    const key = new kms.Key(stack, 'Key');
    new SecureBucket(stack, 'Plain', { encryptionKey: key, serverAccessLogsBucket: logsBucket });
    new SecureBucket(stack, 'Locked', {
      encryptionKey: key,
      serverAccessLogsBucket: logsBucket,
      complianceRetention: Duration.days(730),
    });
    const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket');
    const lock = (prefix: string) =>
      Object.entries(buckets).find(([id]) => id.startsWith(prefix))![1].Properties.ObjectLockConfiguration;
    expect(lock('Plain')).toBeUndefined();
    expect(lock('Locked')).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 730 } },
    });
    // A locked bucket is a records bucket by default, so the RegulatedMLOps pack checks its retention.
    const tags = (prefix: string) =>
      Object.entries(buckets).find(([id]) => id.startsWith(prefix))![1].Properties.Tags ?? [];
    expect(tags('Locked')).toContainEqual({ Key: 'estate:records', Value: 'audit' });
    expect(tags('Plain')).not.toContainEqual({ Key: 'estate:records', Value: 'audit' });
  });
});

describe('ManagedPolicyRole', () => {
  test('grants land in one managed policy attached to the role, never inline', () => {
    const stack = newStack();
    const role = new ManagedPolicyRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new s3.Bucket(stack, 'Bucket').grantRead(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['arn:aws:sns:eu-west-1:123456789012:t'] }),
    );
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as any[];
    expect(policy.Properties.Roles).toEqual([{ Ref: 'Role1ABCC5F0' }]);
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('sns:Publish');
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('s3:GetObject*');
  });

  test('refuses inline policies', () => {
    const stack = newStack();
    expect(
      () =>
        new ManagedPolicyRole(stack, 'Role', {
          assumedBy: new iam.AccountRootPrincipal(),
          inlinePolicies: { x: new iam.PolicyDocument() },
        }),
    ).toThrow('ManagedPolicyRole Role: inline policies are not allowed; grant permissions instead');
  });
});

describe('StatefulResourcePolicy', () => {
  function policies(retain: boolean) {
    const stack = newStack();
    new kms.Key(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY });
    new s3.Bucket(stack, 'Scratch');
    const audit = new s3.Bucket(stack, 'Audit');
    StatefulResourcePolicy.alwaysRetain(audit);
    new logs.LogGroup(stack, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    Aspects.of(stack).add(new StatefulResourcePolicy(retain));
    const resources = Template.fromStack(stack).toJSON().Resources;
    return Object.fromEntries(
      Object.entries(resources).map(([id, r]: [string, any]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        [r.DeletionPolicy, r.UpdateReplacePolicy],
      ]),
    );
  }

  test('retain: every stateful resource is retained on delete and replace, whatever its construct said', () => {
    expect(policies(true)).toEqual({
      Key: ['Retain', 'Retain'],
      Scratch: ['Retain', 'Retain'],
      Audit: ['Retain', 'Retain'],
      Group: ['Retain', 'Retain'],
    });
  });

  test('discard (dev): buckets and log groups go, keys and protected audit data stay', () => {
    expect(policies(false)).toEqual({
      Key: ['Retain', 'Retain'],
      Scratch: ['Delete', 'Delete'],
      Audit: ['Retain', 'Retain'],
      Group: ['Delete', 'Delete'],
    });
  });
});

describe('acknowledgeFindings', () => {
  test('refuses a reason under 20 characters', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'B');
    expect(() => acknowledgeFindings(bucket, ['AwsSolutions-S1'], 'not needed')).toThrow(
      /the reason for AwsSolutions-S1 on Test\/B is under 20 characters/,
    );
  });

  test('refuses a stack as the target: findings are acknowledged on the resource', () => {
    const stack = newStack();
    expect(() => acknowledgeFindings(stack, ['AwsSolutions-S1'], 'a long enough reason for the test')).toThrow(
      'acknowledgeFindings: Test is not a resource; acknowledge findings on the resource that has them',
    );
  });

  test('puts one acknowledgement per rule on the CloudFormation resource', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'B');
    acknowledgeFindings(bucket, ['Rule-A', 'Rule-B'], 'a long enough reason for the test');
    const entries = bucket.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules');
    expect(entries.flatMap((m) => Object.keys(m.data))).toEqual(['Annotation::Rule-A', 'Annotation::Rule-B']);
    expect(bucket.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')).toEqual([]);
  });
});
