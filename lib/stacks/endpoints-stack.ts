import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { MonitoringThresholds } from '../../constructs/estate-monitoring';
import { monitoredSegments } from '../config/segments';
import { alarmRoutes } from '../config/alarm-routes';
import { ModelEndpoint, ModelEndpointProps } from '../../constructs/model-endpoint';
import { BaselineCopier } from '../../constructs/baseline-copy';
import { baselineCopyOf } from '../delivery/baseline-copies';
import { ModelRegistry } from '../../constructs/model-registry';
import { TrainingPipeline } from '../../constructs/training-pipeline';
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
import { EndpointConfig, EnvironmentConfig, EstateConfig, ModelConfig, servesPinnedCopy } from '../config';
import { EstateStack, EstateStackProps } from './estate-stack';

export interface EndpointsStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  /** The models of this shard. */
  readonly models: readonly ModelConfig[];
  readonly vpc: ec2.IVpc;
  readonly mlKey: kms.IKey;
  /** The environment's logs key (monitoring runs' execution history). */
  readonly logsKey: kms.IKey;
  /** The environment's inference-capture bucket (MLPlatform), by name. */
  readonly captureBucketName: string;
  readonly alarmTopic: sns.ITopic;
  /** Registry of the approved versions prod serves (the staging environment's). */
  readonly packageRegistry?: { readonly account: string; readonly region: string };
  /** The environment's data key (training data) and governance artifact bucket (training outputs and reports). */
  readonly dataKey: kms.IKey;
  readonly artifactBucketName: string;
  /** Accounts that may read this environment's package groups and deploy their versions (prod, from staging). */
  readonly registryReaders?: readonly string[];
}

const RISK_RATING = { high: 'High', medium: 'Medium', low: 'Low' } as const;

/** What the estate's monitoring alarms on for a model: its tier's PSI block level, disparate impact floor and quality floors. */
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
 * One shard of an environment's models (see lib/ml/sharding.ts): for each
 * model, its model package group (tagged; readable by prod where prod serves
 * from this registry), its model card (risk rating, intended use, owner; KMS),
 * and its endpoint where the config gives one for this environment. The construct
 * ID under the stack is the model id.
 */
export class EndpointsStack extends EstateStack {
  readonly endpoints: Record<string, ModelEndpoint> = {};
  readonly cards: Record<string, sagemaker.CfnModelCard> = {};
  /** The model package group of each model of the shard. */
  readonly registry: ModelRegistry;
  /** The retraining pipeline of each model that retrains in this environment. */
  readonly training: Record<string, TrainingPipeline> = {};
  /** Copies each monitored prod endpoint's champion baseline at deploy time (where the shard has one). */
  baselineCopier?: BaselineCopier;

