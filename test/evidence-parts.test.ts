/**
 * The parts of the evidence on small apps: locations when no trace reaches
 * our code, SARIF of a failing synth, provenance dating, the diff's
 * hostile cases, and sections other parts of the estate add.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { diffEvidence, readEvidenceFile, renderDiffText } from '../lib/compliance/evidence/diff';
import { buildEvidence, Evidence, EvidenceResult, EvidenceStack } from '../lib/compliance/evidence/model';
import { collectProvenance } from '../lib/compliance/evidence/provenance';
import { renderSarif } from '../lib/compliance/evidence/sarif';
import { EvidenceSection } from '../lib/compliance/evidence/sections';
import { registerCompliancePacks } from '../lib/compliance/nag-packs';
import { CONTROL_MATRIX, REGULATIONS } from '../policies/control-matrix';
import { cdkJsonContext, DEFAULT_ESTATE_FILE, REPO_ROOT } from './support/estate';
import { githubIngestionProblems } from './support/sarif-ingestion';

class ProbeStack extends Stack {
  constructor(scope: Stage, id: string) {
    super(scope, id);
    new s3.Bucket(this, 'PlainBucket', { enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  }
}
const BUCKET_LINE = fs.readFileSync(__filename, 'utf8').split('\n').findIndex((l) => l.includes("new s3.Bucket(this, 'PlainBucket'")) + 1;

/** A stage named like an environment of estate.yaml with one unencrypted bucket: synthesis fails, evidence is written. */
function probe(stageName: string, context: Record<string, unknown> = {}, sections: EvidenceSection[] = []) {
  const app = new App({ context: { ...cdkJsonContext(), ...context } });
  new ProbeStack(new Stage(app, stageName, { env: { account: '123456789012', region: 'eu-west-1' } }), 'Probe');
  registerCompliancePacks(app, { estate: 'probe', configFile: DEFAULT_ESTATE_FILE, sections });
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  const dir = path.join(app.outdir, 'compliance');
  return { dir, evidence: JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8')), sarif: JSON.parse(fs.readFileSync(path.join(dir, 'findings.sarif'), 'utf8')) };
}

describe('locations on a synth that fails on a finding', () => {
  test('every SARIF result is located at the line that creates the bucket, and GitHub would ingest it', () => {
    const { sarif, dir } = probe('dev');
    const results = sarif.runs[0].results;
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.suppressions).toBeUndefined();
      expect(r.locations[0].physicalLocation).toMatchObject({ artifactLocation: { uri: 'test/evidence-parts.test.ts' }, region: { startLine: BUCKET_LINE } });
      // Created in the stack's own constructor: that frame is the location, and nothing lies between it and the stack.
      expect(r.message.text).toContain(`created at test/evidence-parts.test.ts:${BUCKET_LINE} (new ProbeStack)`);
      expect(r.relatedLocations).toBeUndefined();
    }
    const bytes = fs.readFileSync(path.join(dir, 'findings.sarif'));
    expect(githubIngestionProblems(sarif, { repoRoot: REPO_ROOT, gzippedBytes: require('node:zlib').gzipSync(bytes).length })).toEqual([]);
  });

  test('without creation traces, a resource is located at the estate config entry that declares its environment', () => {
    const { evidence, sarif } = probe('dev', { 'aws:cdk:disable-creation-stack-traces': true });
    const devLine = fs.readFileSync(DEFAULT_ESTATE_FILE, 'utf8').split('\n').findIndex((l) => /^\s*- name: dev\s*$/.test(l)) + 1;
    const bucket = evidence.stacks[0].resources.find((r: any) => r.type === 'AWS::S3::Bucket');
    expect(bucket.source).toMatchObject({ file: 'estate.yaml', line: devLine, kind: 'config', label: 'environments dev' });
    for (const r of sarif.runs[0].results) expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('estate.yaml');
  });

  test('without traces or a config entry, it is still located in a file of the repository', () => {
    const { sarif } = probe('sandbox', { 'aws:cdk:disable-creation-stack-traces': true });
    for (const r of sarif.runs[0].results) expect(fs.existsSync(path.join(REPO_ROOT, r.locations[0].physicalLocation.artifactLocation.uri))).toBe(true);
  });
});

