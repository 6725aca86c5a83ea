import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { acknowledgeFindings } from '../../policies/acknowledge';

/**
 * The permissions boundary is a ceiling, not a grant: it names services with
 * wildcards on purpose, and its Resource is `*` because a boundary cannot name
 * resources that later stacks create. No principal gets a permission from it.
 * One acknowledgement per wildcard it holds, derived from the document so that
 * a new wildcard is visible in the evidence as its own finding.
 */
export function acknowledgeBoundaryFindings(
  boundary: iam.ManagedPolicy,
  statements: readonly iam.PolicyStatement[],
): void {
  const wildcards = new Set<string>();
  for (const statement of statements) {
    if (statement.effect !== iam.Effect.ALLOW) continue;
    statement.actions.filter((a) => a.includes('*')).forEach((a) => wildcards.add(`AwsSolutions-IAM5[Action::${a}]`));
    if (statement.resources.includes('*')) wildcards.add('AwsSolutions-IAM5[Resource::*]');
    // A pattern narrower than * (the baseline copier roles a function may assume) is its own finding.
    for (const r of statement.resources.filter((x) => x !== '*' && x.includes('*')))
      wildcards.add(`AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(boundary).resolve(r))}]`);
    if (statement.actions.some((a) => a.endsWith(':*'))) {
      for (const pack of ['NIST.800.53.R5', 'PCI.DSS.321', 'HIPAA.Security']) {
        wildcards.add(`${pack}-IAMPolicyNoStatementsWithFullAccess`);
      }
    }
  }
  acknowledgeFindings(
    boundary,
    [...wildcards].sort(),
    'Permissions boundary: it caps what roles may ever be granted and grants nothing itself; each role still has its own least-privilege identity policy.',
  );
}
