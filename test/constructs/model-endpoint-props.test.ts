/**
 * The config's decisions about an endpoint, now made where the config is mapped to ModelEndpoint's props
 * (modelEndpointProps in lib/props/endpoints.ts), on every endpoint of the example estate and on hostile variations:
 * prod captures everything and is monitored by default, elsewhere a fifth and not monitored unless asked; prod serves
 * pinned copies only of models whose packages the training pipeline registers; names come from names.ts.
 */
import { EnvironmentConfig, EstateConfig, ModelConfig, servesPinnedCopy } from '../../lib/config';
import { approvedModelsBucketName, endpointMonitoringNames, endpointName } from '../../lib/delivery/names';
import { modelEndpointProps } from '../../lib/props/endpoints';
import { defaultEstateConfig } from '../support/estate';

const config = defaultEstateConfig();
const REGISTRY = { account: '222222222222', region: 'eu-west-1' };
// The wiring is passed through untouched: stand-ins are enough to read the mapping.
const wiring = {
  subnets: [],
  securityGroup: {} as any,
  mlKey: {} as any,
  logsKey: {} as any,
  captureBucket: {} as any,
  alarmTopic: {} as any,
  monitoringThresholds: { psi: 0.2, minDisparateImpact: 0.8 },
};
/** `registry` null: no registry (a default parameter would take undefined for the default). */
const propsOf = (env: EnvironmentConfig, model: ModelConfig, registry: typeof REGISTRY | null = REGISTRY) =>
  modelEndpointProps({
    ...wiring,
    environment: env,
    model,
    endpoint: model.endpoints[env.name]!,
    packageRegistry: registry ?? undefined,
  });
const endpoints = (c: EstateConfig) =>
  c.environments.flatMap((env) => c.models.filter((m) => m.endpoints[env.name]).map((m) => [env, m] as const));

test('every endpoint of the example: names, capture, default monitoring, variants as configured', () => {
  const all = endpoints(config);
  expect(all.length).toBeGreaterThan(4);
  for (const [env, model] of all) {
    const p = propsOf(env, model);
    const spec = model.endpoints[env.name]!;
    const prod = env.type === 'prod';
    expect([env.name, model.id, p.endpointName]).toEqual([env.name, model.id, endpointName(env.name, model.id)]);
    expect(p.monitoringNames).toEqual(endpointMonitoringNames(p.endpointName));
    expect([env.name, p.captureSamplingPercent]).toEqual([env.name, prod ? 100 : 20]);
    expect(p.monitoring).toEqual(spec.monitoring ?? { dataQuality: prod, modelQuality: prod });
    expect(p.variants).toBe(spec.variants);
    expect(p.shadow).toBe(spec.shadow);
    expect(p.rollout).toBe(spec.rollout);
    expect([p.modelId, p.riskTier, p.problemType]).toEqual([model.id, model.riskTier, model.problemType]);
    expect(p.logRetention).toBe(env.logRetentionDays);
  }
});

test("pinned copies exactly where the config says prod serves them, from the registry's approved-model bucket", () => {
  let pinned = 0;
  for (const [env, model] of endpoints(config)) {
    const copies = propsOf(env, model).packageRegistry?.pinnedCopies;
    if (servesPinnedCopy(model, env)) {
      pinned++;
      expect(copies).toEqual({
        bucketName: approvedModelsBucketName(REGISTRY.account, REGISTRY.region),
        image: model.training!.image,
      });
    } else {
      expect([env.name, model.id, copies]).toEqual([env.name, model.id, undefined]);
    }
  }
  expect(pinned).toBeGreaterThan(0);
});

test('hostile: a prod model the pipeline does not train names the package; staging never pins; no registry, no package registry', () => {
  const prod = config.environments.find((e) => e.type === 'prod')!;
  const staging = config.environments.find((e) => e.type === 'staging')!;
  const model = config.models.find((m) => m.training?.image && m.endpoints[prod.name] && m.endpoints[staging.name])!;
  expect(propsOf(prod, model).packageRegistry?.pinnedCopies).toBeDefined();
  expect(propsOf(prod, { ...model, training: undefined }).packageRegistry).toEqual({
    ...REGISTRY,
    pinnedCopies: undefined,
  });
  expect(propsOf(staging, model).packageRegistry).toEqual({ ...REGISTRY, pinnedCopies: undefined });
  expect(propsOf(prod, model, null).packageRegistry).toBeUndefined();
  // Monitoring switched off in prod by the config stays off.
  const off = {
    ...model,
    endpoints: {
      ...model.endpoints,
      [prod.name]: { ...model.endpoints[prod.name]!, monitoring: { dataQuality: false, modelQuality: false } },
    },
  };
  expect(propsOf(prod, off).monitoring).toEqual({ dataQuality: false, modelQuality: false });
});
