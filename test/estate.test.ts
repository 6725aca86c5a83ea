/**
 * Regression tests of the blueprint: the example estate (the committed fixture
 * test/fixtures/example-estate.yaml, whatever estate.yaml holds), synthesized
 * once, its exact stacks, counts, names and snapshots pinned. The properties
 * every estate must have are checked in test/invariants, on the repository's
 * estate and on estates shaped unlike the example.
 */
import { Validations } from 'aws-cdk-lib';
import { STATEFUL_RESOURCE_TYPES } from '../lib/aspects/stateful-resources';
import { compliancePacks } from '../lib/compliance/nag-packs';
import { MIN_ACKNOWLEDGEMENT_REASON } from '../policies/acknowledge';
import { shardOf, shardStackId } from '../lib/ml/sharding';
import { defaultEstateConfig, SynthesizedEstate, synthesizeEstate } from './support/estate';
import { imageRepositoriesIn, repositoryBuckets, repositoryStackId } from '../lib/stacks/image-repositories-stack';
import { expectStackSnapshot, stackSnapshot, staleStackSnapshots } from './support/stack-snapshots';
import { launchBrowser } from './support/browser';

type Resources = Record<
  string,
  { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: any }
>;

let synth: SynthesizedEstate;
const resources = (stack: string): Resources => synth.templates[stack].toJSON().Resources;
const ofType = (stack: string, type: string) => Object.entries(resources(stack)).filter(([, r]) => r.Type === type);

beforeAll(() => {
  synth = synthesizeEstate();
});

/**
 * Every finding of every pack with acknowledgements ignored (`rule @ path`, by
 * pack), computed once for the tests that need it: what the acknowledgements
 * cover, and what the evidence must count as acknowledged.
 */
