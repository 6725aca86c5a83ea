import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../policies/acknowledge';
import { wildcardFindings } from '../policies/acknowledge-wildcards';
import { EncryptedLogGroup } from './encrypted-log-group';
import { ManagedPolicyRole } from './managed-policy-role';
import { sklearnProcessingImage } from './aws-facts';
import { DeadLetterQueue } from './dead-letter-queue';
import { SageMakerExecutionRole } from './sagemaker-execution-role';

/** Namespace of the estate's monitoring metrics (the state machine may publish there only). */
export const MONITORING_NAMESPACE = 'Estate/ModelMonitoring';

/** The reference script every monitoring run and every training report step runs. */
export const MONITORING_SCRIPT = path.resolve(__dirname, '..', 'processing', 'estate_monitoring.py');

export { SKLEARN_PROCESSING_REGISTRY, SKLEARN_PROCESSING_TAG, sklearnProcessingImage } from './aws-facts';

/** One monitoring run: instance, disk and time limit (the cost basis in the README). */
export const MONITORING_JOB = { instanceType: 'ml.m5.xlarge', volumeSizeInGb: 30, maxRuntimeSeconds: 3600 } as const;

/**
 * A job reads at most this many production variants' captures (SageMaker: 10 inputs; code, baseline and two label days
 * take four).
 */
export const MAX_MONITORED_VARIANTS = 6;

export interface MonitoringThresholds {
  /** PSI at which drift acts (the tier's psiBlock). */
  readonly psi: number;
  /** Disparate impact floor per protected facet (the tier's minDisparateImpact). */
  readonly minDisparateImpact: number;
  /**
   * Live quality: AUC floor and F1 floor (classifiers) or RMSE ceiling (regression).
   * @default - no quality alarm
   */
  readonly quality?:
    | { readonly metric: 'auc'; readonly value: number; readonly minF1: number }
    | { readonly metric: 'rmse'; readonly value: number };
  /**
   * Segments the job computes on their own (metrics with a Segment dimension); critical ones get alarms.
   * @default - none
   */
  readonly segments?: readonly MonitoredSegment[];
}

/** A segment as the monitoring job and its alarms need it. */
export interface MonitoredSegment {
  readonly name: string;
  /** The script's --segment argument (lib/config/segments.ts segmentArgument). */
  readonly argument: string;
  /**
   * Critical: alarms on its quality and drift, on the topic, the dashboard and (where the model retrains on alarms) the
   * trigger.
   */
  readonly critical: boolean;
  /**
   * Its live quality floor (AUC) or ceiling (RMSE); the tier's unless the segment has its own.
   * @default - no quality alarm for the segment
   */
  readonly quality?:
    { readonly metric: 'auc'; readonly value: number } | { readonly metric: 'rmse'; readonly value: number };
}

/**
 * Names of an endpoint's alarms that start retraining, in the order EstateMonitoring creates them:
 * live quality (where alarmed), input and score drift, then each critical segment's drift, score drift
 * and quality. Other accounts' rules name them before they exist (prod's alarms forwarded to staging).
 */
export function retrainingAlarmNames(
  endpoint: string,
  p: { readonly quality: boolean; readonly modelQuality: boolean; readonly segments: readonly MonitoredSegment[] },
): string[] {
  return [
    ...(p.quality ? [`${endpoint}-model-quality`] : []),
    `${endpoint}-feature-drift`,
    `${endpoint}-score-drift`,
    ...p.segments
      .filter((s) => s.critical)
      .flatMap((s) => [
        segmentAlarmName(endpoint, s.name, 'drift'),
        segmentAlarmName(endpoint, s.name, 'score-drift'),
        ...(p.modelQuality && s.quality ? [segmentAlarmName(endpoint, s.name, 'quality')] : []),
      ]),
  ];
}

/** Name of the alarm of a critical segment: `<endpoint>-segment-<name>-<kind>` (quality, drift, score-drift). */
export const segmentAlarmName = (
  endpoint: string,
  segment: string,
  kind: 'quality' | 'drift' | 'score-drift',
): string => `${endpoint}-segment-${segment}-${kind}`;

