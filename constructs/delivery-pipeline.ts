import { Duration, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { AccessLogBucket } from './access-log-bucket';
import { EncryptedLogGroup } from './encrypted-log-group';
import { allowCloudWatchLogsOfThisAccount, customerKey } from './encryption-keys';
import { SecureBucket } from './secure-bucket';

export interface DeliveryPipelineProps {
  /** Name of the CodePipeline pipeline. */
  readonly pipelineName: string;
  /** Alias of the artifact key (the target accounts' deployment roles are granted its use). */
  readonly artifactKeyAlias: string;
  readonly artifactKeyDescription: string;
  /**
   * The roles that may write, replace or delete artifacts, as an IAM ARN
   * pattern (the pipeline's own roles, by their path): everyone else is
   * denied, so a synth output cannot be swapped between Synth and a deploy.
   */
  readonly artifactWriters: string;
  /** Where the source comes from (a CodeConnections connection). */
  readonly source: pipelines.CodePipelineSource;
  /** The Synth step's commands; they leave the cloud assembly in `cdk.out`. */
  readonly synthCommands: readonly string[];
  /** Image of every CodeBuild step. */
  readonly buildImage: codebuild.IBuildImage;
  /**
   * Artifact stores of the other regions the stages deploy to, by region
   * (this construct's own bucket serves the pipeline's region).
   * @default - none: every stage deploys in the pipeline's region
   */
  readonly crossRegionArtifactBuckets?: Readonly<Record<string, s3.IBucket>>;
  /**
   * IAM path of every role the pipeline creates (its own, its actions', its
   * CodeBuild projects'), set by `build()`: a guardrail can then name the
   * pipeline's roles by their path. Roles passed in (a step's own role) keep theirs.
   * @default - the root path
   */
  readonly rolePath?: string;
  /**
   * Longest run of a CodeBuild step.
   * @default Duration.minutes(60)
   */
  readonly buildTimeout?: Duration;
}

/**
 * A CDK Pipelines delivery pipeline whose artifacts and build logs are
 * encrypted with its own customer key (rotated yearly): the artifact bucket
 * (versioned, access logged, old versions kept 90 days, written only by the
 * given roles), the build log group (kept a year), a V2 CodePipeline that
 * restarts when it updates itself, and the CDK Pipelines wiring over it with
 * a Synth step from the given source. Stages are added by the caller to
 * `pipeline`, which then calls `build()`.
 *
 * Its children keep the IDs they had as a stack's own resources when the
 * construct's id is `Default` (AWS CDK Developer Guide, "Preserve deployed
 * resources when refactoring CDK code").
 */
export class DeliveryPipeline extends Construct {
  readonly artifactKey: kms.Key;
  readonly artifactBucket: SecureBucket;
  readonly codePipeline: codepipeline.Pipeline;
  readonly pipeline: pipelines.CodePipeline;
  private readonly rolePath?: string;

  constructor(scope: Construct, id: string, props: DeliveryPipelineProps) {
    super(scope, id);
    this.rolePath = props.rolePath;
    this.artifactKey = customerKey(this, 'ArtifactKey', {
      description: props.artifactKeyDescription,
      alias: props.artifactKeyAlias,
    });
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retention: Duration.days(365) });
    this.artifactBucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.artifactKey,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: Duration.days(90),
    });
    writtenOnlyBy(this.artifactBucket, props.artifactWriters);

    const buildLogs = new EncryptedLogGroup(this, 'BuildLogs', { encryptionKey: this.artifactKey, retention: 365 });
    allowCloudWatchLogsOfThisAccount(this.artifactKey);

    // The pipeline's own region is one of the map's entries (CodePipeline takes either map or bucket).
    const home = Stack.of(this).region;
    if (props.crossRegionArtifactBuckets?.[home]) {
      throw new Error(
        `DeliveryPipeline ${id}: crossRegionArtifactBuckets names ${home}, the pipeline's own region, whose store is this construct's artifact bucket; name only the other regions`,
      );
    }
    this.codePipeline = new codepipeline.Pipeline(this, 'CodePipeline', {
      pipelineName: props.pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      crossRegionReplicationBuckets: { [home]: this.artifactBucket, ...props.crossRegionArtifactBuckets },
      restartExecutionOnUpdate: true,
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      codePipeline: this.codePipeline,
      publishAssetsInParallel: false,
      codeBuildDefaults: {
        buildEnvironment: {
          buildImage: props.buildImage,
          computeType: codebuild.ComputeType.MEDIUM,
          privileged: false,
        },
        timeout: props.buildTimeout ?? Duration.minutes(60),
        logging: { cloudWatch: { logGroup: buildLogs } },
      },
      synth: new pipelines.CodeBuildStep('Synth', {
        input: props.source,
        commands: [...props.synthCommands],
        primaryOutputDirectory: 'cdk.out',
      }),
    });
  }

  /** Builds the pipeline from the stages added so far, and puts the roles it made under `rolePath`. */
  build(): void {
    this.pipeline.buildPipeline();
    if (this.rolePath === undefined) return;
    for (const child of this.node.findAll()) if (child instanceof iam.CfnRole) child.path = this.rolePath;
  }
}

/**
 * Objects of `bucket` are written, replaced or deleted only by principals
 * whose ARN matches `writers`: a synth output replaced between the Synth
 * action and a deploy stage would be deployed as the estate's own. Reads stay
 * with the grants (the target accounts' deploy roles read templates).
 */
export function writtenOnlyBy(bucket: s3.IBucket, writers: string): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'WrittenOnlyByThePipeline',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:ReplicateObject', 's3:RestoreObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': writers } },
    }),
  );
}
