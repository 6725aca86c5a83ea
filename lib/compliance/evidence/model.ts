import { ControlRow, Regulation } from '../../../policies/control-matrix';
import { ResultStatus, RuleInfo } from '../ledger';
import { Provenance } from './provenance';
import { SourceLocation } from './sources';

export const EVIDENCE_SCHEMA = 'regulated-mlops-evidence/2';

/** What this evidence is, said on every page: a reviewer must not take it for the state of the accounts. */
export const DESIGN_TIME_STATEMENT =
  'Design-time evidence: what the synthesized CloudFormation templates of this commit declare, checked by the compliance packs at synth. ' +
  'It is not the run-time state of the deployed accounts: that is evidenced by AWS Config, Security Hub, CloudTrail and the gate decision records.';

export type Counts = Record<ResultStatus | 'not_applicable', number>;

/** Order-independent of locale: the same inputs sort the same way on every machine. */
export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface EvidenceResult {
  readonly pack: string;
  /** Rule ID as cdk-nag reports it, granular finding included (`AwsSolutions-IAM5[Action::s3:*]`). */
  readonly rule: string;
  readonly baseRule: string;
  /** A stage name, or for stacks outside stages the account they deploy to (`organization`, `delivery`). */
  readonly environment: string;
  /** Stack id within its stage (`Foundation`), or the top-level stack id (`Delivery`). */
  readonly stack: string;
  /** Construct path of the resource; its source location is in `stacks[].resources[]`. */
  readonly path: string;
  readonly status: ResultStatus;
  /** The acknowledgement's reason, or why a rule could not be evaluated. */
  readonly reason?: string;
  /** For an acknowledged result: where in our code the acknowledgement was made. */
  readonly acknowledgedAt?: SourceLocation;
}

export interface EvidenceResource {
  readonly path: string;
  readonly type: string;
  readonly logicalId: string;
  /** Where our code creates it (or, without a trace, the config entry or stack class that declares it). */
  readonly source: SourceLocation;
  /** Our frames from there up to the stack's constructor. */
  readonly trail: SourceLocation[];
}

export interface EvidenceStack {
  /** `prod/Foundation`, or `Organization` for a stack outside stages. */
  readonly id: string;
  readonly environment: string;
  readonly stack: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly resources: EvidenceResource[];
}

export type ControlState = 'met' | 'met_with_waivers' | 'violated' | 'by_test' | 'inherited' | 'not_evaluated';

export interface ControlCell {
  readonly status: ControlState;
  readonly counts: Counts;
  /**
   * inherited: who runs the control for the environment (the organization, and its administrator account when the
   * config names it).
   */
  readonly inheritedFrom?: string;
  /** For a control shown by declared resources: the types the environment's templates lack. */
  readonly missing?: string[];
}

/** Who runs an environment's detective controls (GuardDuty, Security Hub, AWS Config), as the construct records it. */
export interface DetectiveControlsEvidence {
  readonly environment: string;
  /** The stack that holds them, `prod/Foundation`. */
  readonly stack: string;
  /** Construct path of the detective controls construct. */
  readonly path: string;
  readonly account: string;
  readonly region: string;
  /**
   * estate: the templates create them; organization: they exist already, run by the organization, and the estate wires
   * only the alerting.
   */
  readonly source: 'estate' | 'organization';
  readonly administratorAccount?: string;
}

export interface ControlStatus extends ControlRow {
  /**
   * met: every outcome of its rules is compliant; met_with_waivers: none is
   * non-compliant but some are acknowledged (counts.acknowledged of them);
   * violated: any is non-compliant; by_test: no rule of it ran on any
   * resource, the named tests assert it (not checked at synth); inherited:
   * every environment has it from the organization (`detectiveResources`).
   */
  readonly status: ControlState;
  readonly counts: Counts;
  readonly inheritedFrom?: string;
  /** The same per environment that has any outcome of its rules. */
  readonly byEnvironment: Record<string, ControlCell>;
}

