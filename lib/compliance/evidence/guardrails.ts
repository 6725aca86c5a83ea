import { PolicyValidationResult } from '../../../policies/validation/plugin';

/**
 * The guardrail sections of the evidence, kept apart from the nag results:
 * what policy validation found (checked against which snapshot of the Service
 * Authorization Reference), and the access matrix (who can do what, and by
 * which statement of which policy), where it was simulated.
 */

export interface PolicyValidationEvidence {
  readonly reference: PolicyValidationResult['reference'];
  readonly templates: number;
  readonly documents: number;
  readonly statements: number;
  readonly problems: ReadonlyArray<{
    readonly code: string;
    readonly message: string;
    readonly stack: string;
    readonly logicalId: string;
    readonly resourceType: string;
    readonly property: string;
    readonly statement: string;
  }>;
}

export interface AccessDecisionReason {
  /** identity, boundary, scp, resource or endpoint. */
  readonly policyType: string;
  readonly policy: string;
  readonly statement: string;
}

export interface AccessMatrixEvidence {
  /** How the matrix was produced (the simulator runs as a development tool, never at synth: see README). */
  readonly generatedBy: string;
  readonly principals: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly actions: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly cells: ReadonlyArray<{
    readonly environment: string;
    readonly principal: string;
    readonly action: string;
    /** The IAM action and resource the question was asked with. */
    readonly request: { readonly action: string; readonly resource: string };
    readonly decision: 'allowed' | 'denied';
    /** The statements that decided: the allowing ones, or the explicit denies (none for an implicit deny). */
    readonly by: readonly AccessDecisionReason[];
  }>;
}

export interface GuardrailSections {
  readonly policyValidation?: PolicyValidationResult;
  readonly accessMatrix?: AccessMatrixEvidence;
}

export function withGuardrailSections<E extends object>(evidence: E, sections: GuardrailSections): E & { policyValidation?: PolicyValidationEvidence; accessMatrix?: AccessMatrixEvidence } {
  const v = sections.policyValidation;
  return {
    ...evidence,
    ...(v
      ? {
          policyValidation: {
            reference: v.reference,
            templates: v.templates,
            documents: v.documents,
            statements: v.statements,
            problems: v.problems.map((p) => ({
              code: p.code,
              message: p.message,
              stack: p.location.stack,
              logicalId: p.location.logicalId,
              resourceType: p.location.resourceType,
              property: p.location.property,
              statement: p.statement.sid ?? String(p.statement.index),
            })),
          },
        }
      : {}),
    ...(sections.accessMatrix ? { accessMatrix: sections.accessMatrix } : {}),
  };
}

