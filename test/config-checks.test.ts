/**
 * What the config refuses beyond its shape: instance types SageMaker does not
 * have, an implied promotion source, what a bank's reviewer would refuse; every
 * problem of a config in one run, named by model id. On the example fixture.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { validateEstateConfig } from '../lib/config/load';
import { promotionSource } from '../lib/config';
import { sdkInstanceTypes } from '../lib/ml/instance-types-source';
import { SAGEMAKER_INSTANCE_TYPES } from '../lib/ml/instances';
import { editDistance } from '../lib/config/suggest';
import { EXAMPLE_ESTATE_FILE, REPO_ROOT } from './support/estate';
import { configProblems } from './support/config-problems';

const base = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));
const byId = (c: any, id: string) => c.models.find((m: any) => m.id === id);
const env = (c: any, name: string) => c.environments.find((e: any) => e.name === name);

const problemsOf = (mutate: (c: any) => void): string[] => configProblems(mutate, base());

describe("instance types are checked against SageMaker's lists, with a hint", () => {
  test("the committed list is the pinned SDK's (npm run instance-types rewrites it)", () => {
    const sdk = sdkInstanceTypes();
    expect(require('../lib/ml/sagemaker-instance-types.json')).toEqual(sdk);
    expect(SAGEMAKER_INSTANCE_TYPES.hosting).toEqual(sdk.hosting);
    // Sanity: the example's types are there, in the right lists.
    expect(['ml.g5.xlarge', 'ml.inf2.xlarge', 'ml.m5.large'].every((t) => sdk.hosting.includes(t))).toBe(true);
    expect(sdk.training.includes('ml.inf2.xlarge')).toBe(false);
  });

  test.each([
    [
      'a typo in a prod variant',
      (c: any) => (byId(c, 'credit-default').endpoints.prod.variants[0].instanceType = 'ml.g6.xlage'),
      'models[credit-default].endpoints.prod.variants[0].instanceType: is not a SageMaker hosting (endpoint) instance type; did you mean ml.g6.xlarge? (a type newer than lib/ml/sagemaker-instance-types.json goes in extraInstanceTypes) (got "ml.g6.xlage")',
    ],
    [
      'a size that does not exist',
      (c: any) => (byId(c, 'fraud-score').endpoints.dev.variants[0].instanceType = 'ml.inf2.large'),
      'models[fraud-score].endpoints.dev.variants[0].instanceType: is not a SageMaker hosting (endpoint) instance type; did you mean ml.inf2.xlarge? (a type newer than lib/ml/sagemaker-instance-types.json goes in extraInstanceTypes) (got "ml.inf2.large")',
    ],
    [
      'a shadow variant typo',
      (c: any) => (byId(c, 'credit-default').endpoints.staging.shadow.instanceType = 'ml.g5.xlarg'),
      'models[credit-default].endpoints.staging.shadow.instanceType: is not a SageMaker hosting (endpoint) instance type; did you mean ml.g5.xlarge? (a type newer than lib/ml/sagemaker-instance-types.json goes in extraInstanceTypes) (got "ml.g5.xlarg")',
    ],
    [
      'an inference-only type for training',
      (c: any) => (byId(c, 'credit-default').training.instanceType = 'ml.inf2.xlarge'),
      'models[credit-default].training.instanceType: is not a SageMaker training instance type: SageMaker offers it for hosting (endpoint) only (got "ml.inf2.xlarge")',
    ],
    [
      'a processing typo',
      (c: any) => (byId(c, 'fraud-score').training.processingInstanceType = 'ml.m5.xlargee'),
      'models[fraud-score].training.processingInstanceType: is not a SageMaker processing instance type; did you mean ml.m5.xlarge? (a type newer than lib/ml/sagemaker-instance-types.json goes in extraInstanceTypes) (got "ml.m5.xlargee")',
    ],
  ])('%s', (_name, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual([expected]);
  });

  test('a type newer than the list passes only when the config names it in extraInstanceTypes', () => {
    const newer = (c: any) => (byId(c, 'fraud-score').endpoints.dev.variants[0].instanceType = 'ml.g6.96xlarge');
    expect(problemsOf(newer)).toEqual([
      expect.stringContaining(
        'models[fraud-score].endpoints.dev.variants[0].instanceType: is not a SageMaker hosting (endpoint) instance type',
      ),
    ]);
    expect(problemsOf((c) => (newer(c), (c.extraInstanceTypes = ['ml.g6.96xlarge'])))).toEqual([]);
    // The override does not lift the environment's family list.
    expect(
      problemsOf(
        (c) => (
          (byId(c, 'fraud-score').endpoints.dev.variants[0].instanceType = 'ml.p6.48xlarge'),
          (c.extraInstanceTypes = ['ml.p6.48xlarge'])
        ),
      ),
    ).toEqual([
      'models[fraud-score].endpoints.dev.variants[0].instanceType: is of family ml.p6, not allowed in dev (allowed: ml.m5, ml.m6i, ml.c5, ml.c6i, ml.g5, ml.g6, ml.inf2) (got "ml.p6.48xlarge")',
    ]);
  });

  test('"did you mean" offers only a near miss, never an unrelated type', () => {
    expect(
      problemsOf((c) => (byId(c, 'fraud-score').endpoints.dev.variants[0].instanceType = 'ml.quantum.huge'))[0],
    ).not.toContain('did you mean');
    expect(editDistance('ml.g6.xlage', 'ml.g6.xlarge')).toBe(1);
    expect(editDistance('ml.g5.xlarge', 'ml.g5.xlagre')).toBe(1);
  });
});

describe('prod names the staging environment it promotes from', () => {
  test("required while the estate has a staging environment; it must be a staging one, in prod's region", () => {
    expect(problemsOf((c) => delete env(c, 'prod').promoteFrom)).toEqual([
      // Without it, nothing tells prod's packaged variants where their versions are.
      // (Staging's too: it serves the versions prod promotes, from its own registry.)
      ...(
        [
          ['credit-default', 'staging', 0, 3],
          ['credit-default', 'staging', 1, 4],
          ['credit-default', 'prod', 0, 3],
          ['credit-default', 'prod', 1, 4],
          ['fraud-score', 'staging', 0, 7],
          ['fraud-score', 'prod', 0, 7],
        ] as const
      ).map(
        ([id, e, i, v]) =>
          `models[${id}].endpoints.${e}.variants[${i}].modelPackageVersion: needs a staging environment, whose registry holds the approved versions, named in prod's promoteFrom (got ${v})`,
      ),
      'environments[prod].promoteFrom: is required: name the staging environment whose registry and deployment gate prod promotes from (staging environments: staging)',
    ]);
    expect(problemsOf((c) => (env(c, 'prod').promoteFrom = 'dev'))).toEqual([
      'environments[prod].promoteFrom: must name a staging environment of this estate (staging) (got "dev")',
    ]);
    expect(problemsOf((c) => (env(c, 'prod').promoteFrom = 'stagin'))).toEqual([
      'environments[prod].promoteFrom: must name a staging environment of this estate (staging); did you mean staging? (got "stagin")',
    ]);
    expect(problemsOf((c) => (env(c, 'dev').promoteFrom = 'staging'))).toEqual([
      'environments[dev].promoteFrom: applies only to a prod environment (got "staging")',
    ]);
    expect(
      problemsOf((c) => {
        Object.assign(env(c, 'staging'), {
          region: 'eu-central-1',
          availabilityZones: ['eu-central-1a', 'eu-central-1b'],
          auditReplicaRegion: 'eu-west-1',
        });
        c.models.forEach((m: any) => delete m.endpoints.staging);
        c.models.forEach((m: any) => delete m.training);
      }),
    ).toEqual([
      'environments[prod].promoteFrom: must be in prod\'s region (eu-west-1), not eu-central-1: SageMaker serves a model package only in the region of its registry (got "staging")',
    ]);
  });

  test('a second staging environment listed above staging does not re-point prod', () => {
    const config = base();
    config.environments.splice(1, 0, {
      ...env(config, 'staging'),
      name: 'uat',
      account: '555555555555',
      vpcCidr: '10.40.0.0/16',
    });
    const valid = validateEstateConfig(config);
    expect(valid.environments.map((e) => e.name)).toEqual(['dev', 'uat', 'staging', 'prod']);
    expect(promotionSource(valid)!.name).toBe('staging');
  });

  test('two prod environments promote from the same staging environment', () => {
    const problems = problemsOf((c) => {
      c.environments.splice(2, 0, {
        ...env(c, 'staging'),
        name: 'uat',
        account: '555555555555',
        vpcCidr: '10.40.0.0/16',
      });
      c.environments.push({
        ...env(c, 'prod'),
        name: 'prod2',
        account: '666666666666',
        vpcCidr: '10.50.0.0/16',
        promoteFrom: 'uat',
      });
    });
    expect(problems).toEqual([
      'environments[prod2].promoteFrom: must be the same for every prod environment (staging, uat): one staging registry holds the versions prod serves (got "uat")',
    ]);
  });
});

describe("what a bank's reviewer refuses", () => {
  test('a high-risk tier that does not require explanations', () => {
    expect(problemsOf((c) => (c.modelRisk.tiers.high.requireExplainability = false))).toEqual([
      'modelRisk.tiers.high.requireExplainability: cannot be false: a high-risk model must explain its decisions (ECOA / Reg B adverse-action reasons, SR 11-7) (got false)',
    ]);
  });

  test.each(['100.64.0.0/16', '11.0.0.0/16', '172.32.0.0/16', '172.15.0.0/16', '192.169.0.0/16', '8.8.0.0/16'])(
    'a VPC range outside the private ranges: %s',
    (cidr) => {
      expect(problemsOf((c) => (env(c, 'staging').vpcCidr = cidr))).toEqual([
        `environments[staging].vpcCidr: must lie in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), not in public address space (got "${cidr}")`,
      ]);
    },
  );

  test.each(['172.16.0.0/16', '172.31.0.0/16', '192.168.0.0/20', '10.255.0.0/16'])(
    'a VPC range at the edge of a private range is accepted: %s',
    (cidr) => {
      expect(problemsOf((c) => (env(c, 'staging').vpcCidr = cidr))).toEqual([]);
    },
  );

  test('an image in another region than where it runs', () => {
    const shadow = (c: any) => byId(c, 'credit-default').endpoints.staging.shadow;
    expect(problemsOf((c) => (shadow(c).image = shadow(c).image.replace('.eu-west-1.', '.eu-central-1.')))).toEqual([
      'models[credit-default].endpoints.staging.shadow.image: is in eu-central-1, but staging runs in eu-west-1: SageMaker pulls images only from its own region (got "222222222222.dkr.ecr.eu-central-1.amazonaws.com/credit-d...)',
    ]);
  });
});

describe('every problem in one run, named by model id', () => {
  test('the three mistakes of one edit (an 11-digit account, a prod variant on one instance, a typo) in one run', () => {
    const problems = problemsOf((c) => {
      env(c, 'prod').account = '33333333333';
      Object.assign(byId(c, 'fraud-score').endpoints.prod.variants[0], {
        instanceCount: 1,
        autoscaling: { minInstances: 1, maxInstances: 12, targetInvocationsPerInstance: 1000 },
      });
      byId(c, 'credit-default').endpoints.prod.variants[1].instanceType = 'ml.g6.xlage';
    });
    expect(problems).toEqual([
      'environments[prod].account: must be a 12-digit AWS account ID written as a quoted string (got "33333333333")',
      'models[fraud-score].endpoints.prod.variants[0].instanceCount: must be at least 2 in prod: a variant that takes traffic spans two availability zones (got 1)',
      expect.stringMatching(
        /^models\[credit-default\]\.endpoints\.prod\.variants\[1\]\.instanceType: is not a SageMaker hosting \(endpoint\) instance type; did you mean ml\.g6\.xlarge\?/,
      ),
    ]);
  });

  test('a malformed model does not hide the cross-field problems of another, nor of itself', () => {
    const problems = problemsOf((c) => {
      byId(c, 'fraud-score').riskTier = 'meduim';
      byId(c, 'fraud-score').endpoints.dev.variants[0].weight = 0.5;
      byId(c, 'deposit-forecast').featureGroups = ['deposit-balance'];
    });
    expect(problems).toEqual([
      'models[fraud-score].riskTier: must be one of high, medium, low; did you mean medium? (got "meduim")',
      'models[fraud-score].endpoints.dev.variants: weights must add up to 1 (they add up to 0.5) (got [0.5])',
      'models[deposit-forecast].featureGroups[0]: is not a feature group of this estate (known: customer-profile, credit-bureau, card-transactions, deposit-balances) (got "deposit-balance")',
    ]);
  });

  test('a model whose id is itself malformed, or shared, is named by its index', () => {
    expect(problemsOf((c) => ((c.models[2].id = 'Deposit Forecast'), (c.models[2].maxRmse = -1)))).toEqual([
      'models[2].id: must be 3-49 lower-case letters, digits or hyphens, starting with a letter (it names the model package group) (got "Deposit Forecast")',
      'models[2].maxRmse: must be a positive number (got -1)',
    ]);
  });
});

describe('npm run validate-config', () => {
  const run = (file: string) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/validate-config.ts', file], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });

  test('says a valid config is valid, and what it holds, without synthesizing', () => {
    const result = run(EXAMPLE_ESTATE_FILE);
    expect([result.status, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(
      /example-estate\.yaml: valid\. 3 environment\(s\): dev \(dev, 111111111111, eu-west-1\), staging .*; 3 model\(s\)\.\n$/,
    );
  });

  test('lists every problem of a bad one and exits 1, without a stack trace', () => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'validate-'));
    const config = base();
    config.environments[0].account = '42';
    byId(config, 'credit-default').endpoints.prod.variants[0].instanceType = 'ml.g6.xlage';
    const file = path.join(dir, 'estate.yaml');
    fs.writeFileSync(file, YAML.stringify(config));
    try {
      const result = run(file);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`Invalid estate config ${file}: 2 problems; nothing was synthesized.`);
      expect(result.stderr).toContain('environments[dev].account: must be a 12-digit AWS account ID');
      expect(result.stderr).toContain('did you mean ml.g6.xlarge?');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
