import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { MonitoringThresholds } from '../estate-monitoring';

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

/**
 * How a new endpoint config replaces the old one: blue/green with traffic shifted all at once, in a canary or linearly.
 */
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
  /**
   * Model Monitor: the data-quality and model-quality schedules, each also its job definition's name (at most 63
   * characters).
   */
  readonly dataQuality: string;
  readonly modelQuality: string;
}

export interface ModelEndpointProps {
  /**
   * The endpoint's name (and its dashboard's); its alarms are named `<endpoint>-...`. 1-63 letters, digits or hyphens.
   */
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

/** SageMaker's limits the construct checks before synthesis. */
const MAX_NAME = 63;
const MAX_PRODUCTION_VARIANTS = 10;
export const DEFAULT_ROLLOUT: EndpointRollout = { strategy: 'canary', stepPercent: 10, bakeMinutes: 10 };
export const DEFAULT_MONITORING: EndpointMonitoring = { dataQuality: true, modelQuality: true };

/**
 * The monitoring schedules' names when none are given: `<endpoint>-hourly`, `-daily`, `-dataquality`, `-modelquality`.
 */
export function defaultMonitoringNames(endpointName: string): MonitoringNames {
  return {
    hourly: `${endpointName}-hourly`,
    daily: `${endpointName}-daily`,
    dataQuality: `${endpointName}-dataquality`,
    modelQuality: `${endpointName}-modelquality`,
  };
}

/**
 * Every problem with the props, at once (SageMaker's name and variant limits, where each variant's model comes from).
 */
export function propsProblems(props: ModelEndpointProps, names: MonitoringNames): string[] {
  const problems: string[] = [];
  const named = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
  if (!named.test(props.endpointName))
    problems.push(
      `endpointName ${props.endpointName}: must be 1-${MAX_NAME} letters, digits or hyphens (CreateEndpoint EndpointName)`,
    );
  if (props.variants.length < 1 || props.variants.length > MAX_PRODUCTION_VARIANTS)
    problems.push(
      `variants: ${props.variants.length} given; an endpoint has 1-${MAX_PRODUCTION_VARIANTS} production variants`,
    );
  const all: Array<[string, VariantModel & { name: string }]> = [
    ...props.variants.map((v, i) => [`variants[${i}]`, v] as [string, ProductionVariant]),
    ...(props.shadow ? [['shadow', props.shadow] as [string, ShadowVariant]] : []),
  ];
  const seen = new Set<string>();
  for (const [where, v] of all) {
    if (!named.test(v.name)) problems.push(`${where}.name ${v.name}: must be 1-${MAX_NAME} letters, digits or hyphens`);
    if (seen.has(v.name)) problems.push(`${where}.name ${v.name}: another variant has this name`);
    seen.add(v.name);
    const direct = v.image !== undefined || v.modelData !== undefined;
    if (v.modelPackageVersion !== undefined && direct)
      problems.push(`${where}: give modelPackageVersion or image and modelData, not both`);
    else if (v.modelPackageVersion === undefined && (v.image === undefined || v.modelData === undefined))
      problems.push(`${where}: give modelPackageVersion, or both image and modelData`);
    if (v.modelPackageVersion !== undefined && !props.packageRegistry)
      problems.push(
        `${where}.modelPackageVersion ${v.modelPackageVersion}: needs packageRegistry, the registry that holds the approved versions`,
      );
  }
  const sampling = props.captureSamplingPercent;
  if (sampling !== undefined && (!Number.isInteger(sampling) || sampling < 0 || sampling > 100))
    problems.push(`captureSamplingPercent ${sampling}: must be a whole number from 0 to 100`);
  for (const kind of props.monitoringService === 'model-monitor' ? (['dataQuality', 'modelQuality'] as const) : []) {
    if (names[kind].length > MAX_NAME)
      problems.push(
        `monitoringNames.${kind} ${names[kind]}: ${names[kind].length} characters; Model Monitor takes at most ${MAX_NAME}`,
      );
  }
  return problems;
}
