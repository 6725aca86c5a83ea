import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CfnResource,
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  Stack,
  Stage,
  Token,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CONTROL_MATRIX, REGULATIONS } from '../../../policies/control-matrix';
import { ComplianceLedger } from '../ledger';
import { diffEvidence, readEvidenceFile } from './diff';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { DETECTIVE_CONTROLS_METADATA } from '../../../constructs/detective-controls';
import { buildEvidence, DetectiveControlsEvidence, Evidence, EvidenceResult, EvidenceStack } from './model';
import { collectProvenance } from './provenance';
import { renderSarif } from './sarif';
import { checkSectionIds, EvidenceSection } from './sections';
import { indexConfig, SourceLocator } from './sources';

export const EVIDENCE_DIR = 'compliance';

/**
 * Context key naming a previous evidence.json: the HTML page then shows what changed since (`cdk synth -c
 * evidence-previous=...`).
 */
export const PREVIOUS_EVIDENCE_CONTEXT = 'evidence-previous';

export interface EvidenceOptions {
  /** The organization name from the estate config. */
  readonly estate: string;
  /** The estate config file (its digest goes into the provenance; its lines locate resources no trace reaches). */
  readonly configFile?: string;
  /** The validated config, digested when there is no file. */
  readonly configValue?: unknown;
  /** What to call the account of a stack outside stages (management account -> `organization`). */
  readonly accountNames?: Readonly<Record<string, string>>;
  /** Sections other parts of the estate add. */
  readonly sections?: readonly EvidenceSection[];
}

export type EvidenceFiles = Record<'json' | 'markdown' | 'html' | 'sarif', string>;

/**
 * Writes the compliance evidence into `<cdk.out>/compliance/` during
 * validation, after the packs (it is registered last), so the evidence
 * exists even when a finding then fails the synth. It reports nothing itself.
 */
export class ComplianceEvidencePlugin implements IPolicyValidationPlugin {
  readonly name = 'ComplianceEvidence';
  /** The files of the last run, for tools and tests. */
  lastWritten?: EvidenceFiles;
  /** What it was registered with (the sections included), for tools that write the evidence of the same app again. */
  readonly options: EvidenceOptions;

  constructor(
    private readonly ledger: ComplianceLedger,
    options: EvidenceOptions | string,
  ) {
    this.options = typeof options === 'string' ? { estate: options } : options;
    checkSectionIds(this.options.sections ?? []);
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const app = (context as IPolicyValidationContext & { appConstruct?: IConstruct }).appConstruct;
    if (!app || !Stage.isStage(app)) return { success: true, violations: [] };
    this.lastWritten = writeEvidence(app, this.ledger, this.options);
    return { success: true, violations: [] };
  }
}

