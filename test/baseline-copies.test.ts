/**
 * Which prod endpoints get a baseline copy, on estates beyond the example (generated ones of 1 to 400 models, with
 * monitoring switched off for some and Model Monitor chosen for one), and what the staging bucket's policy admits at
 * each size: one statement per copier (exact role ARN, its model's prefix), then one per prod account naming each
 * exact ARN, then the role-name suffix, always under S3's 20 KB bucket-policy limit (Amazon S3 User Guide, bucket
 * policies: "Bucket policies are limited to 20 KB in size").
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  baselineReadStatements,
  MAX_BASELINE_READ_STATEMENTS,
  MAX_EXACT_BASELINE_READERS,
} from '../constructs/baseline-copy';
import { validateEstateConfig } from '../lib/config';
import { baselineCopies, baselineCopiesFrom, championOf } from '../lib/delivery/baseline-copies';
import { generatedEstate } from './support/generate-estate';

const estateOf = (
  models: number,
  patch: (m: any, i: number) => void = () => undefined,
  env: (e: any) => void = () => undefined,
) => {
  const raw = generatedEstate(models) as any;
  raw.models.forEach(patch);
  raw.environments.forEach(env);
  return validateEstateConfig(raw, 'generated');
};
const prodOf = (estate: ReturnType<typeof estateOf>) => estate.environments.find((e) => e.type === 'prod')!;
const stagingOf = (estate: ReturnType<typeof estateOf>) => estate.environments.find((e) => e.name === 'staging')!;

describe('which endpoints get a copy', () => {
  test("every monitored prod endpoint, at the version with the most weight, each with its own role name within IAM's 64 characters", () => {
    const estate = estateOf(60, (m, i) => {
      if (i % 10 === 3) m.endpoints.prod.monitoring = { dataQuality: false, modelQuality: false };
      // The challenger takes most of the traffic on some: it is then the champion whose baseline applies.
      if (i % 7 === 2) [m.endpoints.prod.variants[0].weight, m.endpoints.prod.variants[1].weight] = [0.2, 0.8];
    });
    const copies = baselineCopies(estate, prodOf(estate));
    const expected = estate.models.filter((_, i) => i % 10 !== 3);
    expect(copies.map((c) => c.model.id)).toEqual(expected.map((m) => m.id));
    for (const c of copies) {
      const i = Number(c.model.id.slice(-4));
      expect([c.model.id, c.championVersion]).toEqual([c.model.id, i % 7 === 2 ? 3 : 2]);
      expect(c.roleName.length).toBeLessThanOrEqual(64);
      expect(c.roleName).toMatch(/-baseline-copy$/);
    }
    expect(new Set(copies.map((c) => c.roleName)).size).toBe(copies.length);
    // Only prod copies; staging sees every prod environment's copies, dev none.
    expect(baselineCopies(estate, stagingOf(estate))).toEqual([]);
    expect(baselineCopiesFrom(estate, stagingOf(estate)).map((c) => c.roleName)).toEqual(copies.map((c) => c.roleName));
    expect(
      baselineCopiesFrom(
        estate,
        estate.environments.find((e) => e.name === 'dev')!,
      ),
    ).toEqual([]);
  });

  test('none where prod is watched by Model Monitor (it does not read monitoring/<endpoint>/baseline/)', () => {
    const estate = estateOf(
      5,
      () => undefined,
      (e) => {
        if (e.type === 'prod') e.monitoringService = 'model-monitor';
      },
    );
    expect(baselineCopies(estate, prodOf(estate))).toEqual([]);
  });

  test('long model ids: role names stay distinct and within 64 characters', () => {
    const estate = estateOf(3, (m, i) => {
      m.id = `${'a-very-long-model-identifier-that-goes-on'.slice(0, 40)}-${i}`;
    });
    const names = baselineCopies(estate, prodOf(estate)).map((c) => c.roleName);
    expect(names).toHaveLength(3);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(64);
  });

  test('the champion is the first of the heaviest variants', () => {
    expect(
      championOf([
        { weight: 0.5, modelPackageVersion: 4 },
        { weight: 0.5, modelPackageVersion: 5 },
      ]),
    ).toBe(4);
    expect(
      championOf([
        { weight: 0.1, modelPackageVersion: 4 },
        { weight: 0.9, modelPackageVersion: 5 },
      ]),
    ).toBe(5);
    expect(championOf([])).toBeUndefined();
  });
});

describe("the staging bucket's statements for the copiers fit S3's 20 KB at every size", () => {
  const statementsFor = (n: number) => {
    const stack = new Stack(new App(), 'S', { env: { account: '222222222222', region: 'eu-west-1' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'approved-models-222222222222-eu-west-1');
    const readers = Array.from({ length: n }, (_, i) => ({
      model: { id: `model-${String(i).padStart(4, '0')}` },
      environment: { account: i % 2 ? '333333333333' : '444444444444' },
      roleName: `prod-model-${String(i).padStart(4, '0')}-baseline-copy`,
    }));
    return baselineReadStatements(bucket, readers, 'aws').map((s) => stack.resolve(s.toStatementJson()));
  };
  const bytes = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements }).length;

  test(`up to ${MAX_BASELINE_READ_STATEMENTS}: one statement each, exact ARN and its model's prefix only`, () => {
    const s = statementsFor(MAX_BASELINE_READ_STATEMENTS);
    expect(s).toHaveLength(MAX_BASELINE_READ_STATEMENTS);
    const one = s[1] as any;
    expect(one).toMatchObject({
      Sid: 'ProdCopiesBaseline1',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::333333333333:role/prod-model-0001-baseline-copy' } },
    });
    expect(JSON.stringify(one.Principal)).toMatch(/:iam::333333333333:root"/);
    expect(JSON.stringify(one.Resource)).toMatch(/approved-models-222222222222-eu-west-1\/baselines\/model-0001\/\*"/);
    // Measured with CloudFormation's partition tokens unresolved (longer than the deployed "aws"): an upper bound,
    // leaving the bucket's other statements (about 5 KB deployed) room under 20 KB.
    expect(bytes(s)).toBeLessThan(14_000);
  });

  test(`up to ${MAX_EXACT_BASELINE_READERS}: one statement per prod account naming every exact ARN`, () => {
    const s = statementsFor(MAX_EXACT_BASELINE_READERS) as any[];
    expect(s).toHaveLength(2);
    expect(s.flatMap((x) => x.Condition.ArnEquals['aws:PrincipalArn'])).toHaveLength(MAX_EXACT_BASELINE_READERS);
    expect(
      s.every((x) => /approved-models-222222222222-eu-west-1\/baselines\/\*"/.test(JSON.stringify(x.Resource))),
    ).toBe(true);
    expect(bytes(s)).toBeLessThan(14_000);
  });

  test("beyond: the copier role-name suffix per prod account (each role's own policy keeps it to its model)", () => {
    const s = statementsFor(2_000) as any[];
    expect(s.map((x) => x.Condition)).toEqual([
      { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::444444444444:role/*-baseline-copy' } },
      { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::333333333333:role/*-baseline-copy' } },
    ]);
    expect(bytes(s)).toBeLessThan(1_000);
  });
});
