import { diffIsEmpty, EvidenceDiff } from './diff';
import { byText, controlLabel, detectiveControlsText, Evidence, EvidenceResult } from './model';
import { BUILT_IN_SECTIONS } from './guardrails';
import type { RenderExtras } from './markdown';
import { sectionsToRender } from './sections';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const list = (values: readonly string[]) => esc(values.join('|'));

const STATUS_LABEL: Record<string, string> = {
  compliant: 'compliant',
  acknowledged: 'acknowledged',
  non_compliant: 'non-compliant',
};

/** One part of the page, in order; other parts of the estate add theirs as `EvidenceSection`s. */
interface PagePart {
  readonly id: string;
  readonly title: string;
  readonly html: string;
}

function stackIdOf(e: Evidence): (r: Pick<EvidenceResult, 'environment' | 'stack'>) => string {
  const ids = new Map(e.stacks.map((s) => [`${s.environment}\0${s.stack}`, s.id]));
  return (r) => ids.get(`${r.environment}\0${r.stack}`) ?? `${r.environment}/${r.stack}`;
}

function provenancePart(e: Evidence): PagePart {
  const p = e.provenance;
  const rows: Array<[string, string]> = [
    ['commit', p.baseCommit ? `${p.commit} (on ${p.baseCommit}; changes sha256 ${p.changesSha256})` : p.commit],
    ['time', `${p.time} (${p.timeSource})`],
    ['estate config', `${p.config.file}, sha256 ${p.config.sha256}`],
    [
      'tools',
      Object.entries(p.tools)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['packs', p.packs.map((x) => `${x.name} (${x.version})`).join(', ')],
  ];
  const regs = e.regulations
    .map((r) => `<tr><td>${esc(r.id)}</td><td>${esc(r.name)}</td><td>${esc(r.version)}</td></tr>`)
    .join('\n');
  return {
    id: 'provenance',
    title: 'What this is evidence of',
    html: `<p class="statement" id="statement">${esc(e.statement)}</p>
<table id="provenance" class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td data-field="${esc(k)}">${esc(v)}</td></tr>`).join('')}</tbody></table>
<details><summary>Regulations: one version each (${e.regulations.length})</summary><table id="regulations"><thead><tr><th>regulation</th><th>name</th><th>version</th></tr></thead><tbody>
${regs}
</tbody></table></details>`,
  };
}

function summaryPart(e: Evidence): PagePart {
  const total = (s: 'compliant' | 'acknowledged' | 'non_compliant') => e.packs.reduce((n, p) => n + e.totals[p][s], 0);
  const rows = e.environments
    .flatMap((env) =>
      e.packs.map((p) => {
        const c = e.byEnvironment[env][p];
        return `<tr data-env="${esc(env)}" data-pack="${esc(p)}"><td>${esc(env)}</td><td>${esc(p)}</td><td class="n" data-count="compliant">${c.compliant}</td><td class="n" data-count="acknowledged">${c.acknowledged}</td><td class="n" data-count="non_compliant">${c.non_compliant}</td></tr>`;
      }),
    )
    .join('\n');
  return {
    id: 'summary-part',
    title: 'Summary (follows the filters)',
    html: `<p id="totals"><span>compliant <b id="total-compliant">${total('compliant')}</b></span><span>acknowledged <b id="total-acknowledged">${total('acknowledged')}</b></span><span>non-compliant <b id="total-non_compliant">${total('non_compliant')}</b></span></p>
<details><summary>By environment and pack</summary><table id="summary"><thead><tr><th>environment</th><th>pack</th><th>compliant</th><th>acknowledged</th><th>non-compliant</th></tr></thead><tbody>
${rows}
</tbody></table></details>`,
  };
}

function matrixPart(e: Evidence): PagePart {
  const head = e.environments.map((env) => `<th data-env="${esc(env)}">${esc(env)}</th>`).join('');
  const rows = e.controlMatrix
    .map((r) => {
      const cells = e.environments
        .map((env) => {
          const c = r.byEnvironment[env];
          const title = c?.missing?.length ? ` title="${esc(`not declared: ${c.missing.join(', ')}`)}"` : '';
          return `<td class="status ${c ? c.status : 'none'}" data-env="${esc(env)}"${title}>${c ? esc(controlLabel(c)) : '-'}</td>`;
        })
        .join('');
      const evidence = [
        ...r.rules.map((x) => `rule ${x}`),
        ...(r.detectiveResources ?? []).map((t) => `declares ${t}`),
        ...r.tests.map((t) => `test ${t}`),
      ]
        .map(esc)
        .join('<br>');
      // Cells of a detective control come from who runs it and what the templates declare, not from rule results: the
      // filters leave them as they are.
      const fixed = r.detectiveResources ? ' data-fixed="declared"' : '';
      return `<tr class="control" data-id="${esc(r.id)}" data-regs="${esc(r.regulation)}" data-rules="${list(r.rules)}" data-tests="${r.tests.length}"${fixed}><td><b>${esc(r.regulation)}</b> ${esc(r.clause)}<br>${esc(r.obligation)}</td><td>${esc(r.control)}<details><summary>rules and tests</summary>${evidence}</details></td>${cells}<td class="status ${r.status} overall">${esc(controlLabel(r))}</td></tr>`;
    })
    .join('\n');
  return {
    id: 'matrix-part',
    title: 'Control matrix per environment',
    html: `<p class="hint">met: every result of the control's rules is compliant; met with N waivers: none is non-compliant, N are acknowledged (see Waivers); violated: a result is non-compliant. With a stack filter, the cells count that stack only. inherited: the organization runs the control for that environment; these templates neither show it met nor violated.</p>
${detectiveControlsText(e)
  .map(
    (t) =>
      `<p class="detective" data-sources="${esc([...new Set(e.detectiveControls.map((d) => d.source))].join('|'))}">${esc(t)}</p>`,
  )
  .join('\n')}
<table id="matrix"><thead><tr><th class="w-reg">regulation</th><th>control</th>${head}<th>estate</th></tr></thead><tbody>
${rows}
</tbody></table>`,
  };
}

function diffPart(d: EvidenceDiff, previousFile: string | undefined): PagePart {
  const table = (id: string, title: string, head: string[], rows: string[][]) =>
    `<h3>${esc(title)} (<span data-count="${id}">${rows.length}</span>)</h3>` +
    (rows.length === 0
      ? `<p class="none" id="${id}">None.</p>`
      : `<table id="${id}" class="diff"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
  const findings = (l: EvidenceDiff['newFindings']) => l.map((r) => [r.rule, r.path]);
  const waivers = (l: EvidenceDiff['newWaivers']) => l.map((r) => [r.rule, r.path, r.reason ?? '']);
  return {
    id: 'diff',
    title: `What changed since ${previousFile ?? 'the previous evidence'}`,
    html: `<p>Before: commit ${esc(d.before.commit)}, ${esc(d.before.time)}, config sha256 ${esc(d.before.configSha256.slice(0, 16))}. Now: commit ${esc(d.after.commit)}, ${esc(d.after.time)}, config sha256 ${esc(d.after.configSha256.slice(0, 16))}.${diffIsEmpty(d) ? ' <b>No change in findings, waivers, controls or resources.</b>' : ''}</p>
${table('diff-new-findings', 'New findings', ['rule', 'resource'], findings(d.newFindings))}
${table('diff-removed-findings', 'Removed findings', ['rule', 'resource'], findings(d.removedFindings))}
${table('diff-new-waivers', 'New waivers', ['rule', 'resource', 'reason'], waivers(d.newWaivers))}
${table('diff-removed-waivers', 'Removed waivers', ['rule', 'resource', 'reason'], waivers(d.removedWaivers))}
${table(
  'diff-changed-reasons',
  'Changed reasons',
  ['rule', 'resource', 'was', 'now'],
  d.changedReasons.map((r) => [r.rule, r.path, r.before, r.reason ?? '']),
)}
${table(
  'diff-controls',
  'Controls whose status changed',
  ['regulation', 'obligation', 'scope', 'before', 'after'],
  d.controlChanges.map((c) => [c.regulation, c.obligation, c.scope, c.before, c.after]),
)}
${table('diff-added-resources', 'Resources added', ['type', 'resource'], [...d.addedStacks.map((s) => ['(stack)', s]), ...d.addedResources.map((r) => [r.type, r.path])])}
${table('diff-removed-resources', 'Resources removed', ['type', 'resource'], [...d.removedStacks.map((s) => ['(stack)', s]), ...d.removedResources.map((r) => [r.type, r.path])])}`,
  };
}

