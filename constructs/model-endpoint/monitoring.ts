import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { modelMonitorImage } from '../aws-facts';
import { notifyingAlarm } from './alarms';

export interface ModelMonitorProps {
  /** The endpoint monitored: the schedules and job definitions are created after it. */
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly endpointName: string;
  /** The model served (the quality alarm's description). */
  readonly modelId: string;
  readonly problemType: 'binary_classification' | 'regression';
  /** Hourly data quality. */
  readonly dataQuality: boolean;
  /** Daily model quality against the labels under monitoring/<endpoint>/ground-truth of the capture bucket. */
  readonly modelQuality: boolean;
  /** The role the jobs run as (the endpoint's execution role). */
  readonly roleArn: string;
  /** Job volumes and outputs. */
  readonly mlKey: kms.IKey;
  /** Reports under monitoring/<endpoint>/<kind>. */
  readonly captureBucket: s3.IBucket;
  /** Where the jobs run: isolated subnets and security groups. */
  readonly vpcConfig: { readonly subnets: string[]; readonly securityGroupIds: string[] };
  /** Names of the data-quality and model-quality schedules, each also the name of its job definition. */
  readonly names: { readonly dataQuality: string; readonly modelQuality: string };
  /**
   * The live quality floor (AUC) or ceiling (RMSE) the quality alarm fires on.
   * @default - no quality alarm
   */
  readonly qualityThreshold?: { readonly metric: 'auc' | 'rmse'; readonly value: number };
  readonly alarmTopic: sns.ITopic;
}

/**
 * SageMaker Model Monitor for an endpoint, for accounts that still have it: a data-quality schedule (hourly) and a
 * model-quality schedule (daily) with their job definitions (network isolation, inter-container encryption, the ML
 * key), made under `scope` (construct IDs `DataQuality`, `DataQualitySchedule`, `ModelQuality`,
 * `ModelQualitySchedule`, `model-quality`), and the alarm on the model-quality metric where a threshold is given.
 * Returns that alarm.
 */
export function modelMonitorSchedules(scope: Construct, props: ModelMonitorProps): cloudwatch.Alarm | undefined {
  const { region } = Stack.of(scope);
  const imageUri = modelMonitorImage(region, scope.node.path);
  const resources = {
    clusterConfig: {
      instanceCount: 1,
      instanceType: 'ml.m5.xlarge',
      volumeSizeInGb: 30,
      volumeKmsKeyId: props.mlKey.keyArn,
    },
  };
  const networkConfig = {
    enableNetworkIsolation: true,
    enableInterContainerTrafficEncryption: true,
    vpcConfig: props.vpcConfig,
  };
  const output = (kind: string) => ({
    kmsKeyId: props.mlKey.keyArn,
    monitoringOutputs: [
      {
        s3Output: {
          s3Uri: props.captureBucket.s3UrlForObject(`monitoring/${props.endpointName}/${kind}`),
          localPath: '/opt/ml/processing/output',
          s3UploadMode: 'EndOfJob',
        },
      },
    ],
  });
  const stoppingCondition = { maxRuntimeInSeconds: 3600 };
  // What both job definitions share: the endpoint they read, where they run, as whom.
  const endpointInput = {
    endpointName: props.endpointName,
    localPath: '/opt/ml/processing/input/endpoint',
    s3InputMode: 'File',
    s3DataDistributionType: 'FullyReplicated',
  };
  const job = {
    jobResources: resources,
    networkConfig,
    roleArn: props.roleArn,
    stoppingCondition,
    endpointName: props.endpointName,
  };
  const schedule = (
    kind: 'DataQuality' | 'ModelQuality',
    name: string,
    definition: sagemaker.CfnDataQualityJobDefinition | sagemaker.CfnModelQualityJobDefinition,
    expression: string,
  ) => {
    definition.addResourceDependency(props.endpoint);
    const s = new sagemaker.CfnMonitoringSchedule(scope, `${kind}Schedule`, {
      monitoringScheduleName: name,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: Fn.select(1, Fn.split('/', definition.attrJobDefinitionArn)),
        monitoringType: kind,
        scheduleConfig: { scheduleExpression: expression },
      },
      endpointName: props.endpointName,
    });
    s.addResourceDependency(props.endpoint);
  };
  if (props.dataQuality) {
    const definition = new sagemaker.CfnDataQualityJobDefinition(scope, 'DataQuality', {
      // Named like its schedule: the guardrails protect both by the environment's name prefix.
      jobDefinitionName: props.names.dataQuality,
      ...job,
      dataQualityAppSpecification: { imageUri },
      dataQualityJobInput: { endpointInput },
      dataQualityJobOutputConfig: output('data-quality'),
    });
    schedule('DataQuality', props.names.dataQuality, definition, 'cron(0 * ? * * *)');
  }
  if (!props.modelQuality) return undefined;
  const classifier = props.problemType === 'binary_classification';
  const definition = new sagemaker.CfnModelQualityJobDefinition(scope, 'ModelQuality', {
    jobDefinitionName: props.names.modelQuality,
    ...job,
    modelQualityAppSpecification: { imageUri, problemType: classifier ? 'BinaryClassification' : 'Regression' },
    modelQualityJobInput: {
      endpointInput: {
        ...endpointInput,
        inferenceAttribute: '0',
        probabilityAttribute: classifier ? '0' : undefined,
        probabilityThresholdAttribute: classifier ? 0.5 : undefined,
      },
      groundTruthS3Input: {
        s3Uri: props.captureBucket.s3UrlForObject(`monitoring/${props.endpointName}/ground-truth`),
      },
    },
    modelQualityJobOutputConfig: output('model-quality'),
  });
  schedule('ModelQuality', props.names.modelQuality, definition, 'cron(0 6 ? * * *)');
  const threshold = props.qualityThreshold;
  if (!threshold) return undefined;
  // Model Monitor publishes the job's metrics per endpoint and schedule.
  const quality = new cloudwatch.Metric({
    namespace: 'aws/sagemaker/Endpoints/model-metrics',
    metricName: threshold.metric,
    statistic: 'Minimum',
    period: Duration.hours(1),
    dimensionsMap: { Endpoint: props.endpointName, MonitoringSchedule: props.names.modelQuality },
  });
  return notifyingAlarm(scope, 'model-quality', props.alarmTopic, {
    alarmName: `${props.endpointName}-model-quality`,
    alarmDescription: `${props.modelId}: ${threshold.metric} ${threshold.metric === 'auc' ? 'below' : 'above'} ${threshold.value} on live traffic; starts retraining where configured`,
    metric: quality,
    threshold: threshold.value,
    evaluationPeriods: 24,
    datapointsToAlarm: 1,
    comparisonOperator:
      threshold.metric === 'auc'
        ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
        : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  });
}