describe('provenance dating', () => {
  test('SOURCE_DATE_EPOCH dates the evidence when set; otherwise the commit time, never the clock', () => {
    const p = collectProvenance({ packs: ['AwsSolutions'], configFile: DEFAULT_ESTATE_FILE, env: { SOURCE_DATE_EPOCH: '1700000000' } });
    expect([p.time, p.timeSource]).toEqual(['2023-11-14T22:13:20Z', 'SOURCE_DATE_EPOCH']);
    const q = collectProvenance({ packs: ['AwsSolutions'], configFile: DEFAULT_ESTATE_FILE, env: { SOURCE_DATE_EPOCH: 'yesterday' } });
    expect(q.timeSource).toBe('commit time');
    expect(collectProvenance({ packs: [], configFile: DEFAULT_ESTATE_FILE, env: {} }).time).toBe(q.time);
  });

  test('outside a git checkout: says so, and digests the config it was given', () => {
    const p = collectProvenance({ packs: [], configValue: { b: 1, a: [2] }, env: {}, root: path.parse(REPO_ROOT).root });
    expect(p.commit).toBe('not a git checkout');
    expect(p.timeSource).toBe('none');
    expect(p.config.file).toBe('(validated config, canonical JSON)');
    expect(p.config.sha256).toBe(collectProvenance({ packs: [], configValue: { a: [2], b: 1 }, env: {}, root: path.parse(REPO_ROOT).root }).config.sha256);
    expect(p.config.sha256).not.toBe(collectProvenance({ packs: [], configValue: { a: [3], b: 1 }, env: {}, root: path.parse(REPO_ROOT).root }).config.sha256);
  });

  test('a build from a source archive takes the commit CodeBuild names, and nothing that is not a commit id', () => {
    const root = path.parse(REPO_ROOT).root;
    const sha = 'a'.repeat(40);
    expect(collectProvenance({ packs: [], configValue: {}, env: { CODEBUILD_RESOLVED_SOURCE_VERSION: sha }, root }).commit).toBe(sha);
    expect(collectProvenance({ packs: [], configValue: {}, env: { CODEBUILD_RESOLVED_SOURCE_VERSION: 'main; rm -rf /' }, root }).commit).toBe('not a git checkout');
  });
});

/** A small evidence built directly, for the diff's cases. */
function evidence(results: Array<Partial<EvidenceResult> & { rule: string; path: string; status: EvidenceResult['status'] }>, stacks: EvidenceStack[] = []): Evidence {
  return buildEvidence({
    estate: 'probe',
    provenance: collectProvenance({ packs: ['NIST.800.53.R5'], configValue: {}, env: { SOURCE_DATE_EPOCH: '0' } }),
    regulations: REGULATIONS,
    matrix: CONTROL_MATRIX,
    packs: ['NIST.800.53.R5'],
    rules: [{ id: 'NIST.800.53.R5-S3BucketVersioningEnabled', pack: 'NIST.800.53.R5', info: 'versioning (Control IDs: CP-10, SI-12).', explanation: '', level: 'error' }],
    notApplicable: [],
    results: results.map((r) => ({ pack: 'NIST.800.53.R5', baseRule: r.rule.replace(/\[.*$/, ''), environment: 'prod', stack: 'Foundation', ...r })),
    stacks,
  });
}

describe('the diff, hostile cases', () => {
  const rule = 'NIST.800.53.R5-S3BucketVersioningEnabled';
  const bucket = 'prod/Foundation/Bucket/Resource';

  test('a changed reason is reported as changed, not as a removed and a new waiver', () => {
    const a = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason one, long enough to pass.' }]);
    const b = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason two, long enough to pass.' }]);
    const d = diffEvidence(a, b);
    expect(d.changedReasons).toEqual([expect.objectContaining({ rule, path: bucket, before: 'Reason one, long enough to pass.', reason: 'Reason two, long enough to pass.' })]);
    expect([d.newWaivers, d.removedWaivers, d.controlChanges]).toEqual([[], [], []]);
  });

  test('a waiver that becomes a finding is a removed waiver and a new finding, and the control turns violated', () => {
    const a = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason one, long enough to pass.' }]);
    const b = evidence([{ rule, path: bucket, status: 'non_compliant' }]);
    const d = diffEvidence(a, b);
    expect(d.removedWaivers.map((r) => r.path)).toEqual([bucket]);
    expect(d.newFindings.map((r) => r.path)).toEqual([bucket]);
    expect(d.controlChanges).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'eu-ai-act.art-10', scope: 'prod', before: 'met with 1 waiver (0 compliant)', after: 'violated (1 non-compliant)' })]),
    );
    expect(renderDiffText(d)).toMatch(/Removed waivers \(1\)[\s\S]*New findings|New findings[\s\S]*Removed waivers \(1\)/);
  });

  test('stacks and resources added and removed, by stack and construct path', () => {
    const res = (p: string) => ({ path: p, type: 'AWS::S3::Bucket', logicalId: 'B', source: { file: 'estate.yaml', line: 1, column: 1, endColumn: 2, kind: 'config' as const, label: 'x' }, trail: [] });
    const st = (id: string, paths: string[]): EvidenceStack => ({ id, environment: 'prod', stack: id.split('/')[1], stackName: id, account: '1', region: 'r', resources: paths.map(res) });
    const a = evidence([], [st('prod/Foundation', ['prod/Foundation/A', 'prod/Foundation/B']), st('prod/Old', ['prod/Old/X'])]);
    const b = evidence([], [st('prod/Foundation', ['prod/Foundation/B', 'prod/Foundation/C']), st('prod/New', [])]);
    const d = diffEvidence(a, b);
    expect(d.addedResources.map((r) => r.path)).toEqual(['prod/Foundation/C']);
    expect(d.removedResources.map((r) => r.path)).toEqual(['prod/Foundation/A', 'prod/Old/X']);
    expect([d.addedStacks, d.removedStacks]).toEqual([['prod/New'], ['prod/Old']]);
  });

  test('a file of another schema is refused with what it is and what is expected', () => {
    const file = path.join(fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'evidence-')), 'old.json');
    fs.writeFileSync(file, JSON.stringify({ schema: 'regulated-mlops-evidence/2', results: {} }));
    expect(() => readEvidenceFile(file)).toThrow(/old\.json: field results must be a list/);
  });
});