export interface EstateMonitoringProps {
  /**
   * The endpoint monitored: its captures, its metrics' `Endpoint` dimension, and the prefix of the names of what this
   * builds.
   */
  readonly endpointName: string;
  /** The model the endpoint serves (descriptions, the jobs' `model:id` tag). */
  readonly modelId: string;
  /** How the job judges quality: AUC and F1 against labels, or RMSE. */
  readonly problemType: 'binary_classification' | 'regression';
  /** Facets whose disparate impact is measured and alarmed on (none: no bias alarm). */
  readonly protectedAttributes: readonly string[];
  /** Production variants whose captures are read. */
  readonly variants: readonly string[];
  /**
   * The shadow variant, if the endpoint has one: its captures are read too, left out of the endpoint's figures (callers
   * never see its answers) and, with segments, reported per variant (report.json `result.variants`) for the deployment
   * gate's comparison of a shadow challenger with the production variant on the same requests.
   * @default - no shadow variant
   */
  readonly shadowVariant?: string;
  /** Hourly: data quality, drift and bias. */
  readonly dataQuality: boolean;
  /** Daily: model quality against labels (and the day's drift and bias). */
  readonly modelQuality: boolean;
  /** What the alarms fire on. */
  readonly thresholds: MonitoringThresholds;
  /** Isolated subnets the jobs run in. */
  readonly subnets: readonly ec2.ISubnet[];
  /** The jobs' security group. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The ML key: job volumes and outputs, the dead-letter queue of the schedules. */
  readonly mlKey: kms.IKey;
  /** The logs key: the runs' execution history. */
  readonly logsKey: kms.IKey;
  /**
   * How long the runs' execution history is kept.
   * @default - EncryptedLogGroup's (one year)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The capture bucket: captures under capture/<endpoint>/, baseline, labels and reports under monitoring/<endpoint>/.
   */
  readonly captureBucket: s3.IBucket;
  /**
   * Where labels arrive (an s3://<bucket>/<prefix>/ URI).
   * @default - monitoring/<endpoint>/ground-truth/ of the capture bucket
   */
  readonly groundTruth?: string;
  /** Where the alarms notify (when they fire and when they clear). */
  readonly alarmTopic: sns.ITopic;
  /**
   * Names of the hourly and daily schedules (the guardrails keep them from being changed or deleted by name), at most
   * 64 characters each.
   * @default - `<endpoint>-hourly` and `<endpoint>-daily`
   */
  readonly scheduleNames?: { readonly hourly: string; readonly daily: string };
}

/** EventBridge Scheduler's limit on a schedule's name (CreateSchedule API reference, Name). */
const MAX_SCHEDULE_NAME = 64;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The estate's own monitoring of one endpoint (SageMaker Model Monitor and
 * Clarify are closed to new customers): EventBridge Scheduler starts a Step
 * Functions state machine hourly (data quality, drift, bias drift) and daily
 * (model quality, with the labels that arrived). The state machine works out
 * the window from the scheduled time, skips a window without traffic (and says
 * so in a metric), runs a network-isolated SageMaker Processing job (AWS's
 * scikit-learn image and the estate's script, in the isolated subnets, ML key
 * on volume and output) that writes its report under monitoring/<endpoint>/reports/
 * of the capture bucket, then publishes the job's metric data to CloudWatch
 * (the job itself has no network). Alarms per signal on the environment's topic.
 *
 * Step Functions rather than a SageMaker pipeline: its JSONata expressions
 * turn the scheduled time into the capture prefixes of the window (pipelines
 * have no date functions), it can list a prefix before a job would fail on it,
 * and it can call PutMetricData without a function of our own.
 */
