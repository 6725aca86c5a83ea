/**
 * Segments in the config: what the example declares, and bad segment configs refused with the
 * path, the value and what is allowed (shape and cross-field), nothing synthesized.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as YAML from 'yaml';
import { validateEstateConfig } from '../../lib/config/load';
import { segmentArguments, segmentationPolicy } from '../../lib/config/segments';
import { EXAMPLE_ESTATE_FILE, REPO_ROOT } from '../support/estate';
import { configProblems } from '../support/config-problems';

const base = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));
const byId = (c: any, id: string) => c.models.find((m: any) => m.id === id);

const problemsOf = (mutate: (c: any) => void): string[] => configProblems(mutate, base());
const fraud = (c: any) => byId(c, 'fraud-score').segmentation;
const credit = (c: any) => byId(c, 'credit-default').segmentation;

test('the example declares segments for its fraud and credit models, critical ones included', () => {
  const config = validateEstateConfig(base());
  const f = byId(config, 'fraud-score').segmentation;
  const c = byId(config, 'credit-default').segmentation;
  expect(f.segments.map((s: any) => [s.name, s.critical])).toEqual([
    ['high-value', true],
    ['high-risk-merchant', true],
    ['cross-border', false],
  ]);
  expect(c.segments.map((s: any) => [s.name, s.critical])).toEqual([
    ['thin-file', true],
    ['low-income', false],
  ]);
  expect(f.stressScenarios.length).toBeGreaterThan(0);
  expect(c.stressScenarios.map((s: any) => s.name)).toEqual(['default-rate-doubled', 'thin-file-surge']);
  // Defaults: not critical, 100 rows, margin 0.05.
  const minimal = validateEstateConfig(
    (() => {
      const x = base();
      byId(x, 'fraud-score').segmentation = { segments: [{ name: 'big', feature: 'amount', range: { min: 1 } }] };
      return x;
    })(),
  );
  expect(byId(minimal, 'fraud-score').segmentation).toEqual({
    marginBelowAggregate: 0.05,
    stressScenarios: [],
    segments: [{ name: 'big', feature: 'amount', range: { min: 1 }, critical: false, minSupport: 100 }],
  });
  // The gates get the definition the script writes into the report.
  expect(segmentationPolicy(f).segments[0]).toEqual({
    name: 'high-value',
    definition: { feature: 'amount', range: { min: 10000 } },
    critical: true,
    minSupport: 200,
    floors: { minAuc: 0.8 },
  });
  for (const arg of segmentArguments(f)) expect(arg.length).toBeLessThanOrEqual(256);
});

describe('bad segment configs are refused with their path', () => {
  test.each<[string, (c: any) => void, string]>([
    [
      'a feature the model does not have',
      (c) => (fraud(c).segments[0].feature = 'amonut'),
      'models[fraud-score].segmentation.segments[0].feature: is not a feature of the model\'s feature groups (card-transactions, customer-profile; features: amount, merchant_category, country, age_band, sex, income_band, tenure_months); did you mean amount? (got "amonut")',
    ],
    [
      "a feature of another model's groups",
      (c) => (credit(c).segments[0].feature = 'amount'),
      "models[credit-default].segmentation.segments[0].feature: is not a feature of the model's feature groups",
    ],
    [
      'the record identifier',
      (c) => (fraud(c).segments[0].feature = 'transaction_id'),
      'models[fraud-score].segmentation.segments[0].feature: is a record identifier or event time',
    ],
    [
      'both values and a range',
      (c) => (fraud(c).segments[0].values = [1]),
      'models[fraud-score].segmentation.segments[0]: must give either values (a categorical segment) or range (a numeric one), not both or neither',
    ],
    [
      'neither values nor a range',
      (c) => delete fraud(c).segments[0].range,
      'models[fraud-score].segmentation.segments[0]: must give either values',
    ],
    [
      'an empty range',
      (c) => (fraud(c).segments[0].range = {}),
      'models[fraud-score].segmentation.segments[0].range: must give min, max or both',
    ],
    [
      'a range upside down',
      (c) => (fraud(c).segments[0].range = { min: 5, max: 5 }),
      'models[fraud-score].segmentation.segments[0].range.max: must be above min (5)',
    ],
    [
      'a range on a string feature',
      (c) => ((fraud(c).segments[1].range = { min: 1 }), delete fraud(c).segments[1].values),
      'models[fraud-score].segmentation.segments[1].range: applies to a numeric feature; merchant_category is a string feature',
    ],
    [
      'a number for a string feature',
      (c) => (fraud(c).segments[1].values = [5411]),
      'models[fraud-score].segmentation.segments[1].values[0]: must be text: merchant_category is a string feature',
    ],
    [
      'text for an integral feature',
      (c) => (credit(c).segments[1].values = ['1']),
      'models[credit-default].segmentation.segments[1].values[0]: must be a number: income_band is a numeric (integral) feature',
    ],
    [
      'a fraction for an integral feature',
      (c) => (credit(c).segments[1].values = [1.5]),
      'must be a whole number: income_band is an integral feature',
    ],
    [
      'a value listed twice',
      (c) => (fraud(c).segments[1].values = ['gambling', 'gambling']),
      'models[fraud-score].segmentation.segments[1].values[1]: is listed twice',
    ],
    [
      'a name used twice',
      (c) => (fraud(c).segments[1].name = 'high-value'),
      'models[fraud-score].segmentation.segments[1].name: is already used by segments[0]',
    ],
    [
      'an R2 floor on a classifier',
      (c) => (fraud(c).segments[0].floors = { minR2: 0.5 }),
      'models[fraud-score].segmentation.segments[0].floors.minR2: applies only to regression models; fraud-score is binary_classification',
    ],
    [
      'a floor above 1',
      (c) => (fraud(c).segments[0].floors = { minAuc: 75 }),
      'models[fraud-score].segmentation.segments[0].floors.minAuc: must be a number from 0 to 1',
    ],
    [
      'a minimum support of 0',
      (c) => (fraud(c).segments[0].minSupport = 0),
      'models[fraud-score].segmentation.segments[0].minSupport: must be a whole number of rows from 1 to 1000000',
    ],
    [
      'critical as text',
      (c) => (fraud(c).segments[0].critical = 'yes'),
      'models[fraud-score].segmentation.segments[0].critical: must be true or false',
    ],
    [
      'an unknown key (a typo of minSupport)',
      (c) => (fraud(c).segments[0].minSuport = 10),
      'models[fraud-score].segmentation.segments[0].minSuport: is not a known setting; did you mean minSupport?',
    ],
    [
      'a name with capitals',
      (c) => (fraud(c).segments[0].name = 'HighValue'),
      'models[fraud-score].segmentation.segments[0].name: must be 3-32 lower-case letters',
    ],
    [
      'a margin above 0.5',
      (c) => (fraud(c).marginBelowAggregate = 0.6),
      'models[fraud-score].segmentation.marginBelowAggregate: must be a number from 0 to 0.5',
    ],
    [
      'no segments',
      (c) => (fraud(c).segments = []),
      'models[fraud-score].segmentation.segments: must list at least one segment',
    ],
    [
      'a scenario on an unknown segment',
      (c) => (fraud(c).stressScenarios[1].segmentShare.segment = 'high-valu'),
      'models[fraud-score].segmentation.stressScenarios[1].segmentShare.segment: is not a segment of this model (known: high-value, high-risk-merchant, cross-border); did you mean high-value?',
    ],
    [
      'a scenario of both kinds',
      (c) => (fraud(c).stressScenarios[0].segmentShare = { segment: 'high-value', share: 0.3 }),
      'models[fraud-score].segmentation.stressScenarios[0]: must give exactly one of positiveRate',
    ],
    [
      'a positive rate of 1',
      (c) => (fraud(c).stressScenarios[0].positiveRate = 1),
      'models[fraud-score].segmentation.stressScenarios[0].positiveRate: must be a number between 0 and 1',
    ],
    [
      'a prior shift on a regression model',
      (c) =>
        (byId(c, 'deposit-forecast').segmentation = {
          segments: [{ name: 'big', feature: 'balance', range: { min: 1e6 } }],
          stressScenarios: [{ name: 'boom', positiveRate: 0.3 }],
        }),
      'models[deposit-forecast].segmentation.stressScenarios[0].positiveRate: applies only to binary classification models',
    ],
    [
      'a value set too long for a container argument',
      (c) => (fraud(c).segments[1].values = Array.from({ length: 40 }, (_, i) => `merchant-category-${i}`)),
      'models[fraud-score].segmentation.segments[1].values: is ',
    ],
    [
      'six critical segments',
      (c) =>
        (fraud(c).segments = Array.from({ length: 6 }, (_, i) => ({
          name: `band-${i}`,
          feature: 'amount',
          range: { min: i * 1000, max: (i + 1) * 1000 },
          critical: true,
        }))),
      'models[fraud-score].segmentation.segments: marks 6 segments critical, more than 5',
    ],
    [
      "a value with the state machine's expression delimiters",
      (c) => (fraud(c).segments[1].values = ['x %} & $eval("1")']),
      'models[fraud-score].segmentation.segments[1].values[0]: cannot contain {% or %}',
    ],
    [
      'a model without feature groups',
      (c) => (
        (byId(c, 'deposit-forecast').featureGroups = []),
        (byId(c, 'deposit-forecast').segmentation = {
          segments: [{ name: 'big', feature: 'balance', range: { min: 1 } }],
        })
      ),
      'models[deposit-forecast].segmentation.segments[0].feature: is not a feature of the model: the model lists no featureGroups',
    ],
  ])('%s', (_, mutate, expected) => {
    const problems = problemsOf(mutate);
    expect(problems.some((p) => p.startsWith(expected) || p.includes(expected))).toBe(true);
  });

  test('a segment whose container argument would exceed 256 characters says how long it is', () => {
    const problems = problemsOf(
      (c) => (fraud(c).segments[1].values = Array.from({ length: 40 }, (_, i) => `merchant-category-${i}`)),
    );
    expect(problems.join('\n')).toMatch(
      /values: is \d+ characters as a processing job argument, more than SageMaker's 256: list fewer or shorter values/,
    );
  });

  test('every problem of the segments in one run', () => {
    const problems = problemsOf((c) => {
      fraud(c).segments[0].feature = 'nope';
      credit(c).segments[0].range = { min: 3, max: 1 };
      fraud(c).stressScenarios[1].segmentShare.segment = 'nope';
    });
    expect(problems.filter((p) => p.includes('segmentation')).length).toBe(3);
  });

  test('validate-config (and so cdk synth) refuses a bad segment with a clear error, no stack trace, nothing synthesized', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-config-'));
    const c = base();
    fraud(c).segments[0].feature = 'amonut';
    const file = path.join(dir, 'estate.yaml');
    fs.writeFileSync(file, YAML.stringify(c));
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        path.join(REPO_ROOT, 'bin', 'validate-config.ts'),
        file,
      ],
      { encoding: 'utf8', cwd: dir },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /models\[fraud-score\]\.segmentation\.segments\[0\]\.feature: is not a feature of the model's feature groups/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(dir)).toEqual(['estate.yaml']);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60000);
});
