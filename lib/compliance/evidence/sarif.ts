import { createHash } from 'node:crypto';
import { Evidence, EvidenceResource } from './model';
import { BUILT_IN_SECTIONS } from './guardrails';
import { EvidenceSection, sectionsToRender } from './sections';
import { SourceLocation } from './sources';

/**
 * The parts of SARIF 2.1.0 this file writes (OASIS SARIF 2.1.0, sections 3.19 run, 3.27 result, 3.28 location, 3.49
 * reportingDescriptor).
 */
export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly help: { readonly text: string; readonly markdown?: string };
  readonly defaultConfiguration: { readonly level: 'error' | 'warning' | 'note' };
  readonly properties?: Record<string, unknown>;
}

export interface SarifLocation {
  readonly id?: number;
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string; readonly uriBaseId?: string };
    readonly region: {
      readonly startLine: number;
      readonly startColumn: number;
      readonly endLine: number;
      readonly endColumn: number;
    };
  };
  readonly logicalLocations?: Array<{ readonly fullyQualifiedName: string; readonly kind: string }>;
  readonly message?: { readonly text: string };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex?: number;
  readonly level: 'error' | 'warning' | 'note';
  readonly message: { readonly text: string };
  readonly locations: SarifLocation[];
  readonly relatedLocations?: SarifLocation[];
  readonly partialFingerprints: Record<string, string>;
  readonly suppressions?: Array<{
    readonly kind: 'inSource' | 'external';
    readonly status: 'accepted';
    readonly justification: string;
    readonly location?: SarifLocation;
  }>;
  readonly properties?: Record<string, unknown>;
}

/**
 * GitHub code scanning displays at most 1,024 characters of a rule's descriptions (docs: "SARIF support for code
 * scanning", reportingDescriptor).
 */
const MAX_DESCRIPTION = 1024;
/** GitHub rejects a file with more than 1,000 locations in a result and shows 100 (docs: SARIF limits). */
const MAX_RELATED = 100;

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const fingerprint = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

export function sarifLocation(
  source: SourceLocation,
  extra: Partial<Pick<SarifLocation, 'id' | 'logicalLocations' | 'message'>> = {},
): SarifLocation {
  return {
    ...(extra.id !== undefined ? { id: extra.id } : {}),
    physicalLocation: {
      artifactLocation: { uri: source.file, uriBaseId: '%SRCROOT%' },
      region: { startLine: source.line, startColumn: source.column, endLine: source.line, endColumn: source.endColumn },
    },
    ...(extra.logicalLocations ? { logicalLocations: extra.logicalLocations } : {}),
    ...(extra.message ? { message: extra.message } : {}),
  };
}

/**
 * SARIF 2.1.0 as GitHub code scanning ingests it: one run of cdk-nag with
 * every rule (id, name, both descriptions, help), a result for each
 * non-compliant and each acknowledged outcome (the latter suppressed, with
 * its reason as justification), each located where our code creates the
 * resource, with our frames up to its stack as related locations, and
 * partial fingerprints that follow the resource, not the line.
 */
