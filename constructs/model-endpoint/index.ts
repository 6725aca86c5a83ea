import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { pinnedKey } from '../../lambdas/model-pinner/approved-tag';
import { acknowledgeFindings } from '../../policies/acknowledge';
import { hasInstanceStorage, sagemakerEndpointScalingRoleArn } from '../aws-facts';
import { EstateMonitoring } from '../estate-monitoring';
import { SageMakerExecutionRole } from '../sagemaker-execution-role';
import { tagAll } from '../tagging';
import { EndpointMetrics, endpointDashboard, variantAlarms } from './alarms';
import { modelMonitorSchedules } from './monitoring';
import { endpointExecutionRole } from './role';
import { DEFAULT_ROLLOUT, ModelEndpointProps, MonitoringNames, propsProblems, VariantModel } from './props';

export { ROLLBACK_THRESHOLDS } from './alarms';
export type { EndpointMetrics } from './alarms';
export type {
  EndpointMonitoring,
  EndpointRollout,
  ModelEndpointProps,
  MonitoringNames,
  PackageRegistry,
  ProductionVariant,
  ShadowVariant,
  VariantAutoscaling,
  VariantModel,
} from './props';

/**
 * A governed SageMaker endpoint for one model: one model per variant (network
 * isolation, isolated subnets, a least-privilege execution role), an endpoint
 * config (customer key where the instance type allows it, data capture to the
 * Object Lock bucket under the ML key), blue/green deployment with canary or
 * linear traffic shifting and automatic rollback on the 5XX and latency alarms,
 * target-tracking autoscaling per variant, alarms and a dashboard
 * (`alarms.ts`), and monitoring where enabled: the estate's own
 * (EstateMonitoring) by default, SageMaker Model Monitor schedules
 * (`monitoring.ts`) where chosen. The metrics of its variants are exposed as
 * `metric...()` methods, as aws-cdk-lib's L2s do.
 *
 * L1 resources throughout: the alpha SageMaker L2 has no data capture, shadow
 * variants, deployment config or model package containers.
 */
