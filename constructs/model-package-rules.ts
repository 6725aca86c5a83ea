import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PackageStatusRuleProps {
  /** What the rule is for. */
  readonly description: string;
  /**
   * The package groups it listens to.
   * @default - every group of the account
   */
  readonly packageGroups?: readonly string[];
  /** The approval status a package has reached, e.g. `Approved` or `PendingManualApproval`. */
  readonly approvalStatus: string;
  /** The function that takes each event: a gate or the pinner. */
  readonly function: lambda.IFunction;
  /** Where an event the rule could not deliver rests (the function's own dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Sends the function each SageMaker "Model Package State Change" of the given groups that reached the given approval
 * status: four delivery retries within six hours, then the dead-letter queue.
 */
export class PackageStatusRule extends events.Rule {
  constructor(scope: Construct, id: string, props: PackageStatusRuleProps) {
    super(scope, id, {
      description: props.description,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: {
          ModelPackageGroupName: props.packageGroups ? [...props.packageGroups] : undefined,
          ModelApprovalStatus: [props.approvalStatus],
        },
      },
      targets: [
        new targets.LambdaFunction(props.function, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
  }
}

export interface PackageStatusCallRuleProps {
  /** The approval gate's function. */
  readonly function: lambda.IFunction;
  /** Where an event the rule could not deliver rests (the gate's dead-letter queue). */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * SageMaker's UpdateModelPackage has no condition: a person's Approved or Rejected that lands inside the approval
 * gate's window (after its re-read, before its update) is overwritten. CloudTrail's record of every UpdateModelPackage
 * (who called, when, with what status) lets the gate set such a decision back; the handler ignores its own calls,
 * failed calls and packages it does not govern. Eight delivery retries within a day. Needs a trail recording
 * management events in the account.
 */
export class PackageStatusCallRule extends events.Rule {
  constructor(scope: Construct, id: string, props: PackageStatusCallRuleProps) {
    super(scope, id, {
      description:
        "A model package status update recorded by CloudTrail, so that a person's decision overwritten by the approval gate is restored",
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['UpdateModelPackage'] },
      },
      targets: [
        new targets.LambdaFunction(props.function, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: props.deadLetterQueue,
        }),
      ],
    });
  }
}
