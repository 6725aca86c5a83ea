/**
 * The evidence a reviewer acts on: results located at the line of our code
 * that creates the resource, SARIF that GitHub code scanning ingests, waivers
 * grouped by reason, the control matrix per environment, every stack, the
 * provenance, byte-identical reproduction, and what changed between two
 * estates that differ by one removed control and one new waiver.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { App } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { diffEvidence } from '../lib/compliance/evidence/diff';
import { collectEvidence, PREVIOUS_EVIDENCE_CONTEXT, writeEvidenceFiles } from '../lib/compliance/evidence/plugin';
import { collectProvenance } from '../lib/compliance/evidence/provenance';
import { compliancePacks } from '../lib/compliance/nag-packs';
import { buildEstate, Estate, ESTATE_APP_PROPS } from '../lib/estate';
import { acknowledgeFindings, MIN_ACKNOWLEDGEMENT_REASON } from '../policies/acknowledge';
import { CONTROL_MATRIX, REGULATIONS } from '../policies/control-matrix';
import { launchBrowser } from './support/browser';
import { cdkJsonContext, defaultEstateConfig, REPO_ROOT, synthesizeEstate } from './support/estate';
import { FOUR_ENVIRONMENTS } from './support/estates';
import { execTs, spawnTs } from './support/run-ts';
import { githubIngestionProblems } from './support/sarif-ingestion';

// Where the page's screenshots stay after the run (the run's temp directory is removed).
const SCREENSHOTS = path.join(REPO_ROOT, 'cdk.out', 'test-evidence');

interface Evidence {
  readonly dir: string;
  readonly read: (file: string) => string;
  readonly json: () => any;
  readonly sarif: () => any;
}

interface Synth extends Evidence {
  readonly estate: Estate;
  readonly dir: string;
  readonly error?: Error;
  readonly read: (file: string) => string;
  readonly json: () => any;
  readonly sarif: () => any;
}

const evidenceIn = (dir: string): Evidence => {
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  return { dir, read, json: () => JSON.parse(read('evidence.json')), sarif: () => JSON.parse(read('findings.sarif')) };
};

/**
 * Builds and synthesizes the example estate in this process as the shared test assembly is
 * (test/support/estate.ts: same context, config given as a value), with a change applied
 * before synthesis; a failing synth still writes evidence.
 */
function synth(change?: (estate: Estate) => void, context: Record<string, unknown> = {}): Synth {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
  const app = new App({
    ...ESTATE_APP_PROPS,
    outdir,
    context: {
      ...cdkJsonContext(),
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:version-reporting': true,
      ...context,
    },
  });
  const estate = buildEstate(app, defaultEstateConfig());
  change?.(estate);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
  }
  return { estate, error, ...evidenceIn(path.join(outdir, 'compliance')) };
}

/** `rule @ path` of every finding the packs report on `scope`, acknowledgements aside. */
function findingsOn(scope: IConstruct, resourcePath: string): string[] {
  return compliancePacks()
    .flatMap((pack) =>
      pack
        .validateScope(scope)
        .violations.flatMap((v) => v.violatingResources.map((r) => [v.ruleName, r.constructPath])),
    )
    .filter(([, p]) => p === resourcePath)
    .map(([rule]) => rule!)
    .sort();
}

const REMOVED_CONTROL_PATH = 'prod/Foundation/Keys/DataKey/Resource';
const WAIVED_PATH = 'dev/Foundation/Network/FlowLogGroup/Resource';
const NEW_REASON = 'Flow logs of the dev network hold no customer data; the dev log key is under review (change 1234).';

let before: Evidence;
let after: Synth;
let removedControlRules: string[] = [];
let waivedRules: string[] = [];

