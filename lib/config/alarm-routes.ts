import { retrainingAlarmNames } from '../../constructs/estate-monitoring';
import { monitoredSegments } from './segments';
import { EnvironmentConfig, EstateConfig, ModelConfig, monitorsQuality } from '.';

/**
 * Where prod's retraining alarms go: a model that retrains on alarms in
 * another account (staging, whose registry prod serves from) learns of its
 * prod endpoint's quality, drift and critical-segment alarms there. One route
 * per model, prod environment and retraining environment in another account.
 */
export interface AlarmRoute {
  readonly model: ModelConfig;
  readonly from: EnvironmentConfig;
  readonly to: EnvironmentConfig;
  /** Names of the prod endpoint's alarms that start retraining (constructs/estate-monitoring.ts). */
  readonly alarmNames: readonly string[];
}

/**
 * Names of the alarms that start retraining of a model's endpoint in an environment, or none where the estate does not
 * monitor it.
 */
export function endpointRetrainingAlarms(estate: EstateConfig, env: EnvironmentConfig, model: ModelConfig): string[] {
  const endpoint = model.endpoints[env.name];
  if (!endpoint || endpoint.awaitingApproval || env.monitoringService !== 'estate') return [];
  const spec = endpoint.monitoring ?? { dataQuality: env.type === 'prod', modelQuality: env.type === 'prod' };
  if (!spec.dataQuality && !spec.modelQuality) return [];
  const tier = estate.modelRisk.tiers[model.riskTier];
  return retrainingAlarmNames(`${env.name}-${model.id}`, {
    quality:
      monitorsQuality(env, endpoint) && (model.problemType === 'binary_classification' || model.maxRmse !== undefined),
    modelQuality: spec.modelQuality,
    segments: monitoredSegments(model.segmentation, model.problemType, tier, model.maxRmse),
  });
}

export function alarmRoutes(estate: EstateConfig): AlarmRoute[] {
  const routes: AlarmRoute[] = [];
  const environments = new Map(estate.environments.map((e) => [e.name, e]));
  for (const model of estate.models) {
    if (!model.training?.onAlarm) continue;
    for (const from of estate.environments.filter((e) => e.type === 'prod')) {
      const alarmNames = endpointRetrainingAlarms(estate, from, model);
      if (alarmNames.length === 0) continue;
      for (const name of model.training.environments) {
        const to = environments.get(name);
        // Another account, in any region: EventBridge puts events on a bus of another account or region.
        if (to && to.account !== from.account) routes.push({ model, from, to, alarmNames });
      }
    }
  }
  return routes;
}
