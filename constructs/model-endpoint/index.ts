import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { EstateMonitoring } from '../estate-monitoring';
import { SageMakerExecutionRole } from '../sagemaker-execution-role';
import { tagAll } from '../tagging';
import { EndpointMetrics, endpointDashboard, variantAlarms } from './alarms';
import { capturedEndpointConfig } from './endpoint-config';
import { variantModels } from './models';
import { modelMonitorSchedules } from './monitoring';
import {
  DEFAULT_MONITORING,
  DEFAULT_ROLLOUT,
  defaultMonitoringNames,
  EndpointMonitoring,
  ModelEndpointProps,
  MonitoringNames,
  propsProblems,
} from './props';
import { endpointExecutionRole } from './role';
import { blueGreenDeployment } from './rollout';
import { variantAutoscaling } from './scaling';

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

/** What the endpoint's monitoring adds to it. */
interface Watched {
  readonly monitoring?: EstateMonitoring;
  readonly qualityAlarm?: cloudwatch.Alarm;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly retrainingAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * A governed SageMaker endpoint for one model: one model per variant (network
 * isolation, isolated subnets, a least-privilege execution role: `models.ts`,
 * `role.ts`), an endpoint config (customer key where the instance type allows
 * it, data capture to the Object Lock bucket under the ML key:
 * `endpoint-config.ts`), blue/green deployment with canary or linear traffic
 * shifting and automatic rollback on the 5XX and latency alarms (`rollout.ts`),
 * target-tracking autoscaling per variant (`scaling.ts`), alarms and a dashboard
 * (`alarms.ts`), and monitoring where enabled: the estate's own
 * (EstateMonitoring) by default, SageMaker Model Monitor schedules
 * (`monitoring.ts`) where chosen. The metrics of its variants are exposed as
 * `metric...()` methods, as aws-cdk-lib's L2s do.
 *
 * L1 resources throughout: the alpha SageMaker L2 has no data capture, shadow
 * variants, deployment config or model package containers, cannot scale a second
 * variant, and its metrics name the endpoint by GetAtt, which the rollback alarms
 * cannot (README, "SageMaker L2"; test/constructs/sagemaker-alpha.test.ts).
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
    const { endpointName, modelId } = props;
    const names = props.monitoringNames ?? defaultMonitoringNames(endpointName);
    const problems = propsProblems(props, names);
    if (problems.length > 0)
      throw new Error(`${this.node.path}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    tagAll(this, 'model:id', modelId);
    tagAll(this, 'model:risk-tier', props.riskTier);
    this.endpointName = endpointName;
    const monitoring = props.monitoring ?? DEFAULT_MONITORING;
    const modelMonitor =
      props.monitoringService === 'model-monitor' && (monitoring.dataQuality || monitoring.modelQuality);
    const served = [...props.variants, ...(props.shadow ? [props.shadow] : [])];
    const packaged = served.some((v) => v.modelPackageVersion !== undefined) ? props.packageRegistry : undefined;
    const vpcConfig = {
      subnets: props.subnets.map((s) => s.subnetId),
      securityGroupIds: [props.securityGroup.securityGroupId],
    };

    // What the models may read and write (role.ts); one network-isolated model per variant (models.ts).
    this.role = endpointExecutionRole(this, 'ExecutionRole', {
      endpointName,
      modelId,
      mlKey: props.mlKey,
      captureBucket: props.captureBucket,
      modelMonitor,
      direct: served.filter((v) => v.image && v.modelData) as { image: string; modelData: string }[],
      packaged,
    });
    this.models = variantModels(this, { modelId, variants: served, role: this.role, vpcConfig, packaged });

    // The config that serves them and captures their traffic (endpoint-config.ts).
    this.endpointConfig = capturedEndpointConfig(this, 'Config', props, this.models);

    // Alarms per variant (alarms.ts); 5XX and latency of the production variants also roll a deployment back.
    const variantNames = props.variants.map((v) => v.name);
    const alarms = variantAlarms(this, this, {
      modelId,
      variants: variantNames,
      shadow: props.shadow?.name,
      alarmTopic: props.alarmTopic,
    });
    this.rollbackAlarms = alarms.rollback;

    // The endpoint, updated blue/green (rollout.ts), and scaled per production variant (scaling.ts).
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      deploymentConfig: blueGreenDeployment(props.rollout ?? DEFAULT_ROLLOUT, this.rollbackAlarms),
    });
    for (const a of this.rollbackAlarms) this.endpoint.node.addDependency(a);
    variantAutoscaling(this, this.endpoint, endpointName, props.variants);

    // Monitoring where enabled: the estate's, or Model Monitor's (monitoring.ts).
    const watched = !(monitoring.dataQuality || monitoring.modelQuality)
      ? undefined
      : modelMonitor
        ? this.modelMonitor(props, monitoring, names, vpcConfig)
        : this.estateMonitoring(props, monitoring, names, variantNames);
    this.monitoring = watched?.monitoring;
    this.qualityAlarm = watched?.qualityAlarm;
    this.alarms = [...alarms.all, ...(watched?.alarms ?? [])];
    this.retrainingAlarms = watched?.retrainingAlarms ?? [];

    this.dashboard = endpointDashboard(this, 'Dashboard', this, {
      variants: served.map((v) => v.name),
      monitoringWidgets: this.monitoring?.widgets ?? [],
      alarms: this.alarms,
    });
  }

  /** SageMaker Model Monitor's schedules, run as the execution role; its quality alarm, where a threshold is given. */
  private modelMonitor(
    props: ModelEndpointProps,
    monitoring: EndpointMonitoring,
    names: MonitoringNames,
    vpcConfig: { readonly subnets: string[]; readonly securityGroupIds: string[] },
  ): Watched {
    const qualityAlarm = modelMonitorSchedules(this, {
      endpoint: this.endpoint,
      endpointName: this.endpointName,
      modelId: props.modelId,
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
    const alarms = qualityAlarm ? [qualityAlarm] : [];
    return { qualityAlarm, alarms, retrainingAlarms: alarms };
  }

  /** The estate's own monitoring of every variant, started once the endpoint exists. */
  private estateMonitoring(
    props: ModelEndpointProps,
    monitoring: EndpointMonitoring,
    names: MonitoringNames,
    variants: readonly string[],
  ): Watched {
    const m = new EstateMonitoring(this, 'Monitoring', {
      endpointName: this.endpointName,
      modelId: props.modelId,
      problemType: props.problemType,
      protectedAttributes: props.protectedAttributes ?? [],
      variants,
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
    for (const d of [m.stateMachine, ...m.schedules]) d.node.addDependency(this.endpoint);
    return {
      monitoring: m,
      qualityAlarm: m.qualityAlarm,
      alarms: m.alarms,
      retrainingAlarms: m.retrainingAlarms,
    };
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
