import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { AccountKind } from './execution-policy';

/**
 * The CloudFormation resource types each kind of account receives, read from a
 * synthesized estate: environments get their stages' stacks, the tooling
 * account the pipeline's, the management account the organization's.
 */
export function resourceTypesByKind(assembly: CloudAssembly): Record<AccountKind, Set<string>> {
  const out: Record<AccountKind, Set<string>> = { environment: new Set(), tooling: new Set(), management: new Set() };
  const add = (kind: AccountKind, template: { Resources?: Record<string, { Type: string }> }) => {
    for (const r of Object.values(template.Resources ?? {})) out[kind].add(r.Type);
  };
  for (const stack of assembly.stacks)
    add(stack.stackName.endsWith('-organization') ? 'management' : 'tooling', stack.template);
  for (const artifact of assembly.nestedAssemblies) {
    for (const stack of artifact.nestedAssembly.stacks) add('environment', stack.template);
  }
  return out;
}