export class EstateMonitoring extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly jobRole: SageMakerExecutionRole;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Alarms that start retraining where configured: live quality and drift of inputs or score. */
  readonly retrainingAlarms: cloudwatch.Alarm[] = [];
  /** Fires when live quality crosses its floor or ceiling (model quality monitored with a quality threshold). */
  readonly qualityAlarm?: cloudwatch.Alarm;
  readonly schedules: scheduler.Schedule[] = [];
  readonly widgets: cloudwatch.IWidget[] = [];
  /** Job names start with this (unique per endpoint, at most 48 characters). */
  readonly jobPrefix: string;

  constructor(scope: Construct, id: string, props: EstateMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { partition, region, account } = stack;
    const ep = props.endpointName;
    const read = props.variants.length + (props.shadowVariant ? 1 : 0);
    if (read > MAX_MONITORED_VARIANTS) {
      throw new Error(
        `${this.node.path}: ${ep} has ${read} ${props.shadowVariant ? 'production and shadow variants' : 'production variants'}; the estate's monitoring reads at most ${MAX_MONITORED_VARIANTS} (a processing job takes 10 inputs)`,
      );
    }
    const hourlyName = props.scheduleNames?.hourly ?? `${ep}-hourly`;
    const dailyName = props.scheduleNames?.daily ?? `${ep}-daily`;
    const tooLong = [hourlyName, dailyName].filter((n) => n.length > MAX_SCHEDULE_NAME);
    if (tooLong.length > 0)
      throw new Error(
        `${this.node.path}: schedule names must be at most ${MAX_SCHEDULE_NAME} characters (EventBridge Scheduler); got ${tooLong.map((n) => `${n} (${n.length})`).join(', ')}: pass scheduleNames`,
      );
    const image = sklearnProcessingImage(region, this.node.path);
    const bucket = props.captureBucket;
    const groundTruth = parseS3Prefix(props.groundTruth ?? `s3://${bucket.bucketName}/monitoring/${ep}/ground-truth/`);
    const monitoringPrefix = `monitoring/${ep}`;
    // Unique per endpoint: a long name keeps its start and a digest of the whole.
    this.jobPrefix =
      ep.length <= 38
        ? `${ep}-mon`
        : `${ep.slice(0, 29).replace(/-+$/, '')}-${createHash('sha256').update(ep).digest('hex').slice(0, 8)}-mon`;

    const script = new s3assets.Asset(this, 'Script', { path: MONITORING_SCRIPT });

    // The job: reads this endpoint's captures, labels and baseline, writes its reports; no network.
    this.jobRole = new SageMakerExecutionRole(this, 'JobRole', {
      description: `Monitoring jobs of ${ep}: read its captures, labels and baseline, write its reports`,
      logGroups: ['/aws/sagemaker/ProcessingJobs'],
      repositories: [`arn:${partition}:ecr:${region}:${image.split('.')[0]}:repository/sagemaker-scikit-learn`],
    });
    const job = this.jobRole.allow.bind(this.jobRole);
    const groundTruthBucket = `arn:${partition}:s3:::${groundTruth.bucket}`;
    job(
      'ReadCapturesLabelsBaseline',
      ['s3:GetObject'],
      [
        bucket.arnForObjects(`capture/${ep}/*`),
        bucket.arnForObjects(`${monitoringPrefix}/baseline/*`),
        `${groundTruthBucket}/${groundTruth.prefix}*`,
      ],
    );
    job('ListInputs', ['s3:ListBucket'], [...new Set([bucket.bucketArn, groundTruthBucket])], {
      StringLike: { 's3:prefix': [`capture/${ep}/*`, `${monitoringPrefix}/baseline/*`, `${groundTruth.prefix}*`] },
    });
    job('WriteReports', ['s3:PutObject'], [bucket.arnForObjects(`${monitoringPrefix}/reports/*`)]);
    job('ReadScript', ['s3:GetObject'], [script.bucket.arnForObjects(script.s3ObjectKey)]);
    job('UseMlKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], [props.mlKey.keyArn]);
    this.jobRole.acknowledgeWildcards(
      "Wildcards only for objects created at run time under this endpoint's capture, label, baseline and report prefixes, log streams, APIs without resource-level permission (ENIs, ECR login), or scoped by a condition (metrics namespace, listed prefixes).",
    );

    // The state machine: window, inputs that exist, the job, then the metrics.
    const role = new ManagedPolicyRole(this, 'RunnerRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: `Runs the monitoring of ${ep}: lists its inputs, starts its jobs, publishes their metrics`,
    });
    const jobArn = `arn:${partition}:sagemaker:${region}:${account}:processing-job/${this.jobPrefix.toLowerCase()}-*`;
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    allow('StartIsolatedJobs', ['sagemaker:CreateProcessingJob'], [jobArn], {
      Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
      ArnEquals: { 'sagemaker:VolumeKmsKeyArn': props.mlKey.keyArn, 'sagemaker:OutputKmsKeyArn': props.mlKey.keyArn },
    });
    // What the .sync integration calls to follow (and on a stopped run, stop) the job it started.
    allow(
      'FollowJobs',
      ['sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags', 'sagemaker:ListTags'],
      [jobArn],
    );
    allow(
      'JobCompletionEvents',
      ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      [`arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule`],
    );
    allow('PassJobRole', ['iam:PassRole'], [this.jobRole.roleArn], {
      StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    });
    allow('FindInputs', ['s3:ListBucket'], [...new Set([bucket.bucketArn, groundTruthBucket])], {
      StringLike: { 's3:prefix': [`capture/${ep}/*`, `${groundTruth.prefix}*`] },
    });
    allow('ReadMetricData', ['s3:GetObject'], [bucket.arnForObjects(`${monitoringPrefix}/reports/*`)]);
    allow('UseMlKey', ['kms:Decrypt', 'kms:DescribeKey'], [props.mlKey.keyArn]);
    allow('GrantJobVolumeKey', ['kms:CreateGrant'], [props.mlKey.keyArn], {
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    });
    allow('PublishMonitoringMetrics', ['cloudwatch:PutMetricData'], ['*'], {
      StringEquals: { 'cloudwatch:namespace': MONITORING_NAMESPACE },
    });

    const logGroup = new EncryptedLogGroup(this, 'RunLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
    });
    const definition = monitoringDefinition({
      endpointName: ep,
      jobPrefix: this.jobPrefix,
      bucket: bucket.bucketName,
      groundTruth,
      variants: props.variants,
      shadowVariant: props.shadowVariant,
      image,
      script: { bucket: script.s3BucketName, key: script.s3ObjectKey },
      jobRoleArn: this.jobRole.roleArn,
      mlKeyArn: props.mlKey.keyArn,
      subnets: props.subnets.map((s) => s.subnetId),
      securityGroups: [props.securityGroup.securityGroupId],
      problemType: props.problemType,
      facets: props.protectedAttributes,
      modelId: props.modelId,
      segments: (props.thresholds.segments ?? []).map((s) => s.argument),
    });
    this.stateMachine = new sfn.StateMachine(this, 'Runner', {
      // Named after the endpoint (`<environment>-<model>`): the guardrails keep its runs from being stopped by that
      // prefix.
      stateMachineName: `${ep}-monitoring`,
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.hours(2),
      comment: `Monitoring of ${ep}`,
    });
    this.stateMachine.node.addDependency(role);
    acknowledgeFindings(
      role.permissionsPolicy!,
      wildcardFindings(stack, role.permissionsPolicy!.document),
      "Resource '*' only where the API has none (PutMetricData, scoped to the estate's namespace by condition; log delivery and X-Ray of the state machine); job names and reports exist only at run time, under this endpoint's prefix.",
    );

    // The schedules: Scheduler starts the state machine with the scheduled time (retries keep the same time, so the
    // same job name).
    const undelivered = new DeadLetterQueue(this, 'UndeliveredRuns', {
      encryptionKey: props.mlKey,
      reason:
        'This queue is itself the dead-letter queue of the monitoring schedules; a run Scheduler could not start rests here for investigation.',
    });
    const starter = new ManagedPolicyRole(this, 'StarterRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: `Starts the monitoring runs of ${ep}, nothing else`,
    });
    // The dead-letter queue is under the ML key.
    starter.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeadLettersUnderMlKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.mlKey.keyArn],
      }),
    );
    const schedule = (kind: 'hour' | 'day', expression: string) => {
      const s = new scheduler.Schedule(this, kind === 'hour' ? 'Hourly' : 'Daily', {
        // Named (`<endpoint>-hourly`, `-daily`): the guardrails keep them from being changed or deleted by that name.
        scheduleName: kind === 'hour' ? hourlyName : dailyName,
        schedule: scheduler.ScheduleExpression.expression(expression),
        description: `${kind === 'hour' ? 'Hourly data quality, drift and bias' : 'Daily model quality'} of ${ep}`,
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            window: kind,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          deadLetterQueue: undelivered,
          role: starter,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      });
      this.schedules.push(s);
    };
    if (props.dataQuality) schedule('hour', 'cron(15 * * * ? *)');
    if (props.modelQuality) schedule('day', 'cron(30 6 * * ? *)');

    // Alarms on what the runs publish.
    const hourly = props.dataQuality;
    const period = hourly ? Duration.hours(1) : Duration.days(1);
    const m = (metricName: string, statistic: string, extra: Record<string, string> = {}, p: Duration = period) =>
      new cloudwatch.Metric({
        namespace: MONITORING_NAMESPACE,
        metricName,
        statistic,
        period: p,
        dimensionsMap: { Endpoint: ep, ...extra },
      });
    const alarm = (
      kind: string,
      description: string,
      props2: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription'>,
    ) => {
      const a = new cloudwatch.Alarm(this, `Alarm-${kind}`, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...props2,
        alarmName: `${ep}-${kind}`,
        alarmDescription: description,
      });
      a.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      a.addOkAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      this.alarms.push(a);
      return a;
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;
    const t = props.thresholds;
    const featureDrift = alarm(
      'feature-drift',
      `${props.modelId}: an input feature's PSI against the training baseline is above ${t.psi}; starts retraining where configured`,
      { metric: m('MaxFeaturePsi', 'Maximum'), threshold: t.psi, evaluationPeriods: 1, comparisonOperator: above },
    );
    const scoreDrift = alarm(
      'score-drift',
      `${props.modelId}: the score's PSI against the training baseline is above ${t.psi}; starts retraining where configured`,
      { metric: m('ScorePsi', 'Maximum'), threshold: t.psi, evaluationPeriods: 1, comparisonOperator: above },
    );
    alarm('data-quality', `${props.modelId}: inputs violate the baseline constraints (missing, type or range)`, {
      metric: m('DataQualityViolations', 'Maximum'),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: above,
    });
    for (const facet of props.protectedAttributes) {
      alarm(
        `bias-${facet}`,
        `${props.modelId}: disparate impact of a ${facet} group below ${t.minDisparateImpact} on live predictions`,
        {
          metric: m('DisparateImpact', 'Minimum', { Facet: facet }),
          threshold: t.minDisparateImpact,
          evaluationPeriods: 1,
          comparisonOperator: below,
        },
      );
    }
    this.retrainingAlarms.push(featureDrift, scoreDrift);
    if (props.modelQuality && t.quality) {
      const day = Duration.days(1);
      if (t.quality.metric === 'auc') {
        this.qualityAlarm = alarm(
          'model-quality',
          `${props.modelId}: AUC below ${t.quality.value} on labelled live traffic; starts retraining where configured`,
          {
            metric: m('Auc', 'Minimum', {}, day),
            threshold: t.quality.value,
            evaluationPeriods: 1,
            comparisonOperator: below,
          },
        );
        alarm('f1', `${props.modelId}: F1 below ${t.quality.minF1} on labelled live traffic`, {
          metric: m('F1', 'Minimum', {}, day),
          threshold: t.quality.minF1,
          evaluationPeriods: 1,
          comparisonOperator: below,
        });
      } else {
        this.qualityAlarm = alarm(
          'model-quality',
          `${props.modelId}: RMSE above ${t.quality.value} on labelled live traffic; starts retraining where configured`,
          {
            metric: m('Rmse', 'Maximum', {}, day),
            threshold: t.quality.value,
            evaluationPeriods: 1,
            comparisonOperator: above,
          },
        );
      }
      this.retrainingAlarms.unshift(this.qualityAlarm);
    }
    // Critical segments: their own quality and drift, judged against the same segment in training (the aggregate hides
    // them).
    const critical = (t.segments ?? []).filter((s) => s.critical);
    for (const s of critical) {
      const dims = { Segment: s.name };
      const drift = alarm(
        `segment-${s.name}-drift`,
        `${props.modelId}: an input feature's PSI in segment ${s.name} against the same segment in training is above ${t.psi}; starts retraining where configured`,
        {
          metric: m('MaxFeaturePsi', 'Maximum', dims),
          threshold: t.psi,
          evaluationPeriods: 1,
          comparisonOperator: above,
        },
      );
      const score = alarm(
        `segment-${s.name}-score-drift`,
        `${props.modelId}: the score's PSI in segment ${s.name} against the same segment in training is above ${t.psi}; starts retraining where configured`,
        { metric: m('ScorePsi', 'Maximum', dims), threshold: t.psi, evaluationPeriods: 1, comparisonOperator: above },
      );
      this.retrainingAlarms.push(drift, score);
      if (props.modelQuality && s.quality) {
        const day = Duration.days(1);
        const q =
          s.quality.metric === 'auc'
            ? alarm(
                `segment-${s.name}-quality`,
                `${props.modelId}: AUC in segment ${s.name} below ${s.quality.value} on labelled live traffic (published only with the segment's minimum support); starts retraining where configured`,
                {
                  metric: m('Auc', 'Minimum', dims, day),
                  threshold: s.quality.value,
                  evaluationPeriods: 1,
                  comparisonOperator: below,
                },
              )
            : alarm(
                `segment-${s.name}-quality`,
                `${props.modelId}: RMSE in segment ${s.name} above ${s.quality.value} on labelled live traffic; starts retraining where configured`,
                {
                  metric: m('Rmse', 'Maximum', dims, day),
                  threshold: s.quality.value,
                  evaluationPeriods: 1,
                  comparisonOperator: above,
                },
              );
        this.retrainingAlarms.push(q);
      }
    }
    // A monitor that stops reporting, or fails, is itself a finding.
    alarm(
      'monitoring-silent',
      `${props.modelId}: no monitoring run has reported for ${hourly ? '3 hours' : '2 days'}`,
      {
        metric: m('RecordsAnalyzed', 'SampleCount'),
        threshold: 1,
        evaluationPeriods: hourly ? 3 : 2,
        comparisonOperator: below,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    alarm(
      'monitoring-failed',
      `${props.modelId}: a monitoring run failed (see the state machine's execution history)`,
      {
        metric: this.stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: above,
      },
    );

    const graph = (title: string, metrics: cloudwatch.IMetric[], horizontal?: number) =>
      new cloudwatch.GraphWidget({
        title,
        left: metrics,
        width: 12,
        leftAnnotations: horizontal === undefined ? undefined : [{ value: horizontal, label: 'alarm' }],
      });
    const search = (metricName: string, dims: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${MONITORING_NAMESPACE},${dims}} MetricName="${metricName}" Endpoint="${ep}"', 'Maximum', ${period.toSeconds()})`,
        label,
        usingMetrics: {},
        period,
      });
    this.widgets.push(
      graph('PSI per feature', [search('FeaturePsi', 'Endpoint,Feature', 'PSI')], t.psi),
      graph(
        'Score PSI, data-quality violations',
        [m('ScorePsi', 'Maximum'), m('DataQualityViolations', 'Maximum')],
        t.psi,
      ),
      graph(
        'Disparate impact per facet',
        props.protectedAttributes.map((f) => m('DisparateImpact', 'Minimum', { Facet: f })),
        t.minDisparateImpact,
      ),
      graph(
        'Live model quality',
        t.quality?.metric === 'auc'
          ? [m('Auc', 'Minimum', {}, Duration.days(1)), m('F1', 'Minimum', {}, Duration.days(1))]
          : [m('Rmse', 'Maximum', {}, Duration.days(1))],
        t.quality?.value,
      ),
      graph('Missing / type / range violation rate per feature', [
        search('MissingRate', 'Endpoint,Feature', 'missing'),
        search('TypeViolationRate', 'Endpoint,Feature', 'type'),
        search('RangeViolationRate', 'Endpoint,Feature', 'range'),
      ]),
      graph('Records analysed, labelled', [m('RecordsAnalyzed', 'Sum'), m('LabelledRecords', 'Sum')]),
    );
    if ((t.segments ?? []).length > 0) {
      const segments = t.segments!;
      const qualityMetric = t.quality?.metric === 'rmse' ? 'Rmse' : 'Auc';
      this.widgets.push(
        graph(
          `Live ${qualityMetric === 'Auc' ? 'AUC' : 'RMSE'} per segment`,
          segments.map((s) =>
            m(qualityMetric, qualityMetric === 'Auc' ? 'Minimum' : 'Maximum', { Segment: s.name }, Duration.days(1)),
          ),
          critical.find((s) => s.quality)?.quality?.value,
        ),
        graph(
          'Max feature PSI per segment (against the segment in training)',
          segments.map((s) => m('MaxFeaturePsi', 'Maximum', { Segment: s.name })),
          t.psi,
        ),
        graph(
          'Score PSI per segment',
          segments.map((s) => m('ScorePsi', 'Maximum', { Segment: s.name })),
          t.psi,
        ),
        graph(
          'Records per segment',
          segments.map((s) => m('RecordsAnalyzed', 'Sum', { Segment: s.name })),
        ),
      );
    }
  }
}

