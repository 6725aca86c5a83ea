/**
 * The delivery stack's pipeline, as the config sets it: its names, its source connection, its Synth step and image,
 * the roles that may write its artifacts, and its artifact stores in the other regions.
 */
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { DeliveryPipelineProps } from '../../constructs/delivery-pipeline';
import { DeliveryConfig, EstateConfig } from '../config';
import { PIPELINE_ROLE_PATH } from '../delivery/names';
import { pipelineWriters } from '../delivery/pipeline-artifacts';

/**
 * Image of the CodeBuild steps: Node.js 20 on Debian 12, where `.ci/run` finds
 * Debian's Python for cfn-lint and moto, as on the project machines.
 * Pulled from the ECR Public mirror of Docker's official images.
 */
const BUILD_IMAGE = codebuild.LinuxBuildImage.fromDockerRegistry('public.ecr.aws/docker/library/node:20-bookworm');

/** The estate's delivery pipeline in the tooling account (`delivery`), in `partition`. */
export function deliveryPipelineProps(
  estate: EstateConfig,
  delivery: DeliveryConfig,
  partition: string,
  artifactStores?: Readonly<Record<string, s3.IBucket>>,
): DeliveryPipelineProps {
  const org = estate.organization.name;
  return {
    pipelineName: `${org}-estate`,
    artifactKeyAlias: `alias/${org}/pipeline-artifacts`,
    artifactKeyDescription: `${org}: pipeline artifacts (shared with the target accounts' deployment roles)`,
    artifactWriters: pipelineWriters(delivery.account, partition),
    source: pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
      connectionArn: delivery.connectionArn,
      codeBuildCloneOutput: false,
    }),
    // .ci/run: tools for the tests (cfn-lint, moto), npm ci, lint, npm test. Then refuse
    // to deploy a model whose endpoint shard is not recorded (lib/ml/sharding.ts), and synth.
    synthCommands: ['bash .ci/run', 'npm run placement -- --check', 'npm run synth'],
    buildImage: BUILD_IMAGE,
    crossRegionArtifactBuckets: artifactStores,
    // The guardrails name the path: no role can be created under it but by the deploy.
    rolePath: PIPELINE_ROLE_PATH,
  };
}
