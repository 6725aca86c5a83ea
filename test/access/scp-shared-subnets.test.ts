/**
 * No network interface of an environment account in another account's subnet, on every estate the tests know
 * (test/support/estates.ts). The VPC requirements (SageMaker's `sagemaker:VpcSubnets`, Lambda's `lambda:VpcIds`)
 * say that a job or function has subnets, not whose: a subnet another member account shares with an environment
 * account through RAM (VPC sharing: within the organization the participant accepts nothing, and
 * NoResourceShares binds only the environment accounts' own shares) can sit in a VPC with a NAT or internet
 * gateway, where none of the environment's network denies reach (they name the environment accounts' EC2
 * resources; the shared subnet's ARN names its owner). The interface such a job or function runs on is created
 * in the environment account with the execution role's permissions (Lambda Developer Guide, "Giving Lambda
 * functions access to resources in an Amazon VPC": "Lambda uses your function's permissions to create and manage
 * network interfaces"; SageMaker's execution role holds `ec2:CreateNetworkInterface` for the same reason), and
 * `ec2:CreateNetworkInterface` authorizes on the subnet (asserted below), so a deny on every subnet but the
 * environment accounts' own closes the way for every service at once.
 * Each denial has a removal check: without the statement the same request is allowed.
 */
import { EstateConfig } from '../../lib/config';
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { actionDetails } from '../../policies/validation/service-authorization';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, memberAdmin } from './estate-model';
import { ask, Principal, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const configs = new Map(ESTATES.map((e) => [e.name, e.config()]));
const SHARING_ACCOUNT = '999988887777';

type Scps = Array<{ name: string; policy: any }>;
const scpsOf = (config: EstateConfig): Scps =>
  serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));
/**
 * A job's or function's execution role in the environment account: may create interfaces anywhere (the SCPs are the
 * question).
 */
const executionRole = (account: string): Principal => ({
  arn: `arn:aws:iam::${account}:role/admins-own-function-role`,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});

test('ec2:CreateNetworkInterface authorizes on the subnet', () => {
  const resources = actionDetails('ec2', 'CreateNetworkInterface')!.resourceTypes.map((r) => r.name);
  expect(resources).toEqual(expect.arrayContaining(['network-interface', 'subnet']));
});

describe.each(ESTATES.map((e) => [e.name]))('%s', (name) => {
  const config = configs.get(name)!;
  const scps = scpsOf(config);

  test("an interface in a subnet another account shares is denied to every environment's roles; in its own subnet, and for the sharing account itself, allowed", async () => {
    for (const e of config.environments) {
      const region = e.region;
      const shared = `arn:aws:ec2:${region}:${SHARING_ACCOUNT}:subnet/subnet-0shared`;
      const own = `arn:aws:ec2:${region}:${e.account}:subnet/subnet-0estate`;
      // The share admits the environment account to the subnet (RAM's permission acts as the subnet's resource policy).
      const share = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${e.account}:root` },
            Action: 'ec2:CreateNetworkInterface',
            Resource: shared,
          },
        ],
      };
      const q = { action: 'ec2:CreateNetworkInterface', region, scps };
      for (const principal of [memberAdmin(e.account), executionRole(e.account)]) {
        const a = await ask({
          ...q,
          principal,
          resource: shared,
          resourceAccount: SHARING_ACCOUNT,
          resourcePolicy: share,
        });
        expect([e.name, principal.arn, a.decision, a.by.map((b) => b.statement)]).toEqual([
          e.name,
          principal.arn,
          'denied',
          ['OnlyTheirOwnSubnets'],
        ]);
        const removed = await ask({
          ...q,
          scps: scpsWithout(scps, 'OnlyTheirOwnSubnets'),
          principal,
          resource: shared,
          resourceAccount: SHARING_ACCOUNT,
          resourcePolicy: share,
        });
        expect(removed.decision).toBe('allowed');
        const home = await ask({ ...q, principal, resource: own, resourceAccount: e.account });
        expect([e.name, 'own subnet', home.decision]).toEqual([e.name, 'own subnet', 'allowed']);
      }
    }
    const owner = await ask({
      action: 'ec2:CreateNetworkInterface',
      region: config.environments[0].region,
      scps,
      principal: memberAdmin(SHARING_ACCOUNT),
      resource: `arn:aws:ec2:${config.environments[0].region}:${SHARING_ACCOUNT}:subnet/subnet-0shared`,
      resourceAccount: SHARING_ACCOUNT,
    });
    expect(owner.decision).toBe('allowed');
  });
});
