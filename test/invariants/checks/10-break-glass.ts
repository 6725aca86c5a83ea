import type { EstateUnderTest } from '../suite';
import { trustOfNamed } from '../../support/trust';

/** The one emergency role the guardrails exempt: MFA, one hour, its own boundary, every use announced. */
export default function breakGlass(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf } = estate;
  const name = config.organization.breakGlassRoleName;

  for (const stack of stacks.foundation) {
    test(`break-glass role (${stack}): the name the guardrails exempt, trusting only the principals named for it, one-hour sessions, its own boundary, every assumption announced`, () => {
      const env = envOf(stack);
      const roles = ofType(stack, 'AWS::IAM::Role').filter(([id]) => id.startsWith('BreakGlassRole'));
      expect(roles).toHaveLength(1);
      expect(roles[0][1].Properties).toMatchObject({
        RoleName: name,
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: { Statement: trustOfNamed(config, env, 'breakGlass') },
        PermissionsBoundary: { Ref: expect.stringMatching(/^BreakGlassBoundary/) },
      });
      const [[, boundary]] = ofType(stack, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
        id.startsWith('BreakGlassBoundary'),
      );
      const denies = boundary.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Deny').flatMap(
        (s: any) => [s.Action].flat(),
      );
      expect(denies).toEqual(expect.arrayContaining(['iam:CreateUser', 'iam:CreateAccessKey', 'organizations:*']));
      const [[, rule]] = ofType(stack, 'AWS::Events::Rule').filter(([id]) => id.startsWith('BreakGlassAssumed'));
      // Every session of the role, by its unique ID: not the ARN as a caller spelled it (names are not case-sensitive).
      expect(rule.Properties.EventPattern.detail).toEqual({
        eventSource: ['sts.amazonaws.com'],
        eventName: ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'],
        responseElements: {
          assumedRoleUser: {
            assumedRoleId: [{ prefix: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [roles[0][0], 'RoleId'] }, ':']] } }],
          },
        },
      });
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({ Arn: { Ref: expect.stringMatching(/^DetectiveFindings/) } }),
      ]);
    });
  }
}