/** Bucket and key prefix of an s3:// prefix URI (tokens allowed in the bucket). */
export function parseS3Prefix(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3://<bucket>/<prefix>/ URI`);
  const prefix = match[2] === '' || match[2].endsWith('/') ? match[2] : `${match[2]}/`;
  return { bucket: match[1], prefix };
}

export interface MonitoringDefinitionProps {
  readonly endpointName: string;
  readonly jobPrefix: string;
  readonly bucket: string;
  readonly groundTruth: { readonly bucket: string; readonly prefix: string };
  readonly variants: readonly string[];
  /**
   * A shadow variant whose captures are read and judged per variant only (the script's --shadow).
   * @default - no shadow variant
   */
  readonly shadowVariant?: string;
  readonly image: string;
  readonly script: { readonly bucket: string; readonly key: string };
  readonly jobRoleArn: string;
  readonly mlKeyArn: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly problemType: string;
  readonly facets: readonly string[];
  readonly modelId: string;
  /**
   * The script's --segment arguments, one per segment.
   * @default - none
   */
  readonly segments?: readonly string[];
}

/**
 * The Amazon States Language (JSONata) of one endpoint's monitoring run. Input:
 * `{window: "hour" | "day", scheduledTime}` (Scheduler); a manual start without
 * a time uses the execution's start. The window ends at the scheduled hour
 * (or day), so a retried or replayed start names the same job and cannot run twice.
 */