  constructor(scope: Construct, id: string, props: EndpointsStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'SageMaker endpoints and monitoring jobs of this shard: HTTPS to the VPC endpoints only',
      allowAllOutbound: false,
    });
    // The isolated subnets have no route out: HTTPS reaches only the interface and gateway endpoints.
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to interface and gateway endpoints');
    // Monitoring jobs with inter-container encryption talk to each other within the group.
    securityGroup.addIngressRule(securityGroup, ec2.Port.allTcp(), 'Between containers of one job');
    securityGroup.addEgressRule(securityGroup, ec2.Port.allTcp(), 'Between containers of one job');

    this.registry = new ModelRegistry(this, 'Registry', {
      models: props.models,
      dataClassification: env.dataClassification,
      readerAccounts: props.registryReaders,
    });
    const captureBucket = s3.Bucket.fromBucketName(this, 'InferenceCapture', props.captureBucketName);
    const org = props.estate.organization.name;
    const marketEvents = props.models.some(
      (m) => m.training?.onMarketEvent && m.training.environments.includes(env.name),
    )
      ? events.EventBus.fromEventBusName(this, 'MarketEvents', marketEventBusName(org, env.name))
      : undefined;
    for (const model of props.models) {
      const scope = new Construct(this, model.id);
      this.cards[model.id] = new sagemaker.CfnModelCard(scope, 'Card', {
        modelCardName: model.id,
        modelCardStatus: 'Draft',
        tags: [
          { key: 'model:id', value: model.id },
          { key: 'model:risk-tier', value: model.riskTier },
        ],
        securityConfig: { kmsKeyId: props.mlKey.keyArn },
        content: {
          modelOverview: {
            modelName: model.id,
            modelOwner: model.owner,
            problemType: model.problemType === 'binary_classification' ? 'Binary Classification' : 'Regression',
            modelDescription: `${model.id}: ${model.riskTier} model risk, governed by the approval gate`,
          },
          intendedUses: {
            intendedUses:
              model.intendedUse ?? 'Not yet stated: the model owner must describe the intended use before approval.',
            riskRating: RISK_RATING[model.riskTier],
            explanationsForRiskRating: `Risk tier ${model.riskTier} in the estate inventory (SR 11-7); approval thresholds and review cadence follow the tier.`,
          },
        },
      });
      const endpoint = model.endpoints[env.name];
      // An endpoint awaiting its first approved version is declared, not deployed: nothing to serve yet.
      if (endpoint && !endpoint.awaitingApproval) {
        this.endpoints[model.id] = new ModelEndpoint(
          scope,
          'Endpoint',
          modelEndpointProps({
            environment: env,
            model,
            endpoint,
            subnets: props.vpc.isolatedSubnets,
            securityGroup,
            mlKey: props.mlKey,
            captureBucket,
            alarmTopic: props.alarmTopic,
            packageRegistry: props.packageRegistry,
            logsKey: props.logsKey,
            monitoringService: env.monitoringService,
            monitoringThresholds: monitoringThresholds(props.estate, model),
            qualityThreshold:
              model.problemType === 'binary_classification'
                ? { metric: 'auc', value: props.estate.modelRisk.tiers[model.riskTier].minAuc }
                : model.maxRmse !== undefined
                  ? { metric: 'rmse', value: model.maxRmse }
                  : undefined,
          }),
        );
      }
      const copy =
        this.endpoints[model.id]?.monitoring && props.packageRegistry
          ? baselineCopyOf(props.estate, env, model)
          : undefined;
      if (copy) {
        const registry = props.packageRegistry!;
        this.baselineCopier ??= new BaselineCopier(this, 'BaselineCopier', {
          vpc: props.vpc,
          mlKey: props.mlKey,
          logsKey: props.logsKey,
          logRetention: env.logRetentionDays as logs.RetentionDays,
          captureBucket,
          source: {
            bucketName: approvedModelsBucketName(registry.account, registry.region),
            account: registry.account,
            region: registry.region,
          },
        });
        const copied = this.baselineCopier.addEndpoint(scope, {
          endpointName: copy.endpointName,
          modelId: model.id,
          championVersion: copy.championVersion,
          roleName: copy.roleName,
        });
        // The first monitoring run finds the champion's baseline in place.
        for (const schedule of this.endpoints[model.id].monitoring!.schedules) schedule.node.addDependency(copied);
      }
      if (model.training?.environments.includes(env.name)) {
        const training = model.training;
        this.training[model.id] = new TrainingPipeline(scope, 'Training', {
          environmentName: env.name,
          model,
          training,
          pipelineName: trainingPipelineName(env.name, model.id),
          rolePath: TRAINING_ROLE_PATH,
          definition: (targets) => trainingPipelineDefinition(model, training, targets),
          subnets: props.vpc.isolatedSubnets,
          securityGroup,
          dataBucketName: trainingDataBucketName(this.account, this.region),
          dataKey: props.dataKey,
          mlKey: props.mlKey,
          artifactBucket: s3.Bucket.fromBucketName(scope, 'ModelArtifacts', props.artifactBucketName),
          guardFunctionArn: `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${retrainingGuardName(org, env.name)}`,
          retrainingAlarms: this.endpoints[model.id]?.retrainingAlarms,
          forwardedAlarms: alarmRoutes(props.estate)
            .filter((r) => r.model.id === model.id && r.to.name === env.name)
            .map((r) => ({
              bus: events.EventBus.fromEventBusName(
                scope,
                `AlarmsFrom-${r.from.name}`,
                retrainingAlarmBusName(org, env.name),
              ),
              environment: r.from.name,
              account: r.from.account,
              alarmArns: r.alarmNames.map(
                (n) => `arn:${this.partition}:cloudwatch:${r.from.region}:${r.from.account}:alarm:${n}`,
              ),
            })),
          marketEventBus: marketEvents,
          notifications: props.alarmTopic,
        });
      }
    }
  }
}
