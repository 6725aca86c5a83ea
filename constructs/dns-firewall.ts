import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';

/**
 * The names a workload in the isolated subnets resolves: the private DNS names of the interface endpoints
 * (`com.amazonaws.<region>.<service>` answers as `<service, reversed>.<region>.amazonaws.com`, e.g. sagemaker.api
 * as api.sagemaker.<region>.amazonaws.com, ecr.dkr as <registry>.dkr.ecr.<region>.amazonaws.com) and the S3 and
 * DynamoDB gateway endpoints' regional names (S3's virtual-hosted buckets, ECR's layer bucket among them).
 */
export function endpointDomains(services: readonly string[], region: string): string[] {
  const host = (service: string): string[] => {
    const parts = service.split('.');
    if (service === 'ecr.dkr') return [`*.dkr.ecr.${region}.amazonaws.com`];
    const name = parts.length > 1 ? [...parts.slice(1), parts[0]].join('.') : service;
    return [`${name}.${region}.amazonaws.com`];
  };
  return [
    ...new Set([
      ...services.flatMap(host),
      `s3.${region}.amazonaws.com`,
      `*.s3.${region}.amazonaws.com`,
      `dynamodb.${region}.amazonaws.com`,
    ]),
  ];
}

export interface DnsFirewallProps {
  readonly vpc: ec2.IVpc;
  /** The domains the VPC may resolve (a leading `*.` covers subdomains); every other name is answered NXDOMAIN. */
  readonly allowedDomains: readonly string[];
}

/**
 * Route 53 Resolver DNS Firewall on a VPC: the resolver answers only the
 * names listed and NXDOMAIN for every other, so no query for a name of an
 * outside domain (DNS tunnelling: data in the labels, read by that domain's
 * authoritative server) leaves the network through the VPC resolver. Fail-open
 * stays at its default, DISABLED (Route 53 Developer Guide, "DNS Firewall VPC
 * configuration": queries are blocked while the firewall cannot answer), and
 * the association is mutation-protected.
 */
export class DnsFirewall extends Construct {
  readonly ruleGroup: route53resolver.CfnFirewallRuleGroup;
  readonly association: route53resolver.CfnFirewallRuleGroupAssociation;

  constructor(scope: Construct, id: string, props: DnsFirewallProps) {
    super(scope, id);
    if (props.allowedDomains.length === 0)
      throw new Error(`DnsFirewall ${id}: allowedDomains is empty; it would block every name, AWS's endpoints too`);
    const allowed = new route53resolver.CfnFirewallDomainList(this, 'Allowed', {
      name: `${Stack.of(this).stackName}-allowed`.slice(0, 64),
      domains: [...props.allowedDomains],
    });
    const everything = new route53resolver.CfnFirewallDomainList(this, 'Everything', {
      name: `${Stack.of(this).stackName}-everything`.slice(0, 64),
      domains: ['*'],
    });
    this.ruleGroup = new route53resolver.CfnFirewallRuleGroup(this, 'Rules', {
      firewallRules: [
        { firewallDomainListId: allowed.attrId, priority: 100, action: 'ALLOW' },
        { firewallDomainListId: everything.attrId, priority: 200, action: 'BLOCK', blockResponse: 'NXDOMAIN' },
      ],
    });
    this.association = new route53resolver.CfnFirewallRuleGroupAssociation(this, 'Association', {
      firewallRuleGroupId: this.ruleGroup.attrId,
      vpcId: props.vpc.vpcId,
      priority: 101,
      mutationProtection: 'ENABLED',
    });
  }
}
