import { guardrailHtml } from './guardrails';
import { Evidence } from './model';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const STATUS_LABEL: Record<string, string> = { compliant: 'compliant', acknowledged: 'acknowledged', non_compliant: 'non-compliant' };

/**
 * One self-contained page (no network): the summary per environment and
 * pack, the control matrix, and every result, filterable by environment,
 * pack and status. Summary cells carry data attributes a test reads back.
 */
export function renderHtml(e: Evidence): string {
  const total = (status: 'compliant' | 'acknowledged' | 'non_compliant') => e.packs.reduce((s, p) => s + e.totals[p][status], 0);
  const summaryRows = e.environments
    .flatMap((env) =>
      e.packs.map((p) => {
        const c = e.byEnvironment[env][p];
        return `<tr data-env="${esc(env)}" data-pack="${esc(p)}"><td>${esc(env)}</td><td>${esc(p)}</td><td class="n" data-count="compliant">${c.compliant}</td><td class="n" data-count="acknowledged">${c.acknowledged}</td><td class="n" data-count="non_compliant">${c.non_compliant}</td></tr>`;
      }),
    )
    .join('\n');
  const matrixRows = e.controlMatrix
    .map(
      (r) =>
        `<tr><td>${esc(r.regulation)}</td><td>${esc(r.obligation)}</td><td>${esc(r.control)}</td><td>${[...r.rules.map((x) => `rule ${x}`), ...r.tests.map((t) => `test ${t}`)].map(esc).join('<br>')}</td><td class="status ${r.status}">${r.status.replace('_', ' ')}</td></tr>`,
    )
    .join('\n');
  const resultRows = e.results
    .map(
      (r) =>
        `<tr class="result" data-env="${esc(r.environment)}" data-pack="${esc(r.pack)}" data-status="${r.status}"><td>${esc(r.environment)}</td><td>${esc(r.pack)}</td><td>${esc(r.rule)}</td><td>${esc(r.path)}</td><td class="status ${r.status}">${STATUS_LABEL[r.status]}</td><td>${esc(r.reason ?? '')}</td></tr>`,
    )
    .join('\n');
  const options = (values: string[]) => ['<option value="">all</option>', ...values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)].join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Compliance evidence: ${esc(e.estate)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.status.non_compliant, .status.not_met { color: #b00020; font-weight: bold; }
.status.acknowledged { color: #8a5a00; }
.status.compliant, .status.met { color: #1b6e20; }
#totals span { display: inline-block; margin-right: 2em; font-size: 1.2em; }
label { margin-right: 1.5em; }
</style>
</head>
<body>
<h1>Compliance evidence: ${esc(e.estate)}</h1>
<p id="totals"><span>compliant <b id="total-compliant">${total('compliant')}</b></span><span>acknowledged <b id="total-acknowledged">${total('acknowledged')}</b></span><span>non-compliant <b id="total-non_compliant">${total('non_compliant')}</b></span></p>
<h2>Summary by environment and pack</h2>
<table id="summary"><thead><tr><th>environment</th><th>pack</th><th>compliant</th><th>acknowledged</th><th>non-compliant</th></tr></thead><tbody>
${summaryRows}
</tbody></table>
<h2>Control matrix</h2>
<table id="matrix"><thead><tr><th>regulation</th><th>obligation</th><th>control</th><th>rule or test</th><th>status</th></tr></thead><tbody>
${matrixRows}
</tbody></table>
<h2>Results</h2>
<p>
<label>environment <select id="filter-env">${options(e.environments)}</select></label>
<label>pack <select id="filter-pack">${options(e.packs)}</select></label>
<label>status <select id="filter-status">${options(['non_compliant', 'acknowledged', 'compliant'])}</select></label>
<span id="shown">${e.results.length}</span> of ${e.results.length} shown
</p>
<table id="results"><thead><tr><th>environment</th><th>pack</th><th>rule</th><th>resource</th><th>status</th><th>reason</th></tr></thead><tbody>
${resultRows}
</tbody></table>
${guardrailHtml(e)}
<script>
(function () {
  var env = document.getElementById('filter-env'), pack = document.getElementById('filter-pack'), status = document.getElementById('filter-status');
  function apply() {
    var rows = document.querySelectorAll('tr.result'), shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!env.value || r.dataset.env === env.value) && (!pack.value || r.dataset.pack === pack.value) && (!status.value || r.dataset.status === status.value);
      r.style.display = ok ? '' : 'none';
      if (ok) shown++;
    }
    document.getElementById('shown').textContent = String(shown);
  }
  env.onchange = pack.onchange = status.onchange = apply;
})();
</script>
</body>
</html>
`;
}
