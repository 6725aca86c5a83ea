/**
 * Grants that read as limited but are open, as IAM evaluates them: the
 * validator reports each, and still accepts the limited forms next to them.
 */
import { validatePolicyDocument } from '../../policies/validation/validate';
import { FoundPolicyDocument, PolicyKind } from '../../policies/validation/policy-documents';

const found = (kind: PolicyKind, Statement: unknown[]): FoundPolicyDocument =>
  ({
    kind,
    document: { Version: '2012-10-17', Statement },
    location: { stack: 'test', logicalId: 'X', resourceType: 'AWS::S3::BucketPolicy', property: 'PolicyDocument' },
  }) as unknown as FoundPolicyDocument;
const codes = (kind: PolicyKind, statements: unknown[]) =>
  validatePolicyDocument(found(kind, statements)).map((p) => p.code);
const readAll = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
const trust = { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' };

describe('open principals', () => {
  test('Allow with NotPrincipal (everyone but the principals named) is open', () => {
    expect(
      codes('resource', [
        {
          Effect: 'Allow',
          NotPrincipal: { AWS: 'arn:aws:iam::111111111111:root' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        },
      ]),
    ).toContain('open-principal');
    // Deny with NotPrincipal is the usual "everyone else is denied" form.
    expect(
      codes('resource', [
        {
          Effect: 'Deny',
          NotPrincipal: { AWS: 'arn:aws:iam::111111111111:root' },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
        },
      ]),
    ).toEqual([]);
  });

  test.each([
    ['Null aws:PrincipalAccount false (any signed request has it)', { Null: { 'aws:PrincipalAccount': 'false' } }],
    [
      'StringNotEquals aws:PrincipalAccount (every other account)',
      { StringNotEquals: { 'aws:PrincipalAccount': '111111111111' } },
    ],
    ['StringLike aws:PrincipalAccount "*"', { StringLike: { 'aws:PrincipalAccount': '*' } }],
    [
      'StringEqualsIfExists aws:PrincipalOrgID (true when absent)',
      { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc' } },
    ],
  ])('Principal "*" "limited" by %s is open', (_name, Condition) => {
    expect(codes('resource', [{ ...readAll, Condition }])).toContain('open-principal');
  });

  test('Principal "*" limited by StringEquals aws:PrincipalOrgID, or ArnLike aws:PrincipalArn of an account, is not reported', () => {
    expect(codes('resource', [{ ...readAll, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } }])).toEqual(
      [],
    );
    expect(
      codes('resource', [
        { ...readAll, Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/*' } } },
      ]),
    ).toEqual([]);
  });
});

describe('confused deputies', () => {
  test('a service principal "limited" by StringLike aws:SourceAccount "*" is not limited', () => {
    expect(codes('trust', [{ ...trust, Condition: { StringLike: { 'aws:SourceAccount': '*' } } }])).toContain(
      'service-principal-without-source',
    );
  });

  test('ForAllValues on the single-valued aws:SourceAccount is true when the key is absent (IAM User Guide, "Single-valued vs. multivalued context keys"): reported twice over', () => {
    const found = codes('trust', [
      { ...trust, Condition: { 'ForAllValues:StringEquals': { 'aws:SourceAccount': '111111111111' } } },
    ]);
    expect(found).toEqual(expect.arrayContaining(['operator-type-mismatch', 'service-principal-without-source']));
  });

  test('StringEquals aws:SourceAccount is the limited form', () => {
    expect(
      codes('trust', [{ ...trust, Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } }]),
    ).toEqual([]);
  });
});

describe('open actions', () => {
  test('Allow NotAction "iam:*" on Resource "*" is an administrator grant in disguise', () => {
    expect(codes('identity', [{ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' }])).toContain('open-action');
  });

  test('Deny NotAction (the region allow-list form) and Allow NotAction on one resource are not reported', () => {
    expect(
      codes('scp', [
        {
          Effect: 'Deny',
          NotAction: ['iam:*'],
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } },
        },
      ]),
    ).toEqual([]);
    expect(
      codes('identity', [{ Effect: 'Allow', NotAction: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::b/*' }]),
    ).toEqual([]);
  });
});