export function renderSarif(e: Evidence, sections: readonly EvidenceSection[] = []): object {
  const resources = new Map<string, EvidenceResource>();
  for (const s of e.stacks) for (const r of s.resources) resources.set(r.path, r);
  const fallback = fallbackSource(e);
  const ruleIndex = new Map(e.rules.map((r, i) => [r.id, i]));
  const rules: SarifRule[] = e.rules.map((r) => ({
    id: r.id,
    name: r.id.replace(/[^A-Za-z0-9]/g, ''),
    shortDescription: { text: clip(r.info, MAX_DESCRIPTION) },
    fullDescription: { text: clip(r.explanation || r.info, MAX_DESCRIPTION) },
    help: {
      text: `${r.info}\n\n${r.explanation}`.trim(),
      markdown: `**${r.id}** (${r.pack})\n\n${r.info}\n\n${r.explanation}`.trim(),
    },
    defaultConfiguration: { level: r.level },
    properties: {
      // GitHub keeps 10 tags per rule (docs: SARIF limits); the regulations are few.
      tags: ['security', 'compliance', r.pack, ...r.regulations].slice(0, 10),
      precision: 'very-high',
      'problem.severity': r.level === 'error' ? 'error' : 'warning',
      ...(r.controlIds.length ? { controlIds: r.controlIds } : {}),
    },
  }));

  const results: SarifResult[] = e.results
    .filter((r) => r.status !== 'compliant')
    .map((r) => {
      const rule = e.rules[ruleIndex.get(r.baseRule) ?? -1];
      const resource = resources.get(r.path);
      const source = resource?.source ?? fallback;
      const finding = r.rule === r.baseRule ? '' : r.rule.slice(r.baseRule.length);
      const related = (resource?.trail ?? [])
        .slice(0, MAX_RELATED)
        .map((t, i) => sarifLocation(t, { id: i + 1, message: { text: t.label } }));
      const where = resource
        ? `created at ${resource.source.file}:${resource.source.line} (${resource.source.label})`
        : 'not found in the construct tree';
      return {
        // The rule's own id: SARIF 3.27.5 requires ruleId to equal the descriptor's id; the granular finding is in the
        // message.
        ruleId: r.baseRule,
        ...(ruleIndex.has(r.baseRule) ? { ruleIndex: ruleIndex.get(r.baseRule) } : {}),
        level: rule?.level ?? 'error',
        message: {
          text: `${rule?.info ?? r.rule}${finding ? ` Finding: ${finding}.` : ''} Resource ${r.path}, ${where}.`,
        },
        locations: [sarifLocation(source, { logicalLocations: [{ fullyQualifiedName: r.path, kind: 'resource' }] })],
        ...(related.length ? { relatedLocations: related } : {}),
        partialFingerprints: {
          // GitHub only reads primaryLocationLineHash (docs: result object): derived from the rule, finding and
          // construct path, two resources made by one line (one per environment) stay two alerts, and moving the line
          // keeps the alert.
          primaryLocationLineHash: `${fingerprint(r.rule, r.path).slice(0, 16)}:1`,
          'constructPath/v1': fingerprint(r.rule, r.path),
        },
        ...(r.status === 'acknowledged'
          ? {
              suppressions: [
                {
                  kind: 'inSource' as const,
                  status: 'accepted' as const,
                  justification: r.reason ?? '',
                  ...(r.acknowledgedAt ? { location: sarifLocation(r.acknowledgedAt) } : {}),
                },
              ],
            }
          : {}),
        properties: { pack: r.pack, environment: r.environment, stack: r.stack, finding: r.rule, status: r.status },
      };
    });

  for (const { data, section } of sectionsToRender(e, sections, BUILT_IN_SECTIONS)) {
    if (!section?.sarif) continue;
    const extra = section.sarif(data, e);
    for (const rule of extra.rules) {
      if (ruleIndex.has(rule.id))
        throw new Error(`evidence section ${section.id}: SARIF rule id ${rule.id} is already a pack rule`);
      ruleIndex.set(rule.id, rules.length);
      rules.push(rule);
    }
    results.push(
      ...extra.results.map((r) => ({
        ...r,
        ...(ruleIndex.has(r.ruleId) ? { ruleIndex: ruleIndex.get(r.ruleId) } : {}),
      })),
    );
  }

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'cdk-nag',
            semanticVersion: e.provenance.tools['cdk-nag'],
            informationUri: 'https://github.com/cdklabs/cdk-nag',
            rules,
          },
        },
        automationDetails: { id: `compliance-packs/${e.estate}/` },
        // Locations are relative to the repository root (GitHub resolves relative URIs against it).
        originalUriBaseIds: {
          '%SRCROOT%': { description: { text: 'The root of the repository the estate was synthesized from.' } },
        },
        properties: {
          evidence: e.kind,
          commit: e.provenance.commit,
          configSha256: e.provenance.config.sha256,
          time: e.provenance.time,
        },
        results,
      },
    ],
  };
}

/** Where a result whose resource is not in the inventory is located: the config file, else the entry point. */
export function fallbackSource(e: Evidence): SourceLocation {
  const file = e.provenance.config.file.startsWith('(') ? 'bin/estate.ts' : e.provenance.config.file;
  return { file, line: 1, column: 1, endColumn: 2, kind: 'config', label: file };
}
