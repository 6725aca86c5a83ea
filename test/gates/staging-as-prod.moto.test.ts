/**
 * "The staging endpoint's current config serves the requested package": the gate takes a variant as serving the
 * package when ANY container of its model names the package (PrimaryContainer or Containers). An ML engineer may
 * CreateModel, CreateEndpointConfig and UpdateEndpoint in staging (constructs/persona-roles.ts, DeployModels). A model
 * of two containers in Direct mode (SageMaker Developer Guide, "Multi-container endpoints": each request names its
 * TargetContainerHostname) lets every request go to the other container, an image and model data nobody approved,
 * while the package's container answers nothing; the variant's Invocations, 5XX count and alarms (keyed by endpoint
 * and variant only) are the other container's. In Serial mode the package only ever sees what a container before it
 * made of the request. Either way the bake shows nothing of the package as prod will run it (alone, from the
 * package). The safe outcome: such a variant does not count as serving the package, and the promotion fails. So
 * too for one container of the package with staging's own environment, image, model data or mode. Before the gate
 * required the package as prod runs it, each of these promotions passed.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelCommandInput,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandOutput,
  DescribeModelCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deploymentGate, DeploymentGateDeps, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { traffic, variantAlarms } from './staging';
import { approvalWorld, ApprovalWorld, IMAGE } from './world';

const BAKE = GATE_CONFIG.deployment.stagingBakeMinutes;
let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const modes = new Map<string, string>();
beforeAll(async () => {
  w = await approvalWorld('hostile4-multi');
  deps = {
    ...deploymentDeps(w, { now: () => new Date(Date.now() + (BAKE + 1) * 60_000) }),
    sagemaker: asAws(w.sagemaker, 'shadow'),
  };
}, 60_000);

/**
 * moto keeps neither a model's InferenceExecutionConfig nor shadow variants, and answers a model of Containers with an
 * empty PrimaryContainer as well. Answered here in the shape the SageMaker API Reference documents (DescribeModel:
 * InferenceExecutionConfig.Mode Serial or Direct; DescribeEndpoint and DescribeEndpointConfig:
 * ShadowProductionVariants): the mode as created, and the variant named `shadow` as the shadow variant.
 */
function asAws(sagemaker: SageMakerClient, shadow: string): SageMakerClient {
  const real = sagemaker.send.bind(sagemaker) as (c: unknown) => Promise<unknown>;
  return new Proxy(sagemaker, {
    get: (t, p) =>
      p === 'send'
        ? async (c: { constructor: { name: string }; input: { ModelName?: string } }) => {
            const out = await real(c);
            if (c.constructor.name === 'DescribeModelCommand') {
              const m = out as DescribeModelCommandOutput;
              const mode = modes.get(c.input.ModelName ?? '');
              return { ...m, ...(mode ? { InferenceExecutionConfig: { Mode: mode } } : {}) };
            }
            if (c.constructor.name === 'DescribeEndpointCommand') {
              const ep = out as DescribeEndpointCommandOutput;
              return {
                ...ep,
                ProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: ep.ProductionVariants?.filter((v) => v.VariantName === shadow),
              };
            }
            if (c.constructor.name === 'DescribeEndpointConfigCommand') {
              const cfg = out as DescribeEndpointConfigCommandOutput;
              return {
                ...cfg,
                ProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName !== shadow),
                ShadowProductionVariants: cfg.ProductionVariants?.filter((v) => v.VariantName === shadow),
              };
            }
            return out;
          }
        : Reflect.get(t, p),
  });
}
afterAll(async () => w?.stop());

