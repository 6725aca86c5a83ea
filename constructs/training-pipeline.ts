import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { repositoryArn } from './aws-facts';
import { DeadLetterQueue } from './dead-letter-queue';
import { MONITORING_SCRIPT, sklearnProcessingImage } from './estate-monitoring';
import { ManagedPolicyRole } from './managed-policy-role';
import { SageMakerExecutionRole } from './sagemaker-execution-role';

/** What an event on an environment's market-events bus looks like. */
export const MARKET_EVENT = { source: 'estate.market-events', detailType: 'Market Event' } as const;

/** The pipeline's parameters; triggers set TriggerSource. */
export const TRIGGER_PARAMETER = 'TriggerSource';

/** Where a training pipeline reads, writes and runs: what its definition is built from. Values may be CDK tokens. */
export interface TrainingPipelineTargets {
  readonly roleArn: string;
  /** Versioned, KMS bucket of the environment's training data; the model reads `<model id>/`. */
  readonly dataBucket: string;
  /** The governance artifact bucket: model artifacts and the reports the approval gate reads. */
  readonly artifactBucket: string;
  /** Keys: data (read), ML (volumes and outputs). */
  readonly mlKeyArn: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  /** The retraining guard function (storm control). */
  readonly guardFunctionArn: string;
  readonly pipelineName: string;
  /** AWS's scikit-learn processing image of the region, which runs the estate's reference script. */
  readonly referenceImage: string;
  /** The estate's reference script (processing/estate_monitoring.py) as uploaded: bucket and key. */
  readonly referenceScript: { readonly bucket: string; readonly key: string };
}

/** The model a pipeline retrains: what its role, descriptions and triggers name. */
export interface RetrainedModel {
  /** The model id: its model package group, and the prefix of its data and outputs. */
  readonly id: string;
  /** Its risk tier, named in the pipeline's description. */
  readonly riskTier: string;
}

/** How a model is retrained: its containers and what starts a run. */
export interface RetrainingSpec {
  /** Training container (an ECR image URI). */
  readonly image: string;
  /** Container of the prepare and predict steps (an ECR image URI). */
  readonly processingImage: string;
  /**
   * EventBridge schedule expression that starts a run.
   * @default - no scheduled runs
   */
  readonly schedule?: string;
  /** Retrain when the endpoint's quality or drift alarm (or a forwarded one) fires. */
  readonly onAlarm: boolean;
  /** Retrain on a market event that names the model, or all models. */
  readonly onMarketEvent: boolean;
}

export interface TrainingPipelineProps {
  /** Name of the environment the pipeline runs in (named in descriptions). */
  readonly environmentName: string;
  readonly model: RetrainedModel;
  readonly training: RetrainingSpec;
  /** Name of the SageMaker pipeline (lib/delivery/names.ts: other stacks name it too). */
  readonly pipelineName: string;
  /** IAM path of the pipeline's role: the artifact bucket lets only roles under it write the evidence prefix. */
  readonly rolePath: string;
  /** The SageMaker Pipelines definition, built from where the pipeline reads, writes and runs. */
  readonly definition: (targets: TrainingPipelineTargets) => Record<string, unknown>;
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** Versioned KMS bucket of training data (by name: it lives in the ML platform stack). */
  readonly dataBucketName: string;
  readonly dataKey: kms.IKey;
  readonly mlKey: kms.IKey;
  /** Where artifacts and the gate's reports go (the governance artifact bucket). */
  readonly artifactBucket: s3.IBucket;
  readonly guardFunctionArn: string;
  /**
   * The endpoint's live-quality and drift alarms, when retraining follows them.
   * @default - none: retraining follows no alarm of this environment
   */
  readonly retrainingAlarms?: readonly cloudwatch.IAlarm[];
  /**
   * The environment's market-events bus, when retraining follows market events.
   * @default - none: retraining follows no market event
   */
  readonly marketEventBus?: events.IEventBus;
  /**
   * Another environment's (prod's) retraining alarms, forwarded to this environment's bus: the
   * environment, its account, and the alarms' ARNs. Retraining follows them as it follows its own.
   * @default - none
   */
  readonly forwardedAlarms?: ReadonlyArray<{
    readonly bus: events.IEventBus;
    readonly environment: string;
    readonly account: string;
    readonly alarmArns: readonly string[];
  }>;
  /** Failed runs are announced here. */
  readonly notifications: sns.ITopic;
}

/**
 * A model's retraining in one environment: the SageMaker pipeline of the
 * given definition (the estate's: lib/ml/training-definition.ts), its least-privilege role, and
 * its triggers, each an EventBridge rule whose target is the pipeline (with
 * the trigger named in the TriggerSource parameter, retries and a KMS
 * dead-letter queue): a schedule, the endpoint's model-quality alarm, and
 * market events for this model. The pipeline's first step is the retraining
 * guard (cooldown and a daily cap), so a storm of triggers costs one short,
 * refused execution each. Failed runs are announced on the model topic.
 */
