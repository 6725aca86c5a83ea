/**
 * The deployment gate reads CloudTrail's event history (LookupEvents) before a gate-written Approved counts
 * (lambdas/deployment-gate/restorations.ts). The call must be allowed where it runs, in every environment: by the gate
 * role's own policy, under the workload boundary, under every SCP of the organization, and through the VPC's CloudTrail
 * interface endpoint (the function runs in isolated subnets, so that endpoint is its only way to CloudTrail).
 * LookupEvents has no resource type (Service Authorization Reference, AWS CloudTrail), so it is asked on "*". Simulated
 * from the synthesized templates, as the access matrix is.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, RoleModel } from './estate-model';
import { ask, without } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
}, 600_000);

const roleOf = (envName: string, path: string): RoleModel => {
  const role = model.roles.find((r) => r.key.startsWith(`${envName}/`) && r.path.includes(path));
  if (!role) throw new Error(`no role ${path} in ${envName}`);
  return role;
};

const lookup = (envName: string, role: RoleModel, identityPolicies = role.identityPolicies) => {
  const env = model.synth.config.environments.find((e) => e.name === envName)!;
  const endpoint = model.policyOf(`${envName}/Foundation`, 'AWS::EC2::VPCEndpoint', 'CloudtrailEndpoint');
  return ask({
    scps,
    principal: { arn: role.arn, account: role.account, identityPolicies, boundary: role.boundary, tags: role.tags },
    action: 'cloudtrail:LookupEvents',
    resource: '*',
    resourceAccount: env.account,
    region: env.region,
    endpointPolicies: [{ name: 'CloudtrailEndpoint', policy: endpoint }],
  });
};

describe("the deployment gate may read CloudTrail's event history in every environment", () => {
  test.each(['dev', 'staging', 'prod'])(
    '%s: allowed by its role, the boundary, the SCPs and the CloudTrail endpoint',
    async (envName) => {
      const role = roleOf(envName, 'ModelGovernance/DeploymentGate/Role/');
      expect(role.boundary).toBeDefined();
      const answer = await lookup(envName, role);
      expect(answer.decision).toBe('allowed');
      // The grant is what allows it: without its statement, the same request is denied.
      const granting = (p: { policy: any }) =>
        [p.policy.Statement].flat().some((st: any) => st.Sid === 'ReadRaceWindowHistory');
      expect(role.identityPolicies.filter(granting)).toHaveLength(1);
      const withoutGrant = role.identityPolicies.map((p) =>
        granting(p) ? { name: p.name, policy: without(p.policy, 'ReadRaceWindowHistory') } : p,
      );
      expect((await lookup(envName, role, withoutGrant)).decision).toBe('denied');
    },
  );

  test('only the deployment gate holds it among the gate functions: the approval gate and the model pinner do not', async () => {
    for (const path of ['ModelGovernance/ApprovalGate/Role/', 'ModelGovernance/ModelPinner/Role/']) {
      expect([path, (await lookup('staging', roleOf('staging', path))).decision]).toEqual([path, 'denied']);
    }
  });
});
