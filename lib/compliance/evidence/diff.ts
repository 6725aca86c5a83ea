import * as fs from 'node:fs';
import { byText, controlLabel, ControlState, Counts, Evidence, EVIDENCE_SCHEMA } from './model';

/** A result a reviewer must look at, as the diff names it. */
export interface DiffResult {
  readonly rule: string;
  readonly path: string;
  readonly environment: string;
  readonly stack: string;
  readonly reason?: string;
}

export interface DiffControl {
  readonly id: string;
  readonly regulation: string;
  readonly obligation: string;
  /** `(estate)` for the row's overall status, else an environment. */
  readonly scope: string;
  readonly before: string;
  readonly after: string;
}

export interface DiffResource {
  readonly stack: string;
  readonly path: string;
  readonly type: string;
}

/** What changed between two evidence files: what a reviewer approving a change reads. */
export interface EvidenceDiff {
  readonly before: { readonly commit: string; readonly time: string; readonly configSha256: string };
  readonly after: { readonly commit: string; readonly time: string; readonly configSha256: string };
  readonly newFindings: DiffResult[];
  readonly removedFindings: DiffResult[];
  readonly newWaivers: DiffResult[];
  readonly removedWaivers: DiffResult[];
  readonly changedReasons: Array<DiffResult & { readonly before: string }>;
  readonly controlChanges: DiffControl[];
  readonly addedResources: DiffResource[];
  readonly removedResources: DiffResource[];
  readonly addedStacks: string[];
  readonly removedStacks: string[];
}

export class EvidenceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceFileError';
  }
}