export function monitoringDefinition(p: MonitoringDefinitionProps): Record<string, unknown> {
  const ep = p.endpointName;
  const s3 = (key: string) => `s3://${p.bucket}/${key}`;
  const captureCandidates = [...p.variants, ...(p.shadowVariant ? [p.shadowVariant] : [])].map(
    (v) =>
      `{"kind": "capture", "name": "${v}", "bucket": "${p.bucket}", "prefix": "capture/${ep}/${v}/" & $capturePath & "/"}`,
  );
  const labelCandidates = `$window = "day" ? [{"kind": "ground-truth", "name": "0", "bucket": "${p.groundTruth.bucket}", "prefix": "${p.groundTruth.prefix}" & $fromMillis($start, "[Y0001]/[M01]/[D01]") & "/"}, {"kind": "ground-truth", "name": "1", "bucket": "${p.groundTruth.bucket}", "prefix": "${p.groundTruth.prefix}" & $fromMillis($end, "[Y0001]/[M01]/[D01]") & "/"}] : []`;
  const retry = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }];
  const processingInput = (name: string, uri: string, localPath: string) =>
    `{"InputName": ${name}, "AppManaged": false, "S3Input": {"S3Uri": ${uri}, "LocalPath": ${localPath}, "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}`;
  const inputs = [
    `[${processingInput('"code"', `"s3://${p.script.bucket}/${p.script.key}"`, '"/opt/ml/processing/input/code"')}, ${processingInput('"baseline"', `"${s3(`monitoring/${ep}/baseline/`)}"`, '"/opt/ml/processing/input/baseline"')}]`,
    `$map($found, function($i) { ${processingInput('$i.kind & "-" & $i.name', '"s3://" & $i.bucket & "/" & $i.prefix', '"/opt/ml/processing/input/" & $i.kind & "/" & $i.name')} })`,
  ];
  return {
    Comment: `Monitoring of ${ep}: data quality, drift, model quality and bias drift of one window`,
    QueryLanguage: 'JSONata',
    StartAt: 'Window',
    States: {
      Window: {
        Type: 'Pass',
        Assign: {
          window: '{% $states.input.window = "day" ? "day" : "hour" %}',
          scheduled:
            '{% $toMillis($exists($states.input.scheduledTime) ? $states.input.scheduledTime : $states.context.Execution.StartTime) %}',
        },
        Next: 'Prefixes',
      },
      Prefixes: {
        Type: 'Pass',
        Assign: {
          end: `{% $window = "day" ? $floor($scheduled / ${DAY_MS}) * ${DAY_MS} : $floor($scheduled / ${HOUR_MS}) * ${HOUR_MS} %}`,
          start: `{% $window = "day" ? $floor($scheduled / ${DAY_MS}) * ${DAY_MS} - ${DAY_MS} : $floor($scheduled / ${HOUR_MS}) * ${HOUR_MS} - ${HOUR_MS} %}`,
        },
        Next: 'Candidates',
      },
      Candidates: {
        Type: 'Pass',
        Assign: {
          capturePath:
            '{% $fromMillis($start, $window = "day" ? "[Y0001]/[M01]/[D01]" : "[Y0001]/[M01]/[D01]/[H01]") %}',
          jobName: `{% "${p.jobPrefix}-" & ($window = "day" ? "d" : "h") & $fromMillis($end, "[Y0001][M01][D01][H01]") %}`,
        },
        Next: 'FindInputs',
      },
      FindInputs: {
        Type: 'Map',
        Items: `{% $append([${captureCandidates.join(', ')}], ${labelCandidates}) %}`,
        MaxConcurrency: 4,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'List',
          States: {
            List: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
              Arguments: { Bucket: '{% $states.input.bucket %}', Prefix: '{% $states.input.prefix %}', MaxKeys: 1 },
              Output: '{% $merge([$states.input, {"found": $states.result.KeyCount > 0}]) %}',
              Retry: retry,
              End: true,
            },
          },
        },
        Assign: { found: '{% $append([], $filter($states.result, function($i) { $i.found })) %}' },
        Next: 'AnyTraffic',
      },
      AnyTraffic: {
        Type: 'Choice',
        Choices: [
          { Condition: '{% $count($filter($found, function($i) { $i.kind = "capture" })) > 0 %}', Next: 'Analyse' },
        ],
        Default: 'NoTraffic',
      },
      NoTraffic: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
        Arguments: {
          Namespace: MONITORING_NAMESPACE,
          MetricData: [
            { MetricName: 'RecordsAnalyzed', Dimensions: [{ Name: 'Endpoint', Value: ep }], Value: 0, Unit: 'Count' },
          ],
        },
        Retry: retry,
        End: true,
      },
      Analyse: {
        Type: 'Task',
        Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync',
        Arguments: {
          ProcessingJobName: '{% $jobName %}',
          RoleArn: p.jobRoleArn,
          AppSpecification: {
            ImageUri: p.image,
            ContainerEntrypoint: ['python3', `/opt/ml/processing/input/code/${p.script.key}`],
            ContainerArguments: `{% ["monitor", "--endpoint", "${ep}", "--problem-type", "${p.problemType}", "--facets", "${p.facets.join(',') || '-'}", "--window", $window, "--window-end", $fromMillis($end)${(p.segments ?? []).map((s) => `, "--segment", ${JSON.stringify(s)}`).join('')}${p.shadowVariant ? `, "--shadow", "${p.shadowVariant}"` : ''}] %}`,
          },
          ProcessingInputs: `{% $append(${inputs[0]}, ${inputs[1]}) %}`,
          ProcessingOutputConfig: {
            KmsKeyId: p.mlKeyArn,
            Outputs: [
              {
                OutputName: 'report',
                AppManaged: false,
                S3Output: {
                  S3Uri: `{% "${s3(`monitoring/${ep}/reports/`)}" & $jobName %}`,
                  LocalPath: '/opt/ml/processing/output',
                  S3UploadMode: 'EndOfJob',
                },
              },
            ],
          },
          ProcessingResources: {
            ClusterConfig: {
              InstanceCount: 1,
              InstanceType: MONITORING_JOB.instanceType,
              VolumeSizeInGB: MONITORING_JOB.volumeSizeInGb,
              VolumeKmsKeyId: p.mlKeyArn,
            },
          },
          NetworkConfig: {
            EnableNetworkIsolation: true,
            EnableInterContainerTrafficEncryption: true,
            VpcConfig: { Subnets: [...p.subnets], SecurityGroupIds: [...p.securityGroups] },
          },
          StoppingCondition: { MaxRuntimeInSeconds: MONITORING_JOB.maxRuntimeSeconds },
          Tags: [
            { Key: 'model:id', Value: p.modelId },
            { Key: 'monitoring:endpoint', Value: ep },
          ],
        },
        Catch: [{ ErrorEquals: ['SageMaker.ResourceInUseException'], Next: 'AlreadyRun' }],
        Next: 'ReadIndex',
      },
      AlreadyRun: { Type: 'Succeed', Comment: 'A replayed start of a window that already has its job' },
      ReadIndex: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:s3:getObject',
        Arguments: { Bucket: p.bucket, Key: `{% "monitoring/${ep}/reports/" & $jobName & "/metrics/index.json" %}` },
        Output: '{% $parse($states.result.Body) %}',
        Retry: retry,
        Next: 'Publish',
      },
      Publish: {
        Type: 'Map',
        Items: '{% $states.input.batches %}',
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'ReadBatch',
          States: {
            ReadBatch: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:s3:getObject',
              Arguments: {
                Bucket: p.bucket,
                Key: `{% "monitoring/${ep}/reports/" & $jobName & "/" & $states.input %}`,
              },
              Output: '{% $parse($states.result.Body) %}',
              Retry: retry,
              Next: 'Put',
            },
            Put: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
              // Every datum is this endpoint's, whatever the file says.
              Arguments: {
                Namespace: MONITORING_NAMESPACE,
                MetricData: `{% $append([], $map($states.input, function($d) { $merge([$d, {"Dimensions": $append([{"Name": "Endpoint", "Value": "${ep}"}], $filter($d.Dimensions, function($x) { $x.Name != "Endpoint" }))}]) })) %}`,
              },
              Retry: retry,
              End: true,
            },
          },
        },
        End: true,
      },
    },
  };
}