function waiversPart(e: Evidence): PagePart {
  const stackId = stackIdOf(e);
  const reasons = [...new Set(e.waivers.map((w) => w.reason))];
  const blocks = reasons
    .map((reason, i) => {
      const groups = e.waivers.filter((w) => w.reason === reason);
      const rows = groups
        .map((g) => {
          const resources = g.resources
            .map((r) => `<li data-env="${esc(r.environment)}" data-stack="${esc(stackId(r))}">${esc(r.path)}</li>`)
            .join('');
          return `<tr class="waiver" data-pack="${esc(g.pack)}" data-regs="${list(g.regulations)}" data-rule="${esc(g.baseRule)}"><td>${g.findings.map((f) => esc(f.count > 1 ? `${f.rule} ×${f.count}` : f.rule)).join('<br>')}</td><td class="n"><span class="shown">${g.resources.length}</span>/${g.resources.length} resources, ${g.count} results</td><td>${esc(g.controls.join(', ') || '-')}</td><td>${esc(g.acknowledgedAt.join(', '))}</td><td><details><summary>${esc(g.stacks.join(', '))}</summary><ul>${resources}</ul></details></td></tr>`;
        })
        .join('\n');
      return `<div class="reason" id="reason-${i + 1}"><h3>${esc(reason)}</h3><table class="waivers"><colgroup><col style="width:26%"><col style="width:12%"><col style="width:16%"><col style="width:18%"><col style="width:28%"></colgroup><thead><tr><th>rule</th><th>count</th><th>controls touched</th><th>acknowledged at</th><th>stacks and resources</th></tr></thead><tbody>
${rows}
</tbody></table></div>`;
    })
    .join('\n');
  return {
    id: 'waivers',
    title: `Waivers by reason: ${reasons.length} reasons, ${e.waivers.length} (rule, reason) groups, ${e.waivers.reduce((n, w) => n + w.count, 0)} acknowledged results`,
    html: `<p><span id="reasons-shown">${reasons.length}</span> of ${reasons.length} reasons shown.</p>\n${blocks}`,
  };
}

