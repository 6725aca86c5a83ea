import { approvalGateRoleName } from '../../../lib/delivery/names';
import type { EstateUnderTest } from '../suite';

/**
 * A person's decision overwritten inside the approval gate's race window is set back (lambdas/model-approval-gate,
 * personUpdate): in every environment, CloudTrail's record of each UpdateModelPackage reaches the gate, the gate knows
 * its own role's name, and the environment's trail records the management events that carry those calls.
 */
export default function approvalRace(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf, stacksOf } = estate;

  for (const stack of stacks.governance) {
    test(`approval race (${stack}): UpdateModelPackage calls reach the approval gate, which knows its own role, and the trail records them`, () => {
      const env = envOf(stack);
      const rules = ofType(stack, 'AWS::Events::Rule').filter(
        ([, r]) =>
          r.Properties.EventPattern?.['detail-type']?.includes('AWS API Call via CloudTrail') &&
          r.Properties.EventPattern?.detail?.eventName?.includes('UpdateModelPackage'),
      );
      expect([stack, rules.length]).toEqual([stack, 1]);
      const [[, rule]] = rules;
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.sagemaker'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
      });
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateFunction/), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateDeadLetters/), 'Arn'] } },
        }),
      ]);
      const roleName = approvalGateRoleName(config.organization.name, env.name);
      const [[, role]] = ofType(stack, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === roleName);
      expect(role).toBeDefined();
      const [[, fn]] = ofType(stack, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('ApprovalGateFunction'));
      expect(fn.Properties.Environment.Variables.GATE_ROLE_NAME).toBe(roleName);
      // "AWS API Call via CloudTrail" events exist only for calls a trail records (management events, read and write).
      const trails = stacksOf(env.name, stacks.foundation).flatMap((s) => ofType(s, 'AWS::CloudTrail::Trail'));
      expect(trails.length).toBeGreaterThan(0);
      for (const [, trail] of trails) {
        expect(trail.Properties.IsLogging).toBe(true);
        const management = (trail.Properties.AdvancedEventSelectors ?? []).filter((s: any) =>
          s.FieldSelectors.some((f: any) => f.Field === 'eventCategory' && f.Equals?.includes('Management')),
        );
        expect(management).toHaveLength(1);
        expect(management[0].FieldSelectors.find((f: any) => f.Field === 'readOnly')?.Equals ?? ['false']).toContain(
          'false',
        );
      }
    });
  }
}
