import * as fs from 'node:fs';
import * as path from 'node:path';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stage } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CONTROL_MATRIX } from '../../../policies/control-matrix';
import { ComplianceLedger } from '../ledger';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import { buildEvidence, EvidenceResult } from './model';
import { renderSarif } from './sarif';
import { GuardrailSections, withGuardrailSections } from './guardrails';
import { PolicyValidationResult } from '../../../policies/validation/plugin';

export const EVIDENCE_DIR = 'compliance';

/**
 * Writes the compliance evidence into `<cdk.out>/compliance/` during
 * validation, after the packs (it is registered last), so the evidence
 * exists even when a finding then fails the synth. It reports nothing itself.
 */
export class ComplianceEvidencePlugin implements IPolicyValidationPlugin {
  readonly name = 'ComplianceEvidence';
  /** The files of the last run, for tools and tests. */
  lastWritten?: Record<'json' | 'markdown' | 'html' | 'sarif', string>;

  constructor(
    private readonly ledger: ComplianceLedger,
    private readonly estate: string,
    /** Where the synth's policy validation result is read from, when it ran. */
    private readonly policyValidation?: { readonly lastResult?: PolicyValidationResult },
  ) {}

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const app = (context as IPolicyValidationContext & { appConstruct?: IConstruct }).appConstruct;
    if (!app || !Stage.isStage(app)) return { success: true, violations: [] };
    this.lastWritten = writeEvidence(app, this.ledger, this.estate, { policyValidation: this.policyValidation?.lastResult });
    return { success: true, violations: [] };
  }
}

export function writeEvidence(app: Stage, ledger: ComplianceLedger, estate: string, guardrails: GuardrailSections = {}) {
  const repoRoot = process.cwd();
  const sources = new Map<string, EvidenceResult['source']>();
  const sourceOf = (p: string) => {
    if (!sources.has(p)) sources.set(p, findSource(app, p, repoRoot));
    return sources.get(p);
  };
  const evidence = withGuardrailSections(buildEvidence(estate, ledger, CONTROL_MATRIX, sourceOf), guardrails);
  const dir = path.join(app.outdir, EVIDENCE_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'evidence.json'),
    markdown: path.join(dir, 'report.md'),
    html: path.join(dir, 'report.html'),
    sarif: path.join(dir, 'findings.sarif'),
  };
  fs.writeFileSync(files.json, `${JSON.stringify(evidence, null, 2)}\n`);
  fs.writeFileSync(files.markdown, renderMarkdown(evidence));
  fs.writeFileSync(files.html, renderHtml(evidence));
  fs.writeFileSync(files.sarif, `${JSON.stringify(renderSarif(evidence), null, 2)}\n`);
  return files;
}

/** The first frame of the construct's creation trace that lies in this repository (not in node_modules). */
function findSource(app: IConstruct, constructPath: string, repoRoot: string): EvidenceResult['source'] {
  const node = findByPath(app, constructPath);
  if (!node) return undefined;
  for (let c: IConstruct | undefined = node; c; c = c.node.scope) {
    for (const entry of c.node.metadata) {
      for (const frame of entry.trace ?? []) {
        const m = /\(?([^()\s]+\.ts):(\d+):\d+\)?$/.exec(frame);
        if (m && !m[1].includes('node_modules') && path.resolve(m[1]).startsWith(repoRoot)) {
          return { file: path.relative(repoRoot, path.resolve(m[1])), line: Number(m[2]) };
        }
      }
    }
  }
  return undefined;
}

function findByPath(root: IConstruct, constructPath: string): IConstruct | undefined {
  let current: IConstruct | undefined = root;
  for (const id of constructPath.split('/')) current = current?.node.tryFindChild(id);
  return current;
}
