/**
 * The estate config: every problem reported at once, each with its field path,
 * the value found and what is allowed; nothing synthesized on a bad config.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { loadEstateConfig, parseEstateConfig, validateEstateConfig } from '../lib/config/load';
import { DEFAULT_ESTATE_FILE, REPO_ROOT } from './support/estate';
import { configProblems } from './support/config-problems';

const base = (): any => YAML.parse(fs.readFileSync(DEFAULT_ESTATE_FILE, 'utf8'));

/** Validates `mutate(base config)` and returns the problem lines it produced; a config accepted is a failure here. */
function problemsOf(mutate: (c: any) => void): string[] {
  const problems = configProblems(mutate, base());
  if (problems.length === 0) throw new Error('config was accepted');
  return problems;
}

describe('the example estate', () => {
  test('is valid and has dev, staging and prod in three distinct accounts', () => {
    const config = loadEstateConfig(DEFAULT_ESTATE_FILE);
    expect(config.environments.map((e) => [e.name, e.type])).toEqual([
      ['dev', 'dev'],
      ['staging', 'staging'],
      ['prod', 'prod'],
    ]);
    expect(new Set(config.environments.map((e) => e.account)).size).toBe(3);
  });

  test('defaults are filled in: log retention one year, data classified confidential', () => {
    const config = base();
    delete config.environments[1].logRetentionDays;
    delete config.environments[1].dataClassification;
    const env = validateEstateConfig(config).environments[1];
    expect([env.logRetentionDays, env.dataClassification]).toEqual([365, 'confidential']);
  });
});

