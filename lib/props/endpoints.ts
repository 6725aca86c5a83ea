/**
 * The endpoints stack's constructs, as the config sets them: each model's endpoint (names, capture, monitoring and
 * its thresholds, where prod serves pinned copies), its model card and its retraining pipeline.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MonitoringThresholds } from '../../constructs/estate-monitoring';
import { ModelCardProps } from '../../constructs/model-card';
import { ModelEndpointProps } from '../../constructs/model-endpoint';
import { TrainingPipelineProps } from '../../constructs/training-pipeline';
import { EndpointConfig, EnvironmentConfig, EstateConfig, ModelConfig, servesPinnedCopy } from '../config';
import { alarmRoutes } from '../config/alarm-routes';
import { monitoredSegments } from '../config/segments';
import {
  approvedModelsBucketName,
  endpointMonitoringNames,
  endpointName,
  marketEventBusName,
  retrainingAlarmBusName,
  retrainingGuardName,
  TRAINING_ROLE_PATH,
  trainingDataBucketName,
  trainingPipelineName,
} from '../delivery/names';
import { trainingPipelineDefinition } from '../ml/training-definition';

/**
 * What the estate's monitoring alarms on for a model: its tier's PSI block level, disparate impact floor and quality
 * floors.
 */
export function monitoringThresholds(estate: EstateConfig, model: ModelConfig): MonitoringThresholds {
  const tier = estate.modelRisk.tiers[model.riskTier];
  const quality =
    model.problemType === 'binary_classification'
      ? ({ metric: 'auc', value: tier.minAuc, minF1: tier.minF1 } as const)
      : model.maxRmse !== undefined
        ? ({ metric: 'rmse', value: model.maxRmse } as const)
        : undefined;
  return {
    psi: tier.psiBlock,
    minDisparateImpact: tier.minDisparateImpact,
    quality,
    segments: monitoredSegments(model.segmentation, model.problemType, tier, model.maxRmse),
  };
}

/** A model's endpoint in an environment as the config describes it, and what the stack wires it to. */
export interface ConfiguredEndpoint {
  readonly environment: EnvironmentConfig;
  readonly model: ModelConfig;
  readonly endpoint: EndpointConfig;
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  readonly mlKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly captureBucket: s3.IBucket;
  readonly alarmTopic: sns.ITopic;
  /** The registry of the approved versions (the promotion source's). */
  readonly packageRegistry?: { readonly account: string; readonly region: string };
  readonly monitoringService?: 'estate' | 'model-monitor';
  readonly monitoringThresholds: MonitoringThresholds;
  readonly qualityThreshold?: { readonly metric: 'auc' | 'rmse'; readonly value: number };
}

/**
 * The ModelEndpoint's props from the config: its names (names.ts), prod's full capture and default monitoring, and
 * where prod serves pinned copies of approved versions (servesPinnedCopy).
 */
export function modelEndpointProps(c: ConfiguredEndpoint): ModelEndpointProps {
  const { environment: env, model, endpoint } = c;
  const prod = env.type === 'prod';
  const name = endpointName(env.name, model.id);
  const registry = c.packageRegistry;
  return {
    endpointName: name,
    modelId: model.id,
    riskTier: model.riskTier,
    problemType: model.problemType,
    protectedAttributes: model.protectedAttributes,
    variants: endpoint.variants,
    shadow: endpoint.shadow,
    rollout: endpoint.rollout,
    captureSamplingPercent: prod ? 100 : 20,
    monitoring: endpoint.monitoring ?? { dataQuality: prod, modelQuality: prod },
    monitoringService: c.monitoringService,
    monitoringThresholds: c.monitoringThresholds,
    qualityThreshold: c.qualityThreshold,
    monitoringNames: endpointMonitoringNames(name),
    subnets: c.subnets,
    securityGroup: c.securityGroup,
    mlKey: c.mlKey,
    logsKey: c.logsKey,
    logRetention: env.logRetentionDays as logs.RetentionDays,
    captureBucket: c.captureBucket,
    alarmTopic: c.alarmTopic,
    packageRegistry: registry && {
      ...registry,
      pinnedCopies: servesPinnedCopy(model, env)
        ? { bucketName: approvedModelsBucketName(registry.account, registry.region), image: model.training!.image! }
        : undefined,
    },
  };
}

/**
 * The quality floor a model's endpoint alarms on: its tier's AUC floor for a classifier, its RMSE ceiling for a
 * regressor.
 */