/** The acknowledgements of one rule for one reason, however many resources they cover. */
export interface WaiverGroup {
  readonly baseRule: string;
  readonly pack: string;
  readonly reason: string;
  /** The rule IDs as reported (granular findings), each with how many results it covers. */
  readonly findings: Array<{ readonly rule: string; readonly count: number }>;
  readonly count: number;
  readonly resources: Array<{ readonly path: string; readonly environment: string; readonly stack: string }>;
  readonly environments: string[];
  readonly stacks: string[];
  /** Where in our code these acknowledgements were made, `file:line`. */
  readonly acknowledgedAt: string[];
  /** Control matrix rows (ids) whose rules include this rule. */
  readonly controls: string[];
  readonly regulations: string[];
}

export interface EvidenceRule extends RuleInfo {
  /** Regulations the rule serves: its pack's framework and the control matrix rows that name it. */
  readonly regulations: string[];
  /** Control IDs cited in the rule's text (`Control IDs: AU-9(3), CP-9d`), in the pack's framework numbering. */
  readonly controlIds: string[];
}

/** A section another part of the estate adds to the evidence (see `EvidenceSection`). */
export interface EvidenceSectionData {
  readonly title: string;
  readonly data: unknown;
}

/**
 * The machine-readable evidence of one synth (schema: `regulated-mlops-evidence/2`, see README "Compliance evidence").
 */
export interface Evidence {
  readonly schema: typeof EVIDENCE_SCHEMA;
  readonly kind: 'design-time';
  readonly statement: string;
  readonly estate: string;
  readonly provenance: Provenance;
  readonly regulations: readonly Regulation[];
  readonly packs: string[];
  readonly environments: string[];
  readonly totals: Record<string, Counts>;
  readonly byEnvironment: Record<string, Record<string, Counts>>;
  readonly rules: EvidenceRule[];
  readonly results: EvidenceResult[];
  readonly waivers: WaiverGroup[];
  readonly notApplicable: Array<{ readonly rule: string; readonly count: number }>;
  readonly controlMatrix: ControlStatus[];
  readonly stacks: EvidenceStack[];
  /**
   * Per environment, who runs its detective controls: the control matrix does not judge the organization's from these
   * templates.
   */
  readonly detectiveControls: DetectiveControlsEvidence[];
  readonly sections: Record<string, EvidenceSectionData>;
}

export const zeroCounts = (): Counts => ({ compliant: 0, non_compliant: 0, acknowledged: 0, not_applicable: 0 });

export function controlState(counts: Counts, hasTests: boolean): ControlState {
  if (counts.non_compliant > 0) return 'violated';
  if (counts.acknowledged > 0) return 'met_with_waivers';
  if (counts.compliant > 0) return 'met';
  return hasTests ? 'by_test' : 'not_evaluated';
}

/** How a status reads to a person: `met with 32 waivers`. */
export function controlLabel(cell: {
  status: ControlState;
  counts: Counts;
  inheritedFrom?: string;
  missing?: string[];
}): string {
  switch (cell.status) {
    case 'met':
      return `met (${cell.counts.compliant})`;
    case 'met_with_waivers':
      return `met with ${cell.counts.acknowledged} waiver${cell.counts.acknowledged === 1 ? '' : 's'} (${cell.counts.compliant} compliant)`;
    case 'violated':
      return cell.missing?.length
        ? `violated (not declared: ${cell.missing.join(', ')})`
        : `violated (${cell.counts.non_compliant} non-compliant)`;
    case 'by_test':
      return 'asserted by tests, not checked at synth';
    case 'inherited':
      return `inherited from ${cell.inheritedFrom ?? 'the organization'}, not in these templates`;
    default:
      return 'not evaluated';
  }
}

export interface EvidenceInput {
  readonly estate: string;
  readonly provenance: Provenance;
  readonly regulations: readonly Regulation[];
  readonly matrix: readonly ControlRow[];
  readonly packs: readonly string[];
  readonly rules: Iterable<RuleInfo>;
  readonly notApplicable: Iterable<[string, number]>;
  readonly results: readonly EvidenceResult[];
  readonly stacks: readonly EvidenceStack[];
  readonly detectiveControls?: readonly DetectiveControlsEvidence[];
  readonly sections?: Record<string, EvidenceSectionData>;
}

const CONTROL_IDS = /Control IDs?:\s*([^)]*)\)/i;

/**
 * Puts the evidence together from what the packs decided and what the construct tree holds. Pure: same input, same
 * output.
 */