function resultsPart(e: Evidence): PagePart {
  const stackId = stackIdOf(e);
  const sources = new Map(e.stacks.flatMap((s) => s.resources.map((r) => [r.path, r.source] as const)));
  const regs = new Map(e.rules.map((r) => [r.id, r.regulations]));
  const rows = e.results
    .map((r) => {
      const s = sources.get(r.path);
      return `<tr class="result" data-env="${esc(r.environment)}" data-stack="${esc(stackId(r))}" data-pack="${esc(r.pack)}" data-status="${r.status}" data-rule="${esc(r.baseRule)}" data-regs="${list(regs.get(r.baseRule) ?? [])}"><td class="status ${r.status}">${STATUS_LABEL[r.status]}</td><td>${esc(r.rule)}</td><td>${esc(r.path)}</td><td>${s ? esc(`${s.file}:${s.line}`) : '-'}</td><td>${esc(r.reason ?? '')}</td></tr>`;
    })
    .join('\n');
  return {
    id: 'results-part',
    title: 'Results',
    html: `<p><span id="shown">${e.results.length}</span> of ${e.results.length} results shown.</p>
<table id="results"><colgroup><col style="width:9%"><col style="width:19%"><col style="width:29%"><col style="width:14%"><col style="width:29%"></colgroup><thead><tr><th>status</th><th>rule</th><th>resource</th><th>created at</th><th class="reason-col">reason</th></tr></thead><tbody>
${rows}
</tbody></table>`,
  };
}

function stacksPart(e: Evidence): PagePart {
  const rows = e.stacks
    .map((s) => {
      const resources = s.resources
        .map(
          (r) =>
            `<li>${esc(r.type)} ${esc(r.path)} <span class="src">${esc(`${r.source.file}:${r.source.line}`)}</span></li>`,
        )
        .join('');
      return `<tr class="stack" data-env="${esc(s.environment)}" data-stack="${esc(s.id)}"><td>${esc(s.id)}</td><td>${esc(s.environment)}</td><td>${esc(s.account)} ${esc(s.region)}</td><td><details><summary>${s.resources.length} resources</summary><ul>${resources}</ul></details></td></tr>`;
    })
    .join('\n');
  return {
    id: 'stacks',
    title: `Stacks (${e.stacks.length}) and their resources`,
    html: `<table id="stack-list"><thead><tr><th>stack</th><th>environment</th><th>account, region</th><th>resources</th></tr></thead><tbody>\n${rows}\n</tbody></table>`,
  };
}