let unacknowledged: Record<string, string[]> | undefined;
function findingsIgnoringAcknowledgements(): Record<string, string[]> {
  if (unacknowledged) return unacknowledged;
  const out: Record<string, string[]> = {};
  const original = Object.getOwnPropertyDescriptor(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY')!;
  Object.defineProperty(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY', {
    value: 'ignore-acknowledgements',
    configurable: true,
  });
  try {
    for (const pack of compliancePacks()) {
      out[pack.name] = pack
        .validateScope(synth.app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
    }
  } finally {
    Object.defineProperty(Validations, 'ACKNOWLEDGED_RULES_METADATA_KEY', original);
  }
  return (unacknowledged = out);
}

const ENVIRONMENTS = ['dev', 'staging', 'prod'];
const STACKS = ENVIRONMENTS.map((e) => `${e}/Foundation`);
const REPLICAS = ENVIRONMENTS.map((e) => `${e}/AuditReplica`);
const GOVERNANCE = ENVIRONMENTS.map((e) => `${e}/ModelGovernance`);
const PLATFORM = ENVIRONMENTS.map((e) => `${e}/MLPlatform`);
/** Endpoint shards: every model has a shard (its model card) in every environment. */
const SHARDS = ENVIRONMENTS.flatMap((e) =>
  ['fraud-score', 'credit-default', 'deposit-forecast'].map((m) => `${e}/${shardStackId(shardOf(m))}`),
);
/**
 * Image repository stacks: the repositories each environment's account holds, by name
 * (lib/stacks/image-repositories-stack.ts).
 */
const REPOSITORIES = defaultEstateConfig().environments.flatMap((e) =>
  [...repositoryBuckets(imageRepositoriesIn(defaultEstateConfig(), e.account)).keys()].map(
    (b) => `${e.name}/${repositoryStackId(b)}`,
  ),
);
/** Detective controls in each environment's other allowed region. */
const DETECTION = ENVIRONMENTS.map((e) => `${e}/Detection-eu-central-1`);
const ALL_STACKS = [...STACKS, ...REPLICAS, ...DETECTION, ...GOVERNANCE, ...PLATFORM, ...SHARDS, ...REPOSITORIES];
/** Stacks outside the environments: the organization's guardrails and the delivery pipeline. */
const SHARED_STACKS = ['Organization', 'Delivery', 'DeliverySupport-eu-central-1'];
const envOf = (stack: string) => synth.config.environments.find((e) => stack.startsWith(`${e.name}/`))!;

describe('the default estate', () => {
  test('has one stage per configured environment, with the foundation, audit replica and governance stacks in each', () => {
    expect(Object.keys(synth.estate.stages).sort()).toEqual([...ENVIRONMENTS].sort());
    expect(Object.keys(synth.templates).sort()).toEqual([...ALL_STACKS, ...SHARED_STACKS].sort());
  });

  // One file per stack under test/__snapshots__/stacks: the inventory of every stack, the whole template of prod's and
  // the shared ones.
  test.each([...ALL_STACKS, ...SHARED_STACKS])('%s matches its snapshot', (stack) => {
    const full = stack.startsWith('prod/') || SHARED_STACKS.includes(stack);
    expectStackSnapshot(stack, stackSnapshot(stack, synth.templates[stack].toJSON(), full));
  });

  test('no snapshot file is left of a stack that is gone', () => {
    expect(staleStackSnapshots([...ALL_STACKS, ...SHARED_STACKS])).toEqual([]);
  });
});

describe('estate-wide Aspects', () => {
  test.each([...STACKS, ...GOVERNANCE])('every role in %s carries the workload permissions boundary', (stack) => {
    const roles = ofType(stack, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(3);
    for (const [id, role] of roles) {
      // The break-glass role alone carries its own boundary (tested below).
      const expected = id.startsWith('BreakGlassRole')
        ? /BreakGlassBoundary[0-9A-F]{8}/
        : /WorkloadPermissionsBoundary[0-9A-F]{8}/;
      expect([id, JSON.stringify(role.Properties.PermissionsBoundary)]).toEqual([id, expect.stringMatching(expected)]);
    }
  });

  test.each(STACKS)('no role in %s has an inline policy, but for the CDK VPC provider', (stack) => {
    expect(ofType(stack, 'AWS::IAM::Policy')).toEqual([]);
    // aws-cdk-lib's own provider that strips the default security group keeps its
    // permissions (revoke rules on that one group) inline; it cannot be changed.
    const ours = ofType(stack, 'AWS::IAM::Role').filter(
      ([id]) => !id.startsWith('CustomVpcRestrictDefaultSGCustomResourceProvider'),
    );
    expect(ours.length).toBe(5);
    for (const [, role] of ours) expect(role.Properties.Policies).toBeUndefined();
  });

  test.each(GOVERNANCE)('no role in %s has an inline policy', (stack) => {
    expect(ofType(stack, 'AWS::IAM::Policy')).toEqual([]);
    const ours = ofType(stack, 'AWS::IAM::Role');
    // Four gate functions (approval, deployment, review reminder, model pinner), personas, replication.
    expect(ours.length).toBe(9);
    for (const [, role] of ours) expect(role.Properties.Policies).toBeUndefined();
  });

  test.each(ALL_STACKS)('keys, buckets, log groups and the VPC in %s carry the estate tags', (stack) => {
    const env = stack.split('/')[0];
    for (const type of [
      'AWS::KMS::Key',
      'AWS::S3::Bucket',
      'AWS::Logs::LogGroup',
      'AWS::EC2::VPC',
      'AWS::CloudTrail::Trail',
    ]) {
      for (const [, r] of ofType(stack, type)) {
        expect(r.Properties.Tags).toEqual(
          expect.arrayContaining([
            { Key: 'estate:environment', Value: env },
            { Key: 'estate:organization', Value: 'examplebank' },
            { Key: 'data-classification', Value: expect.stringMatching(/^(internal|confidential|restricted)$/) },
            { Key: 'cost-centre', Value: 'ml-platform' },
          ]),
        );
      }
    }
  });
});

describe('invariant 9: construct IDs are a contract', () => {
  test.each(STACKS)('the logical IDs of stateful resources in %s do not change', (stack) => {
    const ids = Object.entries(resources(stack))
      .filter(([, r]) => STATEFUL_RESOURCE_TYPES.has(r.Type))
      .map(([id]) => id)
      .sort();
    expect(ids).toEqual([
      'AuditAccessLogBucket9BF217B6',
      'AuditBucket7486E833',
      'AuditLogGroup4CD660E1',
      'DetectiveFindings1430ACC2',
      'DetectiveUndeliveredFindings54515D63',
      'KeysAuditKey155B718A',
      'KeysDataKey8F3FE3A4',
      'KeysLogsKeyD24E82DB',
      'KeysMlKey366EA52B',
      'NetworkFlowLogGroup4F8CEEEF',
    ]);
  });

  test.each(REPLICAS)('the logical IDs of stateful resources in %s do not change', (stack) => {
    const ids = Object.entries(resources(stack))
      .filter(([, r]) => STATEFUL_RESOURCE_TYPES.has(r.Type))
      .map(([id]) => id)
      .sort();
    expect(ids).toEqual([
      'AuditReplicaAccessLogBucket788790DE',
      'AuditReplicaBucket8FB23F83',
      'AuditReplicaKeyF3C7202E',
    ]);
  });
});

describe.each(GOVERNANCE)('persona roles (%s)', (stack) => {
  const grantsOf = (persona: string) => {
    const [[, policy]] = ofType(stack, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
      id.startsWith(`Personas${persona}Grants`),
    );
    return policy.Properties.PolicyDocument.Statement as any[];
  };
  const actions = (s: any) => [s.Action].flat() as string[];

  test('four personas, each assumed only by its Identity Center permission set in the trusted account, each under the workload boundary', () => {
    const env = envOf(stack);
    const roles = ofType(stack, 'AWS::IAM::Role').filter(([id]) => id.startsWith('Personas'));
    expect(roles.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'PersonasAuditor',
      'PersonasDataScientist',
      'PersonasMlEngineer',
      'PersonasModelRiskApprover',
    ]);
    for (const [id, role] of roles) {
      const permissionSet = id.replace(/^Personas/, '').replace(/[0-9A-F]{8}$/, '');
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${env.account}:root` },
          Condition: {
            ArnLike: {
              'aws:PrincipalArn': [
                `arn:aws:iam::${env.account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_${permissionSet}_????????????????`,
                `arn:aws:iam::${env.account}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_${permissionSet}_????????????????`,
              ],
            },
          },
        },
      ]);
      expect(role.Properties.MaxSessionDuration).toBe(4 * 3600);
      expect(JSON.stringify(role.Properties.PermissionsBoundary)).toMatch(/WorkloadPermissionsBoundary/);
    }
  });

  test('a data scientist registers packages only as pending and can never change an approval', () => {
    const statements = grantsOf('DataScientist');
    const register = statements.find((s) => actions(s).includes('sagemaker:CreateModelPackage'))!;
    expect(register.Condition).toEqual({ StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'NeverChangeApprovals',
        Effect: 'Deny',
        Action: 'sagemaker:UpdateModelPackage',
        Resource: '*',
      }),
    );
  });

  test('the ML engineer, who deploys, can neither change an approval nor register an approved package', () => {
    const statements = grantsOf('MlEngineer');
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'NeverChangeApprovals', Effect: 'Deny', Action: 'sagemaker:UpdateModelPackage' }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'NeverRegisterApproved',
        Effect: 'Deny',
        Action: 'sagemaker:CreateModelPackage',
        Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } },
      }),
    );
    expect(statements.filter((s) => s.Effect === 'Allow').flatMap(actions)).not.toContain(
      'sagemaker:UpdateModelPackage',
    );
  });

  test('the auditor only reads', () => {
    const allowed = grantsOf('Auditor')
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actions);
    expect(allowed.length).toBeGreaterThan(5);
    // Decrypting is reading: the records are encrypted with the audit key.
    for (const action of allowed)
      expect(action).toMatch(/^([a-z0-9-]+:(Get|List|Describe|Lookup|Filter|Select)|kms:Decrypt$)/);
  });
});

describe.each(GOVERNANCE)('model governance (%s)', (stack) => {
  test('one model package group per model of the inventory, tagged with owner, risk tier and data classification', () => {
    const env = envOf(stack);
    // The groups live with their models in the endpoint shards; none in the governance stack.
    expect(ofType(stack, 'AWS::SageMaker::ModelPackageGroup')).toEqual([]);
    const groups = SHARDS.filter((st) => st.startsWith(`${env.name}/`)).flatMap((st) =>
      ofType(st, 'AWS::SageMaker::ModelPackageGroup'),
    );
    expect(groups.map(([, g]) => g.Properties.ModelPackageGroupName).sort()).toEqual(
      synth.config.models.map((m) => m.id).sort(),
    );
    for (const model of synth.config.models) {
      const [, group] = groups.find(([, g]) => g.Properties.ModelPackageGroupName === model.id)!;
      expect(group.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'model:owner', Value: model.owner },
          { Key: 'model:risk-tier', Value: model.riskTier },
          { Key: 'data-classification', Value: env.dataClassification },
        ]),
      );
    }
  });

  test('every gate function is hardened: Node.js 24, isolated subnets, customer key, reserved concurrency, tracing, retries, failure queue', () => {
    const functions = ofType(stack, 'AWS::Lambda::Function');
    // Approval gate, deployment gate, review reminder, model pinner.
    expect(functions).toHaveLength(4);
    for (const [id, fn] of functions) {
      const p = fn.Properties;
      expect([id, p.Runtime, p.TracingConfig, p.ReservedConcurrentExecutions > 0]).toEqual([
        id,
        'nodejs24.x',
        { Mode: 'Active' },
        true,
      ]);
      expect(JSON.stringify(p.VpcConfig.SubnetIds)).toMatch(/NetworkVpcworkloadSubnet1Subnet/);
      expect(JSON.stringify(p.KmsKeyArn)).toMatch(/KeysMlKey/);
      expect(p.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DeadLetters/), 'Arn'] });
      expect(p.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs/) } });
    }
    const invokeConfigs = ofType(stack, 'AWS::Lambda::EventInvokeConfig');
    expect(invokeConfigs).toHaveLength(4);
    for (const [, c] of invokeConfigs) {
      expect(c.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetters/), 'Arn'] } },
        },
      });
    }
    expect(ofType(stack, 'AWS::Lambda::Url')).toEqual([]);
    for (const [, q] of ofType(stack, 'AWS::SQS::Queue'))
      expect(JSON.stringify(q.Properties.KmsMasterKeyId)).toMatch(/KeysMlKey/);
  });

  test('gate functions may only reach HTTPS', () => {
    const groups = ofType(stack, 'AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(4);
    for (const [, sg] of groups) {
      expect(sg.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  test('the approval gate runs when a package of a governed group awaits approval, with retries and a dead-letter queue', () => {
    const all = ofType(stack, 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties.EventPattern?.detail?.ModelApprovalStatus,
    );
    // The approval gate's, and the model pinner's on Approved (test/gates/model-pinning.moto.test.ts).
    expect(all.map(([, r]) => r.Properties.EventPattern.detail.ModelApprovalStatus).sort()).toEqual([
      ['Approved'],
      ['PendingManualApproval'],
    ]);
    const rules = all.filter(
      ([, r]) => r.Properties.EventPattern.detail.ModelApprovalStatus[0] === 'PendingManualApproval',
    );
    const [[, rule]] = rules;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Package State Change'],
      detail: {
        ModelPackageGroupName: synth.config.models.map((m) => m.id),
        ModelApprovalStatus: ['PendingManualApproval'],
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateFunction/), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ApprovalGateDeadLetters/), 'Arn'] } },
      }),
    ]);
  });

  test('review reminders run quarterly for high, half-yearly for medium and yearly for low risk', () => {
    const schedules = Object.fromEntries(
      ofType(stack, 'AWS::Events::Rule')
        .filter(([, r]) => r.Properties.ScheduleExpression && JSON.parse(r.Properties.Targets[0].Input ?? '{}').tier)
        .map(([, r]) => [JSON.parse(r.Properties.Targets[0].Input).tier, r.Properties.ScheduleExpression]),
    );
    expect(schedules).toEqual({
      high: 'cron(0 8 1 1,4,7,10 ? *)',
      medium: 'cron(0 8 1 1,7 ? *)',
      low: 'cron(0 8 1 1 ? *)',
    });
  });

  test('decisions are kept in a COMPLIANCE-locked bucket, replicated to the audit replica', () => {
    const env = envOf(stack);
    const [[, bucket]] = ofType(stack, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('DecisionRecords'));
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: env.auditLogRetentionYears } },
    });
    expect(bucket.Properties.ReplicationConfiguration.Rules[0].Destination.Bucket).toBe(
      `arn:aws:s3:::audit-replica-${env.account}-${env.auditReplicaRegion}`,
    );
    expect(
      resources(stack)[
        Object.keys(resources(stack)).find(
          (id) => id.startsWith('DecisionRecords') && resources(stack)[id].Type === 'AWS::S3::Bucket',
        )!
      ].DeletionPolicy,
    ).toBe('Retain');
  });

  test("each gate gets the environment's thresholds and inventory in its config layer", () => {
    const layers = ofType(stack, 'AWS::Lambda::LayerVersion');
    expect(layers).toHaveLength(4);
    const fs = require('node:fs');
    const path = require('node:path');
    for (const [, layer] of layers) {
      // The layer's S3 key is the asset hash; the staged asset sits in the output directory.
      const hash = String(layer.Properties.Content.S3Key).replace(/\.zip$/, '');
      const dirs = [synth.outdir, path.dirname(synth.templateFiles[stack])].map((d) => path.join(d, `asset.${hash}`));
      const dir = dirs.find((d) => fs.existsSync(d));
      expect(dir).toBeDefined();
      const config = JSON.parse(fs.readFileSync(path.join(dir!, 'gate-config.json'), 'utf8'));
      expect(config).toMatchObject({
        environment: envOf(stack).name,
        tiers: synth.config.modelRisk.tiers,
        deployment: synth.config.modelRisk.deployment,
      });
      expect(config.models.map((m: any) => [m.id, m.riskTier])).toEqual(
        synth.config.models.map((m) => [m.id, m.riskTier]),
      );
    }
  });
});

describe('compliance evidence written at synth (cdk.out/compliance)', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const Ajv = require('ajv');
  const dir = () => path.join(synth.outdir, 'compliance');
  const evidence = () => JSON.parse(fs.readFileSync(path.join(dir(), 'evidence.json'), 'utf8'));

  test('the four files are there: JSON evidence, Markdown, HTML, SARIF', () => {
    expect(fs.readdirSync(dir()).sort()).toEqual(
      expect.arrayContaining(['evidence.json', 'findings.sarif', 'report.html', 'report.md']),
    );
  });

  test('the JSON evidence follows its documented schema', () => {
    const ajv = new Ajv({ allErrors: true });
    const validate = ajv.compile(require('../lib/compliance/evidence/evidence.schema.json'));
    const ok = validate(evidence());
    expect(ok ? [] : validate.errors.slice(0, 5)).toEqual([]);
  });

  test('its counts agree with the packs: nothing non-compliant, and as many acknowledged results as findings the acknowledgements cover', () => {
    const e = evidence();
    expect(e.packs).toEqual(synth.estate.packs.map((p) => p.name));
    const findings = findingsIgnoringAcknowledgements();
    for (const pack of e.packs) {
      expect([pack, e.totals[pack].non_compliant, e.totals[pack].acknowledged]).toEqual([
        pack,
        0,
        findings[pack].length,
      ]);
      expect(e.totals[pack].compliant).toBeGreaterThan(0);
      const perEnv = e.environments.reduce((n: number, env: string) => n + e.byEnvironment[env][pack].acknowledged, 0);
      expect(perEnv).toBe(e.totals[pack].acknowledged);
    }
  });

  test('every acknowledged result carries its reviewer-readable reason', () => {
    const acknowledged = evidence().results.filter((r: any) => r.status === 'acknowledged');
    expect(acknowledged.length).toBeGreaterThan(100);
    for (const r of acknowledged) expect(r.reason.length).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGEMENT_REASON);
  });

  test('the control matrix names only rules that ran, and shows each control met or covered by tests', () => {
    const e = evidence();
    const ran = new Set(e.rules.map((r: any) => r.id));
    for (const row of e.controlMatrix) {
      for (const rule of row.rules) expect([row.regulation, rule, ran.has(rule)]).toEqual([row.regulation, rule, true]);
      expect([row.id, ['met', 'met_with_waivers', 'by_test']]).toEqual([row.id, expect.arrayContaining([row.status])]);
    }
  });

  test('the SARIF file validates against the SARIF 2.1.0 schema, with one result per finding and suppressions for acknowledgements', () => {
    const sarif = JSON.parse(fs.readFileSync(path.join(dir(), 'findings.sarif'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, schemaId: 'auto' });
    ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
    const validate = ajv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));
    const ok = validate(sarif);
    expect(ok ? [] : validate.errors.slice(0, 5)).toEqual([]);
    const e = evidence();
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(e.results.filter((r: any) => r.status !== 'compliant').length);
    expect(results.every((r: any) => r.suppressions?.[0]?.justification?.length >= MIN_ACKNOWLEDGEMENT_REASON)).toBe(
      true,
    );
    expect(sarif.runs[0].tool.driver.rules.every((r: any) => r.help.text.length > 0)).toBe(true);
    expect(
      results.some((r: any) =>
        r.locations[0].physicalLocation?.artifactLocation.uri.match(/^(lib|constructs|policies)\//),
      ),
    ).toBe(true);
  });

  test('the Markdown report has the summary per pack and environment and the control matrix', () => {
    const md = fs.readFileSync(path.join(dir(), 'report.md'), 'utf8');
    const e = evidence();
    expect(md).toContain(`| RegulatedMLOps | ${e.totals.RegulatedMLOps.compliant} | 0 | 0 |`);
    for (const env of e.environments.filter((x: string) => e.byEnvironment[x].RegulatedMLOps.compliant > 0))
      expect(md).toContain(`| ${env} | RegulatedMLOps |`);
    expect(md).toContain('## Control matrix');
    expect(md).toContain(
      `## Waivers: ${e.results.filter((r: any) => r.status === 'acknowledged').length} acknowledged results`,
    );
  });

  test('the HTML page, opened in headless Chromium with no network, shows the same numbers and filters by status', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const blocked: string[] = [];
      await page.route('**/*', (route: any) =>
        route.request().url().startsWith('file:')
          ? route.continue()
          : (blocked.push(route.request().url()), route.abort()),
      );
      await page.goto(`file://${path.join(dir(), 'report.html')}`);
      const e = evidence();
      const total = (s: string) => e.packs.reduce((n: number, p: string) => n + e.totals[p][s], 0);
      expect(Number(await page.textContent('#total-compliant'))).toBe(total('compliant'));
      expect(Number(await page.textContent('#total-acknowledged'))).toBe(total('acknowledged'));
      expect(Number(await page.textContent('#total-non_compliant'))).toBe(0);
      const prodNist = await page.textContent(
        '#summary tr[data-env="prod"][data-pack="NIST.800.53.R5"] td[data-count="acknowledged"]',
      );
      expect(Number(prodNist)).toBe(e.byEnvironment.prod['NIST.800.53.R5'].acknowledged);
      await page.selectOption('#filter-status', 'acknowledged');
      await page.selectOption('#filter-env', 'prod');
      const expected = e.results.filter((r: any) => r.status === 'acknowledged' && r.environment === 'prod').length;
      expect(Number(await page.textContent('#shown'))).toBe(expected);
      expect(await page.locator('tr.result:visible').count()).toBe(expected);
      await page.screenshot({ path: path.join(dir(), 'report.png'), fullPage: false });
      expect(fs.statSync(path.join(dir(), 'report.png')).size).toBeGreaterThan(10_000);
      expect(blocked).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('delivery pipeline (tooling account)', () => {
  const pipeline = () => {
    const [[, p]] = ofType('Delivery', 'AWS::CodePipeline::Pipeline');
    return p.Properties;
  };
  const stages = () => pipeline().Stages as { Name: string; Actions: any[] }[];
  const projects = () => ofType('Delivery', 'AWS::CodeBuild::Project');
  const buildspecOf = (project: any) => JSON.parse(project.Properties.Source.BuildSpec);

  test('runs source, tests and synth, self-update, assets, then dev, staging and prod in that order', () => {
    expect(stages().map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'dev',
      'staging',
      'prod',
    ]);
    const [source] = stages()[0].Actions;
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toMatchObject({
      ConnectionArn: synth.config.delivery!.connectionArn,
      FullRepositoryId: synth.config.delivery!.repository,
      BranchName: synth.config.delivery!.branch,
    });
    expect(pipeline().PipelineType).toBe('V2');
  });

  test('each environment deploys all its stacks into its own account, with its role, in dependency order', () => {
    for (const env of synth.config.environments) {
      const deploys = stages()
        .find((s) => s.Name === env.name)!
        .Actions.filter((a) => a.ActionTypeId.Category === 'Deploy');
      const stacksOf = ALL_STACKS.filter((st) => st.startsWith(`${env.name}/`)).map((st) => st.split('/')[1]);
      expect(deploys.map((a) => a.Name).sort()).toEqual(
        stacksOf.flatMap((st) => [`${st}.Deploy`, `${st}.Prepare`]).sort(),
      );
      // Dependencies first: the replica before the foundation, the foundation before the rest.
      const runOrder = (st: string) => deploys.find((a) => a.Name === `${st}.Deploy`)!.RunOrder;
      expect(runOrder('AuditReplica')).toBeLessThan(runOrder('Foundation'));
      for (const st of stacksOf.filter((x) => !['AuditReplica', 'Foundation'].includes(x)))
        expect(runOrder('Foundation')).toBeLessThan(runOrder(st));
      for (const action of deploys) {
        expect(JSON.stringify(action.RoleArn)).toContain(
          `:iam::${env.account}:role/cdk-hnb659fds-deploy-role-${env.account}-`,
        );
        const region = action.Name.startsWith('AuditReplica')
          ? env.auditReplicaRegion
          : action.Name.startsWith('Detection-')
            ? action.Name.replace(/^Detection-|\.(Deploy|Prepare)$/g, '')
            : env.region;
        expect(action.Region ?? env.region).toBe(region);
      }
    }
  });

  test('prod deploys only after a person approves and then the deployment gate passes', () => {
    const prod = stages().find((s) => s.Name === 'prod')!.Actions;
    const order = (name: string) => prod.find((a) => a.Name === name)!.RunOrder;
    expect(prod.find((a) => a.Name === 'Approve-prod')!.ActionTypeId).toMatchObject({
      Category: 'Approval',
      Provider: 'Manual',
    });
    const firstDeploy = Math.min(...prod.filter((a) => a.ActionTypeId.Category === 'Deploy').map((a) => a.RunOrder));
    expect(order('Approve-prod')).toBeLessThan(order('DeploymentGate-prod'));
    expect(order('DeploymentGate-prod')).toBeLessThan(firstDeploy);
    for (const name of ['dev', 'staging']) {
      expect(
        stages()
          .find((s) => s.Name === name)!
          .Actions.map((a) => a.ActionTypeId.Category),
      ).not.toContain('Approval');
    }
  });

  test('the synth step runs .ci/run (npm ci, lint, npm test) and then the synth with every compliance pack', () => {
    const [[, synthProject]] = projects().filter(([id]) => id.startsWith('CodePipelineBuildSynthCdkBuildProject'));
    expect(buildspecOf(synthProject).phases.build.commands).toEqual([
      'bash .ci/run',
      'npm run placement -- --check',
      'npm run synth',
    ]);
    const ci = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^(INVARIANT_ESTATES=all )?npm test$/m);
    const pkg = require('../package.json');
    expect(pkg.scripts.synth).toMatch(/^cdk synth /);
  });

  test('every CodeBuild project is unprivileged, encrypts with the artifact key and takes its source from the pipeline', () => {
    expect(projects().length).toBeGreaterThanOrEqual(4);
    for (const [id, project] of projects()) {
      expect([id, project.Properties.Environment.PrivilegedMode ?? false]).toEqual([id, false]);
      expect([id, project.Properties.EncryptionKey]).toEqual([
        id,
        { 'Fn::GetAtt': [expect.stringMatching(/^ArtifactKey/), 'Arn'] },
      ]);
      expect([id, project.Properties.Source.Type]).toEqual([id, 'CODEPIPELINE']);
      // Debian, as .ci/run expects (chromium and Python from Debian).
      expect([id, project.Properties.Environment.Image]).toEqual([
        id,
        'public.ecr.aws/docker/library/node:20-bookworm',
      ]);
    }
  });

  test('artifacts are stored per region in versioned, logged buckets under customer keys shared only with the target deployment roles', () => {
    const stores = pipeline().ArtifactStores as any[];
    expect(stores.map((s) => s.Region).sort()).toEqual(['eu-central-1', 'eu-west-1']);
    for (const store of stores) expect(store.ArtifactStore.EncryptionKey.Type).toBe('KMS');
    const deliveryAccount = synth.config.delivery!.account;
    for (const stack of ['Delivery', 'DeliverySupport-eu-central-1']) {
      const [[, bucket]] = ofType(stack, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('Artifacts'));
      expect(bucket.Properties.VersioningConfiguration.Status).toBe('Enabled');
      expect(bucket.Properties.LoggingConfiguration).toBeDefined();
      expect(
        bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
          .SSEAlgorithm,
      ).toBe('aws:kms');
      const [[, key]] = ofType(stack, 'AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const principals = (key.Properties.KeyPolicy.Statement as any[])
        .flatMap((st) => [st.Principal?.AWS ?? []].flat())
        .map((p) => JSON.stringify(p));
      for (const principal of principals) {
        const targetRole = synth.config.environments.some((e) =>
          principal.includes(`:iam::${e.account}:role/cdk-hnb659fds-deploy-role-${e.account}-`),
        );
        expect([principal, targetRole || principal.includes(`${deliveryAccount}:root`)]).toEqual([principal, true]);
      }
    }
  });

  test('no pipeline role has an administrator policy or a full-service wildcard', () => {
    for (const stack of ['Delivery', 'DeliverySupport-eu-central-1']) {
      for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
        expect([id, JSON.stringify(role.Properties.ManagedPolicyArns ?? [])]).not.toEqual([
          id,
          expect.stringMatching(/AdministratorAccess|PowerUserAccess|IAMFullAccess/),
        ]);
      }
      for (const [id, policy] of [...ofType(stack, 'AWS::IAM::Policy'), ...ofType(stack, 'AWS::IAM::ManagedPolicy')]) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          for (const action of [statement.Action].flat())
            expect([id, action]).not.toEqual([id, expect.stringMatching(/^(\*|[a-z0-9-]+:\*)$/)]);
        }
      }
    }
  });

  test('the gate step may only invoke the staging deployment gate, and only staging lets it', () => {
    const [[, grants]] = ofType('Delivery', 'AWS::IAM::ManagedPolicy').filter(([id]) =>
      id.startsWith('DeploymentGateRoleGrants'),
    );
    const invoke = (grants.Properties.PolicyDocument.Statement as any[]).filter((s) =>
      [s.Action].flat().some((a: string) => a.startsWith('lambda:')),
    );
    const staging = synth.config.environments.find((e) => e.type === 'staging')!;
    expect(invoke).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: `arn:aws:lambda:${staging.region}:${staging.account}:function:examplebank-staging-deployment-gate`,
      }),
    ]);
    const [[, role]] = ofType('Delivery', 'AWS::IAM::Role').filter(([id]) => id.startsWith('DeploymentGateRole'));
    expect(role.Properties.RoleName).toBe('examplebank-pipeline-deployment-gate');
    for (const env of synth.config.environments) {
      const permissions = ofType(`${env.name}/ModelGovernance`, 'AWS::Lambda::Permission').filter(([, p]) =>
        JSON.stringify(p.Properties.Principal).includes('pipeline-deployment-gate'),
      );
      expect([env.name, permissions.length]).toEqual([env.name, env.type === 'staging' ? 1 : 0]);
    }
    const [[, gate]] = ofType('staging/ModelGovernance', 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('DeploymentGateFunction'),
    );
    expect(gate.Properties.FunctionName).toBe('examplebank-staging-deployment-gate');
  });
});

