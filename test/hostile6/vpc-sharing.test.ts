/**
 * The environments' isolated subnets can be shared with another account through AWS RAM (VPC sharing), and the
 * participant then launches its own instance in the estate's subnet. environment-guardrails names only the
 * environment accounts' resources: NoInstancesInTheNetworks denies RunInstances on their network interfaces, but
 * a participant's instance in a shared subnet gets an interface owned by the participant
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-sharing.html: "participants can create, manage and delete
 * their application resources in the subnets shared with them ... resources they create are owned by them").
 * ec2:RunInstances authorizes on the subnet (the environment's) and on the network interface (the participant's),
 * per the Service Authorization Reference: nothing in the SCPs matches the participant's request on the subnet.
 * The instance is a proxy the workloads reach by the local route (its other interface in the participant's VPC,
 * with an internet gateway), the path NoInstancesInTheNetworks was written to close.
 */
import { scpContext } from '../../lib/stacks/organization-stack';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { REPOSITORY_ESTATE } from '../support/estates';
import { memberAdmin } from '../access/estate-model';
import { ask } from '../access/simulate';

const config = REPOSITORY_ESTATE.config();
const scps = serviceControlPolicies(scpContext(config)).map((p) => ({ name: p.name, policy: p.document }));

describe('VPC sharing: a path around NoInstancesInTheNetworks', () => {
  test('an environment admin cannot share the estate subnets with another account (ram:CreateResourceShare / AssociateResourceShare)', async () => {
    for (const e of config.environments) {
      for (const action of ['ram:CreateResourceShare', 'ram:AssociateResourceShare']) {
        const a = await ask({
          scps,
          principal: memberAdmin(e.account),
          action,
          resource: '*', // CreateResourceShare authorizes on no resource type
          resourceAccount: e.account,
          region: e.region,
          context: {
            'ram:RequestedResourceType': 'ec2:Subnet',
            'ram:ResourceArn': `arn:aws:ec2:${e.region}:${e.account}:subnet/subnet-0estate`,
          },
        });
        expect([e.name, action, a.decision]).toEqual([e.name, action, 'denied']);
      }
    }
  });

  test("another account of the organization (the delivery account's admin) cannot launch an instance in an environment subnet shared with it", async () => {
    const other = config.delivery!.account;
    for (const e of config.environments) {
      // IAM authorizes RunInstances on each of its resources and denies the request if any is denied: the participant's
      // own interface is allowed (it launches instances in its own subnets), the environment's subnet is not.
      const decisions: string[] = [];
      for (const resource of [
        `arn:aws:ec2:${e.region}:${e.account}:subnet/subnet-0estate`,
        `arn:aws:ec2:${e.region}:${other}:network-interface/*`,
      ]) {
        // The RAM share grants the participant account the use of the subnet (emulated as the subnet's resource
        // policy: IAM's cross-account check then passes, as it does for a shared subnet); the question is the SCPs.
        const shared = {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${other}:root` },
              Action: 'ec2:RunInstances',
              Resource: resource,
            },
          ],
        };
        const a = await ask({
          scps,
          principal: memberAdmin(other),
          action: 'ec2:RunInstances',
          resource,
          resourceAccount: resource.includes(`:${other}:`) ? other : e.account,
          region: e.region,
          resourcePolicy: resource.includes(`:${other}:`) ? undefined : shared,
        });
        decisions.push(a.decision);
      }
      expect([e.name, decisions]).toEqual([e.name, ['denied', 'allowed']]);
    }
  });
});
