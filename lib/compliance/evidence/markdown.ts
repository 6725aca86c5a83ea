import { guardrailMarkdown } from './guardrails';
import { Evidence } from './model';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report a reviewer reads: summary per environment and pack, the control matrix, then every finding and acknowledgement. */
export function renderMarkdown(e: Evidence): string {
  const out: string[] = [];
  out.push(`# Compliance evidence: ${e.estate}`, '');
  out.push('Every rule of every pack on every resource of the synthesized estate. Compliant results are counted here and listed in the JSON and HTML evidence.', '');
  out.push('## Summary by pack', '', '| pack | compliant | acknowledged | non-compliant | not applicable |', '|---|---:|---:|---:|---:|');
  for (const p of e.packs) {
    const c = e.totals[p];
    out.push(`| ${p} | ${c.compliant} | ${c.acknowledged} | ${c.non_compliant} | ${c.not_applicable} |`);
  }
  for (const env of e.environments) {
    out.push('', `## Environment ${env}`, '', '| pack | compliant | acknowledged | non-compliant |', '|---|---:|---:|---:|');
    for (const p of e.packs) {
      const c = e.byEnvironment[env][p];
      out.push(`| ${p} | ${c.compliant} | ${c.acknowledged} | ${c.non_compliant} |`);
    }
  }
  out.push('', '## Control matrix', '', '| regulation | obligation | control | evidence | status |', '|---|---|---|---|---|');
  for (const row of e.controlMatrix) {
    const evidence = [...row.rules.map((r) => `rule ${r}`), ...row.tests.map((t) => `test ${t}`)].join('; ');
    out.push(`| ${cell(row.regulation)} | ${cell(row.obligation)} | ${cell(row.control)} | ${cell(evidence)} | ${row.status} (${row.counts.compliant} compliant, ${row.counts.acknowledged} acknowledged, ${row.counts.non_compliant} non-compliant) |`);
  }
  const section = (title: string, status: string) => {
    const rows = e.results.filter((r) => r.status === status);
    out.push('', `## ${title} (${rows.length})`, '');
    if (rows.length === 0) {
      out.push('None.');
      return;
    }
    out.push('| rule | resource | reason |', '|---|---|---|');
    for (const r of rows) out.push(`| ${cell(r.rule)} | ${cell(r.path)} | ${cell(r.reason ?? '')} |`);
  };
  section('Non-compliant', 'non_compliant');
  section('Acknowledged', 'acknowledged');
  out.push('', '## Rules', '', '| rule | level | what it checks |', '|---|---|---|');
  for (const r of e.rules) out.push(`| ${cell(r.id)} | ${r.level} | ${cell(r.info)} |`);
  out.push(...guardrailMarkdown(e));
  return `${out.join('\n')}\n`;
}
