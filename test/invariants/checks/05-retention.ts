import { STATEFUL_RESOURCE_TYPES } from '../../../lib/aspects/stateful-resources';
import type { EstateUnderTest } from '../suite';

/**
 * Invariant 5: stateful resources retained outside dev (and wherever config keeps them), audit data always; prod
 * protected.
 */
export default function retention(estate: EstateUnderTest): void {
  const { config, stacks, resources, stacksOf, synth } = estate;

  for (const env of config.environments) {
    const retain = env.type !== 'dev' || env.flags.retainStatefulResources !== false;
    test(`invariant 5: ${env.name} (${env.type}) ${retain ? 'retains every stateful resource' : 'discards flow logs but never keys or audit records'} on delete and replace`, () => {
      let stateful = 0;
      for (const stack of stacksOf(env.name)) {
        for (const [id, r] of Object.entries(resources(stack)).filter(([, res]) =>
          STATEFUL_RESOURCE_TYPES.has(res.Type),
        )) {
          stateful++;
          const alwaysKept =
            stack.endsWith('/AuditReplica') ||
            stack.includes('/Detection-') ||
            /^(Keys\w+Key|AuditBucket|AuditAccessLogBucket|AuditLogGroup|DecisionRecords)/.test(id);
          if (retain || alwaysKept)
            expect([stack, id, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([stack, id, 'Retain', 'Retain']);
        }
      }
      expect(stateful).toBeGreaterThanOrEqual(13);
      if (!retain) {
        const flowLogs = Object.entries(resources(`${env.name}/Foundation`))
          .filter(([id]) => id.startsWith('NetworkFlowLogGroup'))
          .map(([, r]) => r.DeletionPolicy);
        expect(flowLogs).toEqual(['Delete']);
      }
    });
  }

  test('invariant 5: termination protection is on in prod and follows config elsewhere', () => {
    for (const env of config.environments) {
      const stage = synth().estate.stages[env.name];
      const expected = env.flags.terminationProtection ?? env.type === 'prod';
      expect([env.name, stage.foundation.terminationProtection, stage.auditReplica.terminationProtection]).toEqual([
        env.name,
        expected,
        expected,
      ]);
      if (env.type === 'prod') expect(expected).toBe(true);
    }
    expect(stacks.foundation.length).toBe(config.environments.length);
  });
}