export class ModelEndpoint extends Construct implements EndpointMetrics {
  readonly endpointName: string;
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  readonly role: SageMakerExecutionRole;
  readonly models: Readonly<Record<string, sagemaker.CfnModel>>;
  readonly rollbackAlarms: readonly cloudwatch.Alarm[];
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** Fires when live model quality crosses the tier's threshold. */
  readonly qualityAlarm?: cloudwatch.Alarm;
  /** The alarms a retraining pipeline listens to (quality, and with the estate's monitoring, drift). */
  readonly retrainingAlarms: readonly cloudwatch.IAlarm[];
  /** The estate's monitoring of this endpoint, unless off or Model Monitor is chosen. */
  readonly monitoring?: EstateMonitoring;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const endpointName = props.endpointName;
    const names: MonitoringNames = props.monitoringNames ?? {
      hourly: `${endpointName}-hourly`,
      daily: `${endpointName}-daily`,
      dataQuality: `${endpointName}-dataquality`,
      modelQuality: `${endpointName}-modelquality`,
    };
    const problems = propsProblems(props, names);
    if (problems.length > 0)
      throw new Error(`${this.node.path}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    const modelId = props.modelId;
    tagAll(this, 'model:id', modelId);
    tagAll(this, 'model:risk-tier', props.riskTier);
    const { partition, account } = Stack.of(this);
    this.endpointName = endpointName;
    const monitoring = props.monitoring ?? { dataQuality: true, modelQuality: true };
    const modelMonitor =
      props.monitoringService === 'model-monitor' && (monitoring.dataQuality || monitoring.modelQuality);
    const served: readonly (VariantModel & { readonly instanceType: string })[] = [
      ...props.variants,
      ...(props.shadow ? [props.shadow] : []),
    ];

    const direct = served.filter((v) => v.image && v.modelData) as { image: string; modelData: string }[];
    const packaged = served.some((v) => v.modelPackageVersion !== undefined) ? props.packageRegistry : undefined;
    // Prod runs an approved version as the package's image with the locked copy of its model data, never the training bucket.
    const pinned = packaged?.pinnedCopies;
    this.role = endpointExecutionRole(this, 'ExecutionRole', {
      endpointName,
      modelId,
      mlKey: props.mlKey,
      captureBucket: props.captureBucket,
      modelMonitor,
      direct,
      packaged,
    });

    const vpcConfig = {
      subnets: props.subnets.map((s) => s.subnetId),
      securityGroupIds: [props.securityGroup.securityGroupId],
    };
    const packageArn = (version: number) =>
      `arn:${partition}:sagemaker:${packaged!.region}:${packaged!.account}:model-package/${modelId}/${version}`;
    // CreateModel takes the model data of a package from the package (ModelPackageName): to read the pinned copy, a
    // prod model names the image and the pinned key, and the package it is (the tag below); the deployment gate has
    // checked that the package's image is this one and that the key holds its approved bytes.
    const container = (v: VariantModel) =>
      v.modelPackageVersion !== undefined
        ? pinned
          ? {
              image: pinned.image,
              modelDataUrl: `s3://${pinned.bucketName}/${pinnedKey(modelId, v.modelPackageVersion, 0)}`,
              environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
            }
          : { modelPackageName: packageArn(v.modelPackageVersion) }
        : { image: v.image!, modelDataUrl: v.modelData!, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } };
    const models: Record<string, sagemaker.CfnModel> = {};
    const makeModel = (variant: string, v: VariantModel) => {
      const m = new sagemaker.CfnModel(this, `Model-${variant}`, {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: true,
        vpcConfig,
        primaryContainer: container(v),
        tags: [
          { key: 'model:variant', value: variant },
          ...(pinned && v.modelPackageVersion !== undefined
            ? [{ key: 'model:package', value: packageArn(v.modelPackageVersion) }]
            : []),
        ],
      });
      m.node.addDependency(this.role);
      models[variant] = m;
      return m;
    };
    this.models = models;

    const allInstanceTypes = served.map((v) => v.instanceType);
    const localStorage = allInstanceTypes.some(hasInstanceStorage);
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
      // SageMaker refuses a volume key on instance types with (hardware-encrypted) local storage.
      kmsKeyId: localStorage ? undefined : props.mlKey.keyArn,
      productionVariants: props.variants.map((v) => ({
        variantName: v.name,
        modelName: makeModel(v.name, v).attrModelName,
        instanceType: v.instanceType,
        initialInstanceCount: v.instanceCount,
        initialVariantWeight: v.weight,
      })),
      shadowProductionVariants: props.shadow
        ? [
            {
              variantName: props.shadow.name,
              modelName: makeModel(props.shadow.name, props.shadow).attrModelName,
              instanceType: props.shadow.instanceType,
              initialInstanceCount: props.shadow.instanceCount,
              // The share of requests the shadow sees is its weight relative to the production weights (which add up to 1).
              initialVariantWeight: props.shadow.samplingPercent / 100,
            },
          ]
        : undefined,
      dataCaptureConfig: {
        enableCapture: true,
        initialSamplingPercentage: props.captureSamplingPercent ?? 100,
        destinationS3Uri: props.captureBucket.s3UrlForObject(`capture/${endpointName}`),
        kmsKeyId: props.mlKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
      },
    });
    if (localStorage) {
      acknowledgeFindings(
        this.endpointConfig,
        [
          'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured',
          'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured',
          'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured',
        ],
        `Instance types ${allInstanceTypes.filter(hasInstanceStorage).join(', ')} have local NVMe storage, which SageMaker encrypts in hardware and for which CreateEndpointConfig refuses a KmsKeyId; captured data is still encrypted with the customer ML key.`,
      );
    }

    // Alarms per variant (alarms.ts); 5XX and latency of the production variants also roll a deployment back.
    const variantNames = props.variants.map((v) => v.name);
    const alarms = variantAlarms(this, this, {
      modelId,
      variants: variantNames,
      shadow: props.shadow?.name,
      alarmTopic: props.alarmTopic,
    });
    const allAlarms = [...alarms.all];
    this.rollbackAlarms = alarms.rollback;

    const rollout = props.rollout ?? DEFAULT_ROLLOUT;
    const wait = rollout.bakeMinutes * 60;
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration:
            rollout.strategy === 'canary'
              ? {
                  type: 'CANARY',
                  canarySize: { type: 'CAPACITY_PERCENT', value: rollout.stepPercent },
                  waitIntervalInSeconds: wait,
                }
              : rollout.strategy === 'linear'
                ? {
                    type: 'LINEAR',
                    linearStepSize: { type: 'CAPACITY_PERCENT', value: rollout.stepPercent },
                    waitIntervalInSeconds: wait,
                  }
                : { type: 'ALL_AT_ONCE', waitIntervalInSeconds: wait },
          terminationWaitInSeconds: wait,
          maximumExecutionTimeoutInSeconds: Math.min(
            28800,
            Math.max(600, wait * (rollout.strategy === 'linear' ? Math.ceil(100 / rollout.stepPercent) + 2 : 4)),
          ),
        },
        autoRollbackConfiguration: { alarms: this.rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) },
      },
    });
    for (const a of this.rollbackAlarms) this.endpoint.node.addDependency(a);

    // Target tracking on invocations per instance, per production variant.
    for (const v of props.variants) {
      const target = new autoscaling.CfnScalableTarget(this, `Scaling-${v.name}`, {
        serviceNamespace: 'sagemaker',
        resourceId: `endpoint/${endpointName}/variant/${v.name}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: v.autoscaling.minInstances,
        maxCapacity: v.autoscaling.maxInstances,
        roleArn: sagemakerEndpointScalingRoleArn(partition, account),
      });
      target.addResourceDependency(this.endpoint);
      new autoscaling.CfnScalingPolicy(this, `ScalingPolicy-${v.name}`, {
        policyName: `${endpointName}-${v.name}-invocations`,
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

    const retrainingAlarms: cloudwatch.IAlarm[] = [];
    if (modelMonitor) {
      this.qualityAlarm = modelMonitorSchedules(this, {
        endpoint: this.endpoint,
        endpointName,
        modelId,
        problemType: props.problemType,
        dataQuality: monitoring.dataQuality,
        modelQuality: monitoring.modelQuality,
        roleArn: this.role.roleArn,
        mlKey: props.mlKey,
        captureBucket: props.captureBucket,
        vpcConfig,
        names: { dataQuality: names.dataQuality, modelQuality: names.modelQuality },
        qualityThreshold: props.qualityThreshold,
        alarmTopic: props.alarmTopic,
      });
      if (this.qualityAlarm) {
        allAlarms.push(this.qualityAlarm);
        retrainingAlarms.push(this.qualityAlarm);
      }
    } else if (monitoring.dataQuality || monitoring.modelQuality) {
      this.monitoring = new EstateMonitoring(this, 'Monitoring', {
        endpointName,
        modelId,
        problemType: props.problemType,
        protectedAttributes: props.protectedAttributes ?? [],
        variants: variantNames,
        shadowVariant: props.shadow?.name,
        dataQuality: monitoring.dataQuality,
        modelQuality: monitoring.modelQuality,
        thresholds: props.monitoringThresholds,
        subnets: props.subnets,
        securityGroup: props.securityGroup,
        mlKey: props.mlKey,
        logsKey: props.logsKey,
        logRetention: props.logRetention,
        captureBucket: props.captureBucket,
        groundTruth: monitoring.groundTruth,
        alarmTopic: props.alarmTopic,
        scheduleNames: { hourly: names.hourly, daily: names.daily },
      });
      for (const d of [this.monitoring.stateMachine, ...this.monitoring.schedules]) d.node.addDependency(this.endpoint);
      allAlarms.push(...this.monitoring.alarms);
      this.qualityAlarm = this.monitoring.qualityAlarm;
      retrainingAlarms.push(...this.monitoring.retrainingAlarms);
    }
    this.alarms = allAlarms;
    this.retrainingAlarms = retrainingAlarms;

    this.dashboard = endpointDashboard(this, 'Dashboard', this, {
      variants: [...variantNames, ...(props.shadow ? [props.shadow.name] : [])],
      monitoringWidgets: this.monitoring?.widgets ?? [],
      alarms: this.alarms,
    });
  }

  /**
   * A metric SageMaker publishes for a variant of this endpoint, per `EndpointName` and `VariantName`.
   * @default - namespace AWS/SageMaker, average over one minute
   */
  metric(
    metricName: string,
    variantName: string,
    props?: cloudwatch.MetricOptions & { readonly namespace?: string },
  ): cloudwatch.Metric {
    const { namespace = 'AWS/SageMaker', ...options } = props ?? {};
    return new cloudwatch.Metric({
      namespace,
      metricName,
      statistic: 'Average',
      period: Duration.minutes(1),
      ...options,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName },
    });
  }

  /**
   * Requests the variant answered.
   * @default - sum over one minute
   */
  metricInvocations(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', variantName, { statistic: 'Sum', ...props });
  }

  /**
   * Time the variant's model took to answer, in microseconds.
   * @default - p99 over one minute
   */
  metricModelLatency(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', variantName, { statistic: 'p99', ...props });
  }

  /**
   * Requests answered with a 4XX error (the caller's).
   * @default - sum over one minute
   */
  metricInvocation4XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', variantName, { statistic: 'Sum', ...props });
  }

  /**
   * Requests answered with a 5XX error (the model's).
   * @default - sum over one minute
   */
  metricInvocation5XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', variantName, { statistic: 'Sum', ...props });
  }

  /**
   * CPU use of the variant's instances, in percent (namespace /aws/sagemaker/Endpoints).
   * @default - average over one minute
   */
  metricCpuUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CPUUtilization', variantName, { namespace: '/aws/sagemaker/Endpoints', ...props });
  }

  /**
   * GPU use of the variant's instances, in percent (namespace /aws/sagemaker/Endpoints).
   * @default - average over one minute
   */
  metricGpuUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('GPUUtilization', variantName, { namespace: '/aws/sagemaker/Endpoints', ...props });
  }
}
