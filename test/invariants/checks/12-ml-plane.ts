import * as fs from 'node:fs';
import { promotionSource } from '../../../lib/config';
import type { EstateUnderTest } from '../suite';

/** A value another stack of the environment publishes (the foundation's keys and subnets). */
const fromFoundation = (output: RegExp) => ({
  'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringMatching(output) }),
});

/**
 * The ML plane's promises: isolated models, encrypted and locked capture, prod serving only approved packages,
 * monitoring.
 */
export default function mlPlane(estate: EstateUnderTest): void {
  const { config, stacks, ofType } = estate;
  const shardsOf = (env: string) => stacks.shards.filter((s) => s.startsWith(`${env}/`));
  const allOf = (env: string, type: string) => shardsOf(env).flatMap((s) => ofType(s, type));

  for (const env of config.environments) {
    describe(`ML plane (${env.name})`, () => {
      test('every feature group keeps both stores under the data key, offline in Iceberg', () => {
        const groups = ofType(`${env.name}/MLPlatform`, 'AWS::SageMaker::FeatureGroup').map(([, g]) => g.Properties);
        expect(groups.map((g) => g.FeatureGroupName)).toEqual(config.featureGroups.map((g) => g.name));
        for (const g of groups) {
          const spec = config.featureGroups.find((f) => f.name === g.FeatureGroupName)!;
          if (spec.offline)
            expect(g.OfflineStoreConfig).toEqual({
              S3StorageConfig: { S3Uri: expect.anything(), KmsKeyId: fromFoundation(/KeysDataKey/) },
              TableFormat: 'Iceberg',
            });
          if (spec.online)
            expect(g.OnlineStoreConfig).toEqual({
              EnableOnlineStore: true,
              SecurityConfig: { KmsKeyId: fromFoundation(/KeysDataKey/) },
            });
        }
      });

      test('every endpoint model is network-isolated in the isolated subnets under its execution role, never SageMaker full access', () => {
        for (const [id, m] of allOf(env.name, 'AWS::SageMaker::Model')) {
          expect([id, m.Properties.EnableNetworkIsolation]).toEqual([id, true]);
          expect(m.Properties.VpcConfig.Subnets).toEqual(
            env.availabilityZones.map(() => fromFoundation(/NetworkVpcworkloadSubnet/)),
          );
          expect(m.Properties.ExecutionRoleArn).toEqual({
            'Fn::GetAtt': [expect.stringMatching(/EndpointExecutionRole/), 'Arn'],
          });
        }
        for (const stack of shardsOf(env.name))
          expect(JSON.stringify(estate.synth().templates[stack].toJSON())).not.toMatch(
            /AmazonSageMakerFullAccess|"sagemaker:\*"/,
          );
      });

      test('one endpoint per model served here; its config captures to the locked bucket under the ML key (all of it in prod)', () => {
        // An endpoint awaiting its first approved version is declared only: nothing to serve yet.
        const served = config.models.filter((m) => m.endpoints[env.name] && !m.endpoints[env.name].awaitingApproval);
        expect(
          allOf(env.name, 'AWS::SageMaker::Endpoint')
            .map(([, e]) => e.Properties.EndpointName)
            .sort(),
        ).toEqual(served.map((m) => `${env.name}-${m.id}`).sort());
        for (const [, c] of allOf(env.name, 'AWS::SageMaker::EndpointConfig')) {
          expect(c.Properties.DataCaptureConfig).toMatchObject({
            EnableCapture: true,
            InitialSamplingPercentage: env.type === 'prod' ? 100 : expect.any(Number),
            KmsKeyId: fromFoundation(/KeysMlKey/),
            DestinationS3Uri: expect.stringContaining(`s3://inference-capture-${env.account}-${env.region}/capture/`),
          });
        }
        const [[, bucket]] = ofType(`${env.name}/MLPlatform`, 'AWS::S3::Bucket').filter(([id]) =>
          id.startsWith('InferenceCapture'),
        );
        expect([
          { Mode: 'COMPLIANCE', Years: env.auditLogRetentionYears },
          { Mode: 'COMPLIANCE', Days: 365 * env.auditLogRetentionYears },
        ]).toContainEqual(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention);
      });

      if (env.type === 'prod') {
        test('prod serves only package versions of the registry it promotes from, and monitors every endpoint for data and model quality', () => {
          const source = promotionSource(config)!;
          // A model with a training pipeline reads the pinned copy of the version (its package named in the model's
          // tags); one without reads the package (constructs/model-endpoint/models.ts, servesPinnedCopy).
          for (const [, m] of allOf(env.name, 'AWS::SageMaker::Model')) {
            const tags = Object.fromEntries(
              (m.Properties.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]),
            );
            const trained = config.models.find((x) => x.id === tags['model:id'])?.training;
            if (trained) {
              expect(m.Properties.PrimaryContainer).toEqual({
                Image: trained.image,
                ModelDataUrl: expect.stringMatching(
                  new RegExp(
                    `^s3://approved-models-${source.account}-${source.region}/models/${tags['model:id']}/\\d+/0/model\\.tar\\.gz$`,
                  ),
                ),
                Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
              });
              expect(tags['model:package']).toMatch(
                new RegExp(
                  `^arn:aws:sagemaker:${source.region}:${source.account}:model-package/${tags['model:id']}/\\d+$`,
                ),
              );
            } else {
              expect(m.Properties.PrimaryContainer).toEqual({
                ModelPackageName: expect.stringMatching(
                  new RegExp(`^arn:aws:sagemaker:${source.region}:${source.account}:model-package/[a-z0-9-]+/\\d+$`),
                ),
              });
            }
          }
          const endpoints = allOf(env.name, 'AWS::SageMaker::Endpoint').length;
          const monitored = config.models.filter(
            (m) =>
              m.endpoints[env.name] &&
              !m.endpoints[env.name].awaitingApproval &&
              (m.endpoints[env.name].monitoring?.dataQuality ?? true),
          ).length;
          if (env.monitoringService === 'model-monitor') {
            expect(allOf(env.name, 'AWS::SageMaker::MonitoringSchedule').length).toBe(monitored * 2);
          } else {
            // The estate's own monitoring: a schedule per monitored endpoint, and no Model Monitor resource.
            expect(allOf(env.name, 'AWS::Scheduler::Schedule').length).toBeGreaterThanOrEqual(monitored);
            expect(allOf(env.name, 'AWS::SageMaker::MonitoringSchedule')).toEqual([]);
          }
          expect(monitored).toBeLessThanOrEqual(endpoints);
        });
      }

      test('monitoring jobs run network-isolated in the VPC with inter-container encryption and the ML key', () => {
        for (const type of ['AWS::SageMaker::DataQualityJobDefinition', 'AWS::SageMaker::ModelQualityJobDefinition']) {
          for (const [, d] of allOf(env.name, type)) {
            expect(d.Properties.NetworkConfig).toMatchObject({
              EnableNetworkIsolation: true,
              EnableInterContainerTrafficEncryption: true,
              VpcConfig: expect.anything(),
            });
            expect(d.Properties.JobResources.ClusterConfig.VolumeKmsKeyId).toEqual(fromFoundation(/KeysMlKey/));
          }
        }
      });
    });
  }

  const source = promotionSource(config);
  const serving = config.environments.filter((e) =>
    config.models.some(
      (m) =>
        m.endpoints[e.name]?.awaitingApproval ||
        m.endpoints[e.name]?.variants.some((v) => v.modelPackageVersion !== undefined) ||
        m.endpoints[e.name]?.shadow?.modelPackageVersion !== undefined,
    ),
  );
  // The source serves its own registry's versions (its staging bake) and needs no grant to itself.
  const readers = source ? serving.filter((s) => s.account !== source.account) : [];
  if (source && readers.length > 0) {
    test(`the registry prod promotes from (${source.name}) lets exactly the serving accounts read and deploy its packages; no other registry is shared`, () => {
      for (const env of config.environments) {
        for (const [, g] of allOf(env.name, 'AWS::SageMaker::ModelPackageGroup')) {
          if (env.name !== source.name) expect(g.Properties.ModelPackageGroupPolicy).toBeUndefined();
          else {
            expect(g.Properties.ModelPackageGroupPolicy.Statement).toEqual([
              expect.objectContaining({
                Effect: 'Allow',
                Principal: { AWS: readers.map((s) => `arn:aws:iam::${s.account}:root`) },
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
  }

  const trained = config.models.filter((m) => m.training);
  if (trained.length > 0) {
    test('retraining pipelines exist exactly where config trains, register pending versions only, and their roles may register nothing else', () => {
      for (const env of config.environments) {
        const pipelines = shardsOf(env.name).flatMap((s) => ofType(s, 'AWS::SageMaker::Pipeline'));
        expect([env.name, pipelines.map(([, p]) => p.Properties.PipelineName).sort()]).toEqual([
          env.name,
          trained
            .filter((m) => m.training!.environments.includes(env.name))
            .map((m) => `${env.name}-${m.id}-training`)
            .sort(),
        ]);
        for (const [, p] of pipelines) {
          const body = p.Properties.PipelineDefinition.PipelineDefinitionBody;
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          expect(text).not.toMatch(/\\?"Approved\\?"/);
          expect([...text.matchAll(/ModelApprovalStatus\\?":\s*\\?"(\w+)/g)].map((m) => m[1])).toEqual([
            'PendingManualApproval',
          ]);
        }
      }
      for (const model of trained) {
        for (const envName of model.training!.environments) {
          const stack = estate.shardStackOf(envName, model.id);
          const [[, grants]] = ofType(stack, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
            id.startsWith(`${model.id.replace(/-/g, '')}TrainingRoleGrants`),
          );
          const register = grants.Properties.PolicyDocument.Statement.filter((s: any) =>
            [s.Action].flat().some((a: string) => a.startsWith('sagemaker:') && a.includes('ModelPackage')),
          );
          expect(register).toEqual([
            expect.objectContaining({
              Action: 'sagemaker:CreateModelPackage',
              Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } },
            }),
          ]);
        }
      }
    });
  }

  test('no template nears CloudFormation limits (500 resources, 1 MB)', () => {
    for (const [name, file] of Object.entries(estate.synth().templateFiles)) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect([name, Object.keys(template.Resources).length <= 500, fs.statSync(file).size < 1_000_000]).toEqual([
        name,
        true,
        true,
      ]);
    }
  });
}
