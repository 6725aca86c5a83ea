import { ControlRow } from '../../../policies/control-matrix';
import { ComplianceLedger, ResultStatus, RuleInfo } from '../ledger';
import { AccessMatrixEvidence, PolicyValidationEvidence } from './guardrails';

export type Counts = Record<ResultStatus | 'not_applicable', number>;

export interface EvidenceResult {
  readonly pack: string;
  readonly rule: string;
  readonly baseRule: string;
  readonly environment: string;
  readonly stack: string;
  readonly path: string;
  readonly status: ResultStatus;
  readonly reason?: string;
  /** The source file and line that created the resource, where the construct tree records it. */
  readonly source?: { readonly file: string; readonly line: number };
}

export interface ControlStatus extends ControlRow {
  /** met: every outcome of its rules is compliant or acknowledged; not_met: any is not; by_test: no resource to check yet, the named tests show it. */
  readonly status: 'met' | 'not_met' | 'by_test' | 'not_evaluated';
  readonly counts: Counts;
}

/** The machine-readable evidence of one synth (schema: `regulated-mlops-evidence/1`, see README "Compliance evidence"). */
export interface Evidence {
  readonly schema: 'regulated-mlops-evidence/1';
  readonly estate: string;
  readonly packs: string[];
  readonly environments: string[];
  readonly totals: Record<string, Counts>;
  readonly byEnvironment: Record<string, Record<string, Counts>>;
  readonly rules: RuleInfo[];
  readonly results: EvidenceResult[];
  readonly notApplicable: Array<{ readonly rule: string; readonly count: number }>;
  readonly controlMatrix: ControlStatus[];
  /** Policy documents checked against the Service Authorization Reference (absent when validation did not run). */
  readonly policyValidation?: PolicyValidationEvidence;
  /** Who can do what, where it was simulated (see README, "Effective access"). */
  readonly accessMatrix?: AccessMatrixEvidence;
}

const zero = (): Counts => ({ compliant: 0, non_compliant: 0, acknowledged: 0, not_applicable: 0 });

export function buildEvidence(
  estate: string,
  ledger: ComplianceLedger,
  matrix: readonly ControlRow[],
  sourceOf: (path: string) => EvidenceResult['source'],
): Evidence {
  const results: EvidenceResult[] = ledger.results
    .map((r) => {
      const [environment, stack] = r.path.split('/');
      const source = sourceOf(r.path);
      return { ...r, environment, stack, ...(source ? { source } : {}) };
    })
    .sort((a, b) => a.pack.localeCompare(b.pack) || a.rule.localeCompare(b.rule) || a.path.localeCompare(b.path));
  const environments = [...new Set(results.map((r) => r.environment))].sort();
  const totals: Record<string, Counts> = {};
  const byEnvironment: Record<string, Record<string, Counts>> = {};
  for (const pack of ledger.packs) totals[pack] = zero();
  for (const env of environments) byEnvironment[env] = Object.fromEntries(ledger.packs.map((p) => [p, zero()]));
  for (const r of results) {
    totals[r.pack][r.status]++;
    byEnvironment[r.environment][r.pack][r.status]++;
  }
  for (const [rule, count] of ledger.notApplicable) totals[ledger.rules.get(rule)?.pack ?? rule.split('-')[0]].not_applicable += count;

  const controlMatrix: ControlStatus[] = matrix.map((row) => {
    const counts = zero();
    for (const r of results) if (row.rules.includes(r.baseRule)) counts[r.status]++;
    const evaluated = counts.compliant + counts.non_compliant + counts.acknowledged;
    // No resource of the kind yet (e.g. no endpoint): the named tests are the evidence.
    const status = counts.non_compliant > 0 ? 'not_met' : evaluated > 0 ? 'met' : row.tests.length > 0 ? 'by_test' : 'not_evaluated';
    return { ...row, status, counts };
  });

  return {
    schema: 'regulated-mlops-evidence/1',
    estate,
    packs: [...ledger.packs],
    environments,
    totals,
    byEnvironment,
    rules: [...ledger.rules.values()].sort((a, b) => a.id.localeCompare(b.id)),
    results,
    notApplicable: [...ledger.notApplicable].map(([rule, count]) => ({ rule, count })).sort((a, b) => a.rule.localeCompare(b.rule)),
    controlMatrix,
  };
}
