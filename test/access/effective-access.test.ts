/**
 * Effective access of the synthesized estate, simulated as IAM evaluates it
 * (identity policy + boundary + every SCP + resource policy + VPC endpoint
 * policy), for the questions a reviewer asks. Each question is asked of the
 * policies as synthesized, and again with its control removed, to show that
 * the control is what decides it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { synthesizeEstate } from '../support/estate';
import { ADMINISTRATOR_ACCESS, EstateModel, RoleModel, tagMap, TemplateInfo } from './estate-model';
import { Answer, ask, Principal, Question, scpsWith, scpsWithout, without } from './simulate';
import { accessMatrix } from './access-matrix';
import { renderHtml } from '../../lib/compliance/evidence/html';
import { renderMarkdown } from '../../lib/compliance/evidence/markdown';
import { ACCESS_MATRIX_SECTION } from '../../lib/compliance/evidence/guardrails';
import { withSection } from '../../lib/compliance/evidence/sections';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;
const OUTSIDER = '999988887777';

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const env = (name: string) => model.synth.config.environments.find((e) => e.name === name)!;
const asPrincipal = (r: RoleModel, person = false): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
  person,
});
const deployRole = (account: string, region: string): Principal => ({
  arn: `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
  account,
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
});
const q = (question: Omit<Question, 'scps'> & { scps?: Question['scps'] }): Promise<Answer> =>
  ask({ scps, ...question });

describe("SageMaker work: the estate's settings pass the SCPs, and leaving a setting out is denied", () => {
  const jobs = (over: Record<string, string | string[] | undefined>, action = 'sagemaker:CreateTrainingJob') => {
    const prod = env('prod');
    const context = Object.fromEntries(
      Object.entries({
        'sagemaker:VpcSubnets': ['subnet-1', 'subnet-2'],
        'sagemaker:VolumeKmsKeyArn': `arn:aws:kms:${prod.region}:${prod.account}:key/k`,
        'sagemaker:OutputKmsKeyArn': `arn:aws:kms:${prod.region}:${prod.account}:key/k`,
        'sagemaker:NetworkIsolation': 'true',
        'sagemaker:InstanceTypes': ['ml.m5.xlarge'],
        ...over,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string | string[]>;
    const kind = action.endsWith('TransformJob') ? 'transform-job' : 'training-job';
    return q({
      principal: deployRole(prod.account, prod.region),
      action,
      resource: `arn:aws:sagemaker:${prod.region}:${prod.account}:${kind}/j`,
      resourceAccount: prod.account,
      region: prod.region,
      context,
    });
  };

  test('a training job with subnets, keys and isolation is allowed', async () => {
    expect((await jobs({})).decision).toBe('allowed');
  });

  test.each<[string, Record<string, string | string[] | undefined>, string]>([
    ['without subnets', { 'sagemaker:VpcSubnets': undefined }, 'RequireVpcSubnets'],
    ['without a volume key', { 'sagemaker:VolumeKmsKeyArn': undefined }, 'RequireVolumeKey'],
    ['without an output key', { 'sagemaker:OutputKmsKeyArn': undefined }, 'RequireOutputKey'],
    [
      'with isolation left out (default: not isolated)',
      { 'sagemaker:NetworkIsolation': undefined },
      'RequireNetworkIsolation',
    ],
    ['with isolation off', { 'sagemaker:NetworkIsolation': 'false' }, 'RequireNetworkIsolation'],
  ])('a training job %s is denied by %s, and allowed once it is removed', async (_name, over, sid) => {
    const denied = await jobs(over);
    expect(denied.decision).toBe('denied');
    expect(denied.by.map((b) => b.statement)).toContain(sid);
    const prod = env('prod');
    const removed = await ask({
      scps: scpsWithout(scps, sid),
      principal: deployRole(prod.account, prod.region),
      action: 'sagemaker:CreateTrainingJob',
      resource: `arn:aws:sagemaker:${prod.region}:${prod.account}:training-job/j`,
      resourceAccount: prod.account,
      region: prod.region,
      context: Object.fromEntries(
        Object.entries({
          'sagemaker:VpcSubnets': ['subnet-1'],
          'sagemaker:VolumeKmsKeyArn': 'arn:aws:kms:eu-west-1:333333333333:key/k',
          'sagemaker:OutputKmsKeyArn': 'arn:aws:kms:eu-west-1:333333333333:key/k',
          'sagemaker:NetworkIsolation': 'true',
          'sagemaker:InstanceTypes': ['ml.m5.xlarge'],
          ...over,
        }).filter(([, v]) => v !== undefined),
      ) as Record<string, string | string[]>,
    });
    expect(removed.decision).toBe('allowed');
  });

  test('a job on an instance-storage type (local NVMe, no volume key possible) is allowed without a volume key', async () => {
    expect(
      (await jobs({ 'sagemaker:VolumeKmsKeyArn': undefined, 'sagemaker:InstanceTypes': ['ml.g5.2xlarge'] })).decision,
    ).toBe('allowed');
    // Mixed with an EBS-only type: still no key possible (SageMaker refuses one when any type has local storage), so
    // allowed; EBS-only types without a key are denied.
    expect(
      (
        await jobs({
          'sagemaker:VolumeKmsKeyArn': undefined,
          'sagemaker:InstanceTypes': ['ml.g5.2xlarge', 'ml.m5.xlarge'],
        })
      ).decision,
    ).toBe('allowed');
    expect(
      (
        await jobs({
          'sagemaker:VolumeKmsKeyArn': undefined,
          'sagemaker:InstanceTypes': ['ml.m5.xlarge', 'ml.c5.xlarge'],
        })
      ).decision,
    ).toBe('denied');
  });

  test('batch transform, which has no subnet key, is allowed with its keys; with the old subnet requirement it was always denied', async () => {
    const transform = { 'sagemaker:VpcSubnets': undefined, 'sagemaker:NetworkIsolation': undefined };
    expect((await jobs(transform, 'sagemaker:CreateTransformJob')).decision).toBe('allowed');
    const prod = env('prod');
    const old = await ask({
      scps: scpsWith(scps, 'RequireVpcSubnets', (s) => ({
        ...s,
        Action: [...s.Action, 'sagemaker:CreateTransformJob'],
      })),
      principal: deployRole(prod.account, prod.region),
      action: 'sagemaker:CreateTransformJob',
      resource: `arn:aws:sagemaker:${prod.region}:${prod.account}:transform-job/t`,
      resourceAccount: prod.account,
      region: prod.region,
      // Even a request that names subnets: the action never carries the key.
      context: {
        'sagemaker:VpcSubnets': ['subnet-1'],
        'sagemaker:VolumeKmsKeyArn': 'k',
        'sagemaker:OutputKmsKeyArn': 'k',
        'sagemaker:InstanceTypes': ['ml.m5.xlarge'],
      },
    });
    expect(old.decision).toBe('denied');
  });

  test.each([
    [
      'sagemaker:CreateNotebookInstance',
      'sagemaker:DirectInternetAccess',
      'Enabled',
      'Disabled',
      'DenyNotebookInternetAccess',
    ],
    [
      'sagemaker:CreateDomain',
      'sagemaker:AppNetworkAccessType',
      'PublicInternetOnly',
      'VpcOnly',
      'DenyStudioInternetAccess',
    ],
  ])(
    '%s that leaves out %s (default %s) is denied; %s is allowed; the old StringEquals form let the omission through',
    async (action, key, internet, closed, sid) => {
      const dev = env('dev');
      const base = {
        principal: deployRole(dev.account, dev.region),
        action,
        resource: `arn:aws:sagemaker:${dev.region}:${dev.account}:${action.endsWith('Domain') ? 'domain/d' : 'notebook-instance/n'}`,
        resourceAccount: dev.account,
        region: dev.region,
      };
      const ctx = { 'sagemaker:VpcSubnets': ['subnet-1'], 'sagemaker:VolumeKmsKeyArn': 'k' };
      expect((await q({ ...base, context: ctx })).decision).toBe('denied');
      expect((await q({ ...base, context: { ...ctx, [key]: internet } })).decision).toBe('denied');
      expect((await q({ ...base, context: { ...ctx, [key]: closed } })).decision).toBe('allowed');
      const old = scpsWith(scps, sid, (s) => ({ ...s, Condition: { StringEquals: { [key]: internet } } }));
      expect((await ask({ ...base, scps: old, context: ctx })).decision).toBe('allowed');
    },
  );
});

describe('the deployment role builds every guarded resource of the estate under the SCPs', () => {
  /** The calls CloudFormation makes to create or update a resource, with the context its properties give. */
  const calls = (
    t: TemplateInfo,
    id: string,
  ): Array<{
    action: string;
    resource: string;
    context?: Record<string, string | string[]>;
    tags?: Record<string, string>;
  }> => {
    const r = t.resources[id];
    const p = model.resolve(t, r.Properties ?? {});
    const tags = tagMap(p.Tags);
    const sm = (kind: string) => `arn:aws:sagemaker:${t.region}:${t.account}:${kind}/${id}`;
    const present = (v: unknown) =>
      v === undefined
        ? undefined
        : typeof v === 'string'
          ? v
          : 'arn:aws:kms:eu-west-1:111111111111:key/resolved-at-deploy';
    const job = (net: any, cluster: any, outputKey: unknown) => {
      const c: Record<string, string | string[]> = {};
      if (net?.VpcConfig?.Subnets) c['sagemaker:VpcSubnets'] = net.VpcConfig.Subnets.map(String);
      if (net?.EnableNetworkIsolation !== undefined)
        c['sagemaker:NetworkIsolation'] = String(net.EnableNetworkIsolation);
      if (cluster?.VolumeKmsKeyId) c['sagemaker:VolumeKmsKeyArn'] = present(cluster.VolumeKmsKeyId)!;
      if (cluster?.InstanceType) c['sagemaker:InstanceTypes'] = [cluster.InstanceType];
      if (outputKey) c['sagemaker:OutputKmsKeyArn'] = present(outputKey)!;
      return c;
    };
    switch (r.Type) {
      case 'AWS::SageMaker::Model': {
        const c: Record<string, string | string[]> = {};
        if (p.VpcConfig?.Subnets) c['sagemaker:VpcSubnets'] = p.VpcConfig.Subnets.map(String);
        if (p.EnableNetworkIsolation !== undefined) c['sagemaker:NetworkIsolation'] = String(p.EnableNetworkIsolation);
        return [{ action: 'sagemaker:CreateModel', resource: sm('model'), context: c, tags }];
      }
      case 'AWS::SageMaker::EndpointConfig': {
        const c: Record<string, string | string[]> = {
          'sagemaker:InstanceTypes': (p.ProductionVariants ?? []).map((v: any) => v.InstanceType).filter(Boolean),
        };
        if (p.KmsKeyId) c['sagemaker:VolumeKmsKeyArn'] = present(p.KmsKeyId)!;
        return [{ action: 'sagemaker:CreateEndpointConfig', resource: sm('endpoint-config'), context: c, tags }];
      }
      case 'AWS::SageMaker::DataQualityJobDefinition':
      case 'AWS::SageMaker::ModelQualityJobDefinition':
      case 'AWS::SageMaker::ModelBiasJobDefinition':
      case 'AWS::SageMaker::ModelExplainabilityJobDefinition': {
        const kind = r.Type.split('::')[2];
        const output = Object.entries(p).find(([k]) => k.endsWith('JobOutputConfig'))?.[1] as any;
        return [
          {
            action: `sagemaker:Create${kind}`,
            resource: sm(
              `${kind
                .replace('JobDefinition', '')
                .replace(/([a-z])([A-Z])/g, '$1-$2')
                .toLowerCase()}-job-definition`,
            ),
            context: job(p.NetworkConfig, p.JobResources?.ClusterConfig, output?.KmsKeyId),
            tags,
          },
        ];
      }
      case 'AWS::SageMaker::MonitoringSchedule': {
        const inline = p.MonitoringScheduleConfig?.MonitoringJobDefinition;
        const c = inline
          ? job(
              inline.NetworkConfig,
              inline.MonitoringResources?.ClusterConfig,
              inline.MonitoringOutputConfig?.KmsKeyId,
            )
          : {};
        return ['Create', 'Update'].map((verb) => ({
          action: `sagemaker:${verb}MonitoringSchedule`,
          resource: sm('monitoring-schedule'),
          context: c,
          tags,
        }));
      }
      case 'AWS::CloudTrail::Trail': {
        const arn = `arn:aws:cloudtrail:${t.region}:${t.account}:trail/${p.TrailName}`;
        return ['CreateTrail', 'UpdateTrail', 'PutEventSelectors', 'StartLogging'].map((a) => ({
          action: `cloudtrail:${a}`,
          resource: arn,
          tags,
        }));
      }
      case 'AWS::IAM::ManagedPolicy': {
        // Without a name CloudFormation names it `<stack>-<logical id>-<suffix>`.
        const arn = `arn:aws:iam::${t.account}:policy/${p.ManagedPolicyName ?? `${t.key.replace('/', '-')}-${id}-1A2B3C4D5E6F`}`;
        return ['CreatePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion'].map((a) => ({
          action: `iam:${a}`,
          resource: arn,
        }));
      }
      case 'AWS::IAM::Role': {
        const arn = `arn:aws:iam::${t.account}:role/${model.roleName(t, id)}`;
        // CloudFormation sends the role's boundary with CreateRole and PutRolePermissionsBoundary
        // (RolesCarryTheBoundary reads it).
        const context: Record<string, string> = p.PermissionsBoundary
          ? { 'iam:PermissionsBoundary': String(model.resolve(t, p.PermissionsBoundary)) }
          : {};
        return [
          'CreateRole',
          'UpdateAssumeRolePolicy',
          'AttachRolePolicy',
          'PutRolePolicy',
          'PutRolePermissionsBoundary',
          'TagRole',
          'UntagRole',
        ].map((a) => ({ action: `iam:${a}`, resource: arn, tags, context }));
      }
      case 'AWS::Config::ConfigurationRecorder':
        return [{ action: 'config:PutConfigurationRecorder', resource: '*' }];
      case 'AWS::Config::DeliveryChannel':
        return [{ action: 'config:PutDeliveryChannel', resource: '*' }];
      case 'AWS::GuardDuty::Detector':
        return [
          { action: 'guardduty:CreateDetector', resource: '*' },
          { action: 'guardduty:UpdateDetector', resource: `arn:aws:guardduty:${t.region}:${t.account}:detector/d` },
        ];
      case 'AWS::Events::Rule':
        return ['PutRule', 'PutTargets', 'TagResource', 'UntagResource'].map((a) => ({
          action: `events:${a}`,
          resource: `arn:aws:events:${t.region}:${t.account}:rule/${id}`,
          tags,
        }));
      case 'AWS::KMS::Key':
        return ['PutKeyPolicy', 'EnableKeyRotation', 'TagResource', 'UntagResource'].map((a) => ({
          action: `kms:${a}`,
          resource: `arn:aws:kms:${t.region}:${t.account}:key/${id}`,
          tags,
        }));
      case 'AWS::KMS::Alias':
        return ['CreateAlias', 'UpdateAlias'].map((a) => ({
          action: `kms:${a}`,
          resource: `arn:aws:kms:${t.region}:${t.account}:${p.AliasName}`,
        }));
      case 'AWS::S3::Bucket': {
        const arn = `arn:aws:s3:::${model.bucketName(t, id)}`;
        return [
          'CreateBucket',
          'PutBucketPolicy',
          'PutBucketVersioning',
          'PutBucketObjectLockConfiguration',
          'PutReplicationConfiguration',
          'PutLifecycleConfiguration',
          'PutEncryptionConfiguration',
          'PutBucketPublicAccessBlock',
          'PutBucketAcl',
        ].map((a) => ({ action: `s3:${a}`, resource: arn, tags }));
      }
      case 'AWS::SNS::Topic':
        return ['CreateTopic', 'SetTopicAttributes', 'TagResource', 'UntagResource'].map((a) => ({
          action: `sns:${a}`,
          resource: `arn:aws:sns:${t.region}:${t.account}:${id}`,
          tags,
        }));
      case 'AWS::SNS::Subscription': {
        const topic = t.resources[(r.Properties as any).TopicArn?.Ref];
        return ['Subscribe', 'SetSubscriptionAttributes', 'Unsubscribe'].map((a) => ({
          action: `sns:${a}`,
          resource: String(p.TopicArn),
          tags: topic ? tagMap(model.resolve(t, topic.Properties?.Tags)) : undefined,
        }));
      }
      case 'AWS::SQS::Queue':
        return ['CreateQueue', 'SetQueueAttributes', 'TagQueue', 'UntagQueue'].map((a) => ({
          action: `sqs:${a}`,
          resource: `arn:aws:sqs:${t.region}:${t.account}:${id}`,
          tags,
        }));
      case 'AWS::Logs::LogGroup':
        return ['CreateLogGroup', 'PutRetentionPolicy', 'AssociateKmsKey', 'TagResource', 'UntagResource'].map((a) => ({
          action: `logs:${a}`,
          resource: `arn:aws:logs:${t.region}:${t.account}:log-group:${p.LogGroupName ?? id}`,
          tags,
        }));
      case 'AWS::Logs::MetricFilter': {
        const group = t.resources[(r.Properties as any).LogGroupName?.Ref];
        return ['PutMetricFilter', 'DeleteMetricFilter'].map((a) => ({
          action: `logs:${a}`,
          resource: `arn:aws:logs:${t.region}:${t.account}:log-group:${p.LogGroupName}`,
          tags: group ? tagMap(model.resolve(t, group.Properties?.Tags)) : undefined,
        }));
      }
      case 'AWS::Lambda::Function':
        return [
          'CreateFunction',
          'UpdateFunctionCode',
          'UpdateFunctionConfiguration',
          'PutFunctionConcurrency',
          'TagResource',
        ].map((a) => ({
          action: `lambda:${a}`,
          resource: `arn:aws:lambda:${t.region}:${t.account}:function:${p.FunctionName ?? id}`,
          tags,
        }));
      case 'AWS::CloudWatch::Alarm':
        return ['PutMetricAlarm', 'TagResource', 'UntagResource'].map((a) => ({
          action: `cloudwatch:${a}`,
          resource: `arn:aws:cloudwatch:${t.region}:${t.account}:alarm:${id}`,
          tags,
        }));
      default:
        return [];
    }
  };

  test('no create or update call of any environment stack is denied', async () => {
    const denied: string[] = [];
    let asked = 0;
    for (const t of model.templates.filter((x) => x.key.includes('/'))) {
      for (const id of Object.keys(t.resources)) {
        for (const call of calls(t, id)) {
          asked++;
          const keyPolicy =
            t.resources[id].Type === 'AWS::KMS::Key'
              ? model.resolve(t, t.resources[id].Properties.KeyPolicy)
              : undefined;
          const a = await q({
            principal: deployRole(t.account, t.region),
            action: call.action,
            resource: call.resource,
            resourceAccount: t.account,
            region: t.region,
            context: call.context,
            resourceTags: call.tags,
            resourcePolicy: keyPolicy,
          });
          if (a.decision !== 'allowed')
            denied.push(`${t.key} ${id} ${call.action}: ${a.by.map((b) => b.statement).join(', ')}`);
        }
      }
    }
    expect(asked).toBeGreaterThan(500);
    expect(denied).toEqual([]);
  });

  test('without its exemption the guardrails would block the deploy (the trail, the boundary policy, the audit buckets)', async () => {
    const prod = env('prod');
    const unexempt = scps.map((p) => ({
      ...p,
      policy: {
        ...p.policy,
        Statement: [p.policy.Statement].flat().map((s: any) => {
          const arns = s.Condition?.ArnNotLike?.['aws:PrincipalArn'];
          return arns
            ? {
                ...s,
                Condition: {
                  ...s.Condition,
                  ArnNotLike: { 'aws:PrincipalArn': arns.filter((a: string) => !a.includes('cfn-exec-role')) },
                },
              }
            : s;
        }),
      },
    }));
    const trail = `arn:aws:cloudtrail:${prod.region}:${prod.account}:trail/examplebank-prod-audit`;
    const boundary = `arn:aws:iam::${prod.account}:policy/examplebank-prod-workload-boundary`;
    for (const [action, resource] of [
      ['cloudtrail:PutEventSelectors', trail],
      ['iam:CreatePolicyVersion', boundary],
      ['config:PutConfigurationRecorder', '*'],
    ]) {
      const base = {
        principal: deployRole(prod.account, prod.region),
        action,
        resource,
        resourceAccount: prod.account,
        region: prod.region,
      };
      expect([action, (await q(base)).decision]).toEqual([action, 'allowed']);
      expect([action, (await ask({ ...base, scps: unexempt })).decision]).toEqual([action, 'denied']);
    }
  });
});