export function buildEvidence(input: EvidenceInput): Evidence {
  const results = [...input.results].sort(
    (a, b) => byText(a.pack, b.pack) || byText(a.rule, b.rule) || byText(a.path, b.path) || byText(a.status, b.status),
  );
  const stageOrder = [...new Set(input.stacks.map((s) => s.environment))];
  const environments = [...new Set([...stageOrder, ...results.map((r) => r.environment)])].sort(byText);
  const totals: Record<string, Counts> = {};
  const byEnvironment: Record<string, Record<string, Counts>> = {};
  for (const pack of input.packs) totals[pack] = zeroCounts();
  for (const env of environments) byEnvironment[env] = Object.fromEntries(input.packs.map((p) => [p, zeroCounts()]));
  for (const r of results) {
    totals[r.pack][r.status]++;
    byEnvironment[r.environment][r.pack][r.status]++;
  }
  const ruleInfos = [...input.rules];
  const packOf = new Map(ruleInfos.map((r) => [r.id, r.pack]));
  const notApplicable = [...input.notApplicable]
    .map(([rule, count]) => ({ rule, count }))
    .sort((a, b) => byText(a.rule, b.rule));
  for (const { rule, count } of notApplicable) totals[packOf.get(rule) ?? rule.split('-')[0]].not_applicable += count;

  const frameworkOfPack = new Map(input.regulations.filter((r) => r.pack).map((r) => [r.pack!, r.id]));
  const rowsOfRule = new Map<string, ControlRow[]>();
  for (const row of input.matrix)
    for (const rule of row.rules) rowsOfRule.set(rule, [...(rowsOfRule.get(rule) ?? []), row]);
  const regulationsOf = (rule: string, pack: string) =>
    [
      ...new Set([
        ...(frameworkOfPack.has(pack) ? [frameworkOfPack.get(pack)!] : []),
        ...(rowsOfRule.get(rule) ?? []).map((r) => r.regulation),
      ]),
    ].sort(byText);

  const rules: EvidenceRule[] = ruleInfos
    .map((r) => ({
      ...r,
      regulations: regulationsOf(r.id, r.pack),
      controlIds: (CONTROL_IDS.exec(r.info)?.[1] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    }))
    .sort((a, b) => byText(a.id, b.id));

  const detectiveControls = [...(input.detectiveControls ?? [])].sort(
    (a, b) => byText(a.environment, b.environment) || byText(a.path, b.path),
  );
  const controlMatrix: ControlStatus[] = input.matrix.map((row) => {
    if (row.detectiveResources) return detectiveRow(row, row.detectiveResources, detectiveControls, input.stacks);
    const counts = zeroCounts();
    const perEnv = new Map<string, Counts>();
    for (const r of results) {
      if (!row.rules.includes(r.baseRule)) continue;
      counts[r.status]++;
      if (!perEnv.has(r.environment)) perEnv.set(r.environment, zeroCounts());
      perEnv.get(r.environment)![r.status]++;
    }
    const byEnv: Record<string, ControlCell> = {};
    for (const env of environments) {
      const c = perEnv.get(env);
      if (c) byEnv[env] = { status: controlState(c, false), counts: c };
    }
    return { ...row, status: controlState(counts, row.tests.length > 0), counts, byEnvironment: byEnv };
  });

  const groups = new Map<
    string,
    {
      baseRule: string;
      pack: string;
      reason: string;
      findings: Map<string, number>;
      resources: Map<string, { path: string; environment: string; stack: string }>;
      at: Set<string>;
    }
  >();
  for (const r of results) {
    if (r.status !== 'acknowledged') continue;
    const reason = r.reason ?? '';
    const key = `${r.baseRule}\0${reason}`;
    if (!groups.has(key))
      groups.set(key, {
        baseRule: r.baseRule,
        pack: r.pack,
        reason,
        findings: new Map(),
        resources: new Map(),
        at: new Set(),
      });
    const g = groups.get(key)!;
    g.findings.set(r.rule, (g.findings.get(r.rule) ?? 0) + 1);
    g.resources.set(r.path, { path: r.path, environment: r.environment, stack: r.stack });
    if (r.acknowledgedAt) g.at.add(`${r.acknowledgedAt.file}:${r.acknowledgedAt.line}`);
  }
  const waivers: WaiverGroup[] = [...groups.values()]
    .map((g) => {
      const resources = [...g.resources.values()].sort((a, b) => byText(a.path, b.path));
      return {
        baseRule: g.baseRule,
        pack: g.pack,
        reason: g.reason,
        findings: [...g.findings].map(([rule, count]) => ({ rule, count })).sort((a, b) => byText(a.rule, b.rule)),
        count: [...g.findings.values()].reduce((a, b) => a + b, 0),
        resources,
        environments: [...new Set(resources.map((r) => r.environment))].sort(byText),
        stacks: [...new Set(resources.map((r) => `${r.environment}/${r.stack}`))].sort(byText),
        acknowledgedAt: [...g.at].sort(byText),
        controls: (rowsOfRule.get(g.baseRule) ?? []).map((r) => r.id),
        regulations: regulationsOf(g.baseRule, g.pack),
      };
    })
    .sort((a, b) => byText(a.reason, b.reason) || byText(a.baseRule, b.baseRule));

  return {
    schema: EVIDENCE_SCHEMA,
    kind: 'design-time',
    statement: DESIGN_TIME_STATEMENT,
    estate: input.estate,
    provenance: input.provenance,
    regulations: input.regulations,
    packs: [...input.packs],
    environments,
    totals,
    byEnvironment,
    rules,
    results,
    waivers,
    notApplicable,
    controlMatrix,
    stacks: [...input.stacks].sort((a, b) => byText(a.id, b.id)),
    detectiveControls,
    sections: input.sections ?? {},
  };
}

/**
 * One sentence per source: who runs the detective controls of which environments (both writers print it under the
 * matrix).
 */
export function detectiveControlsText(e: Pick<Evidence, 'detectiveControls'>): string[] {
  const groups = new Map<string, DetectiveControlsEvidence[]>();
  for (const d of e.detectiveControls) {
    const key = d.source === 'organization' ? inheritedFromText(d) : '';
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups].map(([from, ds]) => {
    const where = ds.map((d) => `${d.environment} (${d.account} ${d.region})`).join(', ');
    return from
      ? `Detective controls (GuardDuty, Security Hub, AWS Config) of ${where}: inherited from ${from}. These templates do not create them and only wire their high and critical findings to the alerting; rows resting on them read "inherited", neither met nor violated from these templates.`
      : `Detective controls (GuardDuty, Security Hub, AWS Config) of ${where}: created by these templates.`;
  });
}

export const inheritedFromText = (d: DetectiveControlsEvidence) =>
  `the organization${d.administratorAccount ? ` (delegated administrator account ${d.administratorAccount})` : ''}`;

/**
 * A control shown by resources the estate declares unless the organization
 * runs them (GuardDuty, Security Hub, AWS Config). Per environment: inherited
 * where the organization runs them (nothing in these templates can show them
 * met or violated); else met when its templates declare every type, violated
 * when any is missing. Rule results never count here.
 */
function detectiveRow(
  row: ControlRow,
  types: readonly string[],
  detective: readonly DetectiveControlsEvidence[],
  stacks: readonly EvidenceStack[],
): ControlStatus {
  const byEnv: Record<string, ControlCell> = {};
  const counts = zeroCounts();
  for (const d of detective) {
    if (d.source === 'organization') {
      byEnv[d.environment] = { status: 'inherited', counts: zeroCounts(), inheritedFrom: inheritedFromText(d) };
      continue;
    }
    const declared = new Set(
      stacks
        .filter((s) => s.environment === d.environment)
        .flatMap((s) => s.resources.filter((r) => r.path.startsWith(`${d.path}/`)).map((r) => r.type)),
    );
    const missing = types.filter((t) => !declared.has(t));
    const c = { ...zeroCounts(), compliant: types.length - missing.length, non_compliant: missing.length };
    counts.compliant += c.compliant;
    counts.non_compliant += c.non_compliant;
    byEnv[d.environment] = {
      status: missing.length ? 'violated' : 'met',
      counts: c,
      ...(missing.length ? { missing } : {}),
    };
  }
  const cells = Object.values(byEnv);
  const inherited = cells.length > 0 && cells.every((c) => c.status === 'inherited');
  const froms = [...new Set(cells.map((c) => c.inheritedFrom).filter((x): x is string => !!x))];
  return {
    ...row,
    status: inherited ? 'inherited' : controlState(counts, row.tests.length > 0),
    counts,
    ...(inherited ? { inheritedFrom: froms.join('; ') } : {}),
    byEnvironment: byEnv,
  };
}
