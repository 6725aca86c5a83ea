import { EvidenceDiff, renderDiffText } from './diff';
import { controlLabel, detectiveControlsText, Evidence } from './model';
import { BUILT_IN_SECTIONS } from './guardrails';
import { EvidenceSection, sectionsToRender } from './sections';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export interface RenderExtras {
  readonly sections?: readonly EvidenceSection[];
  readonly diff?: EvidenceDiff;
  readonly previousFile?: string;
}

/** One part of the report: the writers keep an ordered list of them, and other parts of the estate add theirs. */
type Part = (e: Evidence) => string[];

const header: Part = (e) => [
  `# Compliance evidence: ${e.estate}`,
  '',
  `> ${e.statement}`,
  '',
  '| provenance | |',
  '|---|---|',
  `| commit | ${e.provenance.commit}${e.provenance.baseCommit ? ` (on ${e.provenance.baseCommit}, changes sha256 ${e.provenance.changesSha256})` : ''} |`,
  `| time | ${e.provenance.time} (${e.provenance.timeSource}) |`,
  `| estate config | ${e.provenance.config.file}, sha256 ${e.provenance.config.sha256} |`,
  `| tools | ${Object.entries(e.provenance.tools)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} |`,
  `| packs | ${e.provenance.packs.map((p) => `${p.name} (${p.version})`).join(', ')} |`,
  '',
  '## Regulations (one version each)',
  '',
  '| regulation | name | version |',
  '|---|---|---|',
  ...e.regulations.map((r) => `| ${cell(r.id)} | ${cell(r.name)} | ${cell(r.version)} |`),
];

const summary: Part = (e) => {
  const out = [
    '',
    '## Summary by environment and pack',
    '',
    '| environment | pack | compliant | acknowledged | non-compliant |',
    '|---|---|---:|---:|---:|',
  ];
  for (const env of e.environments) {
    for (const p of e.packs) {
      const c = e.byEnvironment[env][p];
      if (c.compliant + c.acknowledged + c.non_compliant > 0)
        out.push(`| ${env} | ${p} | ${c.compliant} | ${c.acknowledged} | ${c.non_compliant} |`);
    }
  }
  out.push('', '| pack | compliant | acknowledged | non-compliant | not applicable |', '|---|---:|---:|---:|---:|');
  for (const p of e.packs) {
    const c = e.totals[p];
    out.push(`| ${p} | ${c.compliant} | ${c.acknowledged} | ${c.non_compliant} | ${c.not_applicable} |`);
  }
  return out;
};

const matrix: Part = (e) => {
  const out = [
    '',
    '## Control matrix',
    '',
    `| regulation | clause | obligation | ${e.environments.join(' | ')} | estate |`,
    `|---|---|---|${e.environments.map(() => '---|').join('')}---|`,
  ];
  for (const row of e.controlMatrix) {
    const envCells = e.environments.map((env) => (row.byEnvironment[env] ? controlLabel(row.byEnvironment[env]) : '-'));
    out.push(
      `| ${cell(row.regulation)} | ${cell(row.clause)} | ${cell(row.obligation)} | ${envCells.map(cell).join(' | ')} | ${cell(controlLabel(row))} |`,
    );
  }
  for (const line of detectiveControlsText(e)) out.push('', line);
  out.push('', 'Each row: its rules and tests.', '');
  for (const row of e.controlMatrix)
    out.push(
      `- **${row.id}** (${row.regulation} ${row.clause}): ${row.control}. Rules: ${row.rules.join(', ') || 'none'}.${row.detectiveResources ? ` Declared resources: ${row.detectiveResources.join(', ')}.` : ''} Tests: ${row.tests.join('; ') || 'none'}.`,
    );
  return out;
};

const waivers: Part = (e) => {
  const reasons = [...new Set(e.waivers.map((w) => w.reason))];
  const out = [
    '',
    `## Waivers: ${e.waivers.reduce((n, w) => n + w.count, 0)} acknowledged results, ${reasons.length} reasons, ${e.waivers.length} (rule, reason) groups`,
  ];
  for (const reason of reasons) {
    const groups = e.waivers.filter((w) => w.reason === reason);
    out.push(
      '',
      `### ${cell(reason)}`,
      '',
      '| rule | count | environments | controls | acknowledged at |',
      '|---|---:|---|---|---|',
    );
    for (const g of groups) {
      out.push(
        `| ${cell(g.findings.map((f) => (f.count > 1 ? `${f.rule} ×${f.count}` : f.rule)).join(', '))} | ${g.count} | ${g.environments.join(', ')} | ${g.controls.join(', ') || '-'} | ${g.acknowledgedAt.join(', ')} |`,
      );
    }
  }
  return out;
};

const nonCompliant: Part = (e) => {
  const rows = e.results.filter((r) => r.status === 'non_compliant');
  const sources = new Map(e.stacks.flatMap((s) => s.resources.map((r) => [r.path, r.source] as const)));
  const out = ['', `## Non-compliant (${rows.length})`, ''];
  if (rows.length === 0) return [...out, 'None.'];
  out.push('| rule | resource | source | reason |', '|---|---|---|---|');
  for (const r of rows) {
    const s = sources.get(r.path);
    out.push(`| ${cell(r.rule)} | ${cell(r.path)} | ${s ? `${s.file}:${s.line}` : '-'} | ${cell(r.reason ?? '')} |`);
  }
  return out;
};

const stacks: Part = (e) => {
  const out = ['', '## Stacks', '', '| stack | environment | account | region | resources |', '|---|---|---|---|---:|'];
  for (const s of e.stacks)
    out.push(`| ${s.id} | ${s.environment} | ${s.account} | ${s.region} | ${s.resources.length} |`);
  return out;
};

const rules: Part = (e) => {
  const applied = new Set(e.results.map((r) => r.baseRule));
  const out = [
    '',
    `## Rules that applied to a resource (${applied.size} of ${e.rules.length})`,
    '',
    '| rule | level | regulations | what it checks |',
    '|---|---|---|---|',
  ];
  for (const r of e.rules.filter((x) => applied.has(x.id)))
    out.push(`| ${cell(r.id)} | ${r.level} | ${cell(r.regulations.join(', '))} | ${cell(r.info)} |`);
  return out;
};

/**
 * The report a reviewer reads: provenance, summary, control matrix per environment, what changed, waivers by reason,
 * findings, stacks, rules.
 */
export function renderMarkdown(e: Evidence, extras: RenderExtras = {}): string {
  const parts: Part[] = [header, summary, matrix];
  if (extras.diff) {
    const d = extras.diff;
    parts.push(() => [
      '',
      `## What changed since ${extras.previousFile ?? 'the previous evidence'}`,
      '',
      '```text',
      ...renderDiffText(d).trimEnd().split('\n'),
      '```',
    ]);
  }
  parts.push(nonCompliant, waivers, stacks);
  for (const { title, data, section } of sectionsToRender(e, extras.sections ?? [], BUILT_IN_SECTIONS)) {
    parts.push(() => [
      '',
      `## ${title}`,
      '',
      section?.markdown
        ? section.markdown(data, e).trimEnd()
        : ['```json', JSON.stringify(data, null, 2), '```'].join('\n'),
    ]);
  }
  parts.push(rules);
  return `${parts.flatMap((p) => p(e)).join('\n')}\n`;
}
