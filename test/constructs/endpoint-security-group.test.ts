/**
 * EndpointSecurityGroup on its own: HTTPS out, all TCP between its own members (the containers of one job), and
 * nothing else in or out.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EndpointSecurityGroup } from '../../constructs/endpoint-security-group';

describe('EndpointSecurityGroup', () => {
  const stack = new Stack(new App(), 'Probe', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const group = new EndpointSecurityGroup(stack, 'EndpointSecurityGroup', { vpc });
  const template = Template.fromStack(stack);
  const id = stack.getLogicalId(group.node.defaultChild as ec2.CfnSecurityGroup);
  const self = { 'Fn::GetAtt': [id, 'GroupId'] };

  test('HTTPS out to anywhere the subnets route (the VPC endpoints), and no default allow-all egress', () => {
    const [sg] = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as any[];
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: expect.any(String) },
    ]);
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('all TCP between its members, in and out, and from nowhere else', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as any[];
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')) as any[];
    expect(ingress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        GroupId: self,
        SourceSecurityGroupId: self,
        IpProtocol: 'tcp',
        FromPort: 0,
        ToPort: 65535,
      }),
    ]);
    expect(egress.map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        GroupId: self,
        DestinationSecurityGroupId: self,
        IpProtocol: 'tcp',
        FromPort: 0,
        ToPort: 65535,
      }),
    ]);
  });
});
