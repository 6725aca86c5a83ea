import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { EndpointRollout } from './props';

/** SageMaker's bounds on a blue/green deployment's execution time, in seconds. */
const MIN_EXECUTION_SECONDS = 600;
const MAX_EXECUTION_SECONDS = 28800;

/**
 * Blue/green deployment of a new endpoint config: traffic shifted all at once, in a canary or in linear steps, with
 * the bake between shifts and before the old fleet goes, an execution timeout that leaves room for every step, and
 * automatic rollback when any of `rollbackAlarms` fires.
 */
export function blueGreenDeployment(
  rollout: EndpointRollout,
  rollbackAlarms: readonly cloudwatch.IAlarm[],
): sagemaker.CfnEndpoint.DeploymentConfigProperty {
  const wait = rollout.bakeMinutes * 60;
  const trafficRoutingConfiguration =
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
        : { type: 'ALL_AT_ONCE', waitIntervalInSeconds: wait };
  const waits = rollout.strategy === 'linear' ? Math.ceil(100 / rollout.stepPercent) + 2 : 4;
  return {
    blueGreenUpdatePolicy: {
      trafficRoutingConfiguration,
      terminationWaitInSeconds: wait,
      maximumExecutionTimeoutInSeconds: Math.min(MAX_EXECUTION_SECONDS, Math.max(MIN_EXECUTION_SECONDS, wait * waits)),
    },
    autoRollbackConfiguration: { alarms: rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) },
  };
}
