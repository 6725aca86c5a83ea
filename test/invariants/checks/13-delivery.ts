import { promotionSource } from '../../../lib/config';
import type { EstateUnderTest } from '../suite';

/**
 * The pipeline, where the config has one: every environment in order, prod behind a person and the gate, no admin
 * roles.
 */
export default function delivery(estate: EstateUnderTest): void {
  const { config, stacks, ofType } = estate;
  if (!config.delivery) return;
  const pipeline = () => ofType('Delivery', 'AWS::CodePipeline::Pipeline')[0][1].Properties;
  const stages = () => pipeline().Stages as { Name: string; Actions: any[] }[];
  /** An environment too large for one stage (50 actions) goes over consecutive stages `<env>`, `<env>.2` ... */
  const stageEnv = (name: string) => name.split('.')[0];
  const actionsOf = (env: string) =>
    stages()
      .filter((s) => stageEnv(s.Name) === env)
      .flatMap((s) => s.Actions);

  describe('delivery pipeline (tooling account)', () => {
    test('runs source, build, self-update, assets, then each environment in config order', () => {
      const names = stages()
        .map((s) => stageEnv(s.Name))
        .filter((n, i, all) => all.indexOf(n) === i);
      expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', ...config.environments.map((e) => e.name)]);
      for (const stage of stages()) expect([stage.Name, stage.Actions.length <= 50]).toEqual([stage.Name, true]);
      expect(stages()[0].Actions[0].Configuration).toMatchObject({
        ConnectionArn: config.delivery!.connectionArn,
        FullRepositoryId: config.delivery!.repository,
        BranchName: config.delivery!.branch,
      });
    });

    test('each environment deploys all its stacks into its own account and region, with its role, dependencies first', () => {
      for (const env of config.environments) {
        const deploys = actionsOf(env.name).filter((a) => a.ActionTypeId.Category === 'Deploy');
        const own = estate.stacksOf(env.name).map((s) => s.split('/')[1]);
        expect(deploys.map((a) => a.Name).sort()).toEqual(own.flatMap((s) => [`${s}.Deploy`, `${s}.Prepare`]).sort());
        // Dependencies first: across stages by stage order, within one by run order.
        const position = (s: string) => {
          const i = stages().findIndex((st) => st.Actions.some((a) => a.Name === `${s}.Deploy`));
          return i * 1000 + stages()[i].Actions.find((a) => a.Name === `${s}.Deploy`)!.RunOrder;
        };
        expect(position('AuditReplica')).toBeLessThan(position('Foundation'));
        for (const s of own.filter((x) => !['AuditReplica', 'Foundation'].includes(x)))
          expect(position('Foundation')).toBeLessThan(position(s));
        for (const action of deploys) {
          expect(JSON.stringify(action.RoleArn)).toContain(
            `:iam::${env.account}:role/cdk-hnb659fds-deploy-role-${env.account}-`,
          );
          // CodePipeline leaves out the region of an action in its own (home) region.
          const region = action.Name.startsWith('AuditReplica')
            ? env.auditReplicaRegion
            : action.Name.startsWith('Detection-')
              ? action.Name.replace(/^Detection-|\.(Deploy|Prepare)$/g, '')
              : env.region;
          expect(action.Region ?? config.organization.homeRegion).toBe(region);
        }
      }
    });

    test('prod deploys only after a person approves and then the deployment gate passes; nothing else waits for a person', () => {
      for (const env of config.environments) {
        const actions = stages().find((s) => stageEnv(s.Name) === env.name)!.Actions;
        const all = actionsOf(env.name);
        if (env.type !== 'prod') {
          expect([env.name, all.map((a) => a.ActionTypeId.Category)]).not.toEqual([
            env.name,
            expect.arrayContaining(['Approval']),
          ]);
          continue;
        }
        const order = (name: string) => actions.find((a) => a.Name === name)!.RunOrder;
        expect(actions.find((a) => a.Name === `Approve-${env.name}`)!.ActionTypeId).toMatchObject({
          Category: 'Approval',
          Provider: 'Manual',
        });
        const firstDeploy = Math.min(
          ...actions.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder),
        );
        expect(order(`Approve-${env.name}`)).toBeLessThan(firstDeploy);
        // The deployment gate of the staging environment prod promotes from judges what it will serve.
        if (promotionSource(config)) {
          expect(order(`Approve-${env.name}`)).toBeLessThan(order(`DeploymentGate-${env.name}`));
          expect(order(`DeploymentGate-${env.name}`)).toBeLessThan(firstDeploy);
        }
      }
    });

    test('artifact stores are KMS-encrypted, one per region deployed to; no pipeline role has an administrator policy or a full-service wildcard', () => {
      const regions = new Set(config.environments.flatMap((e) => [e.region, e.auditReplicaRegion]));
      regions.add(config.organization.homeRegion);
      expect((pipeline().ArtifactStores as any[]).map((s) => s.Region).sort()).toEqual([...regions].sort());
      for (const store of pipeline().ArtifactStores) expect(store.ArtifactStore.EncryptionKey.Type).toBe('KMS');
      for (const stack of stacks.shared.filter((s) => s.startsWith('Delivery'))) {
        for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
          expect([id, JSON.stringify(role.Properties.ManagedPolicyArns ?? [])]).not.toEqual([
            id,
            expect.stringMatching(/AdministratorAccess|PowerUserAccess|IAMFullAccess/),
          ]);
        }
        for (const [id, policy] of [
          ...ofType(stack, 'AWS::IAM::Policy'),
          ...ofType(stack, 'AWS::IAM::ManagedPolicy'),
        ]) {
          for (const statement of policy.Properties.PolicyDocument.Statement) {
            for (const action of [statement.Action].flat())
              expect([id, action]).not.toEqual([id, expect.stringMatching(/^(\*|[a-z0-9-]+:\*)$/)]);
          }
        }
      }
    });
  });
}