describe('approvals', () => {
  test('every role of an environment but break-glass carries the workload boundary (the simulation reads it)', () => {
    const unbounded = model.roles
      .filter((r) => r.key.includes('/') && !r.key.startsWith('Deliv') && !r.boundary)
      .map((r) => r.path);
    expect(unbounded).toEqual([]);
  });

  const approvers = async (modelId: string, change?: (r: RoleModel) => Principal) => {
    const staging = env('staging');
    const pkg = `arn:aws:sagemaker:${staging.region}:${staging.account}:model-package/${modelId}/7`;
    const allowed: string[] = [];
    for (const r of model.roles.filter((x) => x.account === staging.account)) {
      const principal = change ? change(r) : asPrincipal(r, r.path.includes('Personas'));
      const a = await q({
        principal,
        action: 'sagemaker:UpdateModelPackage',
        resource: pkg,
        resourceAccount: staging.account,
        region: staging.region,
        context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
      });
      if (a.decision === 'allowed') allowed.push(r.path.replace(/\/Resource$/, ''));
    }
    return allowed.sort();
  };

  test('in staging only the model-risk approver and the approval gate can set a governed package Approved (break-glass aside)', async () => {
    const notHigh = model.synth.config.models.find((m) => m.riskTier !== 'high')!;
    expect(await approvers(notHigh.id)).toEqual([
      'staging/Foundation/BreakGlass/Role',
      'staging/ModelGovernance/ApprovalGate/Role',
      'staging/ModelGovernance/Personas/ModelRiskApprover',
    ]);
  });

  test('for a high-risk model only the person approves: the gate is denied by NeverApproveHighRisk, and without it could', async () => {
    const high = model.synth.config.models.find((m) => m.riskTier === 'high')!;
    expect(await approvers(high.id)).toEqual([
      'staging/Foundation/BreakGlass/Role',
      'staging/ModelGovernance/Personas/ModelRiskApprover',
    ]);
    const gate = model.role('staging/ModelGovernance', 'ApprovalGate/Role');
    const removed = await approvers(high.id, (r) =>
      r === gate
        ? {
            ...asPrincipal(r),
            identityPolicies: r.identityPolicies.map((p) =>
              JSON.stringify(p.policy).includes('NeverApproveHighRisk')
                ? { ...p, policy: without(p.policy, 'NeverApproveHighRisk') }
                : p,
            ),
          }
        : asPrincipal(r, r.path.includes('Personas')),
    );
    expect(removed).toContain('staging/ModelGovernance/ApprovalGate/Role');
  });

  test("an over-granted role under the boundary still cannot approve; without the boundary's DenyApprovalByOthers it can", async () => {
    const staging = env('staging');
    const ds = model.role('staging/ModelGovernance', 'Personas/DataScientist');
    const overGranted: Principal = {
      ...asPrincipal(ds, true),
      identityPolicies: [
        {
          name: 'over',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sagemaker:*', Resource: '*' }] },
        },
      ],
    };
    const base = {
      action: 'sagemaker:UpdateModelPackage',
      resource: `arn:aws:sagemaker:${staging.region}:${staging.account}:model-package/credit-default/7`,
      resourceAccount: staging.account,
      region: staging.region,
      context: { 'sagemaker:ModelApprovalStatus': 'Approved' },
    };
    const held = await q({ ...base, principal: overGranted });
    expect(held.decision).toBe('denied');
    expect(held.by.map((b) => b.statement)).toContain('DenyApprovalByOthers');
    // The SCP's OnlyApproversApprove denies it too (test/access/approvals.test.ts): both removed, it goes through.
    expect(
      (
        await q({
          ...base,
          scps: scpsWithout(scps, 'OnlyApproversApprove'),
          principal: {
            ...overGranted,
            boundary: { name: 'b', policy: without(ds.boundary!.policy, 'DenyApprovalByOthers') },
          },
        })
      ).decision,
    ).toBe('allowed');
    expect(
      (
        await q({
          ...base,
          principal: {
            ...overGranted,
            boundary: { name: 'b', policy: without(ds.boundary!.policy, 'DenyApprovalByOthers') },
          },
        })
      ).decision,
    ).toBe('denied');
  });
});

