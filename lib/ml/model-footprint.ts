import { EnvironmentConfig, EstateConfig, ModelConfig } from '../config';
import { monitoringThresholds } from '../props/endpoints';
import { baselineCopyOf } from '../delivery/baseline-copies';
import { Footprint, placeModels } from './sharding';
import { RecordedPlacement, recordedIn } from './placement-file';

/**
 * What one model adds to its endpoint shard's template in one environment:
 * resources, and bytes of the template CDK writes (JSON, one-space indent),
 * worked out from the config alone, before anything is built, so that the
 * placement (lib/ml/sharding.ts) is a pure function of the config and the
 * placement file.
 *
 * Resources are counted as the constructs create them (constructs/model-endpoint/,
 * estate-monitoring.ts, training-pipeline.ts, model-card.ts and the package group
 * of model-registry.ts). Bytes are an upper bound per resource of
 * each part, measured on synthesized templates (model ids up to 16 characters)
 * and raised for longer ids, which every name and ARN repeats.
 * test/placement-capacity.test.ts synthesizes estates of varied models and
 * fails if an estimate falls below what was built; synth refuses a stack over
 * CloudFormation's limits whatever the estimate said.
 */

/** Upper bound of template bytes per resource of each part of a model, at model ids of MEASURED_ID_LENGTH. */
const BYTES_PER_RESOURCE = {
  base: 1_850,
  endpoint: 1_950,
  monitoring: 2_350,
  modelMonitor: 3_000,
  training: 4_500,
  baselineCopy: 1_900,
} as const;
/** An endpoint's resources with monitoring are larger: its execution role grants the monitoring jobs too. */
const BYTES_PER_MONITORED_ENDPOINT_RESOURCE = 2_800;
const MEASURED_ID_LENGTH = 16;
/**
 * Bytes per resource for each character of a model id beyond MEASURED_ID_LENGTH (names, ARNs, tags, descriptions repeat
 * it).
 */
const BYTES_PER_ID_CHARACTER = 24;

export function modelFootprint(estate: EstateConfig, model: ModelConfig, env: EnvironmentConfig): Footprint {
  const parts = { base: 2, endpoint: 0, monitoring: 0, modelMonitor: 0, training: 0, baselineCopy: 0 };
  const endpoint = model.endpoints[env.name];
  let retrainingAlarms = 0;
  if (endpoint && !endpoint.awaitingApproval) {
    const variants = endpoint.variants.length;
    // Execution role and its policy, a model per variant and shadow, config, endpoint, dashboard;
    // per variant three alarms, a scalable target and its policy; the shadow's 5XX and latency alarms.
    parts.endpoint = 5 + (endpoint.shadow ? 3 : 0) + variants * 6;
    const monitoring = endpoint.monitoring ?? { dataQuality: env.type === 'prod', modelQuality: env.type === 'prod' };
    if (monitoring.dataQuality || monitoring.modelQuality) {
      const thresholds = monitoringThresholds(estate, model);
      if (env.monitoringService === 'model-monitor') {
        parts.modelMonitor =
          (monitoring.dataQuality ? 2 : 0) + (monitoring.modelQuality ? 2 + (thresholds.quality ? 1 : 0) : 0);
        retrainingAlarms = thresholds.quality && monitoring.modelQuality ? 1 : 0;
      } else {
        const critical = (thresholds.segments ?? []).filter((s) => s.critical);
        const qualityAlarms =
          monitoring.modelQuality && thresholds.quality ? (thresholds.quality.metric === 'auc' ? 2 : 1) : 0;
        const segmentAlarms = critical.reduce((n, s) => n + 2 + (monitoring.modelQuality && s.quality ? 1 : 0), 0);
        // Three roles with their policies, log group, state machine, dead-letter queue and its policy, schedules;
        // alarms: drift, score drift, data quality, bias per facet, quality, segments, silent, failed.
        const alarms = 3 + model.protectedAttributes.length + qualityAlarms + segmentAlarms + 2;
        parts.monitoring =
          6 + 1 + 1 + 2 + (monitoring.dataQuality ? 1 : 0) + (monitoring.modelQuality ? 1 : 0) + alarms;
        retrainingAlarms = 2 + qualityAlarms + segmentAlarms;
        // A monitored prod endpoint's baseline copy: its role, the role's policy and the custom resource (the shard's
        // one copier function is within the shard's headroom below CloudFormation's limits).
        if (baselineCopyOf(estate, env, model)) parts.baselineCopy = 3;
      }
    }
  }
  const training = model.training;
  if (training?.environments.includes(env.name)) {
    // At most one forwarded-alarm rule per prod environment in another account (lib/config/alarm-routes.ts).
    const forwarded = training.onAlarm
      ? estate.environments.filter((e) => e.type === 'prod' && e.account !== env.account).length
      : 0;
    // Job role and trigger role with their policies, the pipeline, the trigger dead-letter queue and its policy;
    // rules: schedule, own alarms, each forwarded environment, market event, failed runs.
    const rules =
      (training.schedule ? 1 : 0) +
      (training.onAlarm && retrainingAlarms > 0 ? 1 : 0) +
      forwarded +
      (training.onMarketEvent ? 1 : 0) +
      1;
    parts.training = 4 + 1 + 2 + rules;
  }
  const perIdCharacter = Math.max(0, model.id.length - MEASURED_ID_LENGTH) * BYTES_PER_ID_CHARACTER;
  let resources = 0;
  // The model card carries the intended use as written.
  let bytes = (model.intendedUse?.length ?? 0) * 2;
  for (const part of Object.keys(parts) as (keyof typeof parts)[]) {
    const perResource =
      part === 'endpoint' && parts.monitoring + parts.modelMonitor > 0
        ? BYTES_PER_MONITORED_ENDPOINT_RESOURCE
        : BYTES_PER_RESOURCE[part];
    resources += parts[part];
    bytes += parts[part] * (perResource + perIdCharacter);
  }
  return { resources, bytes };
}

/** A model's footprint in each environment of the estate, in the config's order of environments. */
export function modelFootprints(estate: EstateConfig, model: ModelConfig): Footprint[] {
  return estate.environments.map((env) => modelFootprint(estate, model, env));
}

/**
 * The endpoint shard of every model in one environment (lib/ml/sharding.ts), the recorded ones where the placement file
 * puts them.
 */
export function placeEnvironmentModels(
  estate: EstateConfig,
  environment: EnvironmentConfig,
  recorded: RecordedPlacement = {},
): Map<string, number> {
  return placeModels(
    estate.models.map((m) => ({ id: m.id, footprints: [modelFootprint(estate, m, environment)] })),
    recordedIn(recorded, environment.name),
  );
}

/** The endpoint shard of every model in every environment, by environment name. */
export function placeEstateModels(
  estate: EstateConfig,
  recorded: RecordedPlacement = {},
): Map<string, Map<string, number>> {
  return new Map(estate.environments.map((e) => [e.name, placeEnvironmentModels(estate, e, recorded)]));
}