beforeAll(() => {
  // The example's evidence as every test file shares it (synthesized once per run); this file synthesizes only the
  // changed estate.
  before = evidenceIn(path.join(synthesizeEstate().outdir, 'compliance'));
  // The same estate with one control removed (prod data key rotation off) and one new waiver (dev flow-log
  // group without its customer key, acknowledged with one reason); the previous evidence is given to the page.
  after = synth(
    (estate) => {
      (estate.stages.prod.foundation.keys.data.node.defaultChild as kms.CfnKey).enableKeyRotation = false;
      removedControlRules = findingsOn(estate.stages.prod, REMOVED_CONTROL_PATH);
      const group = estate.stages.dev.foundation.network.flowLogGroup;
      (group.node.defaultChild as logs.CfnLogGroup).kmsKeyId = undefined;
      waivedRules = findingsOn(estate.stages.dev, WAIVED_PATH);
      acknowledgeFindings(group, waivedRules, NEW_REASON);
    },
    { [PREVIOUS_EVIDENCE_CONTEXT]: path.join(before.dir, 'evidence.json') },
  );
}, 600_000);

describe('source locations', () => {
  test('every resource of every stack is located in a file of this repository, at the line that creates it', () => {
    const e = before.json();
    const resources = e.stacks.flatMap((s: any) => s.resources);
    expect(resources.length).toBeGreaterThan(500);
    const lines = new Map<string, string[]>();
    const lineOf = (file: string, line: number) => {
      if (!lines.has(file)) lines.set(file, fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').split('\n'));
      return lines.get(file)![line - 1];
    };
    for (const r of resources) {
      expect([r.path, r.source.kind]).toEqual([r.path, 'construct']);
      expect(fs.existsSync(path.join(REPO_ROOT, r.source.file))).toBe(true);
      expect(r.source.file).not.toMatch(/^policies\/acknowledge|node_modules/);
      // The `new X(` of our code, or the call that builds it (CDK Pipelines' buildPipeline()).
      const text = lineOf(r.source.file, r.source.line).slice(r.source.column - 1);
      expect([r.path, text]).toEqual([r.path, expect.stringMatching(/^(new\s+[\w.]+|[\w.]+)\s*[(<]/)]);
      for (const t of r.trail) expect(fs.existsSync(path.join(REPO_ROOT, t.file))).toBe(true);
    }
  });

  test('the endpoint config is located where the model endpoint construct creates it, with the frames up to its stack', () => {
    const e = before.json();
    const config = e.stacks
      .flatMap((s: any) => s.resources)
      .find((r: any) => /^prod\/Endpoints\d+\/fraud-score\/Endpoint\/Config$/.test(r.path));
    const file = 'constructs/model-endpoint/endpoint-config.ts';
    const line =
      fs
        .readFileSync(path.join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('new sagemaker.CfnEndpointConfig(')) + 1;
    expect(line).toBeGreaterThan(0);
    expect(config.source).toMatchObject({ file, line, kind: 'construct', label: 'capturedEndpointConfig' });
    expect(config.trail.map((t: any) => t.label)).toEqual(['new ModelEndpoint', 'new EndpointsStack']);
    expect(config.trail[0].file).toBe('constructs/model-endpoint/index.ts');
    expect(config.trail[1].file).toBe('lib/stacks/endpoints-stack.ts');
  });

  test('acknowledgements are located at the code that made them, never at the acknowledgement helpers', () => {
    const acknowledged = before.json().results.filter((r: any) => r.status === 'acknowledged');
    expect(acknowledged.length).toBeGreaterThan(100);
    for (const r of acknowledged) {
      expect([r.path, typeof r.acknowledgedAt?.file]).toEqual([r.path, 'string']);
      expect([r.path, r.acknowledgedAt.file]).toEqual([r.path, expect.not.stringMatching(/^policies\/acknowledge/)]);
    }
  });

  test('stacks outside stages are in the evidence with their own stack and account: the organization (SCPs) and delivery', () => {
    const e = before.json();
    const organization = e.stacks.find((s: any) => s.id === 'Organization');
    expect(organization).toMatchObject({ environment: 'organization', stack: 'Organization' });
    expect(organization.resources.map((r: any) => r.type)).toEqual(
      expect.arrayContaining(['AWS::Organizations::Policy', 'AWS::Organizations::OrganizationalUnit']),
    );
    const delivery = e.results.filter((r: any) => r.path.startsWith('Delivery/'));
    expect(delivery.length).toBeGreaterThan(0);
    for (const r of delivery) expect([r.path, r.environment, r.stack]).toEqual([r.path, 'delivery', 'Delivery']);
    for (const r of e.results.filter((x: any) => x.path.startsWith('DeliverySupport-')))
      expect(r.stack).toMatch(/^DeliverySupport-/);
    expect(e.environments).toEqual(expect.arrayContaining(['organization', 'delivery', 'dev', 'staging', 'prod']));
  });
});

describe('SARIF for GitHub code scanning', () => {
  const { toBeValidSarifLog } = require('@microsoft/jest-sarif');
  expect.extend({ toBeValidSarifLog });

  test.each([
    ['a clean synth', () => before],
    ['a synth that fails on a finding', () => after],
  ])('%s: valid SARIF 2.1.0 that meets every documented ingestion rule', (_name, which) => {
    const s = which();
    const sarif = s.sarif();
    (expect(sarif) as any).toBeValidSarifLog();
    expect(
      githubIngestionProblems(sarif, {
        repoRoot: REPO_ROOT,
        gzippedBytes: zlib.gzipSync(s.read('findings.sarif')).length,
      }),
    ).toEqual([]);
  });

  test('the failing synth fails on the removed control, and its SARIF locates the unacknowledged findings at the key', () => {
    expect(after.error?.message).toMatch(/KMSBackingKeyRotationEnabled/);
    const results = after.sarif().runs[0].results.filter((r: any) => !r.suppressions);
    expect(results.length).toBe(removedControlRules.length);
    for (const r of results) {
      expect(r.locations[0].logicalLocations[0].fullyQualifiedName).toBe(REMOVED_CONTROL_PATH);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toBe('constructs/encryption-keys.ts');
    }
  });

  test('one result per non-compliant or acknowledged outcome, fingerprints unique per finding and resource', () => {
    const e = before.json();
    const results = before.sarif().runs[0].results;
    expect(results).toHaveLength(e.results.filter((r: any) => r.status !== 'compliant').length);
    const prints = new Set(results.map((r: any) => r.partialFingerprints.primaryLocationLineHash));
    expect(prints.size).toBe(results.length);
    // The acknowledged results are suppressed with their reason.
    for (const r of results)
      expect(r.suppressions[0].justification.length).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGEMENT_REASON);
  });
});

describe('waivers and the control matrix', () => {
  test('acknowledgements are grouped by rule and reason, and the groups add up to every acknowledged result', () => {
    const e = before.json();
    const acknowledged = e.results.filter((r: any) => r.status === 'acknowledged');
    expect(e.waivers.reduce((n: number, w: any) => n + w.count, 0)).toBe(acknowledged.length);
    expect(new Set(e.waivers.map((w: any) => `${w.baseRule}\u0000${w.reason}`)).size).toBe(e.waivers.length);
    expect(new Set(e.waivers.map((w: any) => w.reason)).size).toBe(
      new Set(acknowledged.map((r: any) => r.reason)).size,
    );
    for (const w of e.waivers) {
      const members = acknowledged.filter((r: any) => r.baseRule === w.baseRule && r.reason === w.reason);
      expect([w.baseRule, w.count, w.resources.map((r: any) => r.path)]).toEqual([
        w.baseRule,
        members.length,
        [...new Set(members.map((r: any) => r.path))].sort(),
      ]);
      expect(w.acknowledgedAt.length).toBeGreaterThan(0);
      expect(w.controls).toEqual(CONTROL_MATRIX.filter((row) => row.rules.includes(w.baseRule)).map((row) => row.id));
    }
  });

  test('a control with acknowledged results is "met with waivers", not "met", in each environment that has them', () => {
    const e = before.json();
    for (const row of e.controlMatrix.filter((r: any) => !r.detectiveResources)) {
      for (const [env, cell] of Object.entries<any>(row.byEnvironment)) {
        const rs = e.results.filter((r: any) => r.environment === env && row.rules.includes(r.baseRule));
        const expected = rs.some((r: any) => r.status === 'non_compliant')
          ? 'violated'
          : rs.some((r: any) => r.status === 'acknowledged')
            ? 'met_with_waivers'
            : 'met';
        expect([row.id, env, cell.status]).toEqual([row.id, env, expected]);
      }
    }
    expect(e.controlMatrix.find((r: any) => r.id === 'zero-trust.least-privilege').status).toBe('met_with_waivers');
  });

  test('one version per regulation, and every matrix row cites a named one; PCI DSS clauses use the pack numbering (v3.2.1)', () => {
    const e = before.json();
    expect(new Set(e.regulations.map((r: any) => r.id)).size).toBe(e.regulations.length);
    for (const row of e.controlMatrix) expect(REGULATIONS.map((r) => r.id)).toContain(row.regulation);
    const pci = REGULATIONS.find((r) => r.id === 'PCI DSS')!;
    expect(pci).toMatchObject({ pack: 'PCI.DSS.321', version: expect.stringMatching(/^v3\.2\.1/) });
    // 4.2.1 and 10.5.1 are PCI DSS v4 numbers; the pack cites v3.2.1 ones.
    for (const row of CONTROL_MATRIX.filter((r) => r.regulation === 'PCI DSS'))
      expect(row.clause).not.toMatch(/\b(4\.2\.1|10\.5\.1)\b/);
    const packIds = new Set(e.rules.filter((r: any) => r.pack === 'PCI.DSS.321').flatMap((r: any) => r.controlIds));
    expect(packIds.has('4.1')).toBe(true);
  });

  test('the evidence says it is design-time, and carries its provenance', () => {
    const e = before.json();
    expect(e.kind).toBe('design-time');
    expect(before.read('report.md')).toContain(e.statement);
    expect(before.read('report.html')).toContain('Design-time evidence');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    expect([head, e.provenance.baseCommit].filter(Boolean)).toContain(
      e.provenance.commit === 'uncommitted changes' ? e.provenance.baseCommit : e.provenance.commit,
    );
    // Given as a value here (cdk synth names the file: its SHA-256 then, see evidence-parts).
    expect(e.provenance.config).toEqual(
      collectProvenance({ packs: [], configValue: defaultEstateConfig(), env: {} }).config,
    );
    expect(e.provenance.config.file).toBe('(validated config, canonical JSON)');
    expect(e.provenance.tools).toMatchObject({
      'aws-cdk-lib': require('aws-cdk-lib/package.json').version,
      'cdk-nag': require('cdk-nag/package.json').version,
    });
    expect(e.provenance.packs.map((p: any) => p.name)).toEqual(e.packs);
  });
});

describe('detective controls: who runs them, per environment', () => {
  const DETECTIVE = CONTROL_MATRIX.find((r) => r.detectiveResources)!;

  test('the example estate creates them: each environment is "met" by exactly the types its detective controls construct declares', () => {
    const e = before.json();
    const stageEnvs = e.stacks
      .filter((s: any) => s.id.endsWith('/Foundation'))
      .map((s: any) => s.environment)
      .sort();
    // One per environment and allowed region: the home region's in the Foundation stack, the others' in
    // Detection-<region>.
    const allowed = defaultEstateConfig().organization.allowedRegions;
    expect(e.detectiveControls.map((d: any) => [d.environment, d.region, d.source]).sort()).toEqual(
      stageEnvs.flatMap((env: string) => allowed.map((r) => [env, r, 'estate'])).sort(),
    );
    const row = e.controlMatrix.find((r: any) => r.id === DETECTIVE.id);
    expect(Object.keys(row.byEnvironment).sort()).toEqual(stageEnvs);
    for (const d of e.detectiveControls) {
      const declared = new Set(
        e.stacks
          .flatMap((s: any) => s.resources)
          .filter((r: any) => r.path.startsWith(`${d.path}/`))
          .map((r: any) => r.type),
      );
      for (const t of DETECTIVE.detectiveResources!)
        expect([d.environment, t, declared.has(t)]).toEqual([d.environment, t, true]);
      expect(row.byEnvironment[d.environment]).toMatchObject({
        status: 'met',
        counts: { compliant: DETECTIVE.detectiveResources!.length, non_compliant: 0 },
      });
    }
    expect(before.read('report.md')).toMatch(
      /Detective controls \(GuardDuty, Security Hub, AWS Config\) of .*: created by these templates\./,
    );
  });

  test("the four-environment estate adopts the organization's: every environment inherited from its administrator, none met or violated, nothing of them in the templates", () => {
    // Built, not synthesized: who runs them and what the templates declare come from the construct tree; no pack result
    // counts for this row.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-four-'));
    // Without the organization stack (no management account): this reads the environments' detective controls, not the
    // SCPs.
    const four = FOUR_ENVIRONMENTS.config();
    const config = { ...four, organization: { ...four.organization, managementAccount: undefined } };
    const app = new App({ ...ESTATE_APP_PROPS, outdir, context: cdkJsonContext() });
    const estate = buildEstate(app, config);
    const e = collectEvidence(app, estate.compliance.ledger, estate.compliance.evidence.options);
    const admin = config.organization.detectiveControls.administratorAccount!;
    expect(admin).toBe('777777777777');
    expect(e.detectiveControls.map((d) => [d.environment, d.region, d.source, d.administratorAccount]).sort()).toEqual(
      ['dev', 'prod', 'staging', 'uat']
        .flatMap((env) => config.organization.allowedRegions.map((r) => [env, r, 'organization', admin]))
        .sort(),
    );
    for (const d of e.detectiveControls) {
      const env = config.environments.find((x) => x.name === d.environment)!;
      expect([d.account, d.stack]).toEqual([
        env.account,
        d.region === env.region ? `${env.name}/Foundation` : `${env.name}/Detection-${d.region}`,
      ]);
    }
    const row = e.controlMatrix.find((r) => r.id === DETECTIVE.id)!;
    expect(row.status).toBe('inherited');
    for (const env of ['dev', 'uat', 'staging', 'prod']) {
      expect([env, row.byEnvironment[env].status, row.byEnvironment[env].inheritedFrom]).toEqual([
        env,
        'inherited',
        `the organization (delegated administrator account ${admin})`,
      ]);
    }
    const types = e.stacks.flatMap((s) => s.resources.map((r) => r.type));
    for (const t of DETECTIVE.detectiveResources!) expect(types).not.toContain(t);
    const files = writeEvidenceFiles(path.join(outdir, 'compliance'), e);
    expect(fs.readFileSync(files.markdown, 'utf8')).toContain(
      `inherited from the organization (delegated administrator account ${admin}). These templates do not create them`,
    );
    expect(fs.readFileSync(files.html, 'utf8')).toMatch(
      /<td class="status inherited" data-env="uat">inherited from the organization \(delegated administrator account 777777777777\), not in these templates<\/td>/,
    );
    const Ajv = require('ajv');
    const ajv = new Ajv({ allErrors: true });
    expect([
      ajv.validate(
        require('../lib/compliance/evidence/evidence.schema.json'),
        JSON.parse(fs.readFileSync(files.json, 'utf8')),
      ),
      ajv.errors,
    ]).toEqual([true, null]);
  }, 300_000);
});

describe('what changed: two estates that differ by one removed control and one new waiver', () => {
  test('the diff lists exactly the new findings, the new waivers and the controls they changed; nothing else', () => {
    expect(removedControlRules.length).toBeGreaterThan(0);
    expect(waivedRules.length).toBeGreaterThan(0);
    const d = diffEvidence(before.json(), after.json());
    expect(d.newFindings.map((r) => `${r.rule} @ ${r.path}`).sort()).toEqual(
      removedControlRules.map((r) => `${r} @ ${REMOVED_CONTROL_PATH}`),
    );
    expect(d.newWaivers.map((r) => `${r.rule} @ ${r.path}`).sort()).toEqual(
      waivedRules.map((r) => `${r} @ ${WAIVED_PATH}`),
    );
    for (const w of d.newWaivers) expect(w.reason).toBe(NEW_REASON);
    expect([
      d.removedFindings,
      d.removedWaivers,
      d.changedReasons,
      d.addedResources,
      d.removedResources,
      d.addedStacks,
      d.removedStacks,
    ]).toEqual([[], [], [], [], [], [], []]);
    const pciProd = d.controlChanges.find((c) => c.id === 'pci-dss.crypto-and-audit' && c.scope === 'prod');
    expect(pciProd).toMatchObject({ before: expect.stringMatching(/^met/), after: expect.stringMatching(/^violated/) });
    // Every control change is explained by the two edits: prod (the key) or dev (the log group), or the estate-wide
    // row.
    for (const c of d.controlChanges) expect(['prod', 'dev', '(estate)']).toContain(c.scope);
    expect(d.controlChanges.some((c) => c.scope === 'dev' && /waiver/.test(c.after))).toBe(true);
  });

  test('npm run evidence:diff prints it, and --json gives the same diff', () => {
    const a = path.join(before.dir, 'evidence.json');
    const b = path.join(after.dir, 'evidence.json');
    const text = execTs('bin/evidence-diff.ts', [a, b]);
    expect(text).toMatch(new RegExp(`New findings \\(non-compliant\\) \\(${removedControlRules.length}\\)`));
    expect(text).toContain(`New waivers (${waivedRules.length})`);
    expect(text).toContain(NEW_REASON);
    expect(text).toMatch(/PCI DSS .*\[prod\]: met .* -> violated/);
    const json = JSON.parse(execTs('bin/evidence-diff.ts', [a, b, '--json']));
    expect(json).toEqual(JSON.parse(JSON.stringify(diffEvidence(before.json(), after.json()))));
    const same = execTs('bin/evidence-diff.ts', [a, a]);
    expect(same).toContain('No change in findings, waivers, controls or resources.');
  });

  test.each<[string, (dir: string) => string[], RegExp]>([
    ['one file only', (dir) => [path.join(dir, 'a.json')], /expected two evidence files, got 1/],
    [
      'a missing file',
      (dir) => [path.join(dir, 'missing.json'), path.join(dir, 'a.json')],
      /missing\.json: cannot be read \(ENOENT\)/,
    ],
    [
      'a file that is not JSON',
      (dir) => [path.join(dir, 'broken.json'), path.join(dir, 'a.json')],
      /broken\.json: is not JSON/,
    ],
    [
      'evidence of the previous schema',
      (dir) => [path.join(dir, 'v1.json'), path.join(dir, 'a.json')],
      /v1\.json: is not compliance evidence of schema regulated-mlops-evidence\/2 \(its schema field is "regulated-mlops-evidence\/1"\)/,
    ],
    [
      'an unknown option',
      (dir) => ['--colour', path.join(dir, 'a.json'), path.join(dir, 'a.json')],
      /unknown option --colour/,
    ],
  ])('refuses %s with a sentence, exit 2, no stack trace', (_name, args, message) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-input-'));
    fs.copyFileSync(path.join(before.dir, 'evidence.json'), path.join(dir, 'a.json'));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"schema": ');
    fs.writeFileSync(path.join(dir, 'v1.json'), JSON.stringify({ schema: 'regulated-mlops-evidence/1', results: [] }));
    const run = spawnTs('bin/evidence-diff.ts', args(dir));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('byte-identical reproduction', () => {
  test('the same inputs give the same four files, byte for byte, dated by the commit, not the clock', () => {
    // The shared assembly was synthesized by whichever test file asked first, possibly in another worker process; this
    // synth is this file's own, into another directory. A fresh clone at another path reproduces all four files with
    // cmp.
    const again = synth();
    for (const file of ['evidence.json', 'findings.sarif', 'report.html', 'report.md']) {
      expect([file, again.read(file) === before.read(file)]).toEqual([file, true]);
    }
    const { time, timeSource } = before.json().provenance;
    const epoch =
      process.env.SOURCE_DATE_EPOCH ??
      execFileSync('git', ['log', '-1', '--format=%ct', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    expect([timeSource, time]).toEqual([
      process.env.SOURCE_DATE_EPOCH ? 'SOURCE_DATE_EPOCH' : 'commit time',
      new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ]);
  }, 600_000);
});

describe('the page in a real browser, at 1,280 px', () => {
  let browser: any;
  let page: any;
  const blocked: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e: Error) => errors.push(e.message));
    page.on('console', (m: any) => m.type() === 'error' && errors.push(m.text()));
    await page.route('**/*', (route: any) =>
      route.request().url().startsWith('file:')
        ? route.continue()
        : (blocked.push(route.request().url()), route.abort()),
    );
    await page.goto(`file://${path.join(after.dir, 'report.html')}`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  const select = async (filters: Record<string, string>) => {
    for (const id of ['reg', 'env', 'stack', 'pack', 'status'])
      await page.selectOption(`#filter-${id}`, filters[id] ?? '');
    await page.fill('#filter-text', filters.text ?? '');
  };
  const num = async (selector: string) => Number(await page.textContent(selector));

  test('the reason column is on screen and wide enough to read, with no horizontal scrolling', async () => {
    const header = await page.locator('#results th.reason-col').boundingBox();
    expect(header.x + header.width).toBeLessThanOrEqual(1280);
    expect(header.width).toBeGreaterThanOrEqual(300);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
  });

  test('filters by regulation, environment, stack, pack and status; the totals and the summary follow them', async () => {
    const e = after.json();
    const regs = new Map(e.rules.map((r: any) => [r.id, r.regulations]));
    const stackOf = (r: any) =>
      ['organization', 'delivery'].includes(r.environment) ? r.stack : `${r.environment}/${r.stack}`;
    const expectShown = async (filters: Record<string, string>) => {
      await select(filters);
      const match = e.results.filter(
        (r: any) =>
          (!filters.reg || (regs.get(r.baseRule) as string[]).includes(filters.reg)) &&
          (!filters.env || r.environment === filters.env) &&
          (!filters.stack || stackOf(r) === filters.stack) &&
          (!filters.pack || r.pack === filters.pack) &&
          (!filters.status || r.status === filters.status),
      );
      expect([filters, await num('#shown')]).toEqual([filters, match.length]);
      expect(await page.locator('tr.result:visible').count()).toBe(match.length);
      for (const s of ['compliant', 'acknowledged', 'non_compliant'])
        expect([s, await num(`#total-${s}`)]).toEqual([s, match.filter((r: any) => r.status === s).length]);
      return match.length;
    };
    expect(await expectShown({ reg: 'PCI DSS', env: 'prod', status: 'non_compliant' })).toBeGreaterThan(0);
    expect(await expectShown({ env: 'dev', stack: 'dev/Foundation', status: 'acknowledged' })).toBeGreaterThan(0);
    expect(await expectShown({ stack: 'Delivery', pack: 'AwsSolutions' })).toBeGreaterThan(0);
    expect(await expectShown({ reg: 'EU AI Act', env: 'staging' })).toBeGreaterThan(0);
    await select({ env: 'prod', pack: 'NIST.800.53.R5' });
    const cell = page.locator(
      '#summary tr[data-env="prod"][data-pack="NIST.800.53.R5"] td[data-count="non_compliant"]',
    );
    expect(Number(await cell.textContent())).toBe(e.byEnvironment.prod['NIST.800.53.R5'].non_compliant);
    expect(await page.locator('#summary tr[data-env="dev"]:visible').count()).toBe(0);
  });

  test('the control matrix shows violated, met with N waivers and met per environment, and follows a stack filter', async () => {
    await select({});
    const pci = page.locator('tr.control[data-id="pci-dss.crypto-and-audit"]');
    expect(await pci.locator('td[data-env="prod"]').textContent()).toMatch(/^violated \(\d+ non-compliant\)$/);
    expect(await pci.locator('td[data-env="staging"]').textContent()).toMatch(/^met \(\d+\)$/);
    const zeroTrust = page.locator('tr.control[data-id="zero-trust.least-privilege"] td[data-env="prod"]');
    const e = after.json();
    const waived = e.controlMatrix.find((r: any) => r.id === 'zero-trust.least-privilege').byEnvironment.prod.counts
      .acknowledged;
    expect(await zeroTrust.textContent()).toMatch(new RegExp(`^met with ${waived} waivers`));
    const detective = page.locator(`tr.control[data-id="${CONTROL_MATRIX.find((r) => r.detectiveResources)!.id}"]`);
    expect(await detective.locator('td[data-env="prod"]').textContent()).toMatch(/^met \(5\)$/);
    await select({ stack: 'staging/Foundation' });
    expect(await pci.locator('td[data-env="prod"]').textContent()).toBe('-');
    // Who runs the detective controls does not come from rule results: the filters leave the cells as they are.
    expect(await detective.locator('td[data-env="prod"]').textContent()).toMatch(/^met \(5\)$/);
    await select({ reg: 'GLBA' });
    expect(await page.locator('tr.control:visible').count()).toBe(
      CONTROL_MATRIX.filter((r) => r.regulation === 'GLBA').length,
    );
  });

  test('waivers are grouped by reason; filtering to the new waiver shows one reason with its rules, resource and place in the code', async () => {
    const e = after.json();
    await select({});
    expect(await page.locator('div.reason').count()).toBe(new Set(e.waivers.map((w: any) => w.reason)).size);
    await select({ env: 'dev', text: 'change 1234' });
    expect(await num('#reasons-shown')).toBe(1);
    const reason = page.locator('div.reason:visible');
    expect(await reason.locator('h3').textContent()).toBe(NEW_REASON);
    expect(await reason.locator('tr.waiver:visible').count()).toBe(waivedRules.length);
    expect(await reason.textContent()).toContain('test/evidence.test.ts:');
    await reason
      .locator('details')
      .first()
      .evaluate((d: { open: boolean }) => (d.open = true));
    expect(await reason.locator('li:visible').first().textContent()).toBe(WAIVED_PATH);
    await reason.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report-waivers.png') });
  });

  test('the "what changed" section lists the new findings, the new waiver and the controls whose status changed', async () => {
    await select({});
    const d = diffEvidence(before.json(), after.json());
    expect(await num('[data-count="diff-new-findings"]')).toBe(d.newFindings.length);
    expect(await page.locator('#diff-new-findings tbody tr').count()).toBe(d.newFindings.length);
    expect(await page.locator('#diff-new-waivers tbody tr').count()).toBe(d.newWaivers.length);
    expect(await page.locator('#diff-controls tbody tr').count()).toBe(d.controlChanges.length);
    expect(await page.locator('#diff-removed-findings').textContent()).toBe('None.');
    await page.locator('#diff-h').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report-diff.png') });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report.png') });
    for (const f of ['report.png', 'report-diff.png', 'report-waivers.png'])
      expect(fs.statSync(path.join(SCREENSHOTS, f)).size).toBeGreaterThan(10_000);
  });

  test('the page loads nothing from the network and raises no script error', () => {
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});