describe('sections other parts of the estate add', () => {
  const section: EvidenceSection = {
    id: 'probe-matrix',
    title: 'Probe matrix',
    collect: (app) => ({ stacks: app.node.findAll().filter((c) => Stack.isStack(c)).length }),
    markdown: (data: any) => `probe stacks: ${data.stacks}`,
    html: (data: any) => `<p id="probe-section">probe stacks: ${data.stacks}</p>`,
    sarif: () => ({
      rules: [{ id: 'Probe-1', name: 'Probe1', shortDescription: { text: 'probe' }, fullDescription: { text: 'probe rule' }, help: { text: 'probe help' }, defaultConfiguration: { level: 'warning' } }],
      results: [
        {
          ruleId: 'Probe-1',
          level: 'warning',
          message: { text: 'probe result' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'estate.yaml' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 } } }],
          partialFingerprints: { primaryLocationLineHash: 'probe:1' },
        },
      ],
    }),
  };

  test('slot into evidence.json, the Markdown, the HTML page and the SARIF run', () => {
    const { dir, evidence: e, sarif } = probe('dev', {}, [section]);
    expect(e.sections['probe-matrix']).toEqual({ title: 'Probe matrix', data: { stacks: 1 } });
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Probe matrix\n\nprobe stacks: 1');
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('<p id="probe-section">probe stacks: 1</p>');
    const run = sarif.runs[0];
    const result = run.results.find((r: any) => r.ruleId === 'Probe-1');
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('Probe-1');
  });

  test('a duplicate section id, or a SARIF rule id that is a pack rule, is refused', () => {
    const app = new App({ context: cdkJsonContext() });
    expect(() => registerCompliancePacks(app, { estate: 'x', sections: [section, section] })).toThrow(/registered twice/);
    const clash: EvidenceSection = { ...section, id: 'clash', sarif: () => ({ rules: [{ ...section.sarif!(null, null as any).rules[0], id: 'AwsSolutions-S1' }], results: [] }) };
    const { evidence: e } = probe('dev');
    e.sections.clash = { title: 'clash', data: null };
    expect(() => renderSarif(e, [clash])).toThrow(/SARIF rule id AwsSolutions-S1 is already a pack rule/);
  });
});