describe('a bad config names the field, the value and what is allowed', () => {
  const cases: Array<[string, (c: any) => void, string[]]> = [
    [
      'account of 11 digits',
      (c) => (c.environments[0].account = '11111111111'),
      ['environments[dev].account: must be a 12-digit AWS account ID written as a quoted string (got "11111111111")'],
    ],
    [
      'account written as a number',
      (c) => (c.environments[0].account = 111111111111),
      ['environments[dev].account: must be a 12-digit AWS account ID written as a quoted string (got 111111111111)'],
    ],
    [
      'two environments in one account',
      (c) => (c.environments[2].account = c.environments[0].account),
      [
        'environments[prod].account: is already used by environments[dev]; each environment needs its own account (got "111111111111")',
      ],
    ],
    [
      'duplicate environment name',
      (c) => (c.environments[1].name = 'dev'),
      [
        'environments[1].name: is already used by environments[0]; names must be unique (got "dev")',
        // The endpoints that named the lost environment are reported too.
        'models[credit-default].endpoints.staging: is not an environment of this estate (known: dev, prod)',
        'models[fraud-score].endpoints.staging: is not an environment of this estate (known: dev, prod)',
        'models[credit-default].training.environments[0]: is not an environment of this estate (known: dev, prod) (got "staging")',
        'models[fraud-score].training.environments[0]: is not an environment of this estate (known: dev, prod) (got "staging")',
        // And prod's promotion source with it.
        'environments[prod].promoteFrom: must name a staging environment of this estate (dev) (got "staging")',
      ],
    ],
    [
      'environment name with upper case',
      (c) => (c.environments[0].name = 'Dev'),
      [
        'environments[0].name: must be 2-16 lower-case letters or digits, starting with a letter (it names stages and stacks) (got "Dev")',
      ],
    ],
    [
      'unknown environment type',
      (c) => (c.environments[0].type = 'qa'),
      ['environments[dev].type: must be one of dev, staging, prod (got "qa")'],
    ],
    [
      'region not in the allowed list',
      (c) => {
        c.environments[2].region = 'us-east-1';
        c.environments[2].availabilityZones = ['us-east-1a', 'us-east-1b'];
      },
      [
        'environments[prod].region: must be one of organization.allowedRegions (eu-west-1, eu-central-1) (got "us-east-1")',
        'environments[prod].promoteFrom: must be in prod\'s region (us-east-1), not eu-west-1: SageMaker serves a model package only in the region of its registry (got "staging")',
      ],
    ],
    [
      'audit replica in the same region',
      (c) => (c.environments[2].auditReplicaRegion = 'eu-west-1'),
      [
        'environments[prod].auditReplicaRegion: must differ from the environment\'s region (eu-west-1): the replica protects against losing a region (got "eu-west-1")',
      ],
    ],
    [
      'audit replica in a region not allowed',
      (c) => (c.environments[2].auditReplicaRegion = 'us-west-2'),
      [
        'environments[prod].auditReplicaRegion: must be one of organization.allowedRegions (eu-west-1, eu-central-1) (got "us-west-2")',
      ],
    ],
    [
      'malformed region',
      (c) => (c.organization.homeRegion = 'Ireland'),
      ['organization.homeRegion: must be an AWS region code such as eu-west-1 (got "Ireland")'],
    ],
    [
      'home region not allowed',
      (c) => (c.organization.homeRegion = 'eu-north-1'),
      [
        'organization.homeRegion: must be one of organization.allowedRegions (eu-west-1, eu-central-1) (got "eu-north-1")',
        // The pipeline runs in the home region, so its connection must be there too.
        'delivery.connectionArn: must be a connection in the tooling account 444444444444 and the home region eu-north-1, where the pipeline runs (got "arn:aws:codeconnections:eu-west-1:444444444444:connectio...)',
      ],
    ],
    [
      'pipeline in an environment account',
      (c) => (c.delivery.account = '222222222222'),
      [
        'delivery.account: is already used by environments[staging]; the pipeline runs in its own tooling account (got "222222222222")',
        'delivery.connectionArn: must be a connection in the tooling account 222222222222 and the home region eu-west-1, where the pipeline runs (got "arn:aws:codeconnections:eu-west-1:444444444444:connectio...)',
      ],
    ],
    [
      'pipeline in the management account',
      (c) => {
        c.delivery.account = '999999999999';
        c.delivery.connectionArn = c.delivery.connectionArn.replace('444444444444', '999999999999');
      },
      [
        'delivery.account: is the management account; the pipeline runs in a member (tooling) account (got "999999999999")',
      ],
    ],
    [
      'connection of another account',
      (c) => (c.delivery.connectionArn = c.delivery.connectionArn.replace('444444444444', '555555555555')),
      [
        'delivery.connectionArn: must be a connection in the tooling account 444444444444 and the home region eu-west-1, where the pipeline runs (got "arn:aws:codeconnections:eu-west-1:555555555555:connectio...)',
      ],
    ],
    [
      'not a connection ARN',
      (c) => (c.delivery.connectionArn = 'https://github.com/examplebank/ml-estate'),
      [
        'delivery.connectionArn: must be the ARN of a CodeConnections (CodeStar) connection, such as arn:aws:codeconnections:eu-west-1:444455556666:connection/<uuid> (got "https://github.com/examplebank/ml-estate")',
      ],
    ],
    [
      'repository without its owner',
      (c) => (c.delivery.repository = 'ml-estate'),
      ['delivery.repository: must be owner/name of the repository that holds the estate (got "ml-estate")'],
    ],
    [
      'GPU family not allowed in dev',
      (c) => (c.models[0].endpoints.dev.variants[0].instanceType = 'ml.p5.48xlarge'),
      [
        'models[credit-default].endpoints.dev.variants[0].instanceType: is of family ml.p5, not allowed in dev (allowed: ml.m5, ml.m6i, ml.c5, ml.c6i, ml.g5, ml.g6, ml.inf2) (got "ml.p5.48xlarge")',
      ],
    ],
    [
      "family outside the environment's own list",
      (c) => (c.environments[2].instanceFamilies = ['ml.g5']),
      [
        'models[fraud-score].endpoints.prod.variants[0].instanceType: is of family ml.inf2, not allowed in prod (allowed: ml.g5) (got "ml.inf2.xlarge")',
      ],
    ],
    [
      'prod variant on one instance',
      (c) => {
        c.models[1].endpoints.prod.variants[0].instanceCount = 1;
        c.models[1].endpoints.prod.variants[0].autoscaling.minInstances = 1;
      },
      [
        'models[fraud-score].endpoints.prod.variants[0].instanceCount: must be at least 2 in prod: a variant that takes traffic spans two availability zones (got 1)',
      ],
    ],
    [
      'autoscaling max below min',
      (c) => (c.models[0].endpoints.staging.variants[0].autoscaling.maxInstances = 0),
      [
        'models[credit-default].endpoints.staging.variants[0].autoscaling.maxInstances: must be a whole number from 1 to 100 (got 0)',
      ],
    ],
    [
      'autoscaling max below min, both valid',
      (c) => (c.models[1].endpoints.prod.variants[0].autoscaling.maxInstances = 1),
      [
        'models[fraud-score].endpoints.prod.variants[0].autoscaling.maxInstances: must be at least minInstances (2) (got 1)',
        'models[fraud-score].endpoints.prod.variants[0].instanceCount: must lie within the autoscaling bounds (2 to 1) (got 2)',
      ],
    ],
    [
      'weights that do not add up',
      (c) => (c.models[0].endpoints.prod.variants[1].weight = 0.2),
      ['models[credit-default].endpoints.prod.variants: weights must add up to 1 (they add up to 1.1) (got [0.9,0.2])'],
    ],
    [
      'unknown feature group',
      (c) => (c.models[1].featureGroups = ['card-transactions', 'card-txns']),
      [
        'models[fraud-score].featureGroups[1]: is not a feature group of this estate (known: customer-profile, credit-bureau, card-transactions, deposit-balances) (got "card-txns")',
      ],
    ],
    [
      'an endpoint for an unknown environment',
      (c) => (c.models[2].endpoints.qa = c.models[2].endpoints.dev),
      ['models[deposit-forecast].endpoints.qa: is not an environment of this estate (known: dev, staging, prod)'],
    ],
    [
      'an unapproved image in prod',
      (c) => {
        const v = c.models[1].endpoints.prod.variants[0];
        delete v.modelPackageVersion;
        v.image = '333333333333.dkr.ecr.eu-west-1.amazonaws.com/fraud-score-neuron:2.2.0';
        v.modelData = 's3://examplebank-prod-models/fraud-score/2.2.0/model.tar.gz';
      },
      [
        'models[fraud-score].endpoints.prod.variants[0].image: cannot be used in prod: prod serves only a model package version approved in the staging registry (give modelPackageVersion) (got "333333333333.dkr.ecr.eu-west-1.amazonaws.com/fraud-score...)',
      ],
    ],
    [
      'an image without model data',
      (c) => delete c.models[2].endpoints.dev.variants[0].modelData,
      [
        'models[deposit-forecast].endpoints.dev.variants[0]: must give either modelPackageVersion, or both image and modelData',
      ],
    ],
    [
      'a rollout strategy that does not exist',
      (c) => (c.models[1].endpoints.prod.rollout.strategy = 'big-bang'),
      [
        'models[fraud-score].endpoints.prod.rollout.strategy: must be one of canary, linear, all-at-once (got "big-bang")',
      ],
    ],
    [
      'an event time that is a whole number',
      (c) => (c.featureGroups[0].features[1].type = 'integral'),
      [
        'featureGroups[customer-profile].eventTime: must be a fractional or string feature (event times are seconds or ISO-8601) (got "event_time")',
      ],
    ],
    [
      'a record identifier that is not a feature',
      (c) => (c.featureGroups[1].recordIdentifier = 'customer'),
      ['featureGroups[credit-bureau].recordIdentifier: must be one of the features of this group (got "customer")'],
    ],
    [
      'a feature group with no store',
      (c) => Object.assign(c.featureGroups[3], { online: false, offline: false }),
      [
        'featureGroups[deposit-balances].online: and offline cannot both be false: a feature group needs a store (got false)',
      ],
    ],
    [
      'retraining without a trigger',
      (c) => Object.assign(c.models[0].training, { schedule: undefined, onMarketEvent: false }),
      ['models[credit-default].training: must have at least one trigger: schedule, onAlarm or onMarketEvent'],
    ],
    [
      'retraining on an alarm that does not exist',
      (c) => (c.models[0].training.onAlarm = true),
      [
        "models[credit-default].training.onAlarm: needs the model's endpoint in staging with model-quality monitoring on (its quality alarm is the trigger) (got true)",
      ],
    ],
    [
      'training on a GPU type with local storage',
      (c) => (c.models[1].training.instanceType = 'ml.g5.4xlarge'),
      [
        'models[fraud-score].training.instanceType: has local NVMe storage, where SageMaker refuses a volume key, and the organization guardrail requires one for every job: choose an EBS-backed type (ml.m5, ml.c5, ml.inf2 ...) (got "ml.g5.4xlarge")',
      ],
    ],
    [
      'a schedule that is not one',
      (c) => (c.models[1].training.schedule = 'every day at 2'),
      [
        'models[fraud-score].training.schedule: must be an EventBridge schedule expression such as cron(0 2 * * ? *) or rate(7 days) (got "every day at 2")',
      ],
    ],
    [
      'retraining in an unknown environment',
      (c) => (c.models[1].training.environments = ['staging', 'uat']),
      [
        'models[fraud-score].training.environments[1]: is not an environment of this estate (known: dev, staging, prod) (got "uat")',
      ],
    ],
    [
      'a daily cap of zero',
      (c) => (c.models[1].training.maxRunsPerDay = 0),
      ['models[fraud-score].training.maxRunsPerDay: must be a whole number from 1 to 24 (got 0)'],
    ],
    [
      'unknown delivery key',
      (c) => (c.delivery.approvers = ['x']),
      ['delivery.approvers: is not a known setting (allowed here: account, connectionArn, repository, branch)'],
    ],
    [
      'zone outside the region',
      (c) => (c.environments[0].availabilityZones = ['eu-west-1a', 'eu-central-1b']),
      [
        'environments[dev].availabilityZones[1]: must be an availability zone of eu-west-1, such as eu-west-1a (got "eu-central-1b")',
      ],
    ],
    [
      'a single zone',
      (c) => (c.environments[0].availabilityZones = ['eu-west-1a']),
      [
        'environments[dev].availabilityZones: must list at least 2 availability zones (the network spans two or more) (got ["eu-west-1a"])',
      ],
    ],
    [
      'the same zone twice',
      (c) => (c.environments[0].availabilityZones = ['eu-west-1a', 'eu-west-1a']),
      ['environments[dev].availabilityZones[1]: is listed twice (got "eu-west-1a")'],
    ],
    [
      'overlapping VPC CIDRs',
      (c) => (c.environments[2].vpcCidr = '10.20.128.0/17'),
      [
        'environments[prod].vpcCidr: overlaps environments[staging].vpcCidr (10.20.0.0/16); environment networks must not overlap (got "10.20.128.0/17")',
      ],
    ],
    [
      'CIDR too large',
      (c) => (c.environments[0].vpcCidr = '10.0.0.0/8'),
      [
        'environments[dev].vpcCidr: must be an IPv4 CIDR block with a prefix from /16 to /24, such as 10.20.0.0/16 (got "10.0.0.0/8")',
      ],
    ],
    [
      'CIDR not aligned to its prefix',
      (c) => (c.environments[0].vpcCidr = '10.10.1.0/16'),
      [
        'environments[dev].vpcCidr: must be an IPv4 CIDR block with a prefix from /16 to /24, such as 10.20.0.0/16 (got "10.10.1.0/16")',
      ],
    ],
    [
      'prod audit retention in days, not years',
      (c) => (c.environments[2].auditLogRetentionYears = 3),
      [
        'environments[prod].auditLogRetentionYears: must be at least 7 year(s) for a prod environment (regulatory floor) (got 3)',
      ],
    ],
    [
      'fractional retention',
      (c) => (c.environments[0].auditLogRetentionYears = 1.5),
      ['environments[dev].auditLogRetentionYears: must be a whole number of years (got 1.5)'],
    ],
    [
      'log retention under a year',
      (c) => (c.environments[0].logRetentionDays = 90),
      [
        'environments[dev].logRetentionDays: must be one of the CloudWatch Logs retention values of a year or more: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 90)',
      ],
    ],
    [
      'prod without termination protection',
      (c) => (c.environments[2].flags = { terminationProtection: false }),
      ['environments[prod].flags.terminationProtection: cannot be false in a prod environment (got false)'],
    ],
    [
      'staging that discards state',
      (c) => (c.environments[1].flags = { retainStatefulResources: false }),
      [
        'environments[staging].flags.retainStatefulResources: cannot be false in a staging environment: stateful resources are always retained outside dev (got false)',
      ],
    ],
    [
      'misspelt key',
      (c) => (c.environments[0].vpcCIDR = c.environments[0].vpcCidr),
      [
        'environments[dev].vpcCIDR: is not a known setting; did you mean vpcCidr? (allowed here: name, type, account, region, availabilityZones, vpcCidr, auditReplicaRegion, auditLogRetentionYears, logRetentionDays, monitoringService, dataClassification, instanceFamilies, flags, securityAlerts, promoteFrom)',
      ],
    ],
    [
      'missing required field',
      (c) => delete c.environments[1].region,
      ['environments[staging].region: is required: must be an AWS region code such as eu-west-1'],
    ],
    [
      'unknown data classification',
      (c) => (c.environments[0].dataClassification = 'secret'),
      ['environments[dev].dataClassification: must be one of internal, confidential, restricted (got "secret")'],
    ],
    ['no environments', (c) => (c.environments = []), ['environments: must define at least one environment (got [])']],
    [
      'high-risk models approved without a person',
      (c) => (c.modelRisk.tiers.high.autoApprove = true),
      [
        'modelRisk.tiers.high.autoApprove: cannot be true: a high-risk model is approved only by a person in the model-risk role (got true)',
      ],
    ],
    [
      'disparate impact floor below four-fifths',
      (c) => (c.modelRisk.tiers.medium.minDisparateImpact = 0.7),
      ['modelRisk.tiers.medium.minDisparateImpact: must be at least 0.8: the four-fifths rule is the floor (got 0.7)'],
    ],
    [
      'PSI block level above 0.25',
      (c) => (c.modelRisk.tiers.low.psiBlock = 0.4),
      ['modelRisk.tiers.low.psiBlock: must be at most 0.25: drift beyond that is never accepted (got 0.4)'],
    ],
    [
      'PSI warning at or above the block level',
      (c) => (c.modelRisk.tiers.low.psiWarn = 0.25),
      ['modelRisk.tiers.low.psiWarn: must be below psiBlock (0.25) (got 0.25)'],
    ],
    [
      'AUC floor above 1',
      (c) => (c.modelRisk.tiers.high.minAuc = 75),
      ['modelRisk.tiers.high.minAuc: must be a number from 0 to 1 (floor of AUC for classifiers) (got 75)'],
    ],
    [
      'duplicate model id',
      (c) => (c.models[1].id = 'credit-default'),
      ['models[1].id: is already used by models[0]; model ids must be unique (got "credit-default")'],
    ],
    [
      'unknown risk tier on a model',
      (c) => (c.models[0].riskTier = 'critical'),
      ['models[credit-default].riskTier: must be one of high, medium, low (got "critical")'],
    ],
    [
      'RMSE ceiling on a classifier',
      (c) => (c.models[0].maxRmse = 3),
      ['models[credit-default].maxRmse: applies only to regression models (got 3)'],
    ],
    [
      'owner that is not an e-mail address',
      (c) => (c.models[0].owner = 'credit team'),
      ['models[credit-default].owner: must be the e-mail address of the accountable owner (got "credit team")'],
    ],
    [
      'an environment in the management account',
      (c) => (c.environments[2].account = c.organization.managementAccount),
      [
        'environments[prod].account: is the management account; workloads run in member accounts, never in the management account (got "999999999999")',
      ],
    ],
    [
      'a management account without the organization root',
      (c) => delete c.organization.rootId,
      [
        'organization.rootId: is required when the other of managementAccount and rootId is given: the organization stack needs both',
      ],
    ],
    [
      'a malformed organization root',
      (c) => (c.organization.rootId = 'root-1'),
      ['organization.rootId: must be the organization root ID, such as r-ab12 (got "root-1")'],
    ],
    [
      'an identity account that is not an account ID',
      (c) => (c.organization.identityAccount = 'sso'),
      ['organization.identityAccount: must be the 12-digit ID of the account people sign in to, quoted (got "sso")'],
    ],
    [
      'a break-glass role name with a space',
      (c) => (c.organization.breakGlassRoleName = 'break glass'),
      [
        'organization.breakGlassRoleName: must be an IAM role name (1-64 letters, digits and +=,.@_-) (got "break glass")',
      ],
    ],
    [
      'no model risk policy at all',
      (c) => delete c.modelRisk,
      ['modelRisk: is required: must be a mapping with tiers (high, medium, low) and deployment'],
    ],
  ];

  test('there are at least 15 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  test.each(cases)('%s', (_name, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual(expected);
  });

  test('every problem is reported at once, not just the first', () => {
    const problems = problemsOf((c) => {
      c.environments[0].account = '123';
      c.environments[1].type = 'uat';
      c.environments[2].logRetentionDays = 30;
    });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'environments[dev].account',
      'environments[staging].type',
      'environments[prod].logRetentionDays',
    ]);
  });

  test('shape and cross-field problems are reported in the same run', () => {
    const problems = problemsOf((c) => {
      c.environments[0].account = '123';
      c.environments[2].account = c.environments[1].account;
      c.environments[2].vpcCidr = c.environments[1].vpcCidr;
    });
    expect(problems).toEqual([
      'environments[dev].account: must be a 12-digit AWS account ID written as a quoted string (got "123")',
      'environments[prod].account: is already used by environments[staging]; each environment needs its own account (got "222222222222")',
      'environments[prod].vpcCidr: overlaps environments[staging].vpcCidr (10.20.0.0/16); environment networks must not overlap (got "10.20.0.0/16")',
    ]);
  });

  test('all cross-field problems are reported together', () => {
    const problems = problemsOf((c) => {
      c.environments[1].account = c.environments[0].account;
      c.environments[2].vpcCidr = c.environments[0].vpcCidr;
      c.environments[2].auditLogRetentionYears = 1;
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'environments[staging].account',
      'environments[prod].auditLogRetentionYears',
      'environments[prod].vpcCidr',
    ]);
  });

  test('a YAML syntax error names the file and the place', () => {
    expect(() => parseEstateConfig('organization: {name: [unclosed\n', 'broken.yaml')).toThrow(
      /^Invalid estate config broken.yaml: 2 problems; nothing was synthesized\.\n {2}- \(file\): is not valid YAML: Flow sequence .* at line 2, column 1\n/,
    );
  });

  test('a duplicated YAML key is refused rather than silently overwritten', () => {
    expect(() => parseEstateConfig('organization: {}\norganization: {}\n', 'dup.yaml')).toThrow(
      /is not valid YAML: Map keys must be unique/,
    );
  });

  test('a missing file is reported as such', () => {
    expect(() => loadEstateConfig('/nonexistent/estate.yaml')).toThrow(
      '  - (file): cannot be read: file not found (got "/nonexistent/estate.yaml")',
    );
  });

  test('JSON configs are accepted as well', () => {
    expect(parseEstateConfig(JSON.stringify(base()), 'estate.json').environments).toHaveLength(3);
  });
});

describe('the app on a bad config', () => {
  test('exits 1 with the problems on stderr, no stack trace, and writes nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-estate-'));
    const config = base();
    config.environments[0].account = '42';
    config.environments[2].region = 'mars-north-1';
    const file = path.join(dir, 'estate.yaml');
    fs.writeFileSync(file, YAML.stringify(config));
    const outdir = path.join(dir, 'cdk.out');

    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/estate.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ estate: file }) },
    });

    expect(run.status).toBe(1);
    // The two errors, and the staging variants that serve package versions, which no longer know their registry (prod's
    // is invalid).
    expect(run.stderr).toContain(`Invalid estate config ${file}: 5 problems; nothing was synthesized.`);
    expect(run.stderr).toContain(
      'environments[dev].account: must be a 12-digit AWS account ID written as a quoted string (got "42")',
    );
    expect(run.stderr).toContain(
      'environments[prod].region: must be an AWS region code such as eu-west-1 (got "mars-north-1")',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});
