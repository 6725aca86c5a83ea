import { detectionRegions } from './detection-stack';
import { Duration, Stack, StackProps, Stage } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { AccessLogBucket } from '../../constructs/access-log-bucket';
import { allowCloudWatchLogsOfThisAccount, customerKey } from '../../constructs/encryption-keys';
import { ManagedPolicyRole } from '../../constructs/managed-policy-role';
import { EncryptedLogGroup } from '../../constructs/encrypted-log-group';
import { SecureBucket } from '../../constructs/secure-bucket';
import { EstateConfig, EnvironmentConfig, ENVIRONMENT_TYPES, promotionSource } from '../config';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { acknowledgePipelineFindings } from '../delivery/acknowledgements';
import { writtenOnlyByThePipeline } from '../delivery/pipeline-artifacts';
import { tagEstateResources } from '../aspects/tagging';
import { DeliverySupportStack } from './delivery-support-stack';
import { deploymentGateFunctionName, DEPLOYMENT_GATE_STEP_ROLE, PIPELINE_ROLE_PATH } from '../delivery/names';

/** What the pipeline deploys: an environment's config and the stage that holds its stacks. */
export interface DeliveryTarget {
  readonly environment: EnvironmentConfig;
  readonly stage: Stage;
}

export interface DeliveryStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  readonly estate: EstateConfig;
  readonly targets: readonly DeliveryTarget[];
}

/**
 * Image of the CodeBuild steps: Node.js 20 on Debian 12, where `.ci/run` finds
 * Debian's Python for cfn-lint and moto, as on the project machines.
 * Pulled from the ECR Public mirror of Docker's official images.
 */
const BUILD_IMAGE = codebuild.LinuxBuildImage.fromDockerRegistry('public.ecr.aws/docker/library/node:20-bookworm');

/**
 * The delivery pipeline, in the tooling account and the home region: CDK
 * Pipelines over a CodePipeline whose artifacts are encrypted with a customer
 * key that the target accounts' deployment roles may use (and nothing else).
 *
 * Source (a CodeConnections connection) -> Synth (`.ci/run`: npm ci, lint,
 * npm test; then the synth, which runs every compliance pack and fails on any
 * unacknowledged finding) -> UpdatePipeline -> Assets -> every dev
 * environment -> every staging environment -> per prod environment: manual
 * approval, the staging deployment gate over every model version prod will
 * serve, then the deployment.
 *
 * Pipeline roles carry only what CDK Pipelines grants them (the artifact
 * bucket and key, its CodeBuild projects, assuming the target accounts' CDK
 * bootstrap roles); no administrator policy. The target accounts must be
 * bootstrapped with `--trust <tooling account>`.
 */
