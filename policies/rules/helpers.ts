import { CfnResource, Stack } from 'aws-cdk-lib';

/**
 * The resource's properties as they will be in the template: overrides and
 * escape hatches applied, tokens resolved where they can be. Rules read this
 * rather than L1 attributes, which miss property overrides.
 */
export function rendered(node: CfnResource): Record<string, any> {
  const cached = cache?.rendered.get(node);
  if (cached) return cached;
  const props = render(node);
  cache?.rendered.set(node, props);
  return props;
}

/** Per-run memo of rendered properties and stack indexes; the tree does not change while a pack runs. */
let cache:
  | {
      rendered: Map<CfnResource, Record<string, any>>;
      siblings: Map<Stack, Array<{ id: string; resource: CfnResource }>>;
    }
  | undefined;

/** Runs `fn` (one pack run) with rendering memoized, then forgets everything. */
export function withRenderCache<T>(fn: () => T): T {
  cache = { rendered: new Map(), siblings: new Map() };
  try {
    return fn();
  } finally {
    cache = undefined;
  }
}

function render(node: CfnResource): Record<string, any> {
  const stack = Stack.of(node);
  // _toCloudFormation is how a stack renders each resource; it includes overrides.
  const fragment = stack.resolve((node as unknown as { _toCloudFormation(): any })._toCloudFormation());
  const [resource] = Object.values(fragment.Resources ?? {}) as any[];
  return resource?.Properties ?? {};
}

/** Tags of a resource as key/value pairs, whichever shape the resource type uses. */
export function tagsOf(node: CfnResource): Record<string, string> {
  const tags = rendered(node).Tags;
  if (Array.isArray(tags))
    return Object.fromEntries(tags.filter((t) => t && typeof t.Key === 'string').map((t) => [t.Key, String(t.Value)]));
  if (tags && typeof tags === 'object') return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]));
  return {};
}

/** dev, staging or prod, from the estate tag every resource carries; undefined outside an estate. */
export function environmentType(node: CfnResource): string | undefined {
  return tagsOf(node)['estate:environment-type'];
}

export const isTrue = (v: unknown) => v === true || v === 'true';

/** Every CloudFormation resource of the stack of `node`, with its logical ID, for rules that look across resources. */
export function siblings(node: CfnResource): Array<{ id: string; resource: CfnResource }> {
  const stack = Stack.of(node);
  const cached = cache?.siblings.get(stack);
  if (cached) return cached;
  const all = stack.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack)
    .map((resource) => ({ id: stack.resolve(resource.logicalId) as string, resource }));
  cache?.siblings.set(stack, all);
  return all;
}

/** True when `value` (a resolved template value) refers to the resource with logical ID `id`. */
export function refersTo(value: unknown, id: string): boolean {
  return JSON.stringify(value ?? null).includes(`"${id}"`);
}

/**
 * The definition of a state machine as an object: its DefinitionString (a
 * string, or an Fn::Join whose tokens sit inside string values and are read as
 * "TOKEN") or its Definition. Undefined when it cannot be read, which a rule
 * treats as not shown to be compliant.
 */
export function stateMachineDefinition(node: CfnResource): any {
  const p = rendered(node);
  if (p.Definition && typeof p.Definition === 'object') return p.Definition;
  const d = p.DefinitionString;
  let text: string | undefined;
  if (typeof d === 'string') text = d;
  else if (Array.isArray(d?.['Fn::Join']) && d['Fn::Join'][0] === '')
    text = (d['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
