/** Config rules for what models serve and train with: the estate's registries and buckets, by digest outside dev. */
import * as fs from 'node:fs';
import YAML from 'yaml';
import { DEFAULT_ESTATE_FILE } from '../support/estate';
import { configProblems } from '../support/config-problems';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const base = (): any => YAML.parse(fs.readFileSync(DEFAULT_ESTATE_FILE, 'utf8'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const problemsOf = (mutate: (c: any) => void): string[] => configProblems(mutate, base());

const TAGGED = '222222222222.dkr.ecr.eu-west-1.amazonaws.com/credit-default:1.4.0';
const FOREIGN = `999999999999.dkr.ecr.eu-west-1.amazonaws.com/credit-default@sha256:${'a'.repeat(64)}`;
const DIGEST = `222222222222.dkr.ecr.eu-west-1.amazonaws.com/credit-default@sha256:${'b'.repeat(64)}`;
const STAGING_DATA = 's3://model-artifacts-222222222222-eu-west-1/training/credit-default/run-1/model.tar.gz';
/**
 * The example's staging variants serve package versions, which prod's must be (each prod version is
 * baked in staging first); the cases below put an image + model data variant before them (valid as
 * given) and then break one of the two.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const stagingImageVariant = (c: any, changed: { image?: string; modelData?: string }) => {
  const variants = c.models[0].endpoints.staging.variants;
  // Traffic taken from the champion: the weights still add up to 1.
  const v = { ...variants[0], name: 'image-variant', weight: 0.1 };
  variants[0].weight = 0.8;
  delete v.modelPackageVersion;
  v.image = changed.image ?? DIGEST;
  v.modelData = changed.modelData ?? STAGING_DATA;
  variants.unshift(v);
};

describe('images and model data come from the estate', () => {
  test('the example estate passes', () => {
    expect(problemsOf(() => undefined)).toEqual([]);
  });

  test.each([
    [
      'a staging variant image by tag',
      (c: any) => stagingImageVariant(c, { image: TAGGED }),
      /^models\[credit-default\]\.endpoints\.staging\.variants\[0\]\.image: must name the image by digest \(<repository>@sha256:<64 hex>\) in staging: a tag can be moved/,
    ],
    [
      'a staging shadow image by tag',
      (c: any) => (c.models[0].endpoints.staging.shadow.image = TAGGED),
      /^models\[credit-default\]\.endpoints\.staging\.shadow\.image: must name the image by digest/,
    ],
    [
      'a training image by tag for a staging pipeline',
      (c: any) => (c.models[0].training.image = TAGGED),
      /^models\[credit-default\]\.training\.image: must name the image by digest .* in staging/,
    ],
    [
      'a processing image by tag for a staging pipeline',
      (c: any) => (c.models[1].training.processingImage = TAGGED),
      /^models\[fraud-score\]\.training\.processingImage: must name the image by digest/,
    ],
    [
      'an image from another account',
      (c: any) => stagingImageVariant(c, { image: FOREIGN }),
      /^models\[credit-default\]\.endpoints\.staging\.variants\[0\]\.image: is in the registry of account 999999999999, outside the estate \(accounts 111111111111, 222222222222, 333333333333\)/,
    ],
    [
      'a dev image from another account',
      (c: any) => (c.models[0].endpoints.dev.variants[0].image = FOREIGN.replace(/@sha256:.*/, ':1')),
      /^models\[credit-default\]\.endpoints\.dev\.variants\[0\]\.image: is in the registry of account 999999999999/,
    ],
    [
      'model data in a bucket of no environment',
      (c: any) => stagingImageVariant(c, { modelData: 's3://someone-elses-bucket/m/model.tar.gz' }),
      /^models\[credit-default\]\.endpoints\.staging\.variants\[0\]\.modelData: is in bucket someone-elses-bucket, outside the estate's artifact buckets \(model-artifacts-111111111111-eu-west-1, model-artifacts-222222222222-eu-west-1, model-artifacts-333333333333-eu-west-1\)/,
    ],
  ])('%s is refused, naming the field, the value and what is allowed', (_what, mutate, message) => {
    const problems = problemsOf(mutate);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).toMatch(/\(got "/);
  });

  test('a staging image + model data variant from the estate, by digest, is accepted', () => {
    expect(problemsOf((c) => stagingImageVariant(c, {}))).toEqual([]);
  });

  test('a dev image by tag from the estate is accepted', () => {
    expect(
      problemsOf(
        (c) =>
          (c.models[0].endpoints.dev.variants[0].image =
            '111111111111.dkr.ecr.eu-west-1.amazonaws.com/credit-default:1.5.0'),
      ),
    ).toEqual([]);
  });
});
