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