/** A value another stack of the environment publishes (the foundation's keys and subnets). */
const fromFoundation = (output: RegExp) => ({
  'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(output) }),
});

describe('ML plane', () => {
  const env = (name: string) => synth.config.environments.find((e) => e.name === name)!;
  const shardsOf = (e: string) => SHARDS.filter((s) => s.startsWith(`${e}/`));
  const allOf = (e: string, type: string) => shardsOf(e).flatMap((st) => ofType(st, type));
  const configs = (e: string) => allOf(e, 'AWS::SageMaker::EndpointConfig').map(([, c]) => c.Properties);

  test.each(ENVIRONMENTS)(
    '%s: one feature group per config entry, both stores under the data key, offline in Iceberg',
    (e) => {
      const groups = ofType(`${e}/MLPlatform`, 'AWS::SageMaker::FeatureGroup').map(([, g]) => g.Properties);
      expect(groups.map((g) => g.FeatureGroupName)).toEqual(synth.config.featureGroups.map((g) => g.name));
      const dataKey = fromFoundation(/KeysDataKey/);
      for (const g of groups) {
        const spec = synth.config.featureGroups.find((f) => f.name === g.FeatureGroupName)!;
        expect(g.EventTimeFeatureName).toBe(spec.eventTime);
        expect(g.RecordIdentifierFeatureName).toBe(spec.recordIdentifier);
        expect(g.OfflineStoreConfig).toEqual({
          S3StorageConfig: { S3Uri: expect.anything(), KmsKeyId: dataKey },
          TableFormat: 'Iceberg',
        });
        expect(g.OnlineStoreConfig).toEqual(
          spec.online ? { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: dataKey } } : undefined,
        );
      }
    },
  );

  test.each(ENVIRONMENTS)(
    '%s: every endpoint model is network-isolated in the isolated subnets under its own execution role, never SageMaker full access',
    (e) => {
      const models = allOf(e, 'AWS::SageMaker::Model');
      expect(models.length).toBeGreaterThan(0);
      for (const [id, m] of models) {
        expect([id, m.Properties.EnableNetworkIsolation]).toEqual([id, true]);
        expect(m.Properties.VpcConfig.Subnets).toEqual(
          env(e).availabilityZones.map(() => fromFoundation(/NetworkVpcworkloadSubnet/)),
        );
        expect(m.Properties.ExecutionRoleArn).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/EndpointExecutionRole/), 'Arn'],
        });
      }
      for (const st of shardsOf(e)) {
        expect(JSON.stringify(synth.templates[st].toJSON())).not.toMatch(/AmazonSageMakerFullAccess|"sagemaker:\*"/);
      }
    },
  );

  test.each(ENVIRONMENTS)('%s: GPU and Inferentia endpoints both run here', (e) => {
    const types = configs(e).flatMap((c) => c.ProductionVariants.map((v: any) => v.InstanceType));
    expect(types.some((t: string) => /^ml\.(g5|g6|p4d|p5)\./.test(t))).toBe(true);
    expect(types.some((t: string) => t.startsWith('ml.inf2.'))).toBe(true);
  });

  test.each(ENVIRONMENTS)(
    '%s: endpoint configs capture to the locked bucket under the ML key (all of it in prod), with a volume key wherever SageMaker takes one',
    (e) => {
      for (const c of configs(e)) {
        expect(c.DataCaptureConfig).toMatchObject({
          EnableCapture: true,
          InitialSamplingPercentage: env(e).type === 'prod' ? 100 : 20,
          KmsKeyId: fromFoundation(/KeysMlKey/),
          DestinationS3Uri: expect.stringContaining(
            `s3://inference-capture-${env(e).account}-${env(e).region}/capture/`,
          ),
        });
        const local = c.ProductionVariants.some((v: any) => /^ml\.(g5|g6|p4d|p5)\./.test(v.InstanceType));
        expect(c.KmsKeyId === undefined).toBe(local);
      }
      const [[, bucket]] = ofType(`${e}/MLPlatform`, 'AWS::S3::Bucket').filter(([id]) =>
        id.startsWith('InferenceCapture'),
      );
      expect(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
        Mode: 'COMPLIANCE',
        Years: env(e).auditLogRetentionYears,
      });
    },
  );

  test('prod serves only versions approved in the staging registry, which lets the prod account read and deploy them and nothing more', () => {
    const staging = env('staging');
    const prodModels = allOf('prod', 'AWS::SageMaker::Model').map(([, m]) => m.Properties.PrimaryContainer);
    // Each reads the pinned copy of an approved version of the staging registry (the package named in its tags).
    for (const c of prodModels) {
      expect(c).toEqual({
        Image: expect.stringMatching(
          new RegExp(
            `^${staging.account}\\.dkr\\.ecr\\.${staging.region}\\.amazonaws\\.com/[a-z-]+-train@sha256:[0-9a-f]{64}$`,
          ),
        ),
        ModelDataUrl: expect.stringMatching(
          new RegExp(
            `^s3://approved-models-${staging.account}-${staging.region}/models/[a-z-]+/\\d+/0/model\\.tar\\.gz$`,
          ),
        ),
        Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
      });
    }
    for (const e of ENVIRONMENTS) {
      const groups = allOf(e, 'AWS::SageMaker::ModelPackageGroup');
      expect(groups).toHaveLength(synth.config.models.length);
      for (const [, g] of groups) {
        if (e !== 'staging') expect(g.Properties.ModelPackageGroupPolicy).toBeUndefined();
        else {
          expect(g.Properties.ModelPackageGroupPolicy.Statement).toEqual([
            expect.objectContaining({
              Effect: 'Allow',
              Principal: { AWS: [`arn:aws:iam::${env('prod').account}:root`] },
              Action: [
                'sagemaker:DescribeModelPackageGroup',
                'sagemaker:DescribeModelPackage',
                'sagemaker:ListModelPackages',
                'sagemaker:CreateModel',
              ],
            }),
          ]);
        }
      }
    }
  });

  test('rollouts are blue/green as configured, rolled back by the 5XX and latency alarms of every variant', () => {
    for (const e of ENVIRONMENTS) {
      for (const model of synth.config.models) {
        const spec = model.endpoints[e];
        if (!spec) continue;
        const st = `${e}/${shardStackId(shardOf(model.id))}`;
        const [[, ep]] = ofType(st, 'AWS::SageMaker::Endpoint').filter(([id]) =>
          id.startsWith(model.id.replace(/-/g, '')),
        );
        expect(ep.Properties.EndpointName).toBe(`${e}-${model.id}`);
        const routing = ep.Properties.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration;
        expect(routing.Type).toBe(
          { canary: 'CANARY', linear: 'LINEAR', 'all-at-once': 'ALL_AT_ONCE' }[spec.rollout.strategy],
        );
        expect(routing.WaitIntervalInSeconds).toBe(spec.rollout.bakeMinutes * 60);
        if (spec.rollout.strategy === 'canary')
          expect(routing.CanarySize).toEqual({ Type: 'CAPACITY_PERCENT', Value: spec.rollout.stepPercent });
        if (spec.rollout.strategy === 'linear')
          expect(routing.LinearStepSize).toEqual({ Type: 'CAPACITY_PERCENT', Value: spec.rollout.stepPercent });
        const rollbackAlarms = ep.Properties.DeploymentConfig.AutoRollbackConfiguration.Alarms.map((a: any) =>
          JSON.stringify(a.AlarmName),
        );
        expect(rollbackAlarms).toHaveLength(spec.variants.length * 2);
        const alarms = ofType(st, 'AWS::CloudWatch::Alarm')
          .map(([, a]) => a.Properties)
          .filter((a) => a.AlarmName.startsWith(`${e}-${model.id}-`));
        const monitoring = spec.monitoring ?? { dataQuality: e === 'prod', modelQuality: e === 'prod' };
        const quality = monitoring.modelQuality
          ? model.problemType === 'binary_classification'
            ? ['model-quality', 'f1']
            : model.maxRmse
              ? ['model-quality']
              : []
          : [];
        const segmentAlarms = (model.segmentation?.segments ?? [])
          .filter((s) => s.critical)
          .flatMap((s) =>
            ['drift', 'score-drift', ...(monitoring.modelQuality ? ['quality'] : [])].map(
              (k) => `segment-${s.name}-${k}`,
            ),
          );
        const watched =
          monitoring.dataQuality || monitoring.modelQuality
            ? [
                'feature-drift',
                'score-drift',
                'data-quality',
                'monitoring-silent',
                'monitoring-failed',
                ...model.protectedAttributes.map((f) => `bias-${f}`),
                ...quality,
                ...segmentAlarms,
              ]
            : [];
        // The shadow variant: 5XX and latency alarms that notify (not rollback alarms).
        const shadow = spec.shadow
          ? ['errors-5xx', 'latency-p99'].map((k) => `${e}-${model.id}-${spec.shadow!.name}-${k}`)
          : [];
        expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
          [
            ...spec.variants.flatMap((v) =>
              ['errors-4xx', 'errors-5xx', 'latency-p99'].map((k) => `${e}-${model.id}-${v.name}-${k}`),
            ),
            ...shadow,
            ...watched.map((k) => `${e}-${model.id}-${k}`),
          ].sort(),
        );
        for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
        // Autoscaling per variant, bounds and target from config.
        const targets = ofType(st, 'AWS::ApplicationAutoScaling::ScalableTarget')
          .map(([, t]) => t.Properties)
          .filter((t) => t.ResourceId.startsWith(`endpoint/${e}-${model.id}/`));
        expect(targets.map((t) => [t.ResourceId, t.MinCapacity, t.MaxCapacity])).toEqual(
          spec.variants.map((v) => [
            `endpoint/${e}-${model.id}/variant/${v.name}`,
            v.autoscaling.minInstances,
            v.autoscaling.maxInstances,
          ]),
        );
        const policies = ofType(st, 'AWS::ApplicationAutoScaling::ScalingPolicy')
          .map(([, p]) => p.Properties)
          .filter((p) => p.PolicyName.startsWith(`${e}-${model.id}-`));
        expect(
          policies.map((p) => [
            p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType,
            p.TargetTrackingScalingPolicyConfiguration.TargetValue,
          ]),
        ).toEqual(
          spec.variants.map((v) => [
            'SageMakerVariantInvocationsPerInstance',
            v.autoscaling.targetInvocationsPerInstance,
          ]),
        );
        const [[, dashboard]] = ofType(st, 'AWS::CloudWatch::Dashboard').filter(
          ([, d]) => d.Properties.DashboardName === `${e}-${model.id}`,
        );
        const body = JSON.stringify(dashboard.Properties.DashboardBody);
        for (const metricName of [
          'ModelLatency',
          'Invocation4XXErrors',
          'Invocation5XXErrors',
          'Invocations',
          'CPUUtilization',
          'GPUUtilization',
        ])
          expect(body).toContain(metricName);
      }
    }
  });

  test.each(ENVIRONMENTS)(
    '%s: alarms and events can publish to the KMS topic: CloudWatch of this account only, EventBridge in the form AWS documents (no source: KMS never receives one from it)',
    (e) => {
      const [[, key]] = ofType(`${e}/Foundation`, 'AWS::KMS::Key').filter(([id]) => id.startsWith('KeysMlKey'));
      const sid = (name: string) => key.Properties.KeyPolicy.Statement.find((st: any) => st.Sid === name);
      expect(sid('AlarmsPublishToTheModelTopic')).toEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: { StringEquals: { 'aws:SourceAccount': env(e).account } },
        }),
      );
      const events = sid('EventsPublishToTheModelTopic');
      expect(events).toEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      );
      expect(events.Condition).toBeUndefined();
    },
  );

  test('the staging credit model runs its next candidate as a shadow on a copy of live traffic', () => {
    const [config] = configs('staging').filter((c) => c.ShadowProductionVariants);
    expect(config.ShadowProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'shadow', InitialVariantWeight: 0.5, InstanceType: 'ml.g5.xlarge' }),
    ]);
  });

  test("prod endpoints (and those the config switches on) have the estate's monitoring; no Model Monitor or Clarify resource by default", () => {
    for (const e of ENVIRONMENTS) {
      for (const type of [
        'AWS::SageMaker::MonitoringSchedule',
        'AWS::SageMaker::DataQualityJobDefinition',
        'AWS::SageMaker::ModelQualityJobDefinition',
        'AWS::SageMaker::ModelBiasJobDefinition',
        'AWS::SageMaker::ModelExplainabilityJobDefinition',
      ]) {
        expect([e, type, allOf(e, type).length]).toEqual([e, type, 0]);
      }
      const monitored = synth.config.models.filter(
        (m) =>
          m.endpoints[e] &&
          (m.endpoints[e].monitoring
            ? m.endpoints[e].monitoring!.dataQuality || m.endpoints[e].monitoring!.modelQuality
            : e === 'prod'),
      );
      const machines = allOf(e, 'AWS::StepFunctions::StateMachine')
        .map(([, m]) => JSON.stringify(m.Properties.DefinitionString))
        .filter((d) => d.includes('createProcessingJob'));
      expect([e, machines.length]).toEqual([e, monitored.length]);
      for (const m of monitored) expect(machines.some((d) => d.includes(`Monitoring of ${e}-${m.id}:`))).toBe(true);
      if (e === 'prod') expect(monitored.length).toBe(allOf(e, 'AWS::SageMaker::Endpoint').length);
    }
  });

  test.each(ENVIRONMENTS)(
    '%s: a KMS model card per model with its risk rating and intended use, and an MLflow tracking server with KMS artifacts',
    (e) => {
      const cards = allOf(e, 'AWS::SageMaker::ModelCard').map(([, c]) => c.Properties);
      expect(cards.map((c) => c.ModelCardName).sort()).toEqual(synth.config.models.map((m) => m.id).sort());
      for (const c of cards) {
        const model = synth.config.models.find((m) => m.id === c.ModelCardName)!;
        expect(c.Content.IntendedUses).toMatchObject({
          IntendedUses: model.intendedUse,
          RiskRating: { high: 'High', medium: 'Medium', low: 'Low' }[model.riskTier],
        });
        expect(c.SecurityConfig.KmsKeyId).toEqual(fromFoundation(/KeysMlKey/));
      }
      const [[, server]] = ofType(`${e}/MLPlatform`, 'AWS::SageMaker::MlflowTrackingServer');
      expect(server.Properties.ArtifactStoreUri).toEqual(expect.objectContaining({ 'Fn::Join': expect.anything() }));
      const [[, bucket]] = ofType(`${e}/MLPlatform`, 'AWS::S3::Bucket').filter(([id]) =>
        id.startsWith('ExperimentArtifacts'),
      );
      expect(
        bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
          .SSEAlgorithm,
      ).toBe('aws:kms');
    },
  );

  test('no template nears CloudFormation limits (500 resources, 1 MB)', () => {
    for (const [name, file] of Object.entries(synth.templateFiles)) {
      const template = JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
      expect([
        name,
        Object.keys(template.Resources).length <= 500,
        require('node:fs').statSync(file).size < 1_000_000,
      ]).toEqual([name, true, true]);
    }
  });
});

