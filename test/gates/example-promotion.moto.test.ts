/**
 * The example estate's promotion path can pass: every version prod will
 * serve (lib/delivery/promotions.ts) is served first by the staging endpoint
 * of its model, so the deployment gate can see it bake. Against moto, the
 * example's versions are made the estate's way (pipeline registration, the
 * real approval gate, a person's approval of the high-risk model, the
 * pinner), its staging endpoints are built from the example's staging
 * variants, and the pipeline's pre-prod step (judgePromotion) asks the real
 * deployment gate, under the example's staging gate config with the prod
 * champions the stack ships, about every request: each passes. moto's
 * account plays the example's staging account (the ARNs are translated).
 */
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand } from '@aws-sdk/client-sagemaker';
import { endpointName } from '../../lib/delivery/names';
import { deploymentGate, DeploymentRequest } from '../../lambdas/deployment-gate/handler';
import { GateConfig } from '../../lambdas/shared/gate-config';
import { gateConfigFor } from '../../lib/config/gate-config';
import { promotionSource } from '../../lib/config';
import { promotionsFor } from '../../lib/delivery/promotions';
import { judgePromotion } from '../../lib/delivery/run-gate';
import { prodChampionsOf } from '../../lib/config/prod-serving';
import { defaultEstateConfig } from '../support/estate';
import {
  CREDIT_SEGMENTS,
  creditCells,
  FRAUD_SEGMENTS,
  fraudCells,
  good,
  segmentedEvaluation,
} from '../segments/fixtures';
import { deploymentDeps, version } from './promotion';
import { stagingEndpoint, traffic } from './staging';
import { ACCOUNT, approvalWorld, ApprovalWorld, GOOD, IMAGE } from './world';

const example = defaultEstateConfig();
const staging = promotionSource(example)!;
const promotion = promotionsFor(example, 'prod', 'exec-42');
const versionOf = (arn: string) => ({ model: arn.split('/').slice(-2)[0], version: Number(arn.split('/').pop()) });

describe("the example's staging endpoints serve the versions prod promotes", () => {
  test('every promotion request names a version that its staging endpoint serves in a variant that takes traffic', () => {
    expect(promotion.requests.length).toBeGreaterThan(0);
    for (const r of promotion.requests) {
      const { model, version: v } = versionOf(r.modelPackageArn);
      const variants = example.models.find((m) => m.id === model)!.endpoints[staging.name]?.variants ?? [];
      expect({
        request: r.requestId,
        served: variants.some((x) => x.modelPackageVersion === v && x.weight > 0),
      }).toEqual({ request: r.requestId, served: true });
      expect(r.stagingEndpointName).toBe(endpointName(staging.name, model));
    }
  });
});

