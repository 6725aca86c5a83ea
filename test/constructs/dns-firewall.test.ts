/**
 * DNS Firewall of the isolated network: the VPC resolver answers only the
 * endpoints' names (and S3's and DynamoDB's), NXDOMAIN for any other name, so
 * no query carrying data to an outside domain's name server leaves the VPC.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { endpointDomains } from '../../constructs/dns-firewall';
import { DEFAULT_INTERFACE_ENDPOINTS, IsolatedNetwork } from '../../constructs/isolated-network';

function network(allowedDomains?: string[]) {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  new IsolatedNetwork(stack, 'Network', {
    cidr: '10.0.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    logsKey: new kms.Key(stack, 'K'),
    allowedDomains,
  });
  return Template.fromStack(stack);
}

test('the endpoint names: each interface endpoint by its private DNS name, and the gateway services', () => {
  expect(endpointDomains(['sagemaker.api', 'ecr.dkr', 'sts'], 'eu-west-1')).toEqual([
    'api.sagemaker.eu-west-1.amazonaws.com',
    '*.dkr.ecr.eu-west-1.amazonaws.com',
    'sts.eu-west-1.amazonaws.com',
    's3.eu-west-1.amazonaws.com',
    '*.s3.eu-west-1.amazonaws.com',
    'dynamodb.eu-west-1.amazonaws.com',
  ]);
});

test('the VPC is associated with a rule group that allows the endpoint names and answers NXDOMAIN to every other, mutation-protected; fail-open is left at its default (disabled)', () => {
  const t = network();
  const lists = t.findResources('AWS::Route53Resolver::FirewallDomainList');
  const byDomains = (d: string[]) =>
    Object.keys(lists).find((k) => JSON.stringify(lists[k].Properties.Domains) === JSON.stringify(d))!;
  const allowed = byDomains(
    endpointDomains(
      DEFAULT_INTERFACE_ENDPOINTS.map((e) => e.service),
      'eu-west-1',
    ),
  );
  const everything = byDomains(['*']);
  expect(allowed).toBeDefined();
  expect(everything).toBeDefined();
  t.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroup', {
    FirewallRules: [
      { FirewallDomainListId: { 'Fn::GetAtt': [allowed, 'Id'] }, Priority: 100, Action: 'ALLOW' },
      {
        FirewallDomainListId: { 'Fn::GetAtt': [everything, 'Id'] },
        Priority: 200,
        Action: 'BLOCK',
        BlockResponse: 'NXDOMAIN',
      },
    ],
  });
  t.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroupAssociation', {
    VpcId: { Ref: Match.stringLikeRegexp('^NetworkVpc') },
    MutationProtection: 'ENABLED',
  });
  // No resolver config turns fail-open on.
  expect(Object.keys(t.findResources('AWS::Route53Resolver::FirewallConfig'))).toEqual([]);
});

test('an empty allow-list is refused: it would block AWS too', () => {
  expect(() => network([])).toThrow(/allowedDomains is empty/);
});
