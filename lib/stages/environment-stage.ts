import { Stage, StageProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Aspects, Aws } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { baselineCopies } from '../delivery/baseline-copies';
import {
  detectionRegions,
  EnvironmentConfig,
  EstateConfig,
  promotionSource,
  servesPinnedCopy,
  servingAccounts,
} from '../config';
import { personaPrincipals } from '../config/access';
import { StatefulResourcePolicy } from '../aspects/stateful-resources';
import { tagEstateResources } from '../aspects/tagging';
import { auditReplicaLocation } from '../../constructs/audit-replica';
import { AuditReplicaStack } from '../stacks/audit-replica-stack';
import { DetectionStack, detectionStackId } from '../stacks/detection-stack';
import { FoundationStack } from '../stacks/foundation-stack';
import { ModelGovernanceStack } from '../stacks/model-governance-stack';
import { EndpointsStack } from '../stacks/endpoints-stack';
import { MLPlatformStack } from '../stacks/ml-platform-stack';
import { approvedModelsBucketName, inferenceCaptureBucketName, modelArtifactsBucketName } from '../delivery/names';
import {
  imageRepositoriesIn,
  ImageRepositoriesStack,
  repositoryBuckets,
  repositoryStackId,
} from '../stacks/image-repositories-stack';
import { shardModels, shardStackId, templateLimitProblems } from '../ml/sharding';
import { modelFootprint } from '../ml/model-footprint';
import { RecordedPlacement, recordedIn } from '../ml/placement-file';

export interface EnvironmentStageProps extends Omit<StageProps, 'env'> {
  readonly estate: EstateConfig;
  readonly environment: EnvironmentConfig;
  /**
   * Recorded endpoint shard of each model (the estate's placement file,
   * lib/ml/placement-file.ts); models not in it are placed by lib/ml/sharding.ts.
   * @default - none recorded
   */
  readonly placement?: RecordedPlacement;
}

/**
 * One environment (dev, staging or prod) in its own account and region. Its
 * stacks share the foundation; estate-wide rules are applied here as Aspects:
 * tags, the permissions boundary on every role, and the retention policy of
 * stateful resources.
 */
export class EnvironmentStage extends Stage {
  readonly foundation: FoundationStack;
  readonly auditReplica: AuditReplicaStack;
  /** Detective controls in the environment's other allowed regions, in allowed-region order. */
  readonly detection: DetectionStack[] = [];
  readonly governance: ModelGovernanceStack;
  readonly mlPlatform: MLPlatformStack;
  /**
   * The estate's image repositories in this account, spread over stacks by name
   * (lib/stacks/image-repositories-stack.ts).
   */
  readonly imageRepositories: ImageRepositoriesStack[] = [];
  /** The endpoint shards (lib/ml/sharding.ts), in shard order. */
  readonly endpoints: EndpointsStack[] = [];

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    const { estate, environment, placement, ...rest } = props;
    super(scope, id, { ...rest, env: { account: environment.account, region: environment.region } });

    const prefix = `${estate.organization.name}-${environment.name}`;
    const inherited =
      estate.organization.detectiveControls.source === 'organization'
        ? { administratorAccount: estate.organization.detectiveControls.administratorAccount }
        : undefined;
    const replicaLocation = auditReplicaLocation(environment.account, environment.auditReplicaRegion, prefix);
    this.auditReplica = new AuditReplicaStack(this, 'AuditReplica', {
      environment,
      location: replicaLocation,
      description: `${estate.organization.name} ${environment.name}: locked second-region copy of the audit logs`,
    });
    this.foundation = new FoundationStack(this, 'Foundation', {
      environment,
      organization: estate.organization.name,
      auditReplica: replicaLocation,
      breakGlassRoleName: estate.organization.breakGlassRoleName,
      breakGlassPrincipals: personaPrincipals(estate, environment, 'breakGlass'),
      estateAccounts: estateAccounts(estate),
      readableObjects: promotedArtifacts(estate, environment),
      customResourceResponses: baselineCopies(estate, environment).length > 0,
      inheritedDetectiveControls: inherited,
      linkedRegions: detectionRegions(estate, environment),
      description: `${estate.organization.name} ${environment.name}: keys, isolated network, audit trail, permissions boundary`,
    });
    // Detective controls in every other allowed region, their alerts forwarded to this region's topic.
    for (const region of detectionRegions(estate, environment)) {
      this.detection.push(
        new DetectionStack(this, detectionStackId(region), {
          environment,
          region,
          organization: estate.organization.name,
          breakGlassRoleName: estate.organization.breakGlassRoleName,
          inheritedDetectiveControls: inherited,
          description: `${estate.organization.name} ${environment.name}: GuardDuty, Security Hub and Config in ${region}, alerts forwarded to ${environment.region}`,
        }),
      );
    }
    // The alerts they forward meet the foundation's rules and topic: deployed after it.
    for (const stack of this.detection)
      stack.addStackDependency(this.foundation, "forwarded alerts meet the home region's rules and topic");
    // The audit bucket's replication rule needs its destination to exist.
    this.foundation.addStackDependency(this.auditReplica, 'audit logs replicate into the replica bucket');

