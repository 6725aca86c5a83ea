import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BaselineCopier } from '../../constructs/baseline-copy';
import { EndpointSecurityGroup } from '../../constructs/endpoint-security-group';
import { ModelCard } from '../../constructs/model-card';
import { ModelEndpoint } from '../../constructs/model-endpoint';
import { ModelRegistry } from '../../constructs/model-registry';
import { TrainingPipeline } from '../../constructs/training-pipeline';
import { EstateConfig, ModelConfig } from '../config';
import { baselineCopyOf } from '../delivery/baseline-copies';
import {
  baselineSource,
  endpointProps,
  marketEventBusOf,
  modelCardProps,
  trainingPipelineProps,
} from '../props/endpoints';
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

/**
 * One shard of an environment's models (lib/ml/sharding.ts): for each model, under a construct whose id is the model's,
 * its package group (readable by prod where prod serves from this registry), its model card, its endpoint where the
 * config gives one here, its baseline copy and its retraining pipeline (props: lib/props/endpoints.ts).
 */
export class EndpointsStack extends EstateStack {
  readonly endpoints: Record<string, ModelEndpoint> = {};
  readonly cards: Record<string, ModelCard> = {};
  /** The model package group of each model of the shard. */
  readonly registry: ModelRegistry;
  /** The retraining pipeline of each model that retrains in this environment. */
  readonly training: Record<string, TrainingPipeline> = {};
  /** Copies each monitored prod endpoint's champion baseline at deploy time (where the shard has one). */
  readonly baselineCopier?: BaselineCopier;

  constructor(scope: Construct, id: string, props: EndpointsStackProps) {
    super(scope, id, props);
    const env = props.environment;
    const securityGroup = new EndpointSecurityGroup(this, 'EndpointSecurityGroup', { vpc: props.vpc });
    this.registry = new ModelRegistry(this, 'Registry', {
      models: props.models,
      dataClassification: env.dataClassification,
      readerAccounts: props.registryReaders,
    });
    const captureBucket = s3.Bucket.fromBucketName(this, 'InferenceCapture', props.captureBucketName);
    const marketBus = marketEventBusOf(props.estate, props.models, env);
    const marketEvents = marketBus ? events.EventBus.fromEventBusName(this, 'MarketEvents', marketBus) : undefined;
    const wiring = {
      subnets: props.vpc.isolatedSubnets,
      securityGroup,
      mlKey: props.mlKey,
      logsKey: props.logsKey,
      dataKey: props.dataKey,
      captureBucket,
      alarmTopic: props.alarmTopic,
      notifications: props.alarmTopic,
      packageRegistry: props.packageRegistry,
      artifactBucketName: props.artifactBucketName,
      marketEventBus: marketEvents,
    };
    for (const model of props.models) {
      const scope = new Construct(this, model.id);
      this.cards[model.id] = new ModelCard(scope, 'Card', modelCardProps(model, props.mlKey));
      const endpoint = model.endpoints[env.name];
      // An endpoint awaiting its first approved version is declared, not deployed: nothing to serve yet.
      if (endpoint && !endpoint.awaitingApproval) {
        const endpointConfig = endpointProps(props.estate, env, model, endpoint, wiring);
        this.endpoints[model.id] = new ModelEndpoint(scope, 'Endpoint', endpointConfig);
      }
      const copy =
        this.endpoints[model.id]?.monitoring && props.packageRegistry && baselineCopyOf(props.estate, env, model);
      if (copy) {
        this.baselineCopier ??= new BaselineCopier(this, 'BaselineCopier', {
          ...wiring,
          vpc: props.vpc,
          logRetention: env.logRetentionDays as logs.RetentionDays,
          source: baselineSource(props.packageRegistry!),
        });
        const { endpointName, championVersion, roleName } = copy;
        const copied = this.baselineCopier.addEndpoint(scope, {
          endpointName,
          modelId: model.id,
          championVersion,
          roleName,
        });
        // The first monitoring run finds the champion's baseline in place.
        for (const schedule of this.endpoints[model.id].monitoring!.schedules) schedule.node.addDependency(copied);
      }
      if (model.training?.environments.includes(env.name)) {
        const retrainingAlarms = this.endpoints[model.id]?.retrainingAlarms;
        const training = trainingPipelineProps(scope, props.estate, env, model, { ...wiring, retrainingAlarms });
        this.training[model.id] = new TrainingPipeline(scope, 'Training', training);
      }
    }
  }
}