test.each(['Direct', 'Serial'] as const)(
  'a %s multi-container model where the package is one container does not count as serving it',
  async (mode) => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const endpoint = `h4-multi-${mode.toLowerCase()}`;
    const model = `${endpoint}-model`;
    await w.sagemaker.send(
      new CreateModelCommand({
        ModelName: model,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint',
        Containers: [
          {
            ContainerHostname: 'unapproved',
            Image: IMAGE,
            ModelDataUrl: `s3://${w.artifacts}/scratch/other-model.tar.gz`,
          },
          { ContainerHostname: 'approved', ModelPackageName: challenger },
        ],
        InferenceExecutionConfig: { Mode: mode },
      }),
    );
    modes.set(model, mode);
    await w.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${endpoint}-config`,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: model,
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.large',
            InitialVariantWeight: 1,
          },
        ],
      }),
    );
    await w.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-config` }),
    );
    await variantAlarms(w.cloudwatch, endpoint, 'AllTraffic');
    await traffic(w.cloudwatch, endpoint, 'AllTraffic', 500, -30);

    const result = await deploymentGate(deps)({
      requestId: `h4-${endpoint}`,
      modelPackageArn: challenger,
      stagingEndpointName: endpoint,
    });
    const record = (await w.json(result.record!)) as unknown as DeploymentRecord;
    // Before the gate required the package as prod runs it, the promotion passed outright: the record said the endpoint
    // served the package.
    expect(result.pass).toBe(false);
    expect(record.checks.find((c) => c.name === 'staging serves the package')).toMatchObject({
      passed: false,
      detail: expect.stringMatching(
        new RegExp(
          `does not serve .* as prod runs it \\(the package alone, nothing of staging's own\\): variant AllTraffic \\(model ${model}\\) runs 2 containers \\(${mode} mode\\)`,
        ),
      ),
    });
    // Nothing of the bake is counted for a variant that does not serve the package.
    expect(record.inputs.invocations).toEqual({ count: 0 });
  },
);

test('a single container of the package whose Environment overrides what it loads does not count as serving it as prod will', async () => {
  // Prod's model is the package alone (constructs/model-endpoint/models.ts: PrimaryContainer { ModelPackageName }
  // only); an environment of staging's own (here, the model directory the serving stack loads) makes the bake another
  // model's.
  const challenger = await version(w, 'fraud-score', { auc: 0.99 });
  const endpoint = 'h4-single-env';
  await w.sagemaker.send(
    new CreateModelCommand({
      ModelName: `${endpoint}-model`,
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint',
      PrimaryContainer: {
        ModelPackageName: challenger,
        Environment: {
          SAGEMAKER_SUBMIT_DIRECTORY: `s3://${w.artifacts}/scratch/other-code.tar.gz`,
          SAGEMAKER_PROGRAM: 'other.py',
        },
      },
    }),
  );
  await w.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${endpoint}-config`,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: `${endpoint}-model`,
          InitialInstanceCount: 1,
          InstanceType: 'ml.m5.large',
          InitialVariantWeight: 1,
        },
      ],
    }),
  );
  await w.sagemaker.send(
    new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-config` }),
  );
  await variantAlarms(w.cloudwatch, endpoint, 'AllTraffic');
  await traffic(w.cloudwatch, endpoint, 'AllTraffic', 500, -30);
  const result = await deploymentGate(deps)({
    requestId: `h4-${endpoint}`,
    modelPackageArn: challenger,
    stagingEndpointName: endpoint,
  });
  expect(result.pass).toBe(false);
  expect(result.checks.find((c) => c.name === 'staging serves the package')).toMatchObject({
    passed: false,
    detail: expect.stringMatching(
      /variant AllTraffic \(model h4-single-env-model\) sets Environment SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY on the package's container/,
    ),
  });
});

/** A staging endpoint whose one variant's model has the containers given; alarms and traffic as the estate's. */
async function servedBy(
  endpoint: string,
  model: Omit<CreateModelCommandInput, 'ModelName' | 'ExecutionRoleArn'>,
  shadow?: Omit<CreateModelCommandInput, 'ModelName' | 'ExecutionRoleArn'>,
) {
  await w.sagemaker.send(
    new CreateModelCommand({
      ModelName: `${endpoint}-model`,
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint',
      ...model,
    }),
  );
  if (model.InferenceExecutionConfig?.Mode) modes.set(`${endpoint}-model`, model.InferenceExecutionConfig.Mode);
  if (shadow)
    await w.sagemaker.send(
      new CreateModelCommand({
        ModelName: `${endpoint}-shadow`,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/endpoint',
        ...shadow,
      }),
    );
  if (shadow?.InferenceExecutionConfig?.Mode) modes.set(`${endpoint}-shadow`, shadow.InferenceExecutionConfig.Mode);
  await w.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${endpoint}-config`,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: `${endpoint}-model`,
          InitialInstanceCount: 1,
          InstanceType: 'ml.m5.large',
          InitialVariantWeight: 1,
        },
      ],
      // moto has no ShadowProductionVariants: the shadow is made a production variant, and asAws answers it as the
      // shadow.
      ...(shadow
        ? {
            ProductionVariants: [
              {
                VariantName: 'AllTraffic',
                ModelName: `${endpoint}-model`,
                InitialInstanceCount: 1,
                InstanceType: 'ml.m5.large',
                InitialVariantWeight: 1,
              },
              {
                VariantName: 'shadow',
                ModelName: `${endpoint}-shadow`,
                InitialInstanceCount: 1,
                InstanceType: 'ml.m5.large',
                InitialVariantWeight: 0.5,
              },
            ],
          }
        : {}),
    }),
  );
  await w.sagemaker.send(
    new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${endpoint}-config` }),
  );
  for (const v of ['AllTraffic', ...(shadow ? ['shadow'] : [])]) {
    await variantAlarms(w.cloudwatch, endpoint, v);
    await traffic(w.cloudwatch, endpoint, v, 500, -30);
  }
  return deploymentGate(deps);
}

