import { Stack } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';
import { acknowledgeFindings } from './acknowledge';

/**
 * Acknowledges AwsSolutions-IAM5 for named resource patterns of a policy, one
 * finding per pattern, written the way cdk-nag reports them. The patterns are
 * the same values the policy statements use, so an acknowledgement can only
 * cover a wildcard the code put there on purpose.
 */
export function acknowledgeResourceWildcards(policy: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(policy);
  acknowledgeFindings(
    policy,
    resources.map((r) => `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(r))}]`),
    reason,
  );
}

interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/**
 * The wildcard findings (AwsSolutions-IAM5) a policy document holds, written
 * the way cdk-nag reports them: derived from the document itself, so a
 * statement added later shows up as its own finding.
 */
export function wildcardFindings(stack: Stack, document: unknown): string[] {
  const found = new Set<string>();
  const statements = ((stack.resolve(document) as { Statement?: Statement[] })?.Statement ?? []).filter(
    (s) => s.Effect === 'Allow',
  );
  for (const statement of statements) {
    for (const action of [statement.Action ?? []].flat())
      if (action.includes('*')) found.add(`AwsSolutions-IAM5[Action::${action}]`);
    for (const resource of [statement.Resource ?? []].flat()) {
      const flat = flattenCfnReference(resource);
      if (flat.includes('*')) found.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  return [...found].sort();
}
