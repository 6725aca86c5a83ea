/**
 * IsolatedNetwork's S3 gateway endpoint: a function here that answers a CloudFormation custom resource may write to
 * CloudFormation's response bucket of its own region and to no other bucket outside the estate. Bucket names are
 * first come, first served, so a name pattern (`cloudformation-custom-resource-response-*`) would let a workload write
 * to a bucket anyone created under that prefix: an exfiltration path with no account condition to stop it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { customResourceResponseBucket, IsolatedNetwork } from '../../constructs/isolated-network';

function s3EndpointStatements(region: string | undefined, customResourceResponses: boolean): any[] {
  const stack = new Stack(new App(), 'Probe', { env: region ? { account: '123456789012', region } : undefined });
  new IsolatedNetwork(stack, 'Network', {
    cidr: '10.0.0.0/16',
    availabilityZones: ['a', 'b'].map((z) => `${region ?? 'eu-west-1'}${z}`),
    logsKey: new kms.Key(stack, 'Key'),
    customResourceResponses,
  });
  const endpoints = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint')) as any[];
  const s3 = endpoints.find((e) => JSON.stringify(e.Properties.ServiceName).includes('.s3'));
  return s3.Properties.PolicyDocument.Statement;
}

const writesOutside = (statements: any[]) =>
  statements.filter(
    (s) =>
      s.Effect === 'Allow' &&
      [s.Action].flat().includes('s3:PutObject') &&
      JSON.stringify(s.Resource).includes('cloudformation-custom-resource-response'),
  );

describe('IsolatedNetwork: CloudFormation custom-resource answers', () => {
  test.each([
    ['eu-west-1', 'cloudformation-custom-resource-response-euwest1'],
    ['us-east-1', 'cloudformation-custom-resource-response-useast1'],
    ['ap-southeast-3', 'cloudformation-custom-resource-response-apsoutheast3'],
    ['us-gov-west-1', 'cloudformation-custom-resource-response-usgovwest1'],
  ])('in %s: exactly %s, from this VPC', (region, bucket) => {
    const [statement, ...others] = writesOutside(s3EndpointStatements(region, true));
    expect(others).toEqual([]);
    // arn:<partition>:s3:::<bucket>/* with the partition left to CloudFormation.
    expect(statement.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucket}/*`]] });
    expect(Object.keys(statement.Condition.StringEquals)).toEqual(['aws:SourceVpc']);
  });

  test('no statement for answers unless asked', () => {
    expect(writesOutside(s3EndpointStatements('eu-west-1', false))).toEqual([]);
  });

  test('a stack without a literal region is refused, not given a pattern', () => {
    expect(() => s3EndpointStatements(undefined, true)).toThrow(/needs the stack's region as a literal/);
    expect(() => customResourceResponseBucket('eu-west-1*')).toThrow(/needs the stack's region/);
  });
});
