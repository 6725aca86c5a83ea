import { personaPrincipals, Persona } from '../../lib/config/access';
import type { EnvironmentConfig, EstateConfig } from '../../lib/config';

/**
 * The trust statements a persona or break-glass role must carry, derived from
 * the config: the account people sign in from as principal, narrowed to the
 * named principals by aws:PrincipalArn (permission sets by the role name
 * Identity Center gives them, with and without a region segment, suffix of 16
 * characters); IAM users only with MFA.
 */
export function trustOfNamed(config: EstateConfig, env: EnvironmentConfig, persona: Persona): unknown[] {
  const p = personaPrincipals(config, env, persona);
  const arn = (resource: string) => `arn:aws:iam::${p.account}:${resource}`;
  const root = { AWS: arn('root') };
  const withoutMfa = [
    ...p.permissionSets.flatMap((ps) =>
      ['', '*/'].map((region) =>
        arn(`role/aws-reserved/sso.amazonaws.com/${region}AWSReservedSSO_${ps}_????????????????`),
      ),
    ),
    ...p.roles.map((r) => arn(`role/${r}`)),
  ];
  // The users' statement is added to the role as a policy statement, which keeps a one-element list as a list.
  const users = p.users.map((u) => arn(`user/${u}`));
  const statements: unknown[] = [];
  if (withoutMfa.length > 0)
    statements.push({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: root,
      Condition: { ArnLike: { 'aws:PrincipalArn': withoutMfa.length === 1 ? withoutMfa[0] : withoutMfa } },
    });
  if (users.length > 0) {
    statements.push({
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: root,
      Condition: { ArnEquals: { 'aws:PrincipalArn': users }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    });
  }
  return statements;
}