/** Reads an evidence.json, refusing what is not evidence of this schema with a sentence that says why. */
export function readEvidenceFile(file: string): Evidence {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new EvidenceFileError(
      `${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new EvidenceFileError(`${file}: is not JSON (${(e as Error).message})`);
  }
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema !== EVIDENCE_SCHEMA) {
    throw new EvidenceFileError(
      `${file}: is not compliance evidence of schema ${EVIDENCE_SCHEMA} (its schema field is ${JSON.stringify(schema ?? null)}); synthesize both sides with this version`,
    );
  }
  const e = value as Evidence;
  for (const field of ['results', 'controlMatrix', 'stacks'] as const) {
    if (!Array.isArray(e[field])) throw new EvidenceFileError(`${file}: field ${field} must be a list`);
  }
  return e;
}

const resultKey = (r: { rule: string; path: string }) => `${r.rule}\0${r.path}`;
const toDiff = (r: Evidence['results'][number]): DiffResult => ({
  rule: r.rule,
  path: r.path,
  environment: r.environment,
  stack: r.stack,
  ...(r.reason !== undefined ? { reason: r.reason } : {}),
});
const sortResults = (list: DiffResult[]) => list.sort((a, b) => byText(a.path, b.path) || byText(a.rule, b.rule));

function label(cell: { status: ControlState; counts: Counts } | undefined): string {
  return cell ? controlLabel(cell) : 'no resource';
}

export function diffEvidence(before: Evidence, after: Evidence): EvidenceDiff {
  const index = (e: Evidence, status: string) =>
    new Map(e.results.filter((r) => r.status === status).map((r) => [resultKey(r), r]));
  const findingsBefore = index(before, 'non_compliant');
  const findingsAfter = index(after, 'non_compliant');
  const waiversBefore = index(before, 'acknowledged');
  const waiversAfter = index(after, 'acknowledged');

  const onlyIn = (a: Map<string, Evidence['results'][number]>, b: Map<string, unknown>) =>
    sortResults([...a].filter(([k]) => !b.has(k)).map(([, r]) => toDiff(r)));
  const changedReasons = sortResults(
    [...waiversAfter]
      .filter(([k, r]) => waiversBefore.has(k) && waiversBefore.get(k)!.reason !== r.reason)
      .map(([k, r]) => ({ ...toDiff(r), before: waiversBefore.get(k)!.reason ?? '' })),
  ) as Array<DiffResult & { before: string }>;

  const controlChanges: DiffControl[] = [];
  const rowsBefore = new Map(before.controlMatrix.map((r) => [r.id, r]));
  const rowsAfter = new Map(after.controlMatrix.map((r) => [r.id, r]));
  for (const id of [...new Set([...rowsBefore.keys(), ...rowsAfter.keys()])].sort(byText)) {
    const b = rowsBefore.get(id);
    const a = rowsAfter.get(id);
    const row = (a ?? b)!;
    const push = (scope: string, x: string, y: string) => {
      if (x !== y)
        controlChanges.push({ id, regulation: row.regulation, obligation: row.obligation, scope, before: x, after: y });
    };
    push('(estate)', b ? label(b) : 'not in the matrix', a ? label(a) : 'not in the matrix');
    const envs = [...new Set([...Object.keys(b?.byEnvironment ?? {}), ...Object.keys(a?.byEnvironment ?? {})])].sort(
      byText,
    );
    for (const env of envs) push(env, label(b?.byEnvironment[env]), label(a?.byEnvironment[env]));
  }

  const resources = (e: Evidence) =>
    new Map(
      e.stacks.flatMap((s) =>
        s.resources.map((r) => [`${s.id}\0${r.path}`, { stack: s.id, path: r.path, type: r.type }] as const),
      ),
    );
  const resBefore = resources(before);
  const resAfter = resources(after);
  const sortRes = (l: DiffResource[]) => l.sort((a, b) => byText(a.path, b.path));
  const stacksBefore = new Set(before.stacks.map((s) => s.id));
  const stacksAfter = new Set(after.stacks.map((s) => s.id));
  const side = (e: Evidence) => ({
    commit: e.provenance.commit,
    time: e.provenance.time,
    configSha256: e.provenance.config.sha256,
  });

  return {
    before: side(before),
    after: side(after),
    newFindings: onlyIn(findingsAfter, findingsBefore),
    removedFindings: onlyIn(findingsBefore, findingsAfter),
    newWaivers: onlyIn(waiversAfter, waiversBefore),
    removedWaivers: onlyIn(waiversBefore, waiversAfter),
    changedReasons,
    controlChanges,
    addedResources: sortRes([...resAfter].filter(([k]) => !resBefore.has(k)).map(([, r]) => r)),
    removedResources: sortRes([...resBefore].filter(([k]) => !resAfter.has(k)).map(([, r]) => r)),
    addedStacks: [...stacksAfter].filter((s) => !stacksBefore.has(s)).sort(byText),
    removedStacks: [...stacksBefore].filter((s) => !stacksAfter.has(s)).sort(byText),
  };
}

export function diffIsEmpty(d: EvidenceDiff): boolean {
  return (
    d.newFindings.length +
      d.removedFindings.length +
      d.newWaivers.length +
      d.removedWaivers.length +
      d.changedReasons.length +
      d.controlChanges.length +
      d.addedResources.length +
      d.removedResources.length +
      d.addedStacks.length +
      d.removedStacks.length ===
    0
  );
}

/** The diff as plain text, one block per kind of change, for a terminal or a pull request comment. */
export function renderDiffText(d: EvidenceDiff): string {
  const out: string[] = [];
  out.push(`Evidence diff: ${d.before.commit} (${d.before.time}) -> ${d.after.commit} (${d.after.time})`);
  if (d.before.configSha256 !== d.after.configSha256)
    out.push(
      `estate config changed: sha256 ${d.before.configSha256.slice(0, 12)} -> ${d.after.configSha256.slice(0, 12)}`,
    );
  if (diffIsEmpty(d)) {
    out.push('', 'No change in findings, waivers, controls or resources.');
    return `${out.join('\n')}\n`;
  }
  const block = <T>(title: string, list: T[], line: (x: T) => string) => {
    if (list.length === 0) return;
    out.push('', `${title} (${list.length})`);
    for (const x of list) out.push(`  ${line(x)}`);
  };
  block('New findings (non-compliant)', d.newFindings, (r) => `${r.rule}  ${r.path}`);
  block('Removed findings', d.removedFindings, (r) => `${r.rule}  ${r.path}`);
  block('New waivers', d.newWaivers, (r) => `${r.rule}  ${r.path}\n    reason: ${r.reason}`);
  block('Removed waivers', d.removedWaivers, (r) => `${r.rule}  ${r.path}`);
  block('Changed reasons', d.changedReasons, (r) => `${r.rule}  ${r.path}\n    was: ${r.before}\n    now: ${r.reason}`);
  block(
    'Controls whose status changed',
    d.controlChanges,
    (c) => `${c.regulation} ${c.obligation} [${c.scope}]: ${c.before} -> ${c.after}`,
  );
  block('Stacks added', d.addedStacks, (s) => s);
  block('Stacks removed', d.removedStacks, (s) => s);
  block('Resources added', d.addedResources, (r) => `${r.type}  ${r.path}`);
  block('Resources removed', d.removedResources, (r) => `${r.type}  ${r.path}`);
  return `${out.join('\n')}\n`;
}