interface WithSections {
  readonly policyValidation?: PolicyValidationEvidence;
  readonly accessMatrix?: AccessMatrixEvidence;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const reasonText = (r: AccessDecisionReason) => `${r.policyType} ${r.policy}: ${r.statement}`;

export function guardrailMarkdown(e: WithSections): string[] {
  const out: string[] = [];
  const v = e.policyValidation;
  if (v) {
    out.push('', `## Policy validation (${v.problems.length} problem${v.problems.length === 1 ? '' : 's'})`, '');
    out.push(
      `${v.documents} policy documents (${v.statements} statements) in ${v.templates} templates, checked against the Service Authorization Reference as of ${v.reference.updatedAt.slice(0, 10)} (${v.reference.package} ${v.reference.version}).`,
      '',
    );
    if (v.problems.length > 0) {
      out.push('| stack | resource | statement | problem |', '|---|---|---|---|');
      for (const p of v.problems) out.push(`| ${cell(p.stack)} | ${cell(p.logicalId)} | ${cell(p.statement)} | ${cell(p.message)} |`);
    }
  }
  const m = e.accessMatrix;
  if (m) {
    out.push('', '## Access matrix', '', `Who can do what, as IAM evaluates identity policy, permissions boundary, every SCP, resource and VPC endpoint policy (${m.generatedBy}).`);
    for (const env of new Set(m.cells.map((c) => c.environment))) {
      out.push('', `### ${env}`, '', `| principal | ${m.actions.map((a) => cell(a.label)).join(' | ')} |`, `|---|${m.actions.map(() => '---').join('|')}|`);
      for (const p of m.principals) {
        const row = m.actions.map((a) => {
          const c = m.cells.find((x) => x.environment === env && x.principal === p.id && x.action === a.id);
          return c ? `${c.decision}${c.by.length ? ` (${c.by.map(reasonText).join('; ')})` : ''}` : 'n/a';
        });
        if (row.every((r) => r === 'n/a')) continue;
        out.push(`| ${cell(p.label)} | ${row.map(cell).join(' | ')} |`);
      }
    }
  }
  return out;
}

export function guardrailHtml(e: WithSections): string {
  const parts: string[] = [];
  const v = e.policyValidation;
  if (v) {
    parts.push(
      `<h2>Policy validation</h2>\n<p id="policy-validation" data-problems="${v.problems.length}" data-documents="${v.documents}">${v.documents} policy documents (${v.statements} statements) in ${v.templates} templates, checked against the Service Authorization Reference as of ${esc(v.reference.updatedAt.slice(0, 10))} (${esc(v.reference.package)} ${esc(v.reference.version)}): <b>${v.problems.length}</b> problem(s).</p>`,
    );
    if (v.problems.length > 0) {
      parts.push(
        `<table id="policy-problems"><thead><tr><th>stack</th><th>resource</th><th>statement</th><th>problem</th></tr></thead><tbody>\n${v.problems.map((p) => `<tr><td>${esc(p.stack)}</td><td>${esc(p.logicalId)}</td><td>${esc(p.statement)}</td><td>${esc(p.message)}</td></tr>`).join('\n')}\n</tbody></table>`,
      );
    }
  }
  const m = e.accessMatrix;
  if (m) {
    parts.push(`<h2>Access matrix</h2>\n<p>Who can do what, as IAM evaluates identity policy, permissions boundary, every SCP, resource and VPC endpoint policy (${esc(m.generatedBy)}). Hover a cell for the deciding statements.</p>`);
    for (const env of new Set(m.cells.map((c) => c.environment))) {
      const rows = m.principals
        .map((p) => {
          const cells = m.actions.map((a) => {
            const c = m.cells.find((x) => x.environment === env && x.principal === p.id && x.action === a.id);
            if (!c) return '<td class="na">n/a</td>';
            const why = c.by.map(reasonText).join('\n') || 'no statement allows it';
            return `<td class="access ${c.decision}" data-principal="${esc(p.id)}" data-action="${esc(a.id)}" title="${esc(why)}">${c.decision}</td>`;
          });
          return cells.every((x) => x.includes('class="na"')) ? '' : `<tr><th>${esc(p.label)}</th>${cells.join('')}</tr>`;
        })
        .filter(Boolean)
        .join('\n');
      parts.push(`<h3>${esc(env)}</h3>\n<table class="access-matrix" data-env="${esc(env)}"><thead><tr><th>principal</th>${m.actions.map((a) => `<th>${esc(a.label)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
    }
    parts.push('<style>td.access.allowed { color: #8a5a00; font-weight: bold; } td.access.denied { color: #1b6e20; }</style>');
  }
  return parts.join('\n');
}

/** Policy-validation problems as a SARIF run of their own (tool: the estate's policy validation). */
export function guardrailSarifRuns(e: WithSections): object[] {
  const v = e.policyValidation;
  if (!v) return [];
  const codes = [...new Set(v.problems.map((p) => p.code))].sort();
  return [
    {
      tool: {
        driver: {
          name: 'estate-policy-validation',
          informationUri: 'https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html',
          version: v.reference.version,
          rules: codes.map((code) => ({ id: `PolicyValidation-${code}`, shortDescription: { text: code.replace(/-/g, ' ') }, defaultConfiguration: { level: 'error' } })),
        },
      },
      results: v.problems.map((p) => ({
        ruleId: `PolicyValidation-${p.code}`,
        ruleIndex: codes.indexOf(p.code),
        level: 'error',
        message: { text: p.message },
        locations: [{ logicalLocations: [{ fullyQualifiedName: `${p.stack}/${p.logicalId}/${p.property}`, kind: 'resource' }] }],
        properties: { stack: p.stack, resourceType: p.resourceType, statement: p.statement },
      })),
    },
  ];
}
