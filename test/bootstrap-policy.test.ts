/**
 * The CloudFormation execution policies shipped for `cdk bootstrap`: what the
 * example estate needs, denies a reviewer checks first, and documents IAM accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { resourceTypesByKind } from '../policies/bootstrap/account-kinds';
import { AccountKind, executionPolicy, servicePrefix } from '../policies/bootstrap/execution-policy';
import { buildEstate, ESTATE_APP_PROPS } from '../lib/estate';
import { cdkJsonContext, defaultEstateConfig, REPO_ROOT } from './support/estate';

const shipped = (kind: AccountKind) =>
  JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'policies', 'bootstrap', 'example', `${kind}-execution-policy.json`), 'utf8'),
  );
const KINDS: AccountKind[] = ['environment', 'tooling', 'management'];

describe('execution policies for cdk bootstrap', () => {
  const config = defaultEstateConfig();
  const app = new App({ ...ESTATE_APP_PROPS, context: cdkJsonContext() });
  buildEstate(app, config);
  let types: Record<AccountKind, Set<string>>;
  beforeAll(() => {
    types = resourceTypesByKind(app.synth());
  });

  test.each(KINDS)(
    'the shipped example %s policy is what npm run bootstrap-policies writes for the example estate',
    (kind) => {
      expect(shipped(kind)).toEqual(
        executionPolicy({ kind, resourceTypes: types[kind], allowedRegions: config.organization.allowedRegions }),
      );
    },
  );

  test.each(KINDS)('the %s policy allows only the services its account receives, nothing administrative', (kind) => {
    const allow = shipped(kind).Statement.filter((s: any) => s.Effect === 'Allow');
    const actions: string[] = allow.flatMap((s: any) => [s.Action].flat());
    expect(actions).not.toContain('*');
    const services = new Set([...types[kind]].map(servicePrefix).filter(Boolean));
    for (const action of actions.filter((a) => a !== 'ssm:GetParameters'))
      expect([action, services.has(action.split(':')[0])]).toEqual([action, true]);
    if (kind !== 'management') expect(actions.some((a) => a.startsWith('organizations:'))).toBe(false);
    expect(JSON.stringify(shipped(kind)).length).toBeLessThan(6144); // IAM's managed policy size
  });

  test.each(KINDS)(
    'the %s policy denies users and long-lived keys, and everything outside the allowed regions but global services',
    (kind) => {
      const statements = shipped(kind).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'NoUsersOrLongLivedKeys',
          Effect: 'Deny',
          Action: expect.arrayContaining(['iam:CreateUser', 'iam:CreateAccessKey', 'iam:CreateLoginProfile']),
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'OnlyInTheAllowedRegions',
          Effect: 'Deny',
          NotAction: expect.arrayContaining(['iam:*', 'sts:*']),
          Condition: { StringNotEquals: { 'aws:RequestedRegion': config.organization.allowedRegions } },
        }),
      );
    },
  );

  test('environments: roles only under the estate boundaries, and boundaries are never removed', () => {
    const statements = shipped('environment').Statement;
    // iam:PermissionsBoundary is a condition key of CreateRole and PutRolePermissionsBoundary (Service Authorization
    // Reference, IAM); a CreateRole without a boundary has no such key, which StringNotLike treats as not matching:
    // denied.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'RolesOnlyUnderTheEstateBoundaries',
        Effect: 'Deny',
        Action: ['iam:CreateRole', 'iam:PutRolePermissionsBoundary'],
        Condition: { StringNotLike: { 'iam:PermissionsBoundary': expect.any(Array) } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'BoundariesStay', Effect: 'Deny', Action: ['iam:DeleteRolePermissionsBoundary'] }),
    );
    expect(shipped('tooling').Statement.some((s: any) => s.Sid === 'RolesOnlyUnderTheEstateBoundaries')).toBe(false);
  });

  test('resource types map to IAM service prefixes, CDK custom resources to none', () => {
    expect(
      [
        'AWS::SageMaker::Model',
        'AWS::ApplicationAutoScaling::ScalableTarget',
        'AWS::Logs::LogGroup',
        'AWS::Events::Rule',
        'Custom::VpcRestrictDefaultSG',
      ].map(servicePrefix),
    ).toEqual(['sagemaker', 'application-autoscaling', 'logs', 'events', undefined]);
  });
});