describe("staging's own settings on the package's one container: not the package as prod runs it", () => {
  const own: Array<[string, (challenger: string) => Record<string, unknown>, RegExp]> = [
    [
      'model data of its own (ModelDataUrl)',
      () => ({ ModelDataUrl: `s3://${w.artifacts}/scratch/other-model.tar.gz` }),
      /sets ModelDataUrl s3:\/\/.*\/scratch\/other-model\.tar\.gz/,
    ],
    ['an image of its own', () => ({ Image: IMAGE }), /sets Image /],
    [
      'one harmless-looking environment variable (a log level)',
      () => ({ Environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '10' } }),
      /sets Environment SAGEMAKER_CONTAINER_LOG_LEVEL/,
    ],
    [
      'multi-model mode (every request names its own model archive)',
      () => ({ Mode: 'MultiModel' }),
      /sets Mode MultiModel/,
    ],
  ];
  test.each(own)('%s: the promotion fails, naming the setting', async (label, extra, reason) => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const endpoint = `h4-own-${own.findIndex(([l]) => l === label)}`;
    const result = await (
      await servedBy(endpoint, { PrimaryContainer: { ModelPackageName: challenger, ...extra(challenger) } })
    )({ requestId: endpoint, modelPackageArn: challenger, stagingEndpointName: endpoint });
    expect(result.pass).toBe(false);
    const check = result.checks.find((c) => c.name === 'staging serves the package');
    expect(check).toMatchObject({ passed: false, detail: expect.stringMatching(reason) });
    expect(check!.detail).toMatch(/prod's model names the package and nothing else/);
  });

  test('a shadow variant of two containers, the package one of them: fails, where the shadow is the only variant that names the package', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const other = await version(w, 'fraud-score', { auc: 0.99 });
    const gate = await servedBy(
      'h4-shadow-multi',
      { PrimaryContainer: { ModelPackageName: other } },
      {
        Containers: [
          { ContainerHostname: 'front', Image: IMAGE, ModelDataUrl: `s3://${w.artifacts}/scratch/other-model.tar.gz` },
          { ContainerHostname: 'approved', ModelPackageName: challenger },
        ],
        InferenceExecutionConfig: { Mode: 'Serial' },
      },
    );
    const result = await gate({
      requestId: 'h4-shadow-multi',
      modelPackageArn: challenger,
      stagingEndpointName: 'h4-shadow-multi',
    });
    expect(result.pass).toBe(false);
    expect(result.checks.find((c) => c.name === 'staging serves the package')?.detail).toMatch(
      /shadow variant shadow \(model h4-shadow-multi-shadow\) runs 2 containers \(Serial mode\)/,
    );
  });

  test('control: the package alone, as the only entry of Containers, counts as prod runs it', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const result = await (
      await servedBy('h4-alone-list', { Containers: [{ ModelPackageName: challenger }] })
    )({ requestId: 'h4-alone-list', modelPackageArn: challenger, stagingEndpointName: 'h4-alone-list' });
    expect(result.checks.find((c) => c.name === 'staging serves the package')).toMatchObject({ passed: true });
    expect(result).toMatchObject({ pass: true });
  });

  test('control: the package alone in the PrimaryContainer, as constructs/model-endpoint/models.ts makes it, passes', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    const result = await (
      await servedBy('h4-alone', { PrimaryContainer: { ModelPackageName: challenger } })
    )({ requestId: 'h4-alone', modelPackageArn: challenger, stagingEndpointName: 'h4-alone' });
    expect(result).toMatchObject({ pass: true });
  });
});
