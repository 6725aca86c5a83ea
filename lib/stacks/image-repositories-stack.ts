import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ModelImageRepositories } from '../../constructs/model-registry';
import { parseImage } from '../config/artifact-rules';
import { EstateConfig } from '../config';
import { fnv1a } from '../ml/sharding';
import { EstateStack, EstateStackProps } from './estate-stack';

/**
 * The estate's image repositories of one account are spread over this many
 * stacks by a hash of the repository name: where a repository lives depends on
 * its name alone, so adding or removing another never moves it (a retained,
 * named repository cannot move between stacks without an import). At about
 * 1 resource and 1.2 KB a repository, 16 stacks hold some 7,000 repositories
 * an account within CloudFormation's limits (three a model at 2,000 models).
 */
export const REPOSITORY_BUCKETS = 16;

/** The repository stack (bucket) of a repository name. */
export function repositoryBucketOf(repository: string): number {
  return fnv1a(`repository:${repository}`) % REPOSITORY_BUCKETS;
}

/** Construct ID of the stack that holds a bucket of repositories. */
export function repositoryStackId(bucket: number): string {
  return `ImageRepositories${bucket.toString().padStart(2, '0')}`;
}

/** Repositories in `account` that the estate config's images name (endpoints, shadows, training), sorted. */
export function imageRepositoriesIn(estate: EstateConfig, account: string): string[] {
  const images = estate.models.flatMap((m) => [
    ...Object.values(m.endpoints).flatMap((e) => [...e.variants.map((v) => v.image), e.shadow?.image]),
    m.training?.image,
    m.training?.processingImage,
  ]);
  return [
    ...new Set(
      images
        .flatMap((i) => (i ? [parseImage(i)] : []))
        .filter((p) => p?.account === account)
        .map((p) => p!.repository),
    ),
  ].sort();
}

/** The repositories of an account by bucket, buckets in ascending order. */
export function repositoryBuckets(repositories: readonly string[]): Map<number, string[]> {
  const buckets = new Map<number, string[]>();
  for (const name of repositories) {
    const bucket = repositoryBucketOf(name);
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), name]);
  }
  return new Map([...buckets.entries()].sort(([a], [b]) => a - b));
}

export interface ImageRepositoriesStackProps extends EstateStackProps {
  readonly repositories: readonly string[];
  readonly encryptionKey: kms.IKey;
  /** Accounts that may pull (the serving accounts, where this environment is their promotion source). */
  readonly pullerAccounts: readonly string[];
}

/** One bucket of the estate's image repositories in an environment's account (constructs/model-registry.ts). */
export class ImageRepositoriesStack extends EstateStack {
  readonly images: ModelImageRepositories;

  constructor(scope: Construct, id: string, props: ImageRepositoriesStackProps) {
    const { repositories, encryptionKey, pullerAccounts, ...rest } = props;
    super(scope, id, rest);
    this.images = new ModelImageRepositories(this, 'ImageRepositories', {
      repositories,
      encryptionKey,
      pullerAccounts,
    });
  }
}