/** The evidence of the app as the ledger last recorded it. */
export function collectEvidence(app: Stage, ledger: ComplianceLedger, options: EvidenceOptions): Evidence {
  const locator = new SourceLocator(indexConfig(options.configFile));
  const stacks: EvidenceStack[] = [];
  const stackInfo = new Map<Stack, { environment: string; stack: string }>();
  const byPath = new Map<string, IConstruct>();
  const detectiveAt: Array<{ construct: IConstruct; data: { source?: string; administratorAccount?: string } }> = [];
  const visit = (c: IConstruct) => {
    byPath.set(c.node.path, c);
    const detective = c.node.metadata.find((m) => m.type === DETECTIVE_CONTROLS_METADATA);
    if (detective)
      detectiveAt.push({ construct: c, data: detective.data as { source?: string; administratorAccount?: string } });
    if (Stack.isStack(c)) {
      const stage = Stage.of(c);
      const inStage = stage !== undefined && stage !== app && !Stack.isStack(c.node.scope);
      const account = Token.isUnresolved(c.account) ? 'unresolved' : c.account;
      const environment = inStage ? stage!.node.path : (options.accountNames?.[account] ?? c.node.id.toLowerCase());
      stackInfo.set(c, { environment, stack: c.node.id });
    }
    c.node.children.forEach(visit);
  };
  visit(app);
  for (const [stack, info] of stackInfo) {
    const resources = stack.node
      .findAll()
      .filter(
        (c): c is CfnResource =>
          CfnResource.isCfnResource(c) && Stack.of(c) === stack && c.cfnResourceType !== 'AWS::CDK::Metadata',
      )
      .map((r) => {
        const { source, trail } = locator.locate(r);
        return {
          path: r.node.path,
          type: r.cfnResourceType,
          logicalId: String(stack.resolve(r.logicalId)),
          source,
          trail,
        };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    stacks.push({
      id: stack.node.path,
      ...info,
      stackName: stack.stackName,
      account: Token.isUnresolved(stack.account) ? 'unresolved' : stack.account,
      region: Token.isUnresolved(stack.region) ? 'unresolved' : stack.region,
      resources,
    });
  }
  const results: EvidenceResult[] = ledger.results.map((r) => {
    const construct = byPath.get(r.path);
    const info = construct ? stackInfo.get(Stack.of(construct)) : undefined;
    const acknowledgedAt = r.status === 'acknowledged' ? locator.acknowledgedAt(r.acknowledgedTrace) : undefined;
    return {
      pack: r.pack,
      rule: r.rule,
      baseRule: r.baseRule,
      environment: info?.environment ?? r.path.split('/')[0],
      stack: info?.stack ?? r.path.split('/')[1] ?? '',
      path: r.path,
      status: r.status,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(acknowledgedAt ? { acknowledgedAt } : {}),
    };
  });
  const detectiveControls: DetectiveControlsEvidence[] = detectiveAt.map(({ construct, data }) => {
    const stack = Stack.of(construct);
    const info = stackInfo.get(stack)!;
    return {
      environment: info.environment,
      stack: stack.node.path,
      path: construct.node.path,
      account: Token.isUnresolved(stack.account) ? 'unresolved' : stack.account,
      region: Token.isUnresolved(stack.region) ? 'unresolved' : stack.region,
      source: data.source === 'organization' ? 'organization' : 'estate',
      ...(data.administratorAccount ? { administratorAccount: data.administratorAccount } : {}),
    };
  });
  const provenance = collectProvenance({
    configFile: options.configFile,
    configValue: options.configValue,
    packs: ledger.packs,
  });
  const evidence = buildEvidence({
    estate: options.estate,
    provenance,
    regulations: REGULATIONS,
    matrix: CONTROL_MATRIX,
    packs: ledger.packs,
    rules: ledger.rules.values(),
    notApplicable: ledger.notApplicable,
    results,
    stacks,
    detectiveControls,
  });
  for (const section of options.sections ?? []) {
    const data = section.collect(app, evidence);
    if (data !== undefined)
      evidence.sections[section.id] = { title: section.titleOf ? section.titleOf(data) : section.title, data };
  }
  return evidence;
}

export function writeEvidence(app: Stage, ledger: ComplianceLedger, options: EvidenceOptions | string): EvidenceFiles {
  const opts = typeof options === 'string' ? { estate: options } : options;
  const evidence = collectEvidence(app, ledger, opts);
  const previousFile = app.node.tryGetContext(PREVIOUS_EVIDENCE_CONTEXT) as string | undefined;
  const previous = previousFile ? readEvidenceFile(path.resolve(previousFile)) : undefined;
  return writeEvidenceFiles(path.join(app.outdir, EVIDENCE_DIR), evidence, {
    sections: opts.sections,
    ...(previous ? { diff: diffEvidence(previous, evidence), previousFile: path.basename(previousFile!) } : {}),
  });
}

export function writeEvidenceFiles(
  dir: string,
  evidence: Evidence,
  extra: { sections?: readonly EvidenceSection[]; diff?: ReturnType<typeof diffEvidence>; previousFile?: string } = {},
): EvidenceFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files: EvidenceFiles = {
    json: path.join(dir, 'evidence.json'),
    markdown: path.join(dir, 'report.md'),
    html: path.join(dir, 'report.html'),
    sarif: path.join(dir, 'findings.sarif'),
  };
  fs.writeFileSync(files.json, `${JSON.stringify(evidence, null, 2)}\n`);
  fs.writeFileSync(files.markdown, renderMarkdown(evidence, extra));
  fs.writeFileSync(files.html, renderHtml(evidence, extra));
  fs.writeFileSync(files.sarif, `${JSON.stringify(renderSarif(evidence, extra.sections), null, 2)}\n`);
  return files;
}