const SCRIPT = `(function () {
  var ids = ['reg', 'env', 'stack', 'pack', 'status', 'text'];
  var f = {};
  ids.forEach(function (id) { f[id] = document.getElementById('filter-' + id); });
  var statuses = ['compliant', 'acknowledged', 'non_compliant'];
  function has(list, v) { return !v || (list || '').split('|').indexOf(v) >= 0; }
  function where(el) { return has(el.dataset.env, f.env.value) && has(el.dataset.stack, f.stack.value); }
  function cellState(c, tests) {
    if (c.non_compliant > 0) return ['violated', 'violated (' + c.non_compliant + ' non-compliant)'];
    if (c.acknowledged > 0) return ['met_with_waivers', 'met with ' + c.acknowledged + ' waiver' + (c.acknowledged === 1 ? '' : 's') + ' (' + c.compliant + ' compliant)'];
    if (c.compliant > 0) return ['met', 'met (' + c.compliant + ')'];
    return tests ? ['by_test', 'asserted by tests, not checked at synth'] : ['none', '-'];
  }
  function apply() {
    var text = f.text.value.trim().toLowerCase();
    var rows = document.querySelectorAll('tr.result'), shown = 0;
    var totals = { compliant: 0, acknowledged: 0, non_compliant: 0 }, cells = {}, byRule = {};
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var inScope = where(r) && has(r.dataset.regs, f.reg.value) && has(r.dataset.pack, f.pack.value);
      var ok = inScope && has(r.dataset.status, f.status.value) && (!text || r.textContent.toLowerCase().indexOf(text) >= 0);
      r.style.display = ok ? '' : 'none';
      if (ok) {
        shown++;
        totals[r.dataset.status]++;
        var k = r.dataset.env + '|' + r.dataset.pack;
        cells[k] = cells[k] || { compliant: 0, acknowledged: 0, non_compliant: 0 };
        cells[k][r.dataset.status]++;
      }
      if (has(r.dataset.stack, f.stack.value)) {
        var rk = r.dataset.rule + '|' + r.dataset.env;
        byRule[rk] = byRule[rk] || { compliant: 0, acknowledged: 0, non_compliant: 0 };
        byRule[rk][r.dataset.status]++;
      }
    }
    document.getElementById('shown').textContent = String(shown);
    statuses.forEach(function (s) { document.getElementById('total-' + s).textContent = String(totals[s]); });
    var sums = document.querySelectorAll('#summary tbody tr');
    for (var j = 0; j < sums.length; j++) {
      var c = cells[sums[j].dataset.env + '|' + sums[j].dataset.pack] || { compliant: 0, acknowledged: 0, non_compliant: 0 };
      statuses.forEach(function (s) { sums[j].querySelector('[data-count="' + s + '"]').textContent = String(c[s]); });
      sums[j].style.display = (f.env.value && sums[j].dataset.env !== f.env.value) || (f.pack.value && sums[j].dataset.pack !== f.pack.value) ? 'none' : '';
    }
    var controls = document.querySelectorAll('tr.control');
    for (var m = 0; m < controls.length; m++) {
      var row = controls[m];
      row.style.display = has(row.dataset.regs, f.reg.value) ? '' : 'none';
      if (row.dataset.fixed) {
        var fixedCells = row.querySelectorAll('td[data-env]');
        for (var fc = 0; fc < fixedCells.length; fc++) fixedCells[fc].style.opacity = f.env.value && fixedCells[fc].dataset.env !== f.env.value ? '0.35' : '';
        continue;
      }
      var ruleIds = row.dataset.rules ? row.dataset.rules.split('|') : [];
      var envCells = row.querySelectorAll('td[data-env]'), overall = { compliant: 0, acknowledged: 0, non_compliant: 0 };
      for (var n = 0; n < envCells.length; n++) {
        var sum = { compliant: 0, acknowledged: 0, non_compliant: 0 };
        ruleIds.forEach(function (rule) {
          var x = byRule[rule + '|' + envCells[n].dataset.env];
          if (x) statuses.forEach(function (s) { sum[s] += x[s]; });
        });
        statuses.forEach(function (s) { overall[s] += sum[s]; });
        var st = cellState(sum, false);
        envCells[n].className = 'status ' + st[0];
        envCells[n].textContent = st[1];
        envCells[n].style.opacity = f.env.value && envCells[n].dataset.env !== f.env.value ? '0.35' : '';
      }
      var ov = cellState(overall, Number(row.dataset.tests) > 0);
      var o = row.querySelector('td.overall');
      o.className = 'status ' + ov[0] + ' overall';
      o.textContent = ov[1];
    }
    var reasons = document.querySelectorAll('div.reason'), reasonsShown = 0;
    for (var p = 0; p < reasons.length; p++) {
      var groups = reasons[p].querySelectorAll('tr.waiver'), any = false;
      for (var q = 0; q < groups.length; q++) {
        var g = groups[q], items = g.querySelectorAll('li'), visible = 0;
        for (var t = 0; t < items.length; t++) {
          var li = where(items[t]);
          items[t].style.display = li ? '' : 'none';
          if (li) visible++;
        }
        var gok = visible > 0 && has(g.dataset.regs, f.reg.value) && has(g.dataset.pack, f.pack.value) && (!f.status.value || f.status.value === 'acknowledged') && (!text || reasons[p].textContent.toLowerCase().indexOf(text) >= 0);
        g.style.display = gok ? '' : 'none';
        g.querySelector('.shown').textContent = String(visible);
        if (gok) any = true;
      }
      reasons[p].style.display = any ? '' : 'none';
      if (any) reasonsShown++;
    }
    document.getElementById('reasons-shown').textContent = String(reasonsShown);
  }
  ids.forEach(function (id) { f[id].addEventListener(id === 'text' ? 'input' : 'change', apply); });
  apply();
})();`;

