import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { pinnedKey } from '../../lambdas/model-pinner/approved-tag';
import type { PackageRegistry, VariantModel } from './props';

export interface VariantModelsProps {
  /** The model served: its package group is named like it. */
  readonly modelId: string;
  /** Every variant served, production and shadow, in that order. */
  readonly variants: readonly (VariantModel & { readonly name: string })[];
  /** The execution role: the models are created after it and its policies. */
  readonly role: iam.IRole;
  /** Isolated subnets and security groups the models run in. */
  readonly vpcConfig: sagemaker.CfnModel.VpcConfigProperty;
  /**
   * The registry of the package versions served, where a variant serves one.
   * @default - none: every variant serves an image and model data
   */
  readonly packaged?: PackageRegistry;
}

/**
 * One network-isolated model per variant, made under `scope` (construct IDs `Model-<variant>`), tagged
 * `model:variant`: an image and model data, a package version of the registry by ARN, or (where prod serves pinned
 * copies) the package's image with the locked copy of its model data, tagged `model:package` with the package it is.
 * Returns the models by variant name.
 */
export function variantModels(scope: Construct, props: VariantModelsProps): Record<string, sagemaker.CfnModel> {
  const { partition } = Stack.of(scope);
  const { modelId, packaged } = props;
  // Prod runs an approved version as the package's image with the locked copy of its model data, never the training
  // bucket.
  const pinned = packaged?.pinnedCopies;
  const packageArn = (version: number) =>
    `arn:${partition}:sagemaker:${packaged!.region}:${packaged!.account}:model-package/${modelId}/${version}`;
  // CreateModel takes the model data of a package from the package (ModelPackageName): to read the pinned copy, a
  // prod model names the image and the pinned key, and the package it is (the tag below); the deployment gate has
  // checked that the package's image is this one and that the key holds its approved bytes.
  const container = (v: VariantModel) =>
    v.modelPackageVersion !== undefined
      ? pinned
        ? {
            image: pinned.image,
            modelDataUrl: `s3://${pinned.bucketName}/${pinnedKey(modelId, v.modelPackageVersion, 0)}`,
            environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' },
          }
        : { modelPackageName: packageArn(v.modelPackageVersion) }
      : { image: v.image!, modelDataUrl: v.modelData!, environment: { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' } };
  const models: Record<string, sagemaker.CfnModel> = {};
  for (const v of props.variants) {
    const m = new sagemaker.CfnModel(scope, `Model-${v.name}`, {
      executionRoleArn: props.role.roleArn,
      enableNetworkIsolation: true,
      vpcConfig: props.vpcConfig,
      primaryContainer: container(v),
      tags: [
        { key: 'model:variant', value: v.name },
        ...(pinned && v.modelPackageVersion !== undefined
          ? [{ key: 'model:package', value: packageArn(v.modelPackageVersion) }]
          : []),
      ],
    });
    m.node.addDependency(props.role);
    models[v.name] = m;
  }
  return models;
}
