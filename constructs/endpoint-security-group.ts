import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface EndpointSecurityGroupProps {
  /** The isolated network. */
  readonly vpc: ec2.IVpc;
  /**
   * What the group is for.
   * @default 'SageMaker endpoints and monitoring jobs of this shard: HTTPS to the VPC endpoints only'
   */
  readonly description?: string;
}

/**
 * The security group of SageMaker endpoints, training and monitoring jobs in the isolated subnets: HTTPS out (the
 * subnets have no route out, so it reaches only the interface and gateway endpoints), and all TCP between members, for
 * the containers of one job with inter-container encryption. No other traffic in or out.
 */
export class EndpointSecurityGroup extends ec2.SecurityGroup {
  constructor(scope: Construct, id: string, props: EndpointSecurityGroupProps) {
    super(scope, id, {
      vpc: props.vpc,
      description:
        props.description ?? 'SageMaker endpoints and monitoring jobs of this shard: HTTPS to the VPC endpoints only',
      allowAllOutbound: false,
    });
    this.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to interface and gateway endpoints');
    this.addIngressRule(this, ec2.Port.allTcp(), 'Between containers of one job');
    this.addEgressRule(this, ec2.Port.allTcp(), 'Between containers of one job');
  }
}
