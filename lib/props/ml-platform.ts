/**
 * The ML platform stack's constructs, as the config sets them: the retraining guard's budget per training pipeline, the
 * market-event bus, and where prod's retraining alarms are forwarded from and received (lib/config/alarm-routes.ts).
 * The stack wires the network, keys and buckets.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import { AlarmForwardingProps, RetrainingAlarmBusProps } from '../../constructs/alarm-forwarding';
import { RetrainingGuardProps } from '../../constructs/retraining-guard';
import { EnvironmentConfig, EstateConfig, ModelConfig } from '../config';
import { alarmRoutes } from '../config/alarm-routes';
import {
  alarmForwarderRoleName,
  marketEventBusName,
  retrainingAlarmBusName,
  retrainingGuardName,
  trainingPipelineName,
  trainingPipelineNamePattern,
} from '../delivery/names';

/** The models whose training pipelines run in `env`. */
export const trainedIn = (estate: EstateConfig, env: EnvironmentConfig): ModelConfig[] =>
  estate.models.filter((m) => m.training?.environments.includes(env.name));

/** The storm control of `env`'s training pipelines: each one's cooldown and daily runs. */
export function retrainingGuardProps(
  estate: EstateConfig,
  env: EnvironmentConfig,
  models: readonly ModelConfig[],
): Omit<RetrainingGuardProps, 'vpc' | 'encryptionKey' | 'logsKey'> {
  return {
    functionName: retrainingGuardName(estate.organization.name, env.name),
    pipelines: Object.fromEntries(
      models.map((m) => [
        trainingPipelineName(env.name, m.id),
        { cooldownHours: m.training!.cooldownHours, maxRunsPerDay: m.training!.maxRunsPerDay },
      ]),
    ),
    pipelineNamePattern: trainingPipelineNamePattern(env.name),
    logRetention: env.logRetentionDays as logs.RetentionDays,
  };
}

/** The bus market events retrain models through, when a model of `models` asks for it. */
export function marketEventBusProps(estate: EstateConfig, env: EnvironmentConfig, models: readonly ModelConfig[]) {
  if (!models.some((m) => m.training!.onMarketEvent)) return undefined;
  return {
    eventBusName: marketEventBusName(estate.organization.name, env.name),
    description:
      'Market events that retrain models: put {"models": ["<id>" | "*"], ...} with source estate.market-events',
  };
}

/**
 * Prod's retraining alarms reach the environment that retrains: the forwarding out of `env`, and the bus that receives
 * them in `env`, each where there is a route.
 */
export function alarmRouteProps(
  estate: EstateConfig,
  env: EnvironmentConfig,
  partition: string,
): { forwarding?: Omit<AlarmForwardingProps, 'key'>; bus?: Omit<RetrainingAlarmBusProps, 'key'> } {
  const org = estate.organization.name;
  const routes = alarmRoutes(estate);
  const outgoing = routes.filter((r) => r.from.name === env.name);
  const incoming = routes.filter((r) => r.to.name === env.name);
  return {
    forwarding:
      outgoing.length > 0
        ? {
            roleName: alarmForwarderRoleName(org, env.name),
            routes: outgoing.map((r) => ({
              id: `${r.model.id}-to-${r.to.name}`,
              alarmNames: r.alarmNames,
              busArn: `arn:${partition}:events:${r.to.region}:${r.to.account}:event-bus/${retrainingAlarmBusName(org, r.to.name)}`,
            })),
          }
        : undefined,
    bus:
      incoming.length > 0
        ? {
            busName: retrainingAlarmBusName(org, env.name),
            senders: [
              ...new Set(
                incoming.map(
                  (r) => `arn:${partition}:iam::${r.from.account}:role/${alarmForwarderRoleName(org, r.from.name)}`,
                ),
              ),
            ],
          }
        : undefined,
  };
}