describe('continuous training', () => {
  const shardOfModel = (e: string, model: string) => `${e}/${shardStackId(shardOf(model))}`;
  /** The pipeline definition of a template, with references rendered as placeholders. */
  const definitionOf = (body: any): any => {
    const text =
      typeof body === 'string'
        ? body
        : body['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'REF')).join('');
    return JSON.parse(text);
  };
  const trained = () => synth.config.models.filter((m) => m.training);

  test('the example retrains credit-default and fraud-score in staging, and fraud-score has all three triggers', () => {
    expect(trained().map((m) => [m.id, m.training!.environments])).toEqual([
      ['credit-default', ['staging']],
      ['fraud-score', ['staging']],
    ]);
    const fraud = synth.config.models.find((m) => m.id === 'fraud-score')!.training!;
    expect([Boolean(fraud.schedule), fraud.onAlarm, fraud.onMarketEvent]).toEqual([true, true, true]);
  });

  test.each(ENVIRONMENTS)('%s: a pipeline per model that retrains here, and none elsewhere', (e) => {
    const pipelines = allPipelines(e);
    expect(pipelines.map(([, p]) => p.Properties.PipelineName).sort()).toEqual(
      trained()
        .filter((m) => m.training!.environments.includes(e))
        .map((m) => `${e}-${m.id}-training`)
        .sort(),
    );
  });
  const allPipelines = (e: string) =>
    SHARDS.filter((st) => st.startsWith(`${e}/`)).flatMap((st) => ofType(st, 'AWS::SageMaker::Pipeline'));

  test('each trigger starts the pipeline through EventBridge, naming itself, with retries, a KMS dead-letter queue and a role that may start only that pipeline', () => {
    for (const model of trained()) {
      const st = shardOfModel('staging', model.id);
      const rules = ofType(st, 'AWS::Events::Rule')
        .map(([id, r]) => [id, r.Properties] as const)
        .filter(([id]) => id.startsWith(`${model.id.replace(/-/g, '')}Training`));
      const triggers = rules.filter(([id]) => !id.includes('OnRunFailed'));
      // alarm-prod: prod's retraining alarms, forwarded to staging's bus (test/segments/forwarding.test.ts).
      const expected = [
        ...(model.training!.schedule ? ['schedule'] : []),
        ...(model.training!.onAlarm ? ['alarm', 'alarm-prod'] : []),
        ...(model.training!.onMarketEvent ? ['market-event'] : []),
      ];
      expect(
        triggers.map(([, r]) => r.Targets[0].SageMakerPipelineParameters.PipelineParameterList[0].Value).sort(),
      ).toEqual(expected.sort());
      for (const [, r] of triggers) {
        const [t] = r.Targets;
        expect(t.Arn).toBe(`arn:aws:sagemaker:eu-west-1:222222222222:pipeline/staging-${model.id}-training`);
        expect(t.RetryPolicy).toEqual({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 });
        expect(t.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/UndeliveredTriggers/), 'Arn'] });
      }
      const schedule = triggers.find(([id]) => id.includes('OnSchedule'));
      if (model.training!.schedule) expect(schedule![1].ScheduleExpression).toBe(model.training!.schedule);
      const alarm = triggers.find(([id]) => id.includes('OnQualityAlarm'));
      if (alarm) {
        const arn = (kind: RegExp) => ({ 'Fn::GetAtt': [expect.stringMatching(kind), 'Arn'] });
        // Then each critical segment's drift, score drift and quality (test/segments/wiring.test.ts).
        const segments = (model.segmentation?.segments ?? [])
          .filter((s) => s.critical)
          .map((s) => `segment${s.name.replace(/-/g, '')}`);
        const segmentArns = segments.flatMap((s) => [
          arn(new RegExp(`${s}drift`)),
          arn(new RegExp(`${s}scoredrift`)),
          arn(new RegExp(`${s}quality`)),
        ]);
        expect(alarm[1].EventPattern).toEqual({
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [arn(/modelquality/), arn(/featuredrift/), arn(/scoredrift/), ...segmentArns],
          detail: { state: { value: ['ALARM'] } },
        });
      }
      const market = triggers.find(([id]) => id.includes('OnMarketEvent'));
      if (market) {
        expect(market[1].EventBusName).toBe('examplebank-staging-market-events');
        expect(market[1].EventPattern).toEqual({
          source: ['estate.market-events'],
          'detail-type': ['Market Event'],
          detail: { models: [model.id, '*'] },
        });
      }
      const failed = rules.find(([id]) => id.includes('OnRunFailed'))!;
      expect(failed[1].EventPattern.detail.currentPipelineExecutionStatus).toEqual(['Failed']);
      expect(failed[1].Targets[0].Arn).toEqual(expect.objectContaining({ 'Fn::GetStackOutput': expect.anything() }));
      const [[, starter]] = ofType(st, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
        id.startsWith(`${model.id.replace(/-/g, '')}TrainingTriggerRole`),
      );
      expect(starter.Properties.PolicyDocument.Statement).toEqual([
        {
          Sid: 'StartThisPipeline',
          Effect: 'Allow',
          Action: 'sagemaker:StartPipelineExecution',
          Resource: `arn:aws:sagemaker:eu-west-1:222222222222:pipeline/staging-${model.id}-training`,
        },
      ]);
    }
  });

  test('no path registers an Approved package: the pipelines register pending versions only, and their roles may not register anything else', () => {
    for (const e of ENVIRONMENTS) {
      for (const [, p] of allPipelines(e)) {
        const definition = definitionOf(p.Properties.PipelineDefinition.PipelineDefinitionBody);
        const text = JSON.stringify(definition);
        expect(text).not.toMatch(/"Approved"/);
        const statuses = [...text.matchAll(/"ModelApprovalStatus":"(\w+)"/g)].map((m) => m[1]);
        expect(statuses).toEqual(['PendingManualApproval']);
      }
    }
    for (const model of trained()) {
      const [[, grants]] = ofType(shardOfModel('staging', model.id), 'AWS::IAM::ManagedPolicy').filter(([id]) =>
        id.startsWith(`${model.id.replace(/-/g, '')}TrainingRoleGrants`),
      );
      const register = grants.Properties.PolicyDocument.Statement.filter((s: any) =>
        [s.Action].flat().some((a: string) => a.startsWith('sagemaker:') && a.includes('ModelPackage')),
      );
      expect(register).toEqual([
        expect.objectContaining({
          Sid: 'RegisterPendingVersions',
          Action: 'sagemaker:CreateModelPackage',
          Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } },
        }),
      ]);
    }
  });

  test('training data is versioned under the data key, and the guard and the market-events bus exist where models retrain', () => {
    const [[, bucket]] = ofType('staging/MLPlatform', 'AWS::S3::Bucket').filter(([id]) =>
      id.startsWith('TrainingData'),
    );
    expect(bucket.Properties.VersioningConfiguration.Status).toBe('Enabled');
    expect(bucket.Properties.BucketName).toBe('training-data-222222222222-eu-west-1');
    expect(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault
        .KMSMasterKeyID,
    ).toEqual(fromFoundation(/KeysDataKey/));
    expect(bucket.Properties.LifecycleConfiguration).toBeUndefined();
    const [[, guard]] = ofType('staging/MLPlatform', 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('RetrainingGuardFunction'),
    );
    expect(guard.Properties).toMatchObject({
      FunctionName: 'examplebank-staging-retraining-guard',
      ReservedConcurrentExecutions: 2,
      VpcConfig: expect.anything(),
    });
    expect(ofType('staging/MLPlatform', 'AWS::Events::EventBus').map(([, b]) => b.Properties.Name)).toEqual([
      'examplebank-staging-market-events',
      'examplebank-staging-retraining-alarms',
    ]);
    for (const e of ['dev', 'prod']) {
      expect(
        ofType(`${e}/MLPlatform`, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('RetrainingGuard')),
      ).toEqual([]);
    }
  });
});