/**
 * One self-contained page (no network, a strict CSP): what the evidence is
 * of, filters that every part below follows (regulation, environment, stack,
 * pack, status, text), the summary, the control matrix per environment, what
 * changed since a previous evidence file when given, waivers grouped by
 * reason, every result with the line that creates its resource, and every
 * stack with its resources. Laid out to be read at 1,280 px.
 */
export function renderHtml(e: Evidence, extras: RenderExtras = {}): string {
  const options = (values: readonly string[], labels?: (v: string) => string) =>
    [
      '<option value="">all</option>',
      ...values.map((v) => `<option value="${esc(v)}">${esc(labels ? labels(v) : v)}</option>`),
    ].join('');
  const regulations = e.regulations.map((r) => r.id);
  const parts: PagePart[] = [provenancePart(e), summaryPart(e), matrixPart(e)];
  if (extras.diff) parts.push(diffPart(extras.diff, extras.previousFile));
  parts.push(waiversPart(e), resultsPart(e), stacksPart(e));
  for (const { id, title, data, section } of sectionsToRender(e, extras.sections ?? [], BUILT_IN_SECTIONS)) {
    parts.push({
      id: `section-${id}`,
      title,
      html: section?.html ? section.html(data, e) : `<pre>${esc(JSON.stringify(data, null, 2))}</pre>`,
    });
  }
  const nav = parts.map((p) => `<a href="#${p.id}-h">${esc(p.title.split(':')[0])}</a>`).join(' · ');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Compliance evidence (design-time): ${esc(e.estate)}</title>
<style>
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1em 2em; color: #1a1a1a; max-width: 100%; }
h1 { margin: 0.6em 0 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f0f0; }
table.kv th { width: 12em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.status.non_compliant, .status.violated { color: #b00020; font-weight: bold; }
.status.acknowledged, .status.met_with_waivers { color: #8a5a00; }
.status.compliant, .status.met { color: #1b6e20; }
.status.by_test { color: #3949ab; }
.status.inherited { color: #00695c; font-style: italic; }
.statement { background: #fff8e1; border-left: 4px solid #f9a825; padding: 6px 10px; }
#filters { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #999; padding: 6px 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
#filters select { max-width: 15em; }
#totals span { display: inline-block; margin-right: 2em; font-size: 1.15em; }
.reason h3 { font-size: 1em; margin: 1em 0 0; padding: 4px 6px; background: #f6f6f6; border-left: 4px solid #8a5a00; }
th.w-reg { width: 15%; }
.hint { color: #555; }
.src { color: #555; font-family: ui-monospace, monospace; }
nav { margin-bottom: 0.5em; }
</style>
</head>
<body>
<h1>Compliance evidence (design-time): ${esc(e.estate)}</h1>
<nav>${nav}</nav>
<div id="filters">
<label>regulation <select id="filter-reg">${options(regulations)}</select></label>
<label>environment <select id="filter-env">${options(e.environments)}</select></label>
<label>stack <select id="filter-stack">${options(e.stacks.map((s) => s.id).sort(byText))}</select></label>
<label>pack <select id="filter-pack">${options(e.packs)}</select></label>
<label>status <select id="filter-status">${options(['non_compliant', 'acknowledged', 'compliant'], (v) => STATUS_LABEL[v])}</select></label>
<label>text <input id="filter-text" type="search" placeholder="rule, resource, file, reason"></label>
</div>
${parts.map((p) => `<section id="${p.id}"><h2 id="${p.id}-h">${esc(p.title)}</h2>\n${p.html}\n</section>`).join('\n')}
<script>
${SCRIPT}
</script>
</body>
</html>
`;
}
