import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The principals a person's role trusts, by name, in the account people sign
 * in from. Never the account as a whole: a trust of the account root admits
 * every principal there that may call sts:AssumeRole.
 */
export interface NamedPrincipals {
  /** The account the principals are in. */
  readonly account: string;
  /**
   * IAM Identity Center permission sets: the roles Identity Center provisions for them in `account`.
   * @default - none
   */
  readonly permissionSets?: readonly string[];
  /**
   * Roles of `account` by name, with their path (`path/Name`).
   * @default - none
   */
  readonly roles?: readonly string[];
  /**
   * IAM users of `account` by name (with path); only with MFA.
   * @default - none
   */
  readonly users?: readonly string[];
}

/** The length of the suffix Identity Center appends to a permission set's role name (16 hex digits). */
const SSO_SUFFIX = '?'.repeat(16);

/**
 * The ARNs (patterns for permission sets) of the principals trusted without
 * an MFA key, and of the IAM users trusted with one.
 *
 * A permission set's role is `role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<name>_<suffix>`
 * (IAM Identity Center User Guide, "Referencing permission sets in resource
 * policies"; no region segment when the identity source is in us-east-1),
 * its suffix 16 characters: matched with `?` per character, so that the
 * permission set `Approver` does not also admit `Approver_Admin`. Identity
 * Center enforces MFA at sign-in; its sessions carry no
 * `aws:MultiFactorAuthPresent`, so only IAM users are asked for it.
 */
export function namedPrincipalArns(scope: Construct, p: NamedPrincipals): { withoutMfa: string[]; withMfa: string[] } {
  const { partition } = Stack.of(scope);
  const iamArn = (resource: string) => `arn:${partition}:iam::${p.account}:${resource}`;
  return {
    withoutMfa: [
      ...(p.permissionSets ?? []).flatMap((name) => [
        iamArn(`role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_${name}_${SSO_SUFFIX}`),
        iamArn(`role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_${name}_${SSO_SUFFIX}`),
      ]),
      ...(p.roles ?? []).map((name) => iamArn(`role/${name}`)),
    ],
    withMfa: (p.users ?? []).map((name) => iamArn(`user/${name}`)),
  };
}

/**
 * The trust of a person's role: the account's root as principal (a role named
 * as principal must exist when the trust is written, and a permission set's
 * role name carries a suffix only Identity Center knows), narrowed by
 * `aws:PrincipalArn` to the named principals; IAM users also need MFA.
 * Returns the principal to create the role with; `addTo` adds the users' statement.
 */
export function namedPrincipalTrust(
  scope: Construct,
  p: NamedPrincipals,
): { principal: iam.IPrincipal; addTo: (role: iam.Role) => void } {
  const { withoutMfa, withMfa } = namedPrincipalArns(scope, p);
  if (withoutMfa.length + withMfa.length === 0)
    throw new Error(`${scope.node.path}: a person's role names at least one principal it trusts`);
  const root = new iam.AccountPrincipal(p.account);
  const users = { ArnEquals: { 'aws:PrincipalArn': withMfa }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } };
  if (withoutMfa.length === 0) return { principal: root.withConditions(users), addTo: () => undefined };
  return {
    principal: root.withConditions({ ArnLike: { 'aws:PrincipalArn': withoutMfa } }),
    addTo: (role) => {
      if (withMfa.length > 0)
        role.assumeRolePolicy!.addStatements(
          new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [root], conditions: users }),
        );
    },
  };
}
