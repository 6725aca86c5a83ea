import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { AlarmForwarding, RetrainingAlarmBus } from '../../constructs/alarm-forwarding';
import { EncryptionKeys } from '../../constructs/encryption-keys';
import { ExperimentTracking } from '../../constructs/experiment-tracking';
import { FeatureStore } from '../../constructs/feature-store';
import { InferenceCaptureBucket } from '../../constructs/inference-capture-bucket';
import { IsolatedNetwork } from '../../constructs/isolated-network';
import { RetrainingGuard } from '../../constructs/retraining-guard';
import { TrainingDataBucket } from '../../constructs/training-data-bucket';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { EstateConfig, ModelConfig } from '../config';
import { inferenceCaptureBucketName, trainingDataBucketName } from '../delivery/names';
import { alarmRouteProps, marketEventBusProps, retrainingGuardProps, trainedIn } from '../props/ml-platform';
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
  readonly trainingData?: TrainingDataBucket;
  readonly marketEvents?: events.EventBus;
  readonly retrainingGuard?: RetrainingGuard;

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

    const training = trainedIn(estate, env);
    const retraining = training.length > 0 ? this.addRetraining(props, accessLogs, training) : undefined;
    this.trainingData = retraining?.trainingData;
    this.marketEvents = retraining?.marketEvents;
    this.retrainingGuard = retraining?.retrainingGuard;
    // Prod's retraining alarms reach the environment that retrains: forwarded from here, or received here.
    const routes = alarmRouteProps(estate, env, this.partition);
    if (routes.forwarding) new AlarmForwarding(this, 'AlarmForwarding', { ...routes.forwarding, key: keys.ml });
    if (routes.bus) new RetrainingAlarmBus(this, 'RetrainingAlarms', { ...routes.bus, key: keys.ml });
  }

  private addRetraining(props: MLPlatformStackProps, accessLogs: AccessLogBucket, models: ModelConfig[]) {
    const { estate, keys, environment: env } = props;
    const trainingData = new TrainingDataBucket(this, 'TrainingData', {
      bucketName: trainingDataBucketName(this.account, this.region),
      encryptionKey: keys.data,
      serverAccessLogsBucket: accessLogs,
    });
    StatefulResourcePolicy.alwaysRetain(trainingData);
    const market = marketEventBusProps(estate, env, models);
    const marketEvents = market ? new events.EventBus(this, 'MarketEvents', { ...market, kmsKey: keys.ml }) : undefined;
    const retrainingGuard = new RetrainingGuard(this, 'RetrainingGuard', {
      ...retrainingGuardProps(estate, env, models),
      vpc: props.network.vpc,
      encryptionKey: keys.ml,
      logsKey: keys.logs,
    });
    return { trainingData, marketEvents, retrainingGuard };
  }
}
