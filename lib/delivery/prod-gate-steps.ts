import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { EnvironmentConfig } from '../config';
import { deploymentGateFunctionName } from './names';

export interface ProdGateStepsProps {
  readonly organization: string;
  /** The prod environment about to be deployed. */
  readonly prod: EnvironmentConfig;
  /** The environment prod promotes from, whose deployment gate judges; none, no gate step. */
  readonly staging?: EnvironmentConfig;
  /** The repository, for the gate step's checkout. */
  readonly source: pipelines.IFileSetProducer;
  /** The gate step's role (a fixed name that staging's gate trusts). */
  readonly gateRole: iam.IRole;
  readonly partition: string;
}

/**
 * What runs before a prod stage: a person's approval, then the staging
 * environment's deployment gate over each model version prod is about to
 * serve (approved in staging's registry, staging endpoint alarms quiet for
 * the bake time). The gate step may invoke that one function and nothing else.
 */
export function prodGateSteps(props: ProdGateStepsProps): pipelines.Step[] {
  const { prod, staging } = props;
  const approval = new pipelines.ManualApprovalStep(`Approve-${prod.name}`, {
    comment: `Promote the estate to ${prod.name} (${prod.account}). Staging must have run clean; the deployment gate runs next.`,
  });
  if (!staging) return [approval];
  const gateArn = `arn:${props.partition}:lambda:${staging.region}:${staging.account}:function:${deploymentGateFunctionName(props.organization, staging.name)}`;
  const gate = new pipelines.CodeBuildStep(`DeploymentGate-${prod.name}`, {
    input: props.source,
    role: props.gateRole,
    commands: ['npm ci --no-audit --no-fund', `npx tsx bin/deployment-gate.ts --environment ${prod.name}`],
    env: { GATE_EXECUTION: '#{codepipeline.PipelineExecutionId}' },
    rolePolicyStatements: [
      new iam.PolicyStatement({
        sid: 'InvokeStagingDeploymentGate',
        actions: ['lambda:InvokeFunction'],
        resources: [gateArn],
      }),
    ],
  });
  gate.addStepDependency(approval);
  return [approval, gate];
}