export class TrainingPipeline extends Construct {
  readonly pipeline: sagemaker.CfnPipeline;
  readonly pipelineName: string;
  readonly role: SageMakerExecutionRole;
  readonly triggers: Record<'schedule' | 'alarm' | 'market-event', events.Rule | undefined> &
    Record<string, events.Rule | undefined> = { schedule: undefined, alarm: undefined, 'market-event': undefined };
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { partition, region, account } = stack;
    const { model, training } = props;
    const env = { name: props.environmentName };
    this.pipelineName = props.pipelineName;
    const pipelineArn = `arn:${partition}:sagemaker:${region}:${account}:pipeline/${this.pipelineName.toLowerCase()}`;

    // The reports are computed by the estate's reference script in AWS's scikit-learn image (open formulas, no Clarify
    // or Model Monitor).
    const referenceImage = sklearnProcessingImage(region, this.node.path);
    const script = new s3assets.Asset(this, 'ReferenceScript', { path: MONITORING_SCRIPT });
    this.role = new SageMakerExecutionRole(this, 'Role', {
      description: `Retraining of ${model.id} in ${env.name}: its data, its jobs, pending registration only`,
      path: props.rolePath,
      logGroups: ['/aws/sagemaker/ProcessingJobs', '/aws/sagemaker/TrainingJobs'],
      repositories: [
        ...new Set(
          [training.image, training.processingImage, referenceImage].map((image) => repositoryArn(partition, image)),
        ),
      ].sort(),
    });
    const allow = this.role.allow.bind(this.role);
    allow('ReadReferenceScript', ['s3:GetObject'], [script.bucket.arnForObjects(script.s3ObjectKey)]);
    const data = `arn:${partition}:s3:::${props.dataBucketName}`;
    allow('ReadTrainingData', ['s3:GetObject', 's3:GetObjectVersion'], [`${data}/${model.id}/*`]);
    allow('ListTrainingData', ['s3:ListBucket', 's3:ListBucketVersions'], [data], {
      StringLike: { 's3:prefix': [`${model.id}/*`, `${model.id}/`] },
    });
    const outputs = props.artifactBucket.arnForObjects(`training/${model.id}/*`);
    allow('WriteRunOutputs', ['s3:GetObject', 's3:PutObject'], [outputs]);
    allow('ListRunOutputs', ['s3:ListBucket'], [props.artifactBucket.bucketArn]);
    allow('DecryptTrainingData', ['kms:Decrypt', 'kms:DescribeKey'], [props.dataKey.keyArn]);
    allow(
      'UseMlKey',
      ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
      [props.mlKey.keyArn],
    );
    allow(
      'RunJobs',
      [
        'sagemaker:CreateProcessingJob',
        'sagemaker:CreateTrainingJob',
        'sagemaker:DescribeProcessingJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:StopProcessingJob',
        'sagemaker:StopTrainingJob',
        'sagemaker:AddTags',
      ],
      [
        `arn:${partition}:sagemaker:${region}:${account}:processing-job/*`,
        `arn:${partition}:sagemaker:${region}:${account}:training-job/*`,
      ],
    );
    // Registration is pending only: a version registered as anything else is refused.
    allow(
      'RegisterPendingVersions',
      ['sagemaker:CreateModelPackage'],
      [
        `arn:${partition}:sagemaker:${region}:${account}:model-package/${model.id}/*`,
        `arn:${partition}:sagemaker:${region}:${account}:model-package-group/${model.id}`,
      ],
      { StringEquals: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } },
    );
    allow('PassOwnRoleToJobs', ['iam:PassRole'], [this.role.roleArn], {
      StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' },
    });
    allow('AskTheGuard', ['lambda:InvokeFunction'], [props.guardFunctionArn]);
    this.role.acknowledgeWildcards(
      "Wildcards only for names created at run time (job names SageMaker Pipelines generates, package versions, run outputs under this model's prefix, log streams), for APIs without resource-level permission (ENIs, ECR login), or scoped by a condition (metrics namespace).",
    );

    const definition = props.definition({
      roleArn: this.role.roleArn,
      dataBucket: props.dataBucketName,
      artifactBucket: props.artifactBucket.bucketName,
      mlKeyArn: props.mlKey.keyArn,
      subnets: props.subnets.map((s) => s.subnetId),
      securityGroups: [props.securityGroup.securityGroupId],
      guardFunctionArn: props.guardFunctionArn,
      pipelineName: this.pipelineName,
      referenceImage,
      referenceScript: { bucket: script.s3BucketName, key: script.s3ObjectKey },
    });
    this.pipeline = new sagemaker.CfnPipeline(this, 'Pipeline', {
      pipelineName: this.pipelineName,
      pipelineDescription: `Retrains ${model.id} (${model.riskTier} risk) on ${env.name} data; registers pending versions only`,
      roleArn: this.role.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(definition) },
      // Plain JSON in the L1: CloudFormation's own case.
      parallelismConfiguration: { MaxParallelExecutionSteps: 1 },
    });
    this.pipeline.node.addDependency(this.role);

    // Triggers: EventBridge starts the pipeline, naming the trigger.
    const starter = new ManagedPolicyRole(this, 'TriggerRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: `Starts the ${this.pipelineName} pipeline, nothing else`,
    });
    starter.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartThisPipeline',
        actions: ['sagemaker:StartPipelineExecution'],
        resources: [pipelineArn],
      }),
    );
    this.deadLetters = new DeadLetterQueue(this, 'UndeliveredTriggers', {
      encryptionKey: props.mlKey,
      reason:
        'This queue is itself the dead-letter queue of the retraining triggers; a trigger EventBridge could not deliver rests here for investigation.',
    });
    const target = (trigger: string): events.IRuleTarget => ({
      bind: (rule) => {
        this.deadLetters.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: `Undelivered${trigger.replace(/[^A-Za-z]/g, '')}`,
            principals: [new iam.ServicePrincipal('events.amazonaws.com')],
            actions: ['sqs:SendMessage'],
            resources: [this.deadLetters.queueArn],
            conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleRef.ruleArn } },
          }),
        );
        return {
          arn: pipelineArn,
          role: starter,
          deadLetterConfig: { arn: this.deadLetters.queueArn },
          retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 },
        };
      },
    });
    const withTrigger = (rule: events.Rule, trigger: string) => {
      (rule.node.defaultChild as events.CfnRule).addPropertyOverride('Targets.0.SageMakerPipelineParameters', {
        PipelineParameterList: [{ Name: TRIGGER_PARAMETER, Value: trigger }],
      });
      return rule;
    };
    if (training.schedule) {
      this.triggers.schedule = withTrigger(
        new events.Rule(this, 'OnSchedule', {
          description: `Retrain ${model.id}: ${training.schedule}`,
          schedule: events.Schedule.expression(training.schedule),
          targets: [target('schedule')],
        }),
        'schedule',
      );
    }
    if (training.onAlarm && props.retrainingAlarms && props.retrainingAlarms.length > 0) {
      this.triggers.alarm = withTrigger(
        new events.Rule(this, 'OnQualityAlarm', {
          description: `Retrain ${model.id} when its live quality or drift alarm fires`,
          eventPattern: {
            source: ['aws.cloudwatch'],
            detailType: ['CloudWatch Alarm State Change'],
            resources: props.retrainingAlarms.map((a) => a.alarmArn),
            detail: { state: { value: ['ALARM'] } },
          },
          targets: [target('alarm')],
        }),
        'alarm',
      );
    }
    if (training.onAlarm) {
      for (const f of props.forwardedAlarms ?? []) {
        // Only CloudWatch's own state changes, of exactly those alarms, from that account (the bus policy admits only
        // its forwarder).
        const trigger = `alarm-${f.environment}`;
        this.triggers[trigger] = withTrigger(
          new events.Rule(this, `OnAlarmIn-${f.environment}`, {
            description: `Retrain ${model.id} when its ${f.environment} quality, drift or critical-segment alarm fires`,
            eventBus: f.bus,
            eventPattern: {
              source: ['aws.cloudwatch'],
              detailType: ['CloudWatch Alarm State Change'],
              account: [f.account],
              resources: [...f.alarmArns],
              detail: { state: { value: ['ALARM'] } },
            },
            targets: [target(trigger)],
          }),
          trigger,
        );
      }
    }
    if (training.onMarketEvent && props.marketEventBus) {
      this.triggers['market-event'] = withTrigger(
        new events.Rule(this, 'OnMarketEvent', {
          description: `Retrain ${model.id} on a market event that names it or all models`,
          eventBus: props.marketEventBus,
          eventPattern: {
            source: [MARKET_EVENT.source],
            detailType: [MARKET_EVENT.detailType],
            detail: { models: [model.id, '*'] },
          },
          targets: [target('market-event')],
        }),
        'market-event',
      );
    }
    new events.Rule(this, 'OnRunFailed', {
      description: `Announce failed runs of ${this.pipelineName}`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Building Pipeline Execution Status Change'],
        detail: { pipelineArn: [pipelineArn], currentPipelineExecutionStatus: ['Failed'] },
      },
      targets: [new targets.SnsTopic(props.notifications, { deadLetterQueue: this.deadLetters, retryAttempts: 8 })],
    });
  }
}
