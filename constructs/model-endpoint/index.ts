import { Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { pinnedKey } from '../../lambdas/model-pinner/approved-tag';
import { acknowledgeFindings } from '../../policies/acknowledge';
import { hasInstanceStorage, repositoryArn, sagemakerEndpointScalingRoleArn } from '../aws-facts';
import { EstateMonitoring, MonitoringThresholds } from '../estate-monitoring';
import { SageMakerExecutionRole } from '../sagemaker-execution-role';
import { tagAll } from '../tagging';
import { EndpointMetrics, endpointDashboard, variantAlarms } from './alarms';
import { modelMonitorSchedules } from './monitoring';

export { ROLLBACK_THRESHOLDS } from './alarms';
export type { EndpointMetrics } from './alarms';

/**
 * Where a variant's model comes from: an approved version of the model's package group (named like the model) in
 * the package registry, or (outside prod) an image and model data. Exactly one of the two.
 */
export interface VariantModel {
  /**
   * Serve this approved version of the model package group.
   * @default - none: `image` and `modelData` are served
   */
  readonly modelPackageVersion?: number;
  /**
   * Image URI of the inference container (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`).
   * @default - none: the package version's image
   */
  readonly image?: string;
  /**
   * The model data (`s3://<bucket>/<key>`).
   * @default - none: the package version's model data
   */
  readonly modelData?: string;
}

/** Instance-count autoscaling of a production variant: target tracking on invocations per instance. */
export interface VariantAutoscaling {
  readonly minInstances: number;
  readonly maxInstances: number;
  /** Target of SageMakerVariantInvocationsPerInstance (per minute). */
  readonly targetInvocationsPerInstance: number;
}

/** A production variant: takes its weight of live traffic. */
export interface ProductionVariant extends VariantModel {
  /** The variant's name: 1-63 letters, digits or hyphens, unique on the endpoint. */
  readonly name: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  /** Its share of traffic; the weights of the production variants add up to 1. */
  readonly weight: number;
  readonly autoscaling: VariantAutoscaling;
}

/** A shadow variant: receives a copy of a share of live requests; its answers reach no caller. */
export interface ShadowVariant extends VariantModel {
  readonly name: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  /** Share of requests copied to it, in percent (1-100). */
  readonly samplingPercent: number;
}

/** How a new endpoint config replaces the old one: blue/green with traffic shifted all at once, in a canary or linearly. */
export interface EndpointRollout {
  readonly strategy: 'canary' | 'linear' | 'all-at-once';
  /** Canary size, or each linear step, as a share of capacity (percent). */
  readonly stepPercent: number;
  /** Wait between traffic shifts, and before the old fleet goes (minutes). */
  readonly bakeMinutes: number;
}

/** The registry that holds the approved versions the variants name, and how prod serves them. */
export interface PackageRegistry {
  readonly account: string;
  readonly region: string;
  /**
   * Serve each approved version from its pinned copy: the package's image (the model's training image) with the
   * locked copy of its model data in this bucket (`models/<model>/<version>/0/model.tar.gz`, written once by the model
   * pinner), tagged with the package it is, rather than naming the package (whose model data CreateModel would read
   * from the training bucket).
   * @default - the package is named (ModelPackageName)
   */
  readonly pinnedCopies?: { readonly bucketName: string; readonly image: string };
}

/** Which monitoring runs: hourly data quality, drift and bias; daily model quality against labels. */
export interface EndpointMonitoring {
  readonly dataQuality: boolean;
  readonly modelQuality: boolean;
  /**
   * Where labels arrive (an s3://<bucket>/<prefix>/ URI; the estate's monitoring only).
   * @default - monitoring/<endpoint>/ground-truth/ of the capture bucket
   */
  readonly groundTruth?: string;
}

/** Names of the monitoring schedules (the guardrails protect them by name). */
export interface MonitoringNames {
  /** The estate's monitoring: hourly and daily Scheduler schedules (at most 64 characters). */
  readonly hourly: string;
  readonly daily: string;
  /** Model Monitor: the data-quality and model-quality schedules, each also its job definition's name (at most 63 characters). */
  readonly dataQuality: string;
  readonly modelQuality: string;
}

export interface ModelEndpointProps {
  /** The endpoint's name (and its dashboard's); its alarms are named `<endpoint>-...`. 1-63 letters, digits or hyphens. */
  readonly endpointName: string;
  /** The model served: tagged `model:id`; its package group has the same name. */
  readonly modelId: string;
  /** The model's risk tier: tagged `model:risk-tier`. */
  readonly riskTier: string;
  readonly problemType: 'binary_classification' | 'regression';
  /**
   * Facets whose disparate impact the estate's monitoring measures.
   * @default - none
   */
  readonly protectedAttributes?: readonly string[];
  /** The production variants (1-10). */
  readonly variants: readonly ProductionVariant[];
  /**
   * A shadow variant.
   * @default - none
   */
  readonly shadow?: ShadowVariant;
  /**
   * How an update shifts traffic.
   * @default - canary of 10% of capacity, 10 minutes of bake
   */
  readonly rollout?: EndpointRollout;
  /**
   * Share of requests and responses captured, in percent.
   * @default 100
   */
  readonly captureSamplingPercent?: number;
  /**
   * Which monitoring runs.
   * @default - data quality and model quality
   */
  readonly monitoring?: EndpointMonitoring;
  /**
   * Who monitors: the estate's processing jobs, or SageMaker Model Monitor, for accounts that still have it.
   * @default 'estate'
   */
  readonly monitoringService?: 'estate' | 'model-monitor';
  /** Thresholds of the estate's own monitoring (drift, bias, quality). */
  readonly monitoringThresholds: MonitoringThresholds;
  /**
   * With Model Monitor: the floor (AUC, classifiers) or ceiling (RMSE, regression) below or above which the quality
   * alarm fires.
   * @default - no quality alarm
   */
  readonly qualityThreshold?: { readonly metric: 'auc' | 'rmse'; readonly value: number };
  /**
   * Names of the monitoring schedules.
   * @default - `<endpoint>-hourly`, `-daily`, `-dataquality`, `-modelquality`
   */
  readonly monitoringNames?: MonitoringNames;
  /** Isolated subnets the models (and monitoring jobs) run in. */
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** The environment's ML key: data capture, monitoring outputs, volumes. */
  readonly mlKey: kms.IKey;
  /** The environment's logs key (the monitoring runs' execution history). */
  readonly logsKey: kms.IKey;
  /**
   * How long the monitoring runs' execution history is kept.
   * @default - one year
   */
  readonly logRetention?: logs.RetentionDays;
  /** Object Lock bucket that receives captured requests and responses, and monitoring reports. */
  readonly captureBucket: s3.IBucket;
  /** Where alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Registry that holds the approved versions named by `modelPackageVersion`.
   * @default - none: no variant may name a package version
   */
  readonly packageRegistry?: PackageRegistry;
}

/** SageMaker's limits this construct checks before synthesis. */
const MAX_NAME = 63;
const MAX_PRODUCTION_VARIANTS = 10;
const DEFAULT_ROLLOUT: EndpointRollout = { strategy: 'canary', stepPercent: 10, bakeMinutes: 10 };

/** Every problem with the props, at once (SageMaker's name and variant limits, where each variant's model comes from). */
function propsProblems(props: ModelEndpointProps, names: MonitoringNames): string[] {
  const problems: string[] = [];
  const named = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
  if (!named.test(props.endpointName)) problems.push(`endpointName ${props.endpointName}: must be 1-${MAX_NAME} letters, digits or hyphens (CreateEndpoint EndpointName)`);
  if (props.variants.length < 1 || props.variants.length > MAX_PRODUCTION_VARIANTS) problems.push(`variants: ${props.variants.length} given; an endpoint has 1-${MAX_PRODUCTION_VARIANTS} production variants`);
  const all: Array<[string, VariantModel & { name: string }]> = [...props.variants.map((v, i) => [`variants[${i}]`, v] as [string, ProductionVariant]), ...(props.shadow ? [['shadow', props.shadow] as [string, ShadowVariant]] : [])];
  const seen = new Set<string>();
  for (const [where, v] of all) {
    if (!named.test(v.name)) problems.push(`${where}.name ${v.name}: must be 1-${MAX_NAME} letters, digits or hyphens`);
    if (seen.has(v.name)) problems.push(`${where}.name ${v.name}: another variant has this name`);
    seen.add(v.name);
    const direct = v.image !== undefined || v.modelData !== undefined;
    if (v.modelPackageVersion !== undefined && direct) problems.push(`${where}: give modelPackageVersion or image and modelData, not both`);
    else if (v.modelPackageVersion === undefined && (v.image === undefined || v.modelData === undefined)) problems.push(`${where}: give modelPackageVersion, or both image and modelData`);
    if (v.modelPackageVersion !== undefined && !props.packageRegistry) problems.push(`${where}.modelPackageVersion ${v.modelPackageVersion}: needs packageRegistry, the registry that holds the approved versions`);
  }
  const sampling = props.captureSamplingPercent;
  if (sampling !== undefined && (!Number.isInteger(sampling) || sampling < 0 || sampling > 100)) problems.push(`captureSamplingPercent ${sampling}: must be a whole number from 0 to 100`);
  for (const kind of props.monitoringService === 'model-monitor' ? (['dataQuality', 'modelQuality'] as const) : []) {
    if (names[kind].length > MAX_NAME) problems.push(`monitoringNames.${kind} ${names[kind]}: ${names[kind].length} characters; Model Monitor takes at most ${MAX_NAME}`);
  }
  return problems;
}

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
    if (problems.length > 0) throw new Error(`${this.node.path}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    const modelId = props.modelId;
    tagAll(this, 'model:id', modelId);
    tagAll(this, 'model:risk-tier', props.riskTier);
    const { partition, account } = Stack.of(this);
    this.endpointName = endpointName;
    const monitoring = props.monitoring ?? { dataQuality: true, modelQuality: true };
    const modelMonitor = props.monitoringService === 'model-monitor' && (monitoring.dataQuality || monitoring.modelQuality);
    const served: readonly (VariantModel & { readonly instanceType: string })[] = [...props.variants, ...(props.shadow ? [props.shadow] : [])];

    const direct = served.filter((v) => v.image && v.modelData) as { image: string; modelData: string }[];
    const packaged = served.some((v) => v.modelPackageVersion !== undefined) ? props.packageRegistry : undefined;
    // Prod runs an approved version as the package's image with the locked copy of its model data, never the training bucket.
    const pinned = packaged?.pinnedCopies;
    this.role = new SageMakerExecutionRole(this, 'ExecutionRole', {
      description: `Execution role of the ${endpointName} endpoint and its monitoring jobs`,
      logGroups: [`/aws/sagemaker/Endpoints/${endpointName}`, ...(modelMonitor ? ['/aws/sagemaker/ProcessingJobs'] : [])],
      // An approved package's image lives in the staging account, which shares it with this one.
      repositories: [
        ...new Set(direct.map((v) => repositoryArn(partition, v.image))),
        ...(packaged ? [`arn:${partition}:ecr:${packaged.region}:${packaged.account}:repository/*`] : []),
        ...(pinned && !pinned.image.startsWith(`${packaged!.account}.`) ? [repositoryArn(partition, pinned.image)] : []),
      ].sort(),
    });
    const allow = this.role.allow.bind(this.role);
    allow('UseMlKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'], [props.mlKey.keyArn]);
    const captured = props.captureBucket.arnForObjects(`capture/${endpointName}/*`);
    // With Model Monitor, its jobs run as this role too; the estate's monitoring has a role of its own.
    const reports = props.captureBucket.arnForObjects(`monitoring/${endpointName}/*`);
    allow(modelMonitor ? 'CaptureAndMonitor' : 'Capture', ['s3:PutObject', 's3:GetObject'], modelMonitor ? [captured, reports] : [captured]);
    allow('ListCaptureBucket', ['s3:ListBucket'], [props.captureBucket.bucketArn]);
    if (direct.length > 0) {
      allow('ReadModelData', ['s3:GetObject'], [...new Set(direct.map((v) => `arn:${partition}:s3:::${v.modelData.slice('s3://'.length)}`))].sort());
    }
    if (packaged) {
      // ...and so are its artifacts.
      if (pinned) {
        // Only this model's pinned copies: each key written once, locked, never deleted (the approved-model bucket).
        allow('ReadPinnedModelData', ['s3:GetObject'], [`arn:${partition}:s3:::${pinned.bucketName}/models/${modelId}/*`]);
      } else {
        allow('ReadApprovedArtifacts', ['s3:GetObject'], [`arn:${partition}:s3:::*/*`], { StringEquals: { 's3:ResourceAccount': packaged.account } });
      }
      allow('DecryptApprovedArtifacts', ['kms:Decrypt'], [`arn:${partition}:kms:${packaged.region}:${packaged.account}:key/*`], { StringLike: { 'kms:ViaService': `s3.${packaged.region}.amazonaws.com` } });
    }
    this.role.acknowledgeWildcards(
      'Wildcards only where the API has no resource-level permission (ENI creation and description, ECR login), where a condition scopes the grant (metrics namespace, the staging account as resource owner, KMS through S3), or for names created at run time under this endpoint (capture and monitoring objects, log streams).',
    );

    const vpcConfig = { subnets: props.subnets.map((s) => s.subnetId), securityGroupIds: [props.securityGroup.securityGroupId] };
    const packageArn = (version: number) => `arn:${partition}:sagemaker:${packaged!.region}:${packaged!.account}:model-package/${modelId}/${version}`;
    // CreateModel takes the model data of a package from the package (ModelPackageName): to read the pinned copy, a
    // prod model names the image and the pinned key, and the package it is (the tag below); the deployment gate has
    // checked that the package's image is this one and that the key holds its approved bytes.
    const container = (v: VariantModel) =>
      v.modelPackageVersion !== undefined
        ? pinned
          ? { image: pinned.image, modelDataUrl: `s3://${pinned.bucketName}/${pinnedKey(modelId, v.modelPackageVersion, 0)}`, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } }
          : { modelPackageName: packageArn(v.modelPackageVersion) }
        : { image: v.image!, modelDataUrl: v.modelData!, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } };
    const models: Record<string, sagemaker.CfnModel> = {};
    const makeModel = (variant: string, v: VariantModel) => {
      const m = new sagemaker.CfnModel(this, `Model-${variant}`, {
        executionRoleArn: this.role.roleArn,
        enableNetworkIsolation: true,
        vpcConfig,
        primaryContainer: container(v),
        tags: [{ key: 'model:variant', value: variant }, ...(pinned && v.modelPackageVersion !== undefined ? [{ key: 'model:package', value: packageArn(v.modelPackageVersion) }] : [])],
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
        ['NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', 'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured', 'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured'],
        `Instance types ${allInstanceTypes.filter(hasInstanceStorage).join(', ')} have local NVMe storage, which SageMaker encrypts in hardware and for which CreateEndpointConfig refuses a KmsKeyId; captured data is still encrypted with the customer ML key.`,
      );
    }

    // Alarms per variant (alarms.ts); 5XX and latency of the production variants also roll a deployment back.
    const variantNames = props.variants.map((v) => v.name);
    const alarms = variantAlarms(this, this, { modelId, variants: variantNames, shadow: props.shadow?.name, alarmTopic: props.alarmTopic });
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
  metric(metricName: string, variantName: string, props?: cloudwatch.MetricOptions & { readonly namespace?: string }): cloudwatch.Metric {
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
