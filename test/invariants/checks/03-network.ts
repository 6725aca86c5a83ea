import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_INTERFACE_ENDPOINTS } from '../../../constructs/isolated-network';
import type { EstateUnderTest } from '../suite';

/**
 * Invariant 3: isolated subnets in the configured zones, no path to the internet, AWS APIs through account-scoped
 * endpoints.
 */
export default function network(estate: EstateUnderTest): void {
  const { stacks, ofType, envOf, synth } = estate;

  test('invariant 3: no stack has an internet gateway, NAT, egress-only gateway, peering or route', () => {
    for (const stack of stacks.environment) {
      for (const type of [
        'AWS::EC2::InternetGateway',
        'AWS::EC2::NatGateway',
        'AWS::EC2::EgressOnlyInternetGateway',
        'AWS::EC2::VPCGatewayAttachment',
        'AWS::EC2::VPCPeeringConnection',
        'AWS::EC2::Route',
      ]) {
        expect([stack, ofType(stack, type)]).toEqual([stack, []]);
      }
    }
  });

  for (const stack of stacks.foundation) {
    describe(`invariant 3: isolated network (${stack})`, () => {
      test('one VPC with the configured range; subnets are isolated, one per configured zone, and never assign public IPs', () => {
        const env = envOf(stack);
        expect(ofType(stack, 'AWS::EC2::VPC').map(([, v]) => v.Properties.CidrBlock)).toEqual([env.vpcCidr]);
        const subnets = ofType(stack, 'AWS::EC2::Subnet');
        expect(subnets.map(([, s]) => s.Properties.AvailabilityZone).sort()).toEqual([...env.availabilityZones].sort());
        for (const [, subnet] of subnets) {
          expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
          expect(subnet.Properties.Tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Isolated' });
        }
      });

      test('every required AWS API has a private interface endpoint whose policy admits this account only', () => {
        const env = envOf(stack);
        const endpoints = ofType(stack, 'AWS::EC2::VPCEndpoint').filter(
          ([, e]) => e.Properties.VpcEndpointType === 'Interface',
        );
        const services = endpoints.map(([, e]) => JSON.stringify(e.Properties.ServiceName));
        for (const required of [
          'sagemaker.api',
          'sagemaker.runtime',
          'sagemaker.featurestore-runtime',
          'sts',
          'kms',
          'logs',
          'monitoring',
          'ecr.api',
          'ecr.dkr',
          'sns',
          'xray',
          'cloudtrail',
        ]) {
          expect([required, services.filter((s) => s.includes(`.${required}"`)).length]).toEqual([required, 1]);
        }
        expect(endpoints).toHaveLength(DEFAULT_INTERFACE_ENDPOINTS.length);
        for (const [, endpoint] of endpoints) {
          expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
          const allows = endpoint.Properties.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Allow');
          expect(allows.length).toBeGreaterThan(0);
          for (const statement of allows)
            expect(statement.Condition.StringEquals['aws:PrincipalAccount']).toBe(env.account);
        }
      });

      test('S3 and DynamoDB are reached through gateway endpoints limited to this account', () => {
        const env = envOf(stack);
        const gateways = ofType(stack, 'AWS::EC2::VPCEndpoint').filter(
          ([, e]) => e.Properties.VpcEndpointType === 'Gateway',
        );
        expect(gateways).toHaveLength(2);
        for (const [, gateway] of gateways) {
          const [allow] = gateway.Properties.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Allow');
          expect(allow.Condition.StringEquals).toEqual({
            'aws:PrincipalAccount': env.account,
            'aws:ResourceAccount': env.account,
          });
        }
      });

      test('interface endpoints admit HTTPS from the VPC only and the default security group is closed', () => {
        synth().templates[stack].hasResourceProperties('AWS::EC2::SecurityGroup', {
          SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
          SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
        });
        expect(ofType(stack, 'Custom::VpcRestrictDefaultSG')).toHaveLength(1);
      });

      test('all traffic is flow-logged to the encrypted flow-log group', () => {
        synth().templates[stack].hasResourceProperties('AWS::EC2::FlowLog', {
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogGroupName: { Ref: Match.stringLikeRegexp('^NetworkFlowLogGroup') },
        });
      });
    });
  }
}
