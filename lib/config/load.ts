import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { z } from 'zod';
import { ConfigProblem, EnvironmentConfig, EstateConfig, checkEstateRules, environmentSchema, estateSchema } from './schema';

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
    throw new EstateConfigError(file, [{ path: '(file)', message: `cannot be read: ${reason}`, value: path.resolve(file) }]);
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
        doc.errors.map((err) => ({ path: '(file)', message: `is not valid YAML: ${err.message.split('\n')[0].replace(/:$/, '')}` })),
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
    throw new EstateConfigError(source, problems);
  }
  const problems = checkEstateRules(parsed.data);
  if (problems.length > 0) {
    throw new EstateConfigError(source, problems);
  }
  return parsed.data;
}

/**
 * Cross-field rules over the organization and those environments that pass the
 * schema on their own. Environments keep their index (a sparse list), so paths
 * still point at the right entry.
 */
function crossFieldProblemsOfValidParts(raw: unknown): ConfigProblem[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const { organization, environments } = raw as Record<string, unknown>;
  const org = estateSchema.shape.organization.safeParse(organization);
  if (!org.success || !Array.isArray(environments)) return [];
  const valid: EnvironmentConfig[] = [];
  environments.forEach((env, i) => {
    const result = environmentSchema.safeParse(env);
    if (result.success) valid[i] = result.data;
  });
  return checkEstateRules({ organization: org.data, tags: {}, environments: valid } as unknown as EstateConfig);
}

function toProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(issue.path);
    return issue.keys.map((key) => ({
      path: joinPath(at, key),
      message: `is not a known setting${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
    }));
  }
  if (issue.input === undefined) {
    return [{ path: at, message: `is required: ${issue.message}` }];
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
  return parts.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : joinPath(acc, String(part))),
    '',
  ) || '(top level)';
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