describe("the gate's evidence", () => {
  const writers = async (policy: unknown) => {
    const staging = env('staging');
    const allowed: string[] = [];
    for (const r of model.roles.filter((x) => x.account === staging.account)) {
      const a = await q({
        principal: asPrincipal(r, r.path.includes('Personas')),
        action: 's3:PutObject',
        resource: `arn:aws:s3:::model-artifacts-${staging.account}-${staging.region}/training/${model.synth.config.models[0].id}/exec-1/reports/evaluation.json`,
        resourceAccount: staging.account,
        region: staging.region,
        resourcePolicy: policy,
      });
      if (a.decision === 'allowed') allowed.push(r.arn);
    }
    return allowed;
  };

  test('only training pipeline roles can write under training/: no persona, gate or break-glass; without the bucket deny the data scientist could', async () => {
    const policy = model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy');
    const allowed = await writers(policy);
    for (const arn of allowed) expect(arn).toMatch(/:role\/estate-training\//);
    // The model's own training pipeline can (its grant and the bucket's exception both hold).
    expect(allowed.length).toBeGreaterThan(0);
    const ds = model.role('staging/ModelGovernance', 'Personas/DataScientist');
    expect(await writers(without(policy, 'EvidenceWrittenOnlyByTrainingPipelines'))).toContain(ds.arn);
  });
});

describe("prod serves staging's approved artifacts through its own S3 endpoint", () => {
  test("the prod endpoint role reads its model's pinned copies in staging's approved-model bucket, not the training bucket, not another model's (identity, bucket policy, endpoint policy, SCPs); without the endpoint statement it cannot", async () => {
    const prod = env('prod');
    const staging = env('staging');
    const role = model.roles.find(
      (r) =>
        r.key.startsWith('prod/Endpoints') &&
        r.path.endsWith('Endpoint/ExecutionRole/Resource') &&
        JSON.stringify(r.identityPolicies).includes('/models/credit-default/*'),
    )!;
    const endpoint = model.policyOf('prod/Foundation', 'AWS::EC2::VPCEndpoint', 'S3Endpoint');
    const pinned = {
      principal: asPrincipal(role),
      action: 's3:GetObject',
      resource: `arn:aws:s3:::approved-models-${staging.account}-${staging.region}/models/credit-default/3/0/model.tar.gz`,
      resourceAccount: staging.account,
      region: prod.region,
      resourcePolicy: model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ApprovedModels/Policy'),
      endpointPolicies: [{ name: 'prod-s3-endpoint', policy: endpoint }],
    };
    const through = await q(pinned);
    expect(through).toMatchObject({ decision: 'allowed' });
    expect(through.by.map((b) => b.statement)).toContain('ReadApprovedArtifactsOfTheEstate');
    expect(
      (
        await q({
          ...pinned,
          endpointPolicies: [
            { name: 'prod-s3-endpoint', policy: without(endpoint, 'ReadApprovedArtifactsOfTheEstate') },
          ],
        })
      ).decision,
    ).toBe('denied');
    // Another model's pinned copy, and the training bucket's model data (marked approved or not), are not this role's
    // to read.
    expect(
      (await q({ ...pinned, resource: pinned.resource.replace('/credit-default/', '/fraud-score/') })).decision,
    ).toBe('denied');
    const training = {
      ...pinned,
      resource: `arn:aws:s3:::model-artifacts-${staging.account}-${staging.region}/training/credit-default/exec-1/model/model.tar.gz`,
      resourcePolicy: model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy'),
      context: { 's3:ExistingObjectTag/estate-approved': 'credit-default/3' },
    };
    expect((await q(training)).decision).toBe('denied');
  });
});

describe('nothing outside the estate is admitted by a resource policy', () => {
  test('an outside account, with every permission of its own, is refused every action every resource policy allows', async () => {
    const outsider: Principal = {
      arn: `arn:aws:iam::${OUTSIDER}:role/outsider`,
      account: OUTSIDER,
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    };
    const admitted: string[] = [];
    let asked = 0;
    for (const t of model.templates) {
      for (const [id, r] of Object.entries(t.resources)) {
        const property = {
          'AWS::S3::BucketPolicy': 'PolicyDocument',
          'AWS::KMS::Key': 'KeyPolicy',
          'AWS::SNS::TopicPolicy': 'PolicyDocument',
          'AWS::SQS::QueuePolicy': 'PolicyDocument',
        }[r.Type];
        if (!property) continue;
        const policy = model.resolve(t, r.Properties[property]);
        for (const s of [policy.Statement].flat()) {
          if (s.Effect !== 'Allow') continue;
          for (const action of [s.Action].flat().filter((a: string) => !a.includes('*'))) {
            const resource =
              [s.Resource]
                .flat()
                .find((x: string) => typeof x === 'string' && x !== '*')
                ?.replace(/\*/g, 'x') ?? `arn:aws:kms:${t.region}:${t.account}:key/${id}`;
            asked++;
            const a = await ask({
              scps: [],
              principal: outsider,
              action,
              resource,
              resourceAccount: t.account,
              region: t.region,
              resourcePolicy: policy,
              context: {
                'aws:SourceAccount': OUTSIDER,
                'kms:CallerAccount': OUTSIDER,
                'kms:ViaService': `s3.${t.region}.amazonaws.com`,
              },
            });
            if (a.decision === 'allowed') admitted.push(`${t.key} ${id} ${action}`);
          }
        }
      }
    }
    expect(asked).toBeGreaterThan(50);
    expect(admitted).toEqual([]);
  });

  test('the question can fail: a bucket statement naming the outside account admits it', async () => {
    const staging = env('staging');
    const policy = model.policyOf('staging/ModelGovernance', 'AWS::S3::BucketPolicy', 'ModelArtifacts/Policy');
    const bucket = `arn:aws:s3:::model-artifacts-${staging.account}-${staging.region}`;
    const leaky = {
      ...policy,
      Statement: [
        ...[policy.Statement].flat(),
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` },
          Action: 's3:GetObject',
          Resource: `${bucket}/*`,
        },
      ],
    };
    const outsider: Principal = {
      arn: `arn:aws:iam::${OUTSIDER}:role/outsider`,
      account: OUTSIDER,
      identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
    };
    const a = await ask({
      scps: [],
      principal: outsider,
      action: 's3:GetObject',
      resource: `${bucket}/k`,
      resourceAccount: staging.account,
      region: staging.region,
      resourcePolicy: leaky,
    });
    expect(a.decision).toBe('allowed');
  });

  test("another account's EventBridge cannot publish to the security findings topic (confused deputy closed)", async () => {
    const prod = env('prod');
    const policy = model.policyOf('prod/Foundation', 'AWS::SNS::TopicPolicy', 'Detective/Findings');
    const topic = [
      [policy.Statement].flat().find((s: any) => s.Principal?.Service === 'events.amazonaws.com').Resource,
    ].flat()[0];
    const service: Principal = { arn: 'events.amazonaws.com', account: prod.account, identityPolicies: [] };
    const from = (account: string, p = policy) =>
      ask({
        scps: [],
        principal: service,
        action: 'sns:Publish',
        resource: topic,
        resourceAccount: prod.account,
        region: prod.region,
        resourcePolicy: p,
        context: { 'aws:SourceAccount': account },
      });
    expect((await from(prod.account)).decision).toBe('allowed');
    expect((await from(OUTSIDER)).decision).toBe('denied');
    const unconditioned = {
      ...policy,
      Statement: [policy.Statement].flat().map((s: any) => (s.Principal?.Service ? { ...s, Condition: undefined } : s)),
    };
    expect((await from(OUTSIDER, unconditioned)).decision).toBe('allowed');
  });
});

describe('break-glass', () => {
  const stop = (account: string, name = 'estate-break-glass', policies = scps) =>
    ask({
      scps: policies,
      principal: {
        arn: `arn:aws:iam::${account}:role/${name}`,
        account,
        identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
        person: true,
      },
      action: 'cloudtrail:StopLogging',
      resource: `arn:aws:cloudtrail:eu-west-1:${account}:trail/examplebank-prod-audit`,
      resourceAccount: account,
      region: 'eu-west-1',
    });

  test('the break-glass role of an environment account is exempt; a role of that name in the tooling account or an unknown account is not', async () => {
    expect((await stop(env('prod').account)).decision).toBe('allowed');
    expect((await stop(model.synth.config.delivery!.account)).decision).toBe('denied');
    expect((await stop('555555555555')).decision).toBe('denied');
    expect((await stop(env('prod').account, 'estate-break-glass-2')).decision).toBe('denied');
  });

  test("with the old account-wildcard exemption, the tooling account's look-alike was exempt", async () => {
    const old = scps.map((p) => ({
      ...p,
      policy: {
        ...p.policy,
        Statement: [p.policy.Statement].flat().map((s: any) =>
          s.Condition?.ArnNotLike
            ? {
                ...s,
                Condition: {
                  ...s.Condition,
                  ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/estate-break-glass' },
                },
              }
            : s,
        ),
      },
    }));
    expect((await stop(model.synth.config.delivery!.account, 'estate-break-glass', old)).decision).toBe('allowed');
  });
});

describe('the access matrix in the evidence', () => {
  test('principals x sensitive actions, per environment, with the deciding statements; valid against the schema and rendered', async () => {
    const matrix = await accessMatrix(model, scps);
    const cell = (env: string, principal: string, action: string) =>
      matrix.cells.find((c) => c.environment === env && c.principal === principal && c.action === action)!;
    expect(cell('staging', 'model-risk-approver', 'approve-model').decision).toBe('allowed');
    expect(cell('staging', 'data-scientist', 'approve-model').decision).toBe('denied');
    expect(cell('prod', 'ml-engineer', 'change-prod-endpoint').decision).toBe('denied');
    expect(cell('prod', 'deployment-role', 'disable-logging').decision).toBe('allowed');
    expect(cell('prod', 'approval-gate', 'disable-logging').decision).toBe('denied');
    expect(cell('prod', 'break-glass', 'delete-keys').decision).toBe('allowed');
    expect(cell('prod', 'deployment-role', 'delete-keys')).toMatchObject({
      decision: 'denied',
      by: [expect.objectContaining({ policyType: 'scp', statement: 'ProtectKeysAndBoundaries' })],
    });
    expect(cell('prod', 'deployment-role', 'leave-region').decision).toBe('denied');
    for (const c of matrix.cells.filter((x) => x.decision === 'allowed')) expect(c.by.length).toBeGreaterThan(0);

    const dir = path.join(model.synth.outdir, 'compliance');
    const evidence = withSection(
      JSON.parse(fs.readFileSync(path.join(dir, 'evidence.json'), 'utf8')),
      ACCESS_MATRIX_SECTION,
      matrix,
    );
    const schema = JSON.parse(
      fs.readFileSync(
        path.join(__dirname, '..', '..', 'lib', 'compliance', 'evidence', 'evidence.schema.json'),
        'utf8',
      ),
    );
    const ajv = new Ajv({ allErrors: true });
    expect([ajv.validate(schema, evidence), ajv.errors]).toEqual([true, null]);
    const md = renderMarkdown(evidence);
    expect(md).toContain('## Access matrix');
    expect(md).toMatch(/\| model-risk approver \| allowed \(/);
    const html = renderHtml(evidence);
    expect(html).toContain('class="access allowed" data-principal="model-risk-approver" data-action="approve-model"');
  });
});
