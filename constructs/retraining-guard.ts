import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeResourceWildcards } from '../policies/acknowledge-wildcards';
import { GateFunction } from './gate-function';

/** The storm control of one training pipeline. */
export interface RetrainingBudget {
  /** No new run within this many hours of the last one that ran. */
  readonly cooldownHours: number;
  /** At most this many runs in 24 hours, however many triggers fire. */
  readonly maxRunsPerDay: number;
}

export interface RetrainingGuardProps {
  /** Name of the function (every training pipeline's first step invokes it by name). */
  readonly functionName: string;
  /** The budget of each training pipeline, by pipeline name. */
  readonly pipelines: Readonly<Record<string, RetrainingBudget>>;
  /**
   * The names of the pipelines whose runs the guard may read, as an IAM
   * resource pattern (e.g. `dev-*-training`): their executions exist only at run time.
   */
  readonly pipelineNamePattern: string;
  readonly vpc: ec2.IVpc;
  /** Key of the function's configuration and its dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** Key of its log group. */
  readonly logsKey: kms.IKey;
  /**
   * How long its log events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The retraining guard of an environment: the first step of every training
 * pipeline asks it whether a run may go ahead (a cooldown since the last run
 * and a daily cap, per pipeline), so a storm of triggers costs one short,
 * refused execution each. A gate function (lambdas/retraining-guard) that may
 * read the runs of the given pipelines and nothing else.
 */
export class RetrainingGuard extends GateFunction {
  constructor(scope: Construct, id: string, props: RetrainingGuardProps) {
    super(scope, id, {
      entry: path.join(__dirname, '..', 'lambdas', 'retraining-guard', 'handler.ts'),
      description: 'Retraining guard: cooldown and daily cap of every retraining pipeline',
      functionName: props.functionName,
      vpc: props.vpc,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      config: { pipelines: props.pipelines },
      reservedConcurrency: 2,
    });
    const { partition, region, account } = Stack.of(this);
    const pipelineArns = [`arn:${partition}:sagemaker:${region}:${account}:pipeline/${props.pipelineNamePattern}`];
    const executions = [
      `arn:${partition}:sagemaker:${region}:${account}:pipeline/${props.pipelineNamePattern}/execution/*`,
    ];
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRetrainingRuns',
        actions: ['sagemaker:ListPipelineExecutions'],
        resources: pipelineArns,
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRetrainingSteps',
        actions: ['sagemaker:ListPipelineExecutionSteps'],
        resources: executions,
      }),
    );
    acknowledgeResourceWildcards(
      this.role.permissionsPolicy!,
      [...pipelineArns, ...executions],
      "The guard reads the runs of this environment's retraining pipelines only (named <env>-<model>-training); their executions exist only at run time.",
    );
  }
}
