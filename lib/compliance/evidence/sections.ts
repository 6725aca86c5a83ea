import { Stage } from 'aws-cdk-lib';
import { Evidence } from './model';
import { SarifResult, SarifRule } from './sarif';

/**
 * A part of the estate that adds its own section to the evidence (for
 * example an access matrix), without the writers knowing it: its data goes
 * under `sections[id]` of evidence.json, and each writer renders it where
 * given (HTML and Markdown after the results; SARIF rules and results in the
 * same run). A section without an HTML or Markdown renderer is shown as JSON.
 */
export interface EvidenceSection {
  /** Key under `sections` in evidence.json; lowercase letters, digits and dashes. */
  readonly id: string;
  readonly title: string;
  /** A title that says what the data holds (`Policy validation (0 problems)`); `title` when absent. */
  titleOf?(data: unknown): string;
  /**
   * Reads the construct tree at validation; the value must be JSON and
   * deterministic. `undefined`: the section has nothing in this synth and is left out.
   */
  collect(app: Stage, evidence: Evidence): unknown;
  markdown?(data: unknown, evidence: Evidence): string;
  /** An HTML fragment (escaped by the section itself), placed in its own `<section>`. */
  html?(data: unknown, evidence: Evidence): string;
  /** Results with a physical location each; rule ids must not collide with the packs'. */
  sarif?(data: unknown, evidence: Evidence): { readonly rules: SarifRule[]; readonly results: SarifResult[] };
}

export function checkSectionIds(sections: readonly EvidenceSection[]): void {
  const seen = new Set<string>();
  for (const s of sections) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.id))
      throw new Error(`evidence section id "${s.id}": use lowercase letters, digits and dashes`);
    if (seen.has(s.id)) throw new Error(`evidence section id "${s.id}" is registered twice`);
    seen.add(s.id);
  }
}

/**
 * The evidence with one section's data set (added, or replaced): for data produced after the synth, such as the access
 * matrix.
 */
export function withSection<E extends Evidence>(
  evidence: E,
  section: Pick<EvidenceSection, 'id' | 'title' | 'titleOf'>,
  data: unknown,
): E {
  checkSectionIds([section as EvidenceSection]);
  return {
    ...evidence,
    sections: {
      ...evidence.sections,
      [section.id]: { title: section.titleOf ? section.titleOf(data) : section.title, data },
    },
  };
}

/**
 * Every section the evidence holds, in its order, each with the renderer to
 * use: the one registered for the synth, else the estate's own (policy
 * validation, access matrix: an evidence file read back renders the same),
 * else none (the writers then show its data as JSON).
 */
export function sectionsToRender(
  e: Evidence,
  registered: readonly EvidenceSection[],
  builtIn: readonly EvidenceSection[],
) {
  const byId = new Map([...builtIn, ...registered].map((s) => [s.id, s]));
  return Object.entries(e.sections).map(([id, { title, data }]) => ({ id, title, data, section: byId.get(id) }));
}
