import { Stack, StackProps, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { DeliveryPipeline } from '../../constructs/delivery-pipeline';
import { ManagedPolicyRole } from '../../constructs/managed-policy-role';
import { SecureBucket } from '../../constructs/secure-bucket';
import { EstateConfig, EnvironmentConfig, ENVIRONMENT_TYPES, promotionSource } from '../config';
import { acknowledgeNoReplication } from '../../policies/acknowledge';
import { acknowledgePipelineFindings } from '../delivery/acknowledgements';
import { pipelineQuotaProblems } from '../delivery/pipeline-quotas';
import { prodGateSteps } from '../delivery/prod-gate-steps';
import { tagEstateResources } from '../aspects/tagging';
import { DEPLOYMENT_GATE_STEP_ROLE } from '../delivery/names';
import { deliveryPipelineProps } from '../props/delivery';

/** What the pipeline deploys: an environment's config and the stage that holds its stacks. */
export interface DeliveryTarget {
  readonly environment: EnvironmentConfig;
  readonly stage: Stage;
}

export interface DeliveryStackProps extends Omit<StackProps, 'env' | 'terminationProtection'> {
  readonly estate: EstateConfig;
  readonly targets: readonly DeliveryTarget[];
  /**
   * The pipeline's artifact store in each region other than the home region that a target deploys to
   * (`deliverySupportRegions` in lib/config), by region.
   * @default - none: every target deploys in the home region
   */
  readonly artifactStores?: Readonly<Record<string, s3.IBucket>>;
}

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

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    const { estate, targets, artifactStores, ...rest } = props;
    const delivery = estate.delivery;
    if (!delivery) throw new Error('DeliveryStack needs delivery in the estate config');
    const region = estate.organization.homeRegion;
    super(scope, id, { ...rest, env: { account: delivery.account, region }, terminationProtection: true });
    const org = estate.organization.name;

    const pipelineProps = deliveryPipelineProps(estate, delivery, this.partition, artifactStores);
    // Its children keep the stack-level IDs they had before the construct existed (`Default` adds no path segment).
    const pipeline = new DeliveryPipeline(this, 'Default', pipelineProps);
    this.pipeline = pipeline.pipeline;
    this.artifactKey = pipeline.artifactKey;
    this.artifactBucket = pipeline.artifactBucket;

    // The pre-prod gate step runs under a role with a fixed name at the root path, so that the
    // prod deployment gate can allow exactly this role to invoke it.
    this.deploymentGateRole = new ManagedPolicyRole(this, 'DeploymentGateRole', {
      roleName: DEPLOYMENT_GATE_STEP_ROLE(org),
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: 'Runs the deployment gate before a prod deployment; may only invoke the staging deployment gate',
    });

    const order = [...targets].sort(
      (a, b) => ENVIRONMENT_TYPES.indexOf(a.environment.type) - ENVIRONMENT_TYPES.indexOf(b.environment.type),
    );
    const staging = promotionSource(estate);
    for (const { environment, stage } of order) {
      const pre =
        environment.type === 'prod'
          ? prodGateSteps({
              organization: org,
              prod: environment,
              staging,
              source: pipelineProps.source,
              gateRole: this.deploymentGateRole,
              partition: this.partition,
            })
          : [];
      this.pipeline.addStage(stage, { pre });
    }
    pipeline.build();
    this.node.addValidation({
      validate: () =>
        pipelineQuotaProblems(
          pipeline.codePipeline.stages.map((s) => ({ name: s.stageName, actions: s.actions.length })),
        ),
    });
    acknowledgePipelineFindings([pipeline.codePipeline, this.pipeline, this.deploymentGateRole]);
    acknowledgeNoReplication(
      this.artifactBucket,
      'Pipeline artifacts are rebuilt from the repository at every run; what was deployed is kept by CloudFormation and CloudTrail in the target accounts, so a lost artifact loses no record.',
    );

    tagEstateResources(this, estate, 'delivery');
  }
}
