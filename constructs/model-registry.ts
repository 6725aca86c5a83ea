import { CfnTag, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

export interface RegisteredModel {
  readonly id: string;
  readonly owner: string;
  readonly riskTier: string;
  readonly problemType: string;
}

export interface ModelRegistryProps {
  readonly models: readonly RegisteredModel[];
  readonly dataClassification: string;
  /**
   * Accounts that may read the groups and create models from their versions
   * (prod serves versions approved here). Never approve or update.
   * @default - none
   */
  readonly readerAccounts?: readonly string[];
}

/** What a reader account may do with a governed group and its versions: read and deploy, never change. */
export const REGISTRY_READER_ACTIONS = [
  'sagemaker:DescribeModelPackageGroup',
  'sagemaker:DescribeModelPackage',
  'sagemaker:ListModelPackages',
  'sagemaker:CreateModel',
];

/**
 * One SageMaker model package group per model of the inventory, named by the
 * model id and tagged with its owner, risk tier and data classification. The
 * construct ID of a group is its model id, so adding a model never renames
 * another. Packages are never created here: they are registered by training
 * pipelines as PendingManualApproval and approved only by the gate or a person.
 */
export class ModelRegistry extends Construct {
  readonly groups: Record<string, sagemaker.CfnModelPackageGroup> = {};

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    for (const model of props.models) {
      const tags: CfnTag[] = [
        { key: 'model:id', value: model.id },
        { key: 'model:owner', value: model.owner },
        { key: 'model:risk-tier', value: model.riskTier },
        { key: 'model:problem-type', value: model.problemType },
        { key: 'data-classification', value: props.dataClassification },
      ];
      this.groups[model.id] = new sagemaker.CfnModelPackageGroup(this, model.id, {
        modelPackageGroupName: model.id,
        modelPackageGroupDescription: `${model.id} (${model.riskTier} risk), owned by ${model.owner}`,
        tags,
        modelPackageGroupPolicy: props.readerAccounts?.length
          ? {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'ReadAndDeployFromReaderAccounts',
                  Effect: 'Allow',
                  Principal: { AWS: props.readerAccounts.map((a) => `arn:${partition}:iam::${a}:root`) },
                  Action: REGISTRY_READER_ACTIONS,
                  Resource: [
                    `arn:${partition}:sagemaker:${region}:${account}:model-package-group/${model.id}`,
                    `arn:${partition}:sagemaker:${region}:${account}:model-package/${model.id}/*`,
                  ],
                },
              ],
            }
          : undefined,
      });
    }
  }
}

export interface ModelImageRepositoriesProps {
  /** Repository names (as the estate config's image URIs name them) in this account. */
  readonly repositories: readonly string[];
  readonly encryptionKey: kms.IKey;
  /**
   * Accounts that may pull (the prod accounts that serve versions approved here); nobody else outside this account.
   * @default - none
   */
  readonly pullerAccounts?: readonly string[];
}

/** What a serving account may do with an estate image: pull it, nothing more. */
export const IMAGE_PULL_ACTIONS = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
];

/**
 * The estate's own ECR repositories for its models' images: tags immutable
 * (a tag, once pushed, always names the same image), scanned on push,
 * encrypted with a customer key, kept when the stack goes, and pullable from
 * other accounts only by the serving accounts named.
 */
export class ModelImageRepositories extends Construct {
  readonly repositories: Record<string, ecr.Repository> = {};

  constructor(scope: Construct, id: string, props: ModelImageRepositoriesProps) {
    super(scope, id);
    for (const name of [...new Set(props.repositories)].sort()) {
      const repository = new ecr.Repository(this, name, {
        repositoryName: name,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        imageScanOnPush: true,
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: props.encryptionKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      if (props.pullerAccounts?.length) {
        repository.addToResourcePolicy(
          new iam.PolicyStatement({
            sid: 'ServingAccountsPull',
            principals: props.pullerAccounts.map((a) => new iam.AccountPrincipal(a)),
            actions: IMAGE_PULL_ACTIONS,
          }),
        );
      }
      this.repositories[name] = repository;
    }
  }
}
