import { App } from 'aws-cdk-lib';
import { NagPack } from 'cdk-nag';
import { EstateConfig } from './config/schema';
import { registerCompliancePacks } from './compliance/nag-packs';
import { EnvironmentStage } from './stages/environment-stage';

export interface Estate {
  readonly stages: Record<string, EnvironmentStage>;
  /** The compliance packs registered on the app. */
  readonly packs: readonly NagPack[];
}

/** Builds every environment of the estate into the app and registers the compliance packs. */
export function buildEstate(app: App, config: EstateConfig): Estate {
  const stages: Record<string, EnvironmentStage> = {};
  for (const environment of config.environments) {
    stages[environment.name] = new EnvironmentStage(app, environment.name, { estate: config, environment });
  }
  const packs = registerCompliancePacks(app);
  return { stages, packs };
}