export class DeliveryStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly artifactKey: kms.Key;
  readonly artifactBucket: SecureBucket;
  readonly deploymentGateRole: ManagedPolicyRole;
  readonly supportStacks: DeliverySupportStack[] = [];

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    const { estate, targets, ...rest } = props;
    const delivery = estate.delivery;
    if (!delivery) throw new Error('DeliveryStack needs delivery in the estate config');
    const home = estate.organization.homeRegion;
    super(scope, id, { ...rest, env: { account: delivery.account, region: home }, terminationProtection: true });
    const org = estate.organization.name;

    this.artifactKey = customerKey(this, 'ArtifactKey', {
      description: `${org}: pipeline artifacts (shared with the target accounts' deployment roles)`,
      alias: `alias/${org}/pipeline-artifacts`,
    });
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: Duration.days(365) });
    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.artifactKey,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: Duration.days(90),
    });

    writtenOnlyByThePipeline(this.artifactBucket, delivery.account, this.partition);

    // One artifact store per other region the stages deploy to (replica regions).
    const regions = new Set(targets.flatMap((t) => [t.environment.region, t.environment.auditReplicaRegion, ...detectionRegions(estate, t.environment)]));
    regions.delete(home);
    // The pipeline's own region is one of the map's entries (CodePipeline takes either map or bucket).
    const crossRegionReplicationBuckets: Record<string, s3.IBucket> = { [home]: this.artifactBucket };
    for (const region of [...regions].sort()) {
      const support = new DeliverySupportStack(scope, `DeliverySupport-${region}`, {
        estate,
        region,
        stackName: `${org}-delivery-support-${region}`,
        description: `${org}: pipeline artifact store in ${region}`,
      });
      this.supportStacks.push(support);
      crossRegionReplicationBuckets[region] = support.bucket;
    }

    const buildLogs = new EncryptedLogGroup(this, 'BuildLogs', { encryptionKey: this.artifactKey, retention: 365 });
    allowCloudWatchLogsOfThisAccount(this.artifactKey);

    const codePipeline = new codepipeline.Pipeline(this, 'CodePipeline', {
      pipelineName: `${org}-estate`,
      pipelineType: codepipeline.PipelineType.V2,
      crossRegionReplicationBuckets,
      restartExecutionOnUpdate: true,
    });

    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
      connectionArn: delivery.connectionArn,
      codeBuildCloneOutput: false,
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      codePipeline,
      publishAssetsInParallel: false,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: BUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM, privileged: false },
        timeout: Duration.minutes(60),
        logging: { cloudWatch: { logGroup: buildLogs } },
      },
      synth: new pipelines.CodeBuildStep('Synth', {
        input: source,
        // .ci/run: tools for the tests (cfn-lint, moto), npm ci, lint, npm test. Then refuse
        // to deploy a model whose endpoint shard is not recorded (lib/ml/sharding.ts), and synth.
        commands: ['bash .ci/run', 'npm run placement -- --check', 'npm run synth'],
        primaryOutputDirectory: 'cdk.out',
      }),
    });

    // The pre-prod gate step runs under a role with a fixed name, so that the
    // prod deployment gate can allow exactly this role to invoke it.
    this.deploymentGateRole = new ManagedPolicyRole(this, 'DeploymentGateRole', {
      roleName: DEPLOYMENT_GATE_STEP_ROLE(org),
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: 'Runs the deployment gate before a prod deployment; may only invoke the staging deployment gate',
    });

    const order = [...targets].sort((a, b) => ENVIRONMENT_TYPES.indexOf(a.environment.type) - ENVIRONMENT_TYPES.indexOf(b.environment.type));
    const staging = promotionSource(estate);
    for (const { environment, stage } of order) {
      const pre: pipelines.Step[] = [];
      if (environment.type === 'prod') {
        const approval = new pipelines.ManualApprovalStep(`Approve-${environment.name}`, {
          comment: `Promote the estate to ${environment.name} (${environment.account}). Staging must have run clean; the deployment gate runs next.`,
        });
        pre.push(approval);
        if (staging) {
          // The staging environment's gate judges each model version prod is about to serve:
          // approved in staging's registry, staging endpoint alarms quiet for the bake time.
          const gateArn = `arn:${this.partition}:lambda:${staging.region}:${staging.account}:function:${deploymentGateFunctionName(org, staging.name)}`;
          const gate = new pipelines.CodeBuildStep(`DeploymentGate-${environment.name}`, {
            input: source,
            role: this.deploymentGateRole,
            commands: ['npm ci --no-audit --no-fund', `npx tsx bin/deployment-gate.ts --environment ${environment.name}`],
            env: { GATE_EXECUTION: '#{codepipeline.PipelineExecutionId}' },
            rolePolicyStatements: [new iam.PolicyStatement({ sid: 'InvokeStagingDeploymentGate', actions: ['lambda:InvokeFunction'], resources: [gateArn] })],
          });
          gate.addStepDependency(approval);
          pre.push(gate);
        }
      }
      this.pipeline.addStage(stage, { pre });
    }
    this.pipeline.buildPipeline();
    // Every role the pipeline made (its own, its actions', its CodeBuild projects') under one path:
    // the guardrails name the path, and no role can be created under it but by the deploy. The gate
    // step's role keeps its fixed name at the root: staging's gate names its ARN.
    for (const child of this.node.findAll()) {
      if (child instanceof iam.CfnRole && child !== this.deploymentGateRole.node.defaultChild) child.path = PIPELINE_ROLE_PATH;
    }
    this.node.addValidation({ validate: () => pipelineQuotaProblems(codePipeline.stages.map((s) => ({ name: s.stageName, actions: s.actions.length }))) });
    acknowledgePipelineFindings([codePipeline, this.pipeline, this.deploymentGateRole]);
    acknowledgeNoReplication(
      this.artifactBucket,
      'Pipeline artifacts are rebuilt from the repository at every run; what was deployed is kept by CloudFormation and CloudTrail in the target accounts, so a lost artifact loses no record.',
    );

    tagEstateResources(this, estate, 'delivery');
  }
}

/** CodePipeline's quotas (AWS CodePipeline user guide, "Quotas in AWS CodePipeline"). */
export const MAX_ACTIONS_PER_STAGE = 50;
export const MAX_STAGES_PER_PIPELINE = 50;

/**
 * CDK Pipelines already spreads a CDK Stage of more than 50 actions (two per
 * stack) over consecutive pipeline stages `<env>.1`, `<env>.2`, ... in
 * dependency order, so an environment of any number of endpoint shards
 * deploys; what bounds a pipeline is the number of stages. Checked at synth,
 * so that an estate CodePipeline would refuse fails here with the reason.
 */
export function pipelineQuotaProblems(stages: ReadonlyArray<{ readonly name: string; readonly actions: number }>): string[] {
  const problems = stages
    .filter((s) => s.actions > MAX_ACTIONS_PER_STAGE)
    .map((s) => `delivery: pipeline stage ${s.name} has ${s.actions} actions; CodePipeline allows ${MAX_ACTIONS_PER_STAGE} in one stage`);
  if (stages.length > MAX_STAGES_PER_PIPELINE) {
    problems.push(
      `delivery: the pipeline has ${stages.length} stages (${MAX_ACTIONS_PER_STAGE} actions each at most, two per stack); CodePipeline allows ${MAX_STAGES_PER_PIPELINE}. ` +
        'Deploy fewer environments through this pipeline or fewer endpoint shards per environment.',
    );
  }
  return problems;
}
