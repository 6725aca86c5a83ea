import { Stack } from 'aws-cdk-lib';

/**
 * How grants and the approval gate's trigger name the governed model package
 * groups of an environment. Up to MAX_LISTED_GROUPS models, each group is
 * named: the tightest scope. Beyond that, the names no longer fit an IAM
 * managed policy (6,144 characters) or an event pattern, and the grants name
 * every group of the account instead. That is the same set: the workload
 * boundary forbids every role in the account to create, delete or re-share a
 * package group, so only the estate's stacks make them, one per model.
 */
export const MAX_LISTED_GROUPS = 20;

const arnsOf = (stack: Stack, kind: 'model-package-group' | 'model-package', groups: readonly string[]): string[] => {
  const prefix = `arn:${stack.partition}:sagemaker:${stack.region}:${stack.account}:${kind}`;
  const suffix = kind === 'model-package' ? '/*' : '';
  return groups.length > MAX_LISTED_GROUPS ? [`${prefix}/*${suffix}`] : groups.map((g) => `${prefix}/${g}${suffix}`);
};

/** ARNs of the governed package groups, for grants in `stack`'s account and region. */
export const governedGroupArns = (stack: Stack, groups: readonly string[]): string[] =>
  arnsOf(stack, 'model-package-group', groups);

/** ARN patterns of every version in the governed groups. */
export const governedPackageArns = (stack: Stack, groups: readonly string[]): string[] =>
  arnsOf(stack, 'model-package', groups);

/** The group names an event pattern filters on; undefined (every group of the account) beyond the listed size. */
export const governedGroupFilter = (groups: readonly string[]): string[] | undefined =>
  groups.length > MAX_LISTED_GROUPS ? undefined : [...groups];
