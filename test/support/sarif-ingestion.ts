import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * GitHub code scanning's documented ingestion rules beyond the SARIF 2.1.0
 * schema (docs.github.com, "SARIF support for code scanning": supported
 * properties, "required" marks, the limits table; "SARIF results exceed one
 * or more limits"), and SARIF 2.1.0 section 3.27.5 (ruleId equals the rule's
 * id when ruleIndex is given). Returns every breach found, as sentences.
 */
export function githubIngestionProblems(sarif: any, options: { repoRoot: string; gzippedBytes: number }): string[] {
  const problems: string[] = [];
  const need = (ok: unknown, message: string) => {
    if (!ok) problems.push(message);
  };
  const text = (v: unknown) => typeof v === 'string' && v.trim().length > 0;
  need(sarif.$schema, 'sarifLog.$schema is required');
  need(sarif.version === '2.1.0', 'sarifLog.version must be 2.1.0');
  need(Array.isArray(sarif.runs) && sarif.runs.length >= 1 && sarif.runs.length <= 20, 'runs: 1 to 20 per file');
  need(options.gzippedBytes <= 10 * 1024 * 1024, `gzip-compressed size ${options.gzippedBytes} exceeds 10 MB`);
  for (const [r, run] of (sarif.runs ?? []).entries()) {
    const driver = run.tool?.driver;
    need(text(driver?.name), `runs[${r}].tool.driver.name is required`);
    need(Array.isArray(driver?.rules), `runs[${r}].tool.driver.rules[] is required`);
    need((driver?.rules ?? []).length <= 25_000, `runs[${r}]: more than 25,000 rules`);
    need((run.tool?.extensions ?? []).length <= 100, `runs[${r}]: more than 100 tool extensions`);
    need(Array.isArray(run.results), `runs[${r}].results[] is required`);
    need((run.results ?? []).length <= 25_000, `runs[${r}]: more than 25,000 results`);
    const rules: any[] = driver?.rules ?? [];
    const ids = new Set<string>();
    for (const [i, rule] of rules.entries()) {
      const where = `runs[${r}].rules[${i}] (${rule.id})`;
      need(text(rule.id), `${where}: id is required`);
      need(!ids.has(rule.id), `${where}: duplicate id`);
      ids.add(rule.id);
      need(
        rule.name === undefined || (text(rule.name) && rule.name.length <= 255),
        `${where}: name is limited to 255 characters`,
      );
      need(
        text(rule.shortDescription?.text) && rule.shortDescription.text.length <= 1024,
        `${where}: shortDescription.text is required, at most 1,024 characters`,
      );
      need(
        text(rule.fullDescription?.text) && rule.fullDescription.text.length <= 1024,
        `${where}: fullDescription.text is required, at most 1,024 characters`,
      );
      need(text(rule.help?.text), `${where}: help.text is required`);
      need(
        ['note', 'warning', 'error', undefined].includes(rule.defaultConfiguration?.level),
        `${where}: defaultConfiguration.level must be note, warning or error`,
      );
      need((rule.properties?.tags ?? []).length <= 20, `${where}: more than 20 tags`);
      const sev = rule.properties?.['security-severity'];
      need(
        sev === undefined || (Number(sev) > 0 && Number(sev) <= 10),
        `${where}: security-severity must be a score above 0.0 up to 10.0`,
      );
    }
    for (const [i, result] of (run.results ?? []).entries()) {
      const where = `runs[${r}].results[${i}] (${result.ruleId})`;
      need(text(result.message?.text), `${where}: message.text is required`);
      if (result.ruleIndex !== undefined)
        need(rules[result.ruleIndex]?.id === result.ruleId, `${where}: ruleId must equal rules[ruleIndex].id`);
      need(ids.has(result.ruleId), `${where}: ruleId names no rule of the run`);
      need(
        Array.isArray(result.locations) && result.locations.length >= 1 && result.locations.length <= 10,
        `${where}: locations must hold 1 to 10 entries`,
      );
      need(
        text(result.partialFingerprints?.primaryLocationLineHash),
        `${where}: partialFingerprints.primaryLocationLineHash is required (the only fingerprint GitHub uses)`,
      );
      need(
        (result.relatedLocations ?? []).length + (result.locations ?? []).length <= 1000,
        `${where}: more than 1,000 locations`,
      );
      for (const [k, loc] of [...(result.locations ?? []), ...(result.relatedLocations ?? [])].entries()) {
        const p = loc.physicalLocation;
        const at = `${where} location ${k}`;
        need(p, `${at}: physicalLocation is required`);
        if (!p) continue;
        const uri = p.artifactLocation?.uri;
        need(text(uri), `${at}: artifactLocation.uri is required`);
        need(
          typeof uri === 'string' && !/^[a-z]+:/i.test(uri) && !uri.startsWith('/') && !uri.includes('..'),
          `${at}: uri ${uri} must be relative to the repository root`,
        );
        need(
          typeof uri === 'string' && fs.existsSync(path.join(options.repoRoot, uri)),
          `${at}: ${uri} is not a file of the repository`,
        );
        const g = p.region ?? {};
        need(Number.isInteger(g.startLine) && g.startLine >= 1, `${at}: region.startLine is required`);
        need(Number.isInteger(g.startColumn) && g.startColumn >= 1, `${at}: region.startColumn is required`);
        need(Number.isInteger(g.endLine) && g.endLine >= g.startLine, `${at}: region.endLine is required`);
        need(
          Number.isInteger(g.endColumn) && (g.endLine > g.startLine || g.endColumn > g.startColumn),
          `${at}: region.endColumn is required, after startColumn`,
        );
        if (typeof uri === 'string' && fs.existsSync(path.join(options.repoRoot, uri))) {
          const lines = fs.readFileSync(path.join(options.repoRoot, uri), 'utf8').split('\n').length;
          need(g.startLine <= lines, `${at}: ${uri} has no line ${g.startLine}`);
        }
      }
    }
  }
  return problems;
}
