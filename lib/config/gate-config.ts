import { createHash } from 'node:crypto';
import { GateConfig } from '../../lambdas/shared/gate-config';
import { EnvironmentConfig, EstateConfig } from './schema';

/** What the gates of one environment need of the estate config; the model id names its package group. */
export function gateConfigFor(estate: EstateConfig, environment: EnvironmentConfig): GateConfig {
  return {
    environment: environment.name,
    tiers: estate.modelRisk.tiers,
    deployment: estate.modelRisk.deployment,
    models: estate.models.map((m) => ({
      id: m.id,
      packageGroupName: m.id,
      owner: m.owner,
      riskTier: m.riskTier,
      problemType: m.problemType,
      protectedAttributes: m.protectedAttributes,
      ...(m.maxRmse !== undefined ? { maxRmse: m.maxRmse } : {}),
    })),
  };
}

/** Stable digest of a gate config, recorded with every decision. */
export function gateConfigDigest(config: GateConfig): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
}
