import { guardrailSarifRuns } from './guardrails';
import { Evidence } from './model';

/**
 * SARIF 2.1.0 for code scanning: one run, every rule with its help text,
 * a result for each non-compliant and each acknowledged outcome (the latter
 * suppressed, with the reason as justification), located at the construct
 * path and, where the construct tree knows it, the source line.
 */
export function renderSarif(e: Evidence): object {
  const ruleIndex = new Map(e.rules.map((r, i) => [r.id, i]));
  const results = e.results
    .filter((r) => r.status !== 'compliant')
    .map((r) => {
      const rule = e.rules[ruleIndex.get(r.baseRule) ?? -1];
      return {
        ruleId: r.rule,
        ...(ruleIndex.has(r.baseRule) ? { ruleIndex: ruleIndex.get(r.baseRule) } : {}),
        level: rule?.level === 'warning' ? 'warning' : 'error',
        message: { text: `${rule?.info ?? r.rule} (${r.path})` },
        locations: [
          {
            ...(r.source ? { physicalLocation: { artifactLocation: { uri: r.source.file }, region: { startLine: r.source.line } } } : {}),
            logicalLocations: [{ fullyQualifiedName: r.path, kind: 'resource' }],
          },
        ],
        ...(r.status === 'acknowledged' ? { suppressions: [{ kind: 'inSource', status: 'accepted', justification: r.reason ?? '' }] } : {}),
        properties: { pack: r.pack, environment: r.environment, stack: r.stack },
      };
    });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'cdk-nag',
            informationUri: 'https://github.com/cdklabs/cdk-nag',
            rules: e.rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/[^A-Za-z0-9]/g, ''),
              shortDescription: { text: r.info.slice(0, 1000) },
              fullDescription: { text: r.explanation || r.info },
              help: { text: `${r.info}\n\n${r.explanation}`.trim() },
              defaultConfiguration: { level: r.level },
              properties: { pack: r.pack },
            })),
          },
        },
        results,
      },
      ...guardrailSarifRuns(e),
    ],
  };
}
