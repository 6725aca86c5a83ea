import { createHash } from 'node:crypto';
import { Stack, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PolicyValidationResult } from '../../../policies/validation/plugin';
import { Evidence, EvidenceResource } from './model';
import { fallbackSource, sarifLocation, SarifResult, SarifRule } from './sarif';
import { EvidenceSection } from './sections';

/**
 * The guardrail sections of the evidence, kept apart from the nag results and
 * written through `EvidenceSection` like any other: what policy validation
 * found (checked against which snapshot of the Service Authorization
 * Reference; its problems are SARIF results at the line that creates the
 * resource), and the access matrix (who can do what, and by which statement
 * of which policy), where it was simulated.
 */

export interface PolicyValidationEvidence {
  readonly reference: PolicyValidationResult['reference'];
  readonly templates: number;
  readonly documents: number;
  readonly statements: number;
  readonly problems: ReadonlyArray<{
    readonly code: string;
    readonly message: string;
    /** Template (stack artifact) the document is in. */
    readonly stack: string;
    readonly logicalId: string;
    readonly resourceType: string;
    readonly property: string;
    readonly statement: string;
    /**
     * Construct path of the resource, when the construct tree has it: its source location is in `stacks[].resources[]`.
     */
    readonly path?: string;
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

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const reasonText = (r: AccessDecisionReason) => `${r.policyType} ${r.policy}: ${r.statement}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The synth's policy validation result as evidence; each problem names the construct path of its resource when the tree
 * has it.
 */
export function policyValidationEvidence(
  v: PolicyValidationResult,
  app?: Stage,
  evidence?: Evidence,
): PolicyValidationEvidence {
  const pathOf = app && evidence ? resourcePathFinder(app, evidence) : () => undefined;
  return {
    reference: v.reference,
    templates: v.templates,
    documents: v.documents,
    statements: v.statements,
    problems: v.problems.map((p) => {
      const found = pathOf(p.location.stack, p.location.logicalId, p.location.constructPath);
      return {
        code: p.code,
        message: p.message,
        stack: p.location.stack,
        logicalId: p.location.logicalId,
        resourceType: p.location.resourceType,
        property: p.location.property,
        statement: p.statement.sid ?? String(p.statement.index),
        ...(found ? { path: found } : {}),
      };
    }),
  };
}

/** (template name, logical id) -> the construct path of the evidence's resource, if any. */
function resourcePathFinder(
  app: Stage,
  evidence: Evidence,
): (template: string, logicalId: string, constructPath?: string) => string | undefined {
  const known = new Map<string, EvidenceResource>();
  for (const s of evidence.stacks) for (const r of s.resources) known.set(r.path, r);
  const stackByTemplate = new Map<string, string>();
  const visit = (c: IConstruct) => {
    if (Stack.isStack(c)) stackByTemplate.set(c.templateFile.replace(/\.template\.json$/, ''), c.node.path);
    c.node.children.forEach(visit);
  };
  visit(app);
  return (template, logicalId, constructPath) => {
    if (constructPath && known.has(constructPath)) return constructPath;
    const stackId = stackByTemplate.get(template);
    return evidence.stacks.find((s) => s.id === stackId)?.resources.find((r) => r.logicalId === logicalId)?.path;
  };
}

/**
 * Policy validation as an evidence section: its count in the title, its problems as SARIF results at their resources'
 * source lines.
 */
export function policyValidationSection(source: { readonly lastResult?: PolicyValidationResult }): EvidenceSection {
  return {
    id: 'policy-validation',
    title: 'Policy validation',
    titleOf: (data) => `Policy validation (${plural((data as PolicyValidationEvidence).problems.length, 'problem')})`,
    collect: (app, evidence) =>
      source.lastResult ? policyValidationEvidence(source.lastResult, app, evidence) : undefined,
    markdown: (data) => {
      const v = data as PolicyValidationEvidence;
      const out = [
        `${v.documents} policy documents (${v.statements} statements) in ${v.templates} templates, checked against the Service Authorization Reference as of ${v.reference.updatedAt.slice(0, 10)} (${v.reference.package} ${v.reference.version}).`,
      ];
      if (v.problems.length > 0) {
        out.push('', '| stack | resource | statement | problem |', '|---|---|---|---|');
        for (const p of v.problems)
          out.push(`| ${cell(p.stack)} | ${cell(p.path ?? p.logicalId)} | ${cell(p.statement)} | ${cell(p.message)} |`);
      }
      return out.join('\n');
    },
    html: (data) => {
      const v = data as PolicyValidationEvidence;
      const parts = [
        `<p id="policy-validation" data-problems="${v.problems.length}" data-documents="${v.documents}">${v.documents} policy documents (${v.statements} statements) in ${v.templates} templates, checked against the Service Authorization Reference as of ${esc(v.reference.updatedAt.slice(0, 10))} (${esc(v.reference.package)} ${esc(v.reference.version)}): <b>${v.problems.length}</b> problem(s).</p>`,
      ];
      if (v.problems.length > 0) {
        parts.push(
          `<table id="policy-problems"><thead><tr><th>stack</th><th>resource</th><th>statement</th><th>problem</th></tr></thead><tbody>\n${v.problems.map((p) => `<tr><td>${esc(p.stack)}</td><td>${esc(p.path ?? p.logicalId)}</td><td>${esc(p.statement)}</td><td>${esc(p.message)}</td></tr>`).join('\n')}\n</tbody></table>`,
        );
      }
      return parts.join('\n');
    },
    sarif: (data, e) => {
      const v = data as PolicyValidationEvidence;
      const codes = [...new Set(v.problems.map((p) => p.code))].sort();
      const resources = new Map<string, EvidenceResource>();
      for (const s of e.stacks) for (const r of s.resources) resources.set(r.path, r);
      const help =
        'Every IAM policy document of the synth is checked against the pinned Service Authorization Reference: each action exists, each condition key exists for the action, operators fit the key type (README, "Policy validation").';
      const rules: SarifRule[] = codes.map((code) => ({
        id: `PolicyValidation-${code}`,
        name: `PolicyValidation${code.replace(/[^A-Za-z0-9]/g, '')}`,
        shortDescription: { text: `Policy validation: ${code.replace(/-/g, ' ')}` },
        fullDescription: { text: help },
        help: { text: help },
        defaultConfiguration: { level: 'error' },
        properties: {
          tags: ['security', 'iam', 'policy-validation'],
          precision: 'very-high',
          'problem.severity': 'error',
        },
      }));
      const results: SarifResult[] = v.problems.map((p) => {
        const resource = p.path ? resources.get(p.path) : undefined;
        const where = `${p.stack}/${p.logicalId}/${p.property}`;
        return {
          ruleId: `PolicyValidation-${p.code}`,
          level: 'error',
          message: { text: `${p.message} (${where}, statement ${p.statement})` },
          locations: [
            sarifLocation(resource?.source ?? fallbackSource(e), {
              logicalLocations: [{ fullyQualifiedName: p.path ?? where, kind: 'resource' }],
            }),
          ],
          ...(resource?.trail.length
            ? {
                relatedLocations: resource.trail
                  .slice(0, 100)
                  .map((t, i) => sarifLocation(t, { id: i + 1, message: { text: t.label } })),
              }
            : {}),
          partialFingerprints: {
            primaryLocationLineHash: `${createHash('sha256').update([p.code, where, p.statement].join('\0')).digest('hex').slice(0, 16)}:1`,
          },
          properties: { stack: p.stack, resourceType: p.resourceType, statement: p.statement },
        };
      });
      return { rules, results };
    },
  };
}

/**
 * The access matrix as an evidence section. A synth never collects it: it is
 * simulated afterwards by a development tool (`npm run evidence`, README
 * "Effective access") and added with `withSection`.
 */
export const ACCESS_MATRIX_SECTION: EvidenceSection = {
  id: 'access-matrix',
  title: 'Access matrix',
  collect: () => undefined,
  markdown: (data) => {
    const m = data as AccessMatrixEvidence;
    const out = [
      `Who can do what, as IAM evaluates identity policy, permissions boundary, every SCP, resource and VPC endpoint policy (${m.generatedBy}).`,
    ];
    for (const env of new Set(m.cells.map((c) => c.environment))) {
      out.push(
        '',
        `### ${env}`,
        '',
        `| principal | ${m.actions.map((a) => cell(a.label)).join(' | ')} |`,
        `|---|${m.actions.map(() => '---').join('|')}|`,
      );
      for (const p of m.principals) {
        const row = m.actions.map((a) => {
          const c = m.cells.find((x) => x.environment === env && x.principal === p.id && x.action === a.id);
          return c ? `${c.decision}${c.by.length ? ` (${c.by.map(reasonText).join('; ')})` : ''}` : 'n/a';
        });
        if (row.every((r) => r === 'n/a')) continue;
        out.push(`| ${cell(p.label)} | ${row.map(cell).join(' | ')} |`);
      }
    }
    return out.join('\n');
  },
  html: (data) => {
    const m = data as AccessMatrixEvidence;
    const parts = [
      `<p>Who can do what, as IAM evaluates identity policy, permissions boundary, every SCP, resource and VPC endpoint policy (${esc(m.generatedBy)}). Hover a cell for the deciding statements.</p>`,
    ];
    for (const env of new Set(m.cells.map((c) => c.environment))) {
      const rows = m.principals
        .map((p) => {
          const cells = m.actions.map((a) => {
            const c = m.cells.find((x) => x.environment === env && x.principal === p.id && x.action === a.id);
            if (!c) return '<td class="na">n/a</td>';
            const why = c.by.map(reasonText).join('\n') || 'no statement allows it';
            return `<td class="access ${c.decision}" data-principal="${esc(p.id)}" data-action="${esc(a.id)}" title="${esc(why)}">${c.decision}</td>`;
          });
          return cells.every((x) => x.includes('class="na"'))
            ? ''
            : `<tr><th>${esc(p.label)}</th>${cells.join('')}</tr>`;
        })
        .filter(Boolean)
        .join('\n');
      parts.push(
        `<h3>${esc(env)}</h3>\n<table class="access-matrix" data-env="${esc(env)}"><thead><tr><th>principal</th>${m.actions.map((a) => `<th>${esc(a.label)}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>`,
      );
    }
    parts.push(
      '<style>td.access.allowed { color: #8a5a00; font-weight: bold; } td.access.denied { color: #1b6e20; }</style>',
    );
    return parts.join('\n');
  },
};

/** The estate's own sections: how the writers render them when an evidence file is read back without its synth. */
export const BUILT_IN_SECTIONS: readonly EvidenceSection[] = [policyValidationSection({}), ACCESS_MATRIX_SECTION];
