import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { z } from 'zod';
import type { ConfigProblem } from './common';
import { EstateConfig, checkEstateRules, estateSchema } from './estate-config';
import { didYouMean } from './suggest';

/** Thrown when the estate config cannot be used; carries every problem found, not just the first. */
export class EstateConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(source, problems));
    this.name = 'EstateConfigError';
  }
}

/** Reads, parses and validates an estate config file (YAML or JSON). Throws EstateConfigError. */
export function loadEstateConfig(file: string): EstateConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String((e as Error).message);
    throw new EstateConfigError(file, [
      { path: '(file)', message: `cannot be read: ${reason}`, value: path.resolve(file) },
    ]);
  }
  return parseEstateConfig(text, file);
}

/** Parses and validates config text; `source` names it in errors and picks the format (.json or YAML). */
export function parseEstateConfig(text: string, source = 'estate config'): EstateConfig {
  let raw: unknown;
  if (source.endsWith('.json')) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new EstateConfigError(source, [{ path: '(file)', message: `is not valid JSON: ${(e as Error).message}` }]);
    }
  } else {
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new EstateConfigError(
        source,
        doc.errors.map((err) => ({
          path: '(file)',
          message: `is not valid YAML: ${err.message.split('\n')[0].replace(/:$/, '')}`,
        })),
      );
    }
    raw = doc.toJS();
  }
  return validateEstateConfig(raw, source);
}

/** Validates an already-parsed value against the schema, then the cross-field rules. */
export function validateEstateConfig(raw: unknown, source = 'estate config'): EstateConfig {
  const parsed = estateSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    // Report the cross-field problems of the parts that are well-formed too, so
    // that one run lists everything to fix.
    const problems = [...parsed.error.issues.flatMap(toProblems), ...crossFieldProblemsOfValidParts(raw)];
    throw new EstateConfigError(
      source,
      problems.map((p) => byName(p, raw)),
    );
  }
  const problems = checkEstateRules(parsed.data);
  if (problems.length > 0) {
    throw new EstateConfigError(
      source,
      problems.map((p) => byName(p, raw)),
    );
  }
  return parsed.data;
}

/** Lists whose entries problems name by their id or name rather than their index. */
const NAMED_LISTS: Record<string, string> = { models: 'id', environments: 'name', featureGroups: 'name' };

/**
 * `models[147].endpoints...` reads `models[fraud-score].endpoints...`: an
 * entry is named by its id (or name) where that is a unique, well-formed
 * slug; by its index otherwise. References inside the message follow.
 */
function byName(problem: ConfigProblem, raw: unknown): ConfigProblem {
  const root = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const rename = (text: string) =>
    text.replace(/(?<![.\w])(models|environments|featureGroups)\[(\d+)\]/g, (whole, list: string, index: string) => {
      const entries = Array.isArray(root[list]) ? (root[list] as unknown[]) : [];
      const nameOf = (e: unknown) =>
        typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[NAMED_LISTS[list]] : undefined;
      const name = nameOf(entries[Number(index)]);
      const unique = entries.filter((e) => nameOf(e) === name).length === 1;
      return typeof name === 'string' && /^[a-z][a-z0-9-]*$/.test(name) && unique ? `${list}[${name}]` : whole;
    });
  return { ...problem, path: rename(problem.path), message: rename(problem.message) };
}

/**
 * Cross-field rules over the parts of a config that pass the schema on their
 * own: each top-level section, and each entry of a list at its index (a sparse
 * list), so that a malformed model does not hide a cross-field problem of
 * another. A reference to an entry that is itself malformed is not reported
 * again (its own problem is). Without a well-formed organization, whose
 * regions and accounts most rules need, none run.
 */