describe('the example promotion against moto: every request passes the real deployment gate', () => {
  let w: ApprovalWorld;
  beforeAll(async () => {
    w = await approvalWorld('example');
  }, 60_000);
  afterAll(async () => w?.stop());

  test("prod's versions, baked on the example's staging endpoints, pass; the same request against an endpoint serving image and model data fails", async () => {
    const example = defaultEstateConfig();
    const config = gateConfigFor(example, staging);
    // The gate config the stack ships to the deployment gate, with moto's account and the world's pipelines standing
    // in.
    const gateConfig: GateConfig = {
      ...config,
      prodChampions: prodChampionsOf(example, staging.name),
      artifacts: { ...config.artifacts, registryAccounts: [ACCOUNT] },
      models: config.models.map((m) => ({
        ...m,
        ...(m.trainingPipeline ? { trainingPipeline: `test-${m.id}-training` } : {}),
      })),
    };
    const toMoto = (arn: string) => arn.replace(`:${staging.account}:`, `:${ACCOUNT}:`);

    // Versions 1..n of each promoted model, registered by its pipeline, approved (a person for the high-risk one) and
    // pinned.
    const needed = new Map<string, number>();
    for (const r of promotion.requests) {
      const { model, version: v } = versionOf(r.modelPackageArn);
      needed.set(model, Math.max(needed.get(model) ?? 0, v));
    }
    for (const [model, count] of needed) {
      // The example segments these models: their evaluations carry the segments the deployment gate compares. Large
      // enough evaluation splits that an equal champion and challenger are shown non-inferior in every critical
      // segment.
      const big = good(100_000);
      const evaluation =
        model === 'fraud-score'
          ? segmentedEvaluation(FRAUD_SEGMENTS, fraudCells({ 'high-value': big, 'high-risk-merchant': big }))
          : model === 'credit-default'
            ? segmentedEvaluation(CREDIT_SEGMENTS, creditCells({ 'thin-file': big, 'low-income': big }))
            : undefined;
      for (let i = 1; i <= count; i++)
        expect(
          versionOf(
            await version(w, model, {
              auc: 0.9,
              image: IMAGE,
              ...(evaluation ? { reports: { ...GOOD, evaluation } } : {}),
            }),
          ).version,
        ).toBe(i);
    }
    // Each staging endpoint as the example configures it: its variants serve the package versions, with their weights.
    for (const model of needed.keys()) {
      const endpoint = example.models.find((m) => m.id === model)!.endpoints[staging.name]!;
      const name = endpointName(staging.name, model);
      const variants = Object.fromEntries(
        endpoint.variants.map((v) => [
          v.name,
          `arn:aws:sagemaker:${staging.region}:${ACCOUNT}:model-package/${model}/${v.modelPackageVersion}`,
        ]),
      );
      const weights = Object.fromEntries(endpoint.variants.map((v) => [v.name, v.weight]));
      await stagingEndpoint(w.sagemaker, name, variants, true, weights);
      for (const v of endpoint.variants) await traffic(w.cloudwatch, name, v.name, 1000, -30);
      await w.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: `${name}-errors-5xx`,
          Namespace: 'AWS/SageMaker',
          MetricName: 'Invocation5XXErrors',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
      await w.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: `${name}-errors-5xx`, StateValue: 'OK', StateReason: 'quiet' }),
      );
    }
    const afterBake = () => new Date(Date.now() + (example.modelRisk.deployment.stagingBakeMinutes + 1) * 60_000);
    const gate = deploymentGate(deploymentDeps(w, { config: gateConfig, now: afterBake }));
    // The pre-prod step as the pipeline runs it; only the Lambda transport is not exercised.
    const verdicts = await judgePromotion(
      {
        ...promotion,
        requests: promotion.requests.map((r) => ({
          ...r,
          modelPackageArn: toMoto(r.modelPackageArn),
          ...(r.championModelPackageArn ? { championModelPackageArn: toMoto(r.championModelPackageArn) } : {}),
        })),
      },
      async (_arn, request) => ({
        payload: JSON.parse(JSON.stringify(await gate(request as DeploymentRequest))),
      }),
    );
    expect(verdicts.map((v) => [v.request.requestId, v.pass, v.pass ? '' : v.reasons.join('; ')])).toEqual(
      promotion.requests.map((r) => [r.requestId, true, '']),
    );
    for (const v of verdicts) expect((await w.json(v.record!)).pass).toBe(true);

    // Control: as the example's staging endpoints were before (image and model data), the gate refuses.
    const [first] = promotion.requests;
    const other = `${first.stagingEndpointName}-direct`;
    await w.sagemaker.send(
      new CreateModelCommand({
        ModelName: `${other}-model`,
        ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/endpoint`,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://${w.artifacts}/models/direct/model.tar.gz` },
      }),
    );
    await w.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${other}-config`,
        ProductionVariants: [
          {
            VariantName: 'champion',
            ModelName: `${other}-model`,
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.large',
            InitialVariantWeight: 1,
          },
        ],
      }),
    );
    await w.sagemaker.send(new CreateEndpointCommand({ EndpointName: other, EndpointConfigName: `${other}-config` }));
    const refused = await gate({
      ...first,
      requestId: 'direct',
      modelPackageArn: toMoto(first.modelPackageArn),
      stagingEndpointName: other,
    });
    expect(refused.pass).toBe(false);
    expect(refused.reasons.join('\n')).toMatch(/does not serve/);
  }, 600_000);
});