    this.governance = new ModelGovernanceStack(this, 'ModelGovernance', {
      environment,
      estate,
      keys: this.foundation.keys,
      network: this.foundation.network,
      auditReplica: replicaLocation,
      identityAlerts: { trailLogGroup: this.foundation.audit.logGroup, alerts: this.foundation.detective.findings },
      description: `${estate.organization.name} ${environment.name}: model registry, approval gate, decision records`,
    });

    // The image repositories the config names in this account; the serving accounts pull from the promotion source.
    const registry = promotionSource(estate);
    const pullers = registry?.name === environment.name ? servingAccounts(estate) : [];
    for (const [bucket, repositories] of repositoryBuckets(imageRepositoriesIn(estate, environment.account))) {
      const stack = new ImageRepositoriesStack(this, repositoryStackId(bucket), {
        environment,
        repositories,
        encryptionKey: this.foundation.keys.ml,
        pullerAccounts: pullers,
        description: `${estate.organization.name} ${environment.name}: model image repositories, bucket ${bucket} (${repositories.length})`,
      });
      stack.node.addValidation({ validate: () => templateLimitProblems(stack) });
      // After governance, which held the repositories before they had stacks of their own: it releases them
      // (retained) before this stack takes them over (a one-time import, see the README).
      stack.addStackDependency(this.governance, 'repositories the governance stack held are released there first');
      this.imageRepositories.push(stack);
    }

    this.mlPlatform = new MLPlatformStack(this, 'MLPlatform', {
      environment,
      estate,
      keys: this.foundation.keys,
      network: this.foundation.network,
      description: `${estate.organization.name} ${environment.name}: feature store, inference capture, experiment tracking, retraining data and guard`,
    });
    // Placed in this environment by what each model builds here: a shard full in prod need not be full in dev.
    for (const [shard, models] of shardModels(
      estate.models,
      (m) => [modelFootprint(estate, m, environment)],
      recordedIn(placement ?? {}, environment.name),
    )) {
      const stack = new EndpointsStack(this, shardStackId(shard), {
        environment,
        estate,
        models,
        vpc: this.foundation.network.vpc,
        mlKey: this.foundation.keys.ml,
        logsKey: this.foundation.keys.logs,
        captureBucketName: inferenceCaptureBucketName(environment.account, environment.region),
        dataKey: this.foundation.keys.data,
        artifactBucketName: modelArtifactsBucketName(environment.account, environment.region),
        alarmTopic: this.governance.notifications,
        packageRegistry: registry ? { account: registry.account, region: registry.region } : undefined,
        registryReaders: pullers,
        description: `${estate.organization.name} ${environment.name}: model cards and endpoints, shard ${shard} (${models.length} model(s))`,
      });
      stack.addStackDependency(this.mlPlatform, "endpoints capture into the platform's bucket");
      stack.addStackDependency(this.governance, 'retraining writes to the governance artifact bucket');
      stack.node.addValidation({ validate: () => templateLimitProblems(stack) });
      this.endpoints.push(stack);
    }

    tagEstateResources(this, estate, environment);

    iam.PermissionsBoundary.of(this).apply(this.foundation.permissionsBoundary);
    const retain = environment.type !== 'dev' || environment.flags.retainStatefulResources !== false;
    Aspects.of(this).add(new StatefulResourcePolicy(retain));
  }
}

/** The accounts of the estate: environments, and the tooling account that runs the pipeline. */
function estateAccounts(estate: EstateConfig): string[] {
  return [
    ...new Set([...estate.environments.map((e) => e.account), ...(estate.delivery ? [estate.delivery.account] : [])]),
  ];
}

/**
 * The approved artifacts a serving environment reads from the environment it promotes from, through its S3 endpoint.
 */
function promotedArtifacts(estate: EstateConfig, environment: EnvironmentConfig): string[] {
  const source = promotionSource(estate);
  if (!source || source.account === environment.account || !servingAccounts(estate).includes(environment.account))
    return [];
  // The pinned copies of approved model data; the training bucket only for a model served without one
  // (servesPinnedCopy).
  const served = (m: EstateConfig['models'][number]) => [
    ...(m.endpoints[environment.name]?.variants ?? []),
    ...(m.endpoints[environment.name]?.shadow ? [m.endpoints[environment.name].shadow!] : []),
  ];
  const unpinned = estate.models.some(
    (m) => !servesPinnedCopy(m, environment) && served(m).some((v) => v.modelPackageVersion !== undefined),
  );
  // The pinned baselines, where a monitored endpoint copies its champion's (lib/delivery/baseline-copies.ts).
  const baselines =
    baselineCopies(estate, environment).length > 0
      ? [`arn:${Aws.PARTITION}:s3:::${approvedModelsBucketName(source.account, source.region)}/baselines/*`]
      : [];
  return [
    `arn:${Aws.PARTITION}:s3:::${approvedModelsBucketName(source.account, source.region)}/models/*`,
    ...baselines,
    ...(unpinned ? [`arn:${Aws.PARTITION}:s3:::${modelArtifactsBucketName(source.account, source.region)}/*`] : []),
  ];
}