function crossFieldProblemsOfValidParts(raw: unknown): ConfigProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const input = raw as Record<string, unknown>;
  const partial: Record<string, unknown> = {};
  const broken = new Set<string>();
  const repairedAt: [string, number][] = [];
  /** Lists refused as a whole (missing, empty, not a list): every reference into them dangles. */
  const brokenLists = new Set<string>();
  for (const [key, schema] of Object.entries(estateSchema.shape) as [string, z.core.$ZodType][]) {
    const inner = unwrap(schema);
    const value = input[key];
    if (inner instanceof z.ZodArray && Array.isArray(value)) {
      const list: unknown[] = [];
      value.forEach((entry, i) => {
        const element = inner.element as z.ZodType;
        const result = element.safeParse(entry);
        if (result.success) list[i] = result.data;
        else {
          // The entry without its malformed settings, so that its other settings are still checked
          // (a mistyped account must not hide a prod variant with one instance).
          const repaired = repair(element, entry, result.error.issues);
          if (repaired !== undefined) {
            list[i] = repaired;
            repairedAt.push([key, i]);
          } else {
            const name =
              typeof entry === 'object' && entry !== null
                ? (entry as Record<string, unknown>)[NAMED_LISTS[key] ?? 'name']
                : undefined;
            if (typeof name === 'string') broken.add(name).add(name.toLowerCase());
          }
        }
      });
      partial[key] = list;
      const whole = (schema as z.ZodType).safeParse(value);
      if (!whole.success && whole.error.issues.some((issue) => issue.path.length === 0)) brokenLists.add(key);
    } else {
      if (inner instanceof z.ZodArray) brokenLists.add(key);
      const result = (schema as z.ZodType).safeParse(value);
      if (result.success) partial[key] = result.data;
    }
  }
  if (partial.organization === undefined) return [];
  partial.environments ??= [];
  partial.tags ??= {};
  let problems: ConfigProblem[];
  try {
    problems = checkEstateRules(partial as unknown as EstateConfig);
  } catch {
    // A rule that needed a setting a repaired entry lacks: check without the repaired entries.
    for (const [key, i] of repairedAt) delete (partial[key] as unknown[])[i];
    try {
      problems = checkEstateRules(partial as unknown as EstateConfig);
    } catch {
      return []; // the schema problems stand on their own
    }
  }
  // While an environment is malformed, which accounts and buckets are the estate's cannot be judged.
  const environmentsIncomplete =
    brokenLists.has('environments') ||
    repairedAt.some(([key]) => key === 'environments') ||
    (Array.isArray(input.environments) &&
      (partial.environments as unknown[]).filter(Boolean).length < input.environments.length);
  if (environmentsIncomplete) problems = problems.filter((p) => !/outside the estate/.test(p.message));
  const dangling = /is not (an environment|a feature group) of this estate|must name a staging environment/;
  const intoBrokenList = (p: ConfigProblem) =>
    (brokenLists.has('environments') && /environment/.test(p.message)) ||
    (brokenLists.has('featureGroups') && /feature group/.test(p.message));
  const mentionsBroken = (p: ConfigProblem) =>
    dangling.test(p.message) &&
    (intoBrokenList(p) ||
      (typeof p.value === 'string' && broken.has(p.value)) ||
      [...broken].some((name) => p.path.endsWith(`.endpoints.${name}`)));
  return problems.filter((p) => !mentionsBroken(p));
}

/** Settings other entries and rules refer to: an entry without them is not checked further. */
const KEY_SETTINGS = new Set(['name', 'id', 'type', 'region']);

/**
 * An entry parsed without the scalar settings the schema refused (an account
 * with 11 digits, a misspelt risk tier, an unknown key), where those are
 * neither names nor structure others depend on; undefined otherwise. Rules
 * then see the entry as if those settings were left out.
 */
function repair(schema: z.ZodType, entry: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
  if (!(schema instanceof z.ZodObject) || typeof entry !== 'object' || entry === null) return undefined;
  const refused = new Set(
    issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' && issue.path.length === 0 ? issue.keys : [String(issue.path[0] ?? '')],
    ),
  );
  if (refused.has('')) return undefined;
  const values = entry as Record<string, unknown>;
  if (
    [...refused].some(
      (k) => KEY_SETTINGS.has(k) || (values[k] !== null && typeof values[k] === 'object') || !(k in values),
    )
  )
    return undefined;
  const rest = Object.fromEntries(Object.entries(entry).filter(([k]) => !refused.has(k)));
  const result = schema.partial().safeParse(rest);
  return result.success ? result.data : undefined;
}

function toProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys.map((key) => ({
      path: joinPath(at, key),
      message: `is not a known setting${didYouMean(key, allowed)}${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
    }));
  }
  if (issue.input === undefined) {
    return [{ path: at, message: `is required: ${issue.message}` }];
  }
  if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
    return [
      { path: at, message: `${issue.message}${didYouMean(issue.input, issue.values.map(String))}`, value: issue.input },
    ];
  }
  return [{ path: at, message: issue.message, value: issue.input }];
}

/** The keys the schema accepts for the object at `at`, for "did you mean" help on unknown keys. */
function allowedKeysAt(at: PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = estateSchema;
  for (const part of at) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      schema = (schema.shape as Record<string, z.core.$ZodType>)[String(part)];
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element as z.core.$ZodType;
    } else {
      return [];
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.core.$ZodType;
  }
  return current;
}

function formatPath(parts: PropertyKey[]): string {
  return (
    parts.reduce<string>(
      (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : joinPath(acc, String(part))),
      '',
    ) || '(top level)'
  );
}

function joinPath(base: string, key: string): string {
  return base === '' || base === '(top level)' ? key : `${base}.${key}`;
}

function showValue(value: unknown): string {
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

/** One line per problem: `field: message (got value)`, under a heading that names the file. */
export function formatProblems(source: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const got = p.value === undefined ? '' : ` (got ${showValue(p.value)})`;
    return `  - ${p.path}: ${p.message}${got}`;
  });
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `Invalid estate config ${source}: ${count}; nothing was synthesized.\n${lines.join('\n')}`;
}
