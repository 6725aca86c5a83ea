import { createHash } from 'node:crypto';
import { GateConfig } from '../../lambdas/shared/gate-config';
import { trainingPipelineName } from '../delivery/names';
import { EnvironmentConfig, EstateConfig } from '.';
import { segmentationPolicy } from './segments';

/** What the gates of one environment need of the estate config; the model id names its package group. */
export function gateConfigFor(estate: EstateConfig, environment: EnvironmentConfig): GateConfig {
  return {
    environment: environment.name,
    tiers: estate.modelRisk.tiers,
    deployment: estate.modelRisk.deployment,
    artifacts: { registryAccounts: [environment.account], requireImageDigest: environment.type !== 'dev' },
    models: estate.models.map((m) => ({
      id: m.id,
      packageGroupName: m.id,
      owner: m.owner,
      riskTier: m.riskTier,
      problemType: m.problemType,
      protectedAttributes: m.protectedAttributes,
      ...(m.maxRmse !== undefined ? { maxRmse: m.maxRmse } : {}),
      ...(m.training?.environments.includes(environment.name)
        ? { trainingPipeline: trainingPipelineName(environment.name, m.id) }
        : {}),
      ...(m.segmentation ? { segmentation: segmentationPolicy(m.segmentation) } : {}),
    })),
  };
}

/** Stable digest of a gate config, recorded with every decision. */
export function gateConfigDigest(config: GateConfig): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
}