export function qualityThreshold(estate: EstateConfig, model: ModelConfig): ConfiguredEndpoint['qualityThreshold'] {
  if (model.problemType === 'binary_classification')
    return { metric: 'auc', value: estate.modelRisk.tiers[model.riskTier].minAuc };
  return model.maxRmse !== undefined ? { metric: 'rmse', value: model.maxRmse } : undefined;
}

/** A model's card: its id, owner, tier, problem type and intended use. */
export function modelCardProps(model: ModelConfig, encryptionKey: kms.IKey): ModelCardProps {
  return {
    modelId: model.id,
    owner: model.owner,
    riskTier: model.riskTier,
    problemType: model.problemType,
    intendedUse: model.intendedUse,
    encryptionKey,
  };
}

/** What the stack wires a shard's endpoints and pipelines to (its network, keys, buckets and topic). */
export type EndpointWiring = Pick<
  ConfiguredEndpoint,
  'subnets' | 'securityGroup' | 'mlKey' | 'logsKey' | 'captureBucket' | 'alarmTopic' | 'packageRegistry'
>;

/** A model's endpoint in an environment: the config's endpoint, its monitoring and thresholds, and the wiring. */
export function endpointProps(
  estate: EstateConfig,
  environment: EnvironmentConfig,
  model: ModelConfig,
  endpoint: EndpointConfig,
  wiring: EndpointWiring,
): ModelEndpointProps {
  return modelEndpointProps({
    ...wiring,
    environment,
    model,
    endpoint,
    monitoringService: environment.monitoringService,
    monitoringThresholds: monitoringThresholds(estate, model),
    qualityThreshold: qualityThreshold(estate, model),
  });
}

/** The bucket a shard's baseline copier reads pinned baselines from: the registry's approved-models bucket. */
export function baselineSource(registry: { readonly account: string; readonly region: string }) {
  return { bucketName: approvedModelsBucketName(registry.account, registry.region), ...registry };
}

/** The bus of market events, where a model of the shard retrains on them in this environment. */
export function marketEventBusOf(
  estate: EstateConfig,
  models: readonly ModelConfig[],
  env: EnvironmentConfig,
): string | undefined {
  const listens = models.some((m) => m.training?.onMarketEvent && m.training.environments.includes(env.name));
  return listens ? marketEventBusName(estate.organization.name, env.name) : undefined;
}

/** What the stack wires a model's retraining pipeline to. */
export interface TrainingWiring extends Pick<
  TrainingPipelineProps,
  'subnets' | 'securityGroup' | 'dataKey' | 'mlKey' | 'retrainingAlarms' | 'marketEventBus' | 'notifications'
> {
  /** The environment's governance artifact bucket (training outputs and reports), by name. */
  readonly artifactBucketName: string;
}

/**
 * A model's retraining pipeline in an environment: its names (names.ts), its definition, the retraining guard it asks
 * first, and the alarms of other environments forwarded to this one's bus (alarmRoutes); the imported bus and bucket
 * are created under `scope`, the model's construct.
 */
export function trainingPipelineProps(
  scope: Construct,
  estate: EstateConfig,
  env: EnvironmentConfig,
  model: ModelConfig,
  w: TrainingWiring,
): TrainingPipelineProps {
  const { account, region, partition } = Stack.of(scope);
  const org = estate.organization.name;
  const training = model.training!;
  return {
    environmentName: env.name,
    model,
    training,
    pipelineName: trainingPipelineName(env.name, model.id),
    rolePath: TRAINING_ROLE_PATH,
    definition: (targets) => trainingPipelineDefinition(model, training, targets),
    subnets: w.subnets,
    securityGroup: w.securityGroup,
    dataBucketName: trainingDataBucketName(account, region),
    dataKey: w.dataKey,
    mlKey: w.mlKey,
    artifactBucket: s3.Bucket.fromBucketName(scope, 'ModelArtifacts', w.artifactBucketName),
    guardFunctionArn: `arn:${partition}:lambda:${region}:${account}:function:${retrainingGuardName(org, env.name)}`,
    retrainingAlarms: w.retrainingAlarms,
    forwardedAlarms: alarmRoutes(estate)
      .filter((r) => r.model.id === model.id && r.to.name === env.name)
      .map((r) => ({
        bus: events.EventBus.fromEventBusName(
          scope,
          `AlarmsFrom-${r.from.name}`,
          retrainingAlarmBusName(org, env.name),
        ),
        environment: r.from.name,
        account: r.from.account,
        alarmArns: r.alarmNames.map((n) => `arn:${partition}:cloudwatch:${r.from.region}:${r.from.account}:alarm:${n}`),
      })),
    marketEventBus: w.marketEventBus,
    notifications: w.notifications,
  };
}
