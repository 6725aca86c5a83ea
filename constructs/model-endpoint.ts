import { Duration, Fn, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import type { EndpointConfig, EnvironmentConfig, ModelConfig, VariantConfig } from '../lib/config';
import { servesPinnedCopy } from '../lib/config/models';
import { tagAll } from './tagging';
import { approvedModelsBucketName, endpointName, monitoringName } from '../lib/delivery/names';
import { pinnedKey } from '../lambdas/model-pinner/approved-tag';
import { hasInstanceStorage, modelMonitorImage, repositoryArn, sagemakerEndpointScalingRoleArn } from './aws-facts';
import { EstateMonitoring, MonitoringThresholds } from './estate-monitoring';
import { SageMakerExecutionRole } from './sagemaker-execution-role';


/** Alarm thresholds that roll a deployment back. */
export const ROLLBACK_THRESHOLDS = {
  /** p99 ModelLatency over three consecutive minutes, in microseconds. */
  p99LatencyMicros: 1_000_000,
  /** 5XX responses per minute in two of three minutes. */
  errors5xxPerMinute: 5,
  /** 4XX responses per minute in five of five minutes (callers' errors: alert, no rollback). */
  errors4xxPerMinute: 50,
};

export interface ModelEndpointProps {
  readonly environment: EnvironmentConfig;
  readonly model: ModelConfig;
  readonly endpoint: EndpointConfig;
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** The environment's ML key: data capture, monitoring outputs, volumes. */
  readonly mlKey: kms.IKey;
  /** Object Lock bucket that receives captured requests and responses, and monitoring reports. */
  readonly captureBucket: s3.IBucket;
  /** Where alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Registry that holds the approved versions named by modelPackageVersion. */
  readonly packageRegistry?: { readonly account: string; readonly region: string };
  /**
   * Where model-quality monitoring runs: the floor (AUC, classifiers) or ceiling
   * (RMSE, regression) below or above which the quality alarm fires.
   * @default - no quality alarm
   */
  readonly qualityThreshold?: { readonly metric: 'auc' | 'rmse'; readonly value: number };
  /** Thresholds of the estate's own monitoring (drift, bias, quality). */
  readonly monitoringThresholds: MonitoringThresholds;
  /** Who monitors: the estate's processing jobs (default) or SageMaker Model Monitor, for accounts that still have it. */
  readonly monitoringService?: 'estate' | 'model-monitor';
  /** The environment's logs key (the monitoring runs' execution history). */
  readonly logsKey: kms.IKey;
}

/**
 * A governed SageMaker endpoint for one model in one environment, from its
 * config: one model per variant (network isolation, isolated subnets, a
 * least-privilege execution role), an endpoint config (customer key where the
 * instance type allows it, data capture to the Object Lock bucket under the ML
 * key, 100% sampled in prod), blue/green deployment with canary or linear
 * traffic shifting and automatic rollback on the 5XX and latency alarms,
 * target-tracking autoscaling per variant, alarms and a dashboard, and
 * monitoring where enabled: the estate's own (EstateMonitoring) by default,
 * SageMaker Model Monitor schedules only where the config chooses it.
 *
 * L1 resources throughout: the alpha SageMaker L2 has no data capture, shadow
 * variants, deployment config or model package containers.
 */
export class ModelEndpoint extends Construct {
  readonly endpointName: string;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly role: SageMakerExecutionRole;
  readonly models: Record<string, sagemaker.CfnModel> = {};
  readonly rollbackAlarms: cloudwatch.Alarm[] = [];
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;
  /** Fires when live model quality crosses the tier's threshold. */
  qualityAlarm?: cloudwatch.Alarm;
  /** The alarms a retraining pipeline listens to (quality, and with the estate's monitoring, drift). */
  readonly retrainingAlarms: cloudwatch.IAlarm[] = [];
  /** The estate's monitoring of this endpoint, unless off or Model Monitor is chosen. */
  monitoring?: EstateMonitoring;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const { environment: env, model, endpoint } = props;
    tagAll(this, 'model:id', model.id);
    tagAll(this, 'model:risk-tier', model.riskTier);
    const { partition, account } = Stack.of(this);
    this.endpointName = endpointName(env.name, model.id);
    const prod = env.type === 'prod';
    const monitoring = endpoint.monitoring ?? { dataQuality: prod, modelQuality: prod };
    const modelMonitor = props.monitoringService === 'model-monitor' && (monitoring.dataQuality || monitoring.modelQuality);

    const direct = [...endpoint.variants, ...(endpoint.shadow ? [endpoint.shadow] : [])].filter((v) => v.image && v.modelData) as { image: string; modelData: string }[];
    const packaged = [...endpoint.variants, ...(endpoint.shadow ? [endpoint.shadow] : [])].some((v) => v.modelPackageVersion !== undefined) ? props.packageRegistry : undefined;
    // Prod runs an approved version as the package's image with the locked copy of its model data, never the training bucket.
    const pinnedImage = packaged && servesPinnedCopy(model, env) ? model.training!.image : undefined;
    this.role = new SageMakerExecutionRole(this, 'ExecutionRole', {
      description: `Execution role of the ${this.endpointName} endpoint and its monitoring jobs`,
      logGroups: [`/aws/sagemaker/Endpoints/${this.endpointName}`, ...(modelMonitor ? ['/aws/sagemaker/ProcessingJobs'] : [])],
      // An approved package's image lives in the staging account, which shares it with this one.
      repositories: [
        ...new Set(direct.map((v) => repositoryArn(partition, v.image))),
        ...(packaged ? [`arn:${partition}:ecr:${packaged.region}:${packaged.account}:repository/*`] : []),
        ...(pinnedImage && !pinnedImage.startsWith(`${packaged!.account}.`) ? [repositoryArn(partition, pinnedImage)] : []),
      ].sort(),
    });
    const allow = this.role.allow.bind(this.role);
    allow('UseMlKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'], [props.mlKey.keyArn]);
    const captured = props.captureBucket.arnForObjects(`capture/${this.endpointName}/*`);
    // With Model Monitor, its jobs run as this role too; the estate's monitoring has a role of its own.
    const reports = props.captureBucket.arnForObjects(`monitoring/${this.endpointName}/*`);
    allow(modelMonitor ? 'CaptureAndMonitor' : 'Capture', ['s3:PutObject', 's3:GetObject'], modelMonitor ? [captured, reports] : [captured]);
    allow('ListCaptureBucket', ['s3:ListBucket'], [props.captureBucket.bucketArn]);
    if (direct.length > 0) {
      allow('ReadModelData', ['s3:GetObject'], [...new Set(direct.map((v) => `arn:${partition}:s3:::${v.modelData.slice('s3://'.length)}`))].sort());
    }
    if (packaged) {
      // ...and so are its artifacts.
      if (pinnedImage) {
        // Only this model's pinned copies: each key written once, locked, never deleted (the approved-model bucket).
        allow('ReadPinnedModelData', ['s3:GetObject'], [`arn:${partition}:s3:::${approvedModelsBucketName(packaged.account, packaged.region)}/models/${model.id}/*`]);
      } else {
        allow('ReadApprovedArtifacts', ['s3:GetObject'], [`arn:${partition}:s3:::*/*`], { StringEquals: { 's3:ResourceAccount': packaged.account } });
      }
      allow('DecryptApprovedArtifacts', ['kms:Decrypt'], [`arn:${partition}:kms:${packaged.region}:${packaged.account}:key/*`], { StringLike: { 'kms:ViaService': `s3.${packaged.region}.amazonaws.com` } });
    }
    this.role.acknowledgeWildcards(
      'Wildcards only where the API has no resource-level permission (ENI creation and description, ECR login), where a condition scopes the grant (metrics namespace, the staging account as resource owner, KMS through S3), or for names created at run time under this endpoint (capture and monitoring objects, log streams).',
    );

    const vpcConfig = { subnets: props.subnets.map((s) => s.subnetId), securityGroupIds: [props.securityGroup.securityGroupId] };
    const packageArn = (version: number) => `arn:${partition}:sagemaker:${props.packageRegistry!.region}:${props.packageRegistry!.account}:model-package/${model.id}/${version}`;
    // CreateModel takes the model data of a package from the package (ModelPackageName): to read the pinned copy, a
    // prod model names the image and the pinned key, and the package it is (the tag below); the deployment gate has
    // checked that the package's image is this one and that the key holds its approved bytes.
    const container = (v: Pick<VariantConfig, 'image' | 'modelData' | 'modelPackageVersion'>) =>
      v.modelPackageVersion !== undefined
        ? pinnedImage
          ? { image: pinnedImage, modelDataUrl: `s3://${approvedModelsBucketName(packaged!.account, packaged!.region)}/${pinnedKey(model.id, v.modelPackageVersion, 0)}`, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } }
          : { modelPackageName: packageArn(v.modelPackageVersion) }
        : { image: v.image!, modelDataUrl: v.modelData!, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } };
    const makeModel = (variant: string, v: Pick<VariantConfig, 'image' | 'modelData' | 'modelPackageVersion'>) => {
      const m = new sagemaker.CfnModel(this, `Model-${variant}`, {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: true,
        vpcConfig,
        primaryContainer: container(v),
        tags: [{ key: 'model:variant', value: variant }, ...(pinnedImage && v.modelPackageVersion !== undefined ? [{ key: 'model:package', value: packageArn(v.modelPackageVersion) }] : [])],
      });
      m.node.addDependency(this.role);
      this.models[variant] = m;
      return m;
    };

    const allInstanceTypes = [...endpoint.variants.map((v) => v.instanceType), ...(endpoint.shadow ? [endpoint.shadow.instanceType] : [])];
    const localStorage = allInstanceTypes.some(hasInstanceStorage);
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
      // SageMaker refuses a volume key on instance types with (hardware-encrypted) local storage.
      kmsKeyId: localStorage ? undefined : props.mlKey.keyArn,
      productionVariants: endpoint.variants.map((v) => ({
        variantName: v.name,
        modelName: makeModel(v.name, v).attrModelName,
        instanceType: v.instanceType,
        initialInstanceCount: v.instanceCount,
        initialVariantWeight: v.weight,
      })),
      shadowProductionVariants: endpoint.shadow
        ? [
            {
              variantName: endpoint.shadow.name,
              modelName: makeModel(endpoint.shadow.name, endpoint.shadow).attrModelName,
              instanceType: endpoint.shadow.instanceType,
              initialInstanceCount: endpoint.shadow.instanceCount,
              // The share of requests the shadow sees is its weight relative to the production weights (which add up to 1).
              initialVariantWeight: endpoint.shadow.samplingPercent / 100,
            },
          ]
        : undefined,
      dataCaptureConfig: {
        enableCapture: true,
        initialSamplingPercentage: prod ? 100 : 20,
        destinationS3Uri: props.captureBucket.s3UrlForObject(`capture/${this.endpointName}`),
        kmsKeyId: props.mlKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
      },
    });
    if (localStorage) {
      acknowledgeFindings(
        this.endpointConfig,
        ['NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', 'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured', 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured'],
        `Instance types ${allInstanceTypes.filter(hasInstanceStorage).join(', ')} have local NVMe storage, which SageMaker encrypts in hardware and for which CreateEndpointConfig refuses a KmsKeyId; captured data is still encrypted with the customer ML key.`,
      );
    }

    // Alarms per production variant; 5XX and latency also roll a deployment back.
    const metric = (variant: string, metricName: string, statistic: string, namespace = 'AWS/SageMaker') =>
      new cloudwatch.Metric({ namespace, metricName, statistic, period: Duration.minutes(1), dimensionsMap: { EndpointName: this.endpointName, VariantName: variant } });
    const alarm = (variant: string, kind: string, m: cloudwatch.Metric, threshold: number, evaluationPeriods: number, datapointsToAlarm: number, description: string) =>
      this.notifyingAlarm(`${kind}-${variant}`, props.alarmTopic, {
        alarmName: `${this.endpointName}-${variant}-${kind}`,
        alarmDescription: description,
        metric: m,
        threshold,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    for (const v of endpoint.variants) {
      this.rollbackAlarms.push(
        alarm(v.name, 'errors-5xx', metric(v.name, 'Invocation5XXErrors', 'Sum'), ROLLBACK_THRESHOLDS.errors5xxPerMinute, 3, 2, `${model.id} ${v.name}: 5XX errors; rolls back a deployment`),
        alarm(v.name, 'latency-p99', metric(v.name, 'ModelLatency', 'p99'), ROLLBACK_THRESHOLDS.p99LatencyMicros, 3, 3, `${model.id} ${v.name}: p99 model latency over ${ROLLBACK_THRESHOLDS.p99LatencyMicros / 1000} ms; rolls back a deployment`),
      );
      alarm(v.name, 'errors-4xx', metric(v.name, 'Invocation4XXErrors', 'Sum'), ROLLBACK_THRESHOLDS.errors4xxPerMinute, 5, 5, `${model.id} ${v.name}: callers receive 4XX errors`);
    }
    // The shadow variant gets the same 5XX and latency alarms on its own dimensions: its responses reach no caller, so
    // nothing else shows its failures, and the deployment gate requires them of the variant that serves a promoted
    // version. They notify but do not roll back: a failing shadow harms no caller, and it is judged before promotion.
    if (endpoint.shadow) {
      const s = endpoint.shadow.name;
      alarm(s, 'errors-5xx', metric(s, 'Invocation5XXErrors', 'Sum'), ROLLBACK_THRESHOLDS.errors5xxPerMinute, 3, 2, `${model.id} ${s} (shadow): 5XX errors on the copy of live traffic`);
      alarm(s, 'latency-p99', metric(s, 'ModelLatency', 'p99'), ROLLBACK_THRESHOLDS.p99LatencyMicros, 3, 3, `${model.id} ${s} (shadow): p99 model latency over ${ROLLBACK_THRESHOLDS.p99LatencyMicros / 1000} ms`);
    }

    const rollout = endpoint.rollout;
    const wait = rollout.bakeMinutes * 60;
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: this.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration:
            rollout.strategy === 'canary'
              ? { type: 'CANARY', canarySize: { type: 'CAPACITY_PERCENT', value: rollout.stepPercent }, waitIntervalInSeconds: wait }
              : rollout.strategy === 'linear'
                ? { type: 'LINEAR', linearStepSize: { type: 'CAPACITY_PERCENT', value: rollout.stepPercent }, waitIntervalInSeconds: wait }
                : { type: 'ALL_AT_ONCE', waitIntervalInSeconds: wait },
          terminationWaitInSeconds: wait,
          maximumExecutionTimeoutInSeconds: Math.min(28800, Math.max(600, wait * (rollout.strategy === 'linear' ? Math.ceil(100 / rollout.stepPercent) + 2 : 4))),
        },
        autoRollbackConfiguration: { alarms: this.rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) },
      },
    });
    for (const a of this.rollbackAlarms) this.endpoint.node.addDependency(a);

    // Target tracking on invocations per instance, per production variant.
    for (const v of endpoint.variants) {
      const target = new autoscaling.CfnScalableTarget(this, `Scaling-${v.name}`, {
        serviceNamespace: 'sagemaker',
        resourceId: `endpoint/${this.endpointName}/variant/${v.name}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: v.autoscaling.minInstances,
        maxCapacity: v.autoscaling.maxInstances,
        // The service-linked role AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint.
        roleArn: sagemakerEndpointScalingRoleArn(partition, account),
      });
      target.addResourceDependency(this.endpoint);
      new autoscaling.CfnScalingPolicy(this, `ScalingPolicy-${v.name}`, {
        policyName: `${this.endpointName}-${v.name}-invocations`,
        policyType: 'TargetTrackingScaling',
        scalingTargetId: target.ref,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: v.autoscaling.targetInvocationsPerInstance,
          predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
        },
      });
    }

    if (modelMonitor) {
      this.addMonitoring(props, monitoring, vpcConfig);
      if (this.qualityAlarm) this.retrainingAlarms.push(this.qualityAlarm);
    } else if (monitoring.dataQuality || monitoring.modelQuality) {
      this.monitoring = new EstateMonitoring(this, 'Monitoring', {
        endpointName: this.endpointName,
        modelId: model.id,
        problemType: model.problemType,
        protectedAttributes: model.protectedAttributes,
        variants: endpoint.variants.map((v) => v.name),
        shadowVariant: endpoint.shadow?.name,
        dataQuality: monitoring.dataQuality,
        modelQuality: monitoring.modelQuality,
        thresholds: props.monitoringThresholds,
        subnets: props.subnets,
        securityGroup: props.securityGroup,
        mlKey: props.mlKey,
        logsKey: props.logsKey,
        logRetention: env.logRetentionDays as logs.RetentionDays,
        captureBucket: props.captureBucket,
        groundTruth: endpoint.monitoring?.groundTruth,
        alarmTopic: props.alarmTopic,
        scheduleNames: { hourly: monitoringName(this.endpointName, 'hourly'), daily: monitoringName(this.endpointName, 'daily') },
      });
      for (const d of [this.monitoring.stateMachine, ...this.monitoring.schedules]) d.node.addDependency(this.endpoint);
      this.alarms.push(...this.monitoring.alarms);
      this.qualityAlarm = this.monitoring.qualityAlarm;
      this.retrainingAlarms.push(...this.monitoring.retrainingAlarms);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: this.endpointName, defaultInterval: Duration.hours(3) });
    const variants = [...endpoint.variants.map((v) => v.name), ...(endpoint.shadow ? [endpoint.shadow.name] : [])];
    const graph = (title: string, metrics: cloudwatch.IMetric[], left?: cloudwatch.YAxisProps) => new cloudwatch.GraphWidget({ title, left: metrics, width: 12, leftYAxis: left });
    this.dashboard.addWidgets(
      graph('p99 model latency (µs)', variants.map((v) => metric(v, 'ModelLatency', 'p99'))),
      graph('Invocations', variants.map((v) => metric(v, 'Invocations', 'Sum'))),
    );
    this.dashboard.addWidgets(
      graph('4XX / 5XX errors', variants.flatMap((v) => [metric(v, 'Invocation4XXErrors', 'Sum'), metric(v, 'Invocation5XXErrors', 'Sum')])),
      graph('CPU / GPU use (%)', variants.flatMap((v) => [metric(v, 'CPUUtilization', 'Average', '/aws/sagemaker/Endpoints'), metric(v, 'GPUUtilization', 'Average', '/aws/sagemaker/Endpoints')])),
    );
    const live = this.monitoring?.widgets ?? [];
    for (let i = 0; i < live.length; i += 2) this.dashboard.addWidgets(...live.slice(i, i + 2));
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }

  /** An alarm that notifies the topic when it fires and when it clears; missing data is not a breach. */
  private notifyingAlarm(id: string, topic: sns.ITopic, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
    this.alarms.push(alarm);
    return alarm;
  }

  /** A Model Monitor schedule's (and its job definition's) name: `<endpoint>-<kind>`, 63 characters at most, always ending in the kind (the guardrails name `*quality`). */
  private scheduleName(kind: string): string {
    return monitoringName(this.endpointName, kind);
  }

  private addMonitoring(props: ModelEndpointProps, monitoring: { dataQuality: boolean; modelQuality: boolean }, vpcConfig: { subnets: string[]; securityGroupIds: string[] }): void {
    const { region } = Stack.of(this);
    const imageUri = modelMonitorImage(region, this.node.path);
    const resources = { clusterConfig: { instanceCount: 1, instanceType: 'ml.m5.xlarge', volumeSizeInGb: 30, volumeKmsKeyId: props.mlKey.keyArn } };
    const networkConfig = { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true, vpcConfig };
    const output = (kind: string) => ({
      kmsKeyId: props.mlKey.keyArn,
      monitoringOutputs: [{ s3Output: { s3Uri: props.captureBucket.s3UrlForObject(`monitoring/${this.endpointName}/${kind}`), localPath: '/opt/ml/processing/output', s3UploadMode: 'EndOfJob' } }],
    });
    const stoppingCondition = { maxRuntimeInSeconds: 3600 };
    // What both job definitions share: the endpoint they read, where they run, as whom.
    const endpointInput = { endpointName: this.endpointName, localPath: '/opt/ml/processing/input/endpoint', s3InputMode: 'File', s3DataDistributionType: 'FullyReplicated' };
    const job = { jobResources: resources, networkConfig, roleArn: this.role.roleArn, stoppingCondition, endpointName: this.endpointName };
    const schedule = (kind: 'DataQuality' | 'ModelQuality', definition: sagemaker.CfnDataQualityJobDefinition | sagemaker.CfnModelQualityJobDefinition, expression: string) => {
      definition.addResourceDependency(this.endpoint);
      const s = new sagemaker.CfnMonitoringSchedule(this, `${kind}Schedule`, {
        monitoringScheduleName: this.scheduleName(kind),
        monitoringScheduleConfig: { monitoringJobDefinitionName: Fn.select(1, Fn.split('/', definition.attrJobDefinitionArn)), monitoringType: kind, scheduleConfig: { scheduleExpression: expression } },
        endpointName: this.endpointName,
      });
      s.addResourceDependency(this.endpoint);
    };
    if (monitoring.dataQuality) {
      const definition = new sagemaker.CfnDataQualityJobDefinition(this, 'DataQuality', {
        // Named like its schedule: the guardrails protect both by the environment's name prefix.
        jobDefinitionName: this.scheduleName('DataQuality'),
        ...job,
        dataQualityAppSpecification: { imageUri },
        dataQualityJobInput: { endpointInput },
        dataQualityJobOutputConfig: output('data-quality'),
      });
      schedule('DataQuality', definition, 'cron(0 * ? * * *)');
    }
    if (monitoring.modelQuality) {
      const classifier = props.model.problemType === 'binary_classification';
      const definition = new sagemaker.CfnModelQualityJobDefinition(this, 'ModelQuality', {
        jobDefinitionName: this.scheduleName('ModelQuality'),
        ...job,
        modelQualityAppSpecification: { imageUri, problemType: classifier ? 'BinaryClassification' : 'Regression' },
        modelQualityJobInput: {
          endpointInput: {
            ...endpointInput,
            inferenceAttribute: '0',
            probabilityAttribute: classifier ? '0' : undefined,
            probabilityThresholdAttribute: classifier ? 0.5 : undefined,
          },
          groundTruthS3Input: { s3Uri: props.captureBucket.s3UrlForObject(`monitoring/${this.endpointName}/ground-truth`) },
        },
        modelQualityJobOutputConfig: output('model-quality'),
      });
      schedule('ModelQuality', definition, 'cron(0 6 ? * * *)');
      const threshold = props.qualityThreshold;
      if (threshold) {
        // Model Monitor publishes the job's metrics per endpoint and schedule.
        const quality = new cloudwatch.Metric({
          namespace: 'aws/sagemaker/Endpoints/model-metrics',
          metricName: threshold.metric,
          statistic: 'Minimum',
          period: Duration.hours(1),
          dimensionsMap: { Endpoint: this.endpointName, MonitoringSchedule: this.scheduleName('ModelQuality') },
        });
        this.qualityAlarm = this.notifyingAlarm('model-quality', props.alarmTopic, {
          alarmName: `${this.endpointName}-model-quality`,
          alarmDescription: `${props.model.id}: ${threshold.metric} ${threshold.metric === 'auc' ? 'below' : 'above'} ${threshold.value} on live traffic; starts retraining where configured`,
          metric: quality,
          threshold: threshold.value,
          evaluationPeriods: 24,
          datapointsToAlarm: 1,
          comparisonOperator: threshold.metric === 'auc' ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        });
      }
    }
  }
}
