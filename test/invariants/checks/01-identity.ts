import { Stack, Stage } from 'aws-cdk-lib';
import type { EstateUnderTest } from '../suite';

/**
 * Invariant 1: every stack the config implies, and no other, each with the account and region of its environment; no
 * lookups.
 */
export default function identity(estate: EstateUnderTest): void {
  const { config, stacks, synth } = estate;

  describe('invariant 1: explicit environments, no lookups', () => {
    test('one stage per environment, and exactly the stacks the config implies', () => {
      expect(Object.keys(synth().estate.stages).sort()).toEqual(config.environments.map((e) => e.name).sort());
      expect(Object.keys(synth().templates).sort()).toEqual([...stacks.all].sort());
    });

    test('every stack has the account and region of its environment from config', () => {
      const all = synth()
        .app.node.findAll()
        .filter((c): c is Stack => Stack.isStack(c));
      expect(all.length).toBe(stacks.all.length);
      const { organization: org, delivery } = config;
      for (const stack of all) {
        const stage = Stage.of(stack);
        if (stage && stage !== synth().app && config.environments.some((e) => e.name === stage.stageName)) {
          const env = config.environments.find((e) => e.name === stage.stageName)!;
          const region =
            stack.node.id === 'AuditReplica'
              ? env.auditReplicaRegion
              : stack.node.id.startsWith('Detection-')
                ? stack.node.id.slice('Detection-'.length)
                : env.region;
          expect([stack.node.path, stack.account, stack.region]).toEqual([stack.node.path, env.account, region]);
          if (stack.region === env.region) expect(stack.availabilityZones).toEqual(env.availabilityZones);
          else expect(() => stack.availabilityZones).toThrow(/no availability zones are configured/);
        } else if (stack.node.id === 'Organization') {
          expect([stack.account, stack.region]).toEqual([org.managementAccount, org.homeRegion]);
        } else {
          const region = stack.node.id === 'Delivery' ? org.homeRegion : stack.node.id.replace(/^DeliverySupport-/, '');
          expect([stack.node.id, stack.account, stack.region]).toEqual([stack.node.id, delivery!.account, region]);
        }
      }
    });

    test('synthesis asked for no context lookups', () => {
      const assembly = synth().app.synth();
      for (const stage of Object.values(synth().estate.stages)) {
        expect(assembly.getNestedAssembly(stage.artifactId).manifest.missing ?? []).toEqual([]);
      }
      expect(assembly.manifest.missing ?? []).toEqual([]);
    });
  });
}
