import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RetrainingGuard } from '../../constructs/retraining-guard';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { AlarmForwarding, RetrainingAlarmBus } from '../../constructs/alarm-forwarding';
import {
  alarmForwarderRoleName,
  inferenceCaptureBucketName,
  marketEventBusName,
  retrainingAlarmBusName,
  retrainingGuardName,
  trainingDataBucketName,
  trainingPipelineName,
  trainingPipelineNamePattern,
} from '../delivery/names';
import { alarmRoutes } from '../config/alarm-routes';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { ExperimentTracking } from '../../constructs/experiment-tracking';
import { InferenceCaptureBucket } from '../../constructs/inference-capture-bucket';
import { FeatureStore } from '../../constructs/feature-store';
import { SecureBucket } from '../../constructs/secure-bucket';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateConfig } from '../config';
import { EstateStack, EstateStackProps } from './estate-stack';

export interface MLPlatformStackProps extends EstateStackProps {
  readonly estate: EstateConfig;
  readonly keys: EncryptionKeys;
  readonly network: IsolatedNetwork;
}

/**
 * What every model of an environment shares: the feature store (groups,
 * offline bucket, its role), the Object Lock bucket that receives endpoint
 * data capture and Model Monitor reports, and the managed MLflow tracking
 * server for experiments, with its artifacts in a KMS bucket.
 */
export class MLPlatformStack extends EstateStack {
  readonly featureStore: FeatureStore;
  readonly captureBucket: InferenceCaptureBucket;
  readonly experiments: ExperimentTracking;
  /** Where retraining reads: versioned, data key; every version kept, so a manifest's versions stay readable. */
  trainingData?: SecureBucket;
  marketEvents?: events.EventBus;
  retrainingGuard?: RetrainingGuard;

  constructor(scope: Construct, id: string, props: MLPlatformStackProps) {
    super(scope, id, props);
    const { estate, keys, environment: env } = props;
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: Duration.days(365) });
    StatefulResourcePolicy.alwaysRetain(accessLogs);

    this.featureStore = new FeatureStore(this, 'FeatureStore', {
      groups: estate.featureGroups,
      dataKey: keys.data,
      accessLogs,
    });

    // What the models saw and said: locked as long as the audit logs, as evidence of each decision.
    this.captureBucket = new InferenceCaptureBucket(this, 'InferenceCapture', {
      bucketName: inferenceCaptureBucketName(this.account, this.region),
      encryptionKey: keys.ml,
      serverAccessLogsBucket: accessLogs,
      retentionYears: env.auditLogRetentionYears,
    });
    StatefulResourcePolicy.alwaysRetain(this.captureBucket);

    // Its children keep the stack-level IDs they had before the construct existed (`Default` adds no path segment).
    this.experiments = new ExperimentTracking(this, 'Default', {
      trackingServerName: `${estate.organization.name}-${env.name}`,
      encryptionKey: keys.ml,
      accessLogs,
    });

    const training = estate.models.filter((m) => m.training?.environments.includes(env.name));
    if (training.length > 0) this.addRetraining(props, accessLogs, training);
    this.addAlarmRoutes(props);
  }

  private addRetraining(
    props: MLPlatformStackProps,
    accessLogs: AccessLogBucket,
    models: EstateConfig['models'],
  ): void {
    const { estate, keys, environment: env } = props;
    const trainingData = new SecureBucket(this, 'TrainingData', {
      bucketName: trainingDataBucketName(this.account, this.region),
      encryptionKey: keys.data,
      serverAccessLogsBucket: accessLogs,
    });
    this.trainingData = trainingData;
    StatefulResourcePolicy.alwaysRetain(trainingData);
    acknowledgeNoReplication(
      trainingData,
      "Training data is a copy of the systems of record and stays in the environment's region (data residency); every object version is kept, so each model version's lineage manifest stays readable.",
    );
    if (models.some((m) => m.training!.onMarketEvent)) {
      this.marketEvents = new events.EventBus(this, 'MarketEvents', {
        eventBusName: marketEventBusName(estate.organization.name, env.name),
        description:
          'Market events that retrain models: put {"models": ["<id>" | "*"], ...} with source estate.market-events',
        kmsKey: keys.ml,
      });
    }
    const pipelines = Object.fromEntries(
      models.map((m) => [
        trainingPipelineName(env.name, m.id),
        { cooldownHours: m.training!.cooldownHours, maxRunsPerDay: m.training!.maxRunsPerDay },
      ]),
    );
    this.retrainingGuard = new RetrainingGuard(this, 'RetrainingGuard', {
      functionName: retrainingGuardName(estate.organization.name, env.name),
      pipelines,
      pipelineNamePattern: trainingPipelineNamePattern(env.name),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
      logRetention: env.logRetentionDays as logs.RetentionDays,
    });
  }

  /** Prod's retraining alarms reach the environment that retrains: forwarded from here, or received here (lib/config/alarm-routes.ts). */
  private addAlarmRoutes(props: MLPlatformStackProps): void {
    const { estate, keys, environment: env } = props;
    const org = estate.organization.name;
    const routes = alarmRoutes(estate);
    const outgoing = routes.filter((r) => r.from.name === env.name);
    if (outgoing.length > 0) {
      new AlarmForwarding(this, 'AlarmForwarding', {
        roleName: alarmForwarderRoleName(org, env.name),
        key: keys.ml,
        routes: outgoing.map((r) => ({
          id: `${r.model.id}-to-${r.to.name}`,
          alarmNames: r.alarmNames,
          busArn: `arn:${this.partition}:events:${r.to.region}:${r.to.account}:event-bus/${retrainingAlarmBusName(org, r.to.name)}`,
        })),
      });
    }
    const incoming = routes.filter((r) => r.to.name === env.name);
    if (incoming.length > 0) {
      new RetrainingAlarmBus(this, 'RetrainingAlarms', {
        busName: retrainingAlarmBusName(org, env.name),
        key: keys.ml,
        senders: [
          ...new Set(
            incoming.map(
              (r) => `arn:${this.partition}:iam::${r.from.account}:role/${alarmForwarderRoleName(org, r.from.name)}`,
            ),
          ),
        ],
      });
    }
  }
}
