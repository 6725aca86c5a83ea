import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { repositoryArn } from '../aws-facts';
import { SageMakerExecutionRole } from '../sagemaker-execution-role';
import type { PackageRegistry } from './props';

export interface EndpointExecutionRoleProps {
  readonly endpointName: string;
  /** The model served: its package group and its pinned copies are named like it. */
  readonly modelId: string;
  readonly mlKey: kms.IKey;
  readonly captureBucket: s3.IBucket;
  /** Model Monitor's jobs run as this role too: it writes their reports and logs. */
  readonly modelMonitor: boolean;
  /** The variants served from an image and model data. */
  readonly direct: readonly { readonly image: string; readonly modelData: string }[];
  /**
   * The registry of the package versions served, where a variant serves one.
   * @default - none: no variant serves a package version
   */
  readonly packaged?: PackageRegistry;
}

/**
 * The execution role of an endpoint's models (and of Model Monitor's jobs, where chosen), made under `scope`: it
 * pulls the images served and reads their model data, and nothing else; writes captures (and reports) under the
 * endpoint's prefix of the capture bucket; uses the ML key. For package versions: the registry account's
 * repositories, and its artifacts (only objects that account owns, decrypted through S3) or, where prod serves
 * pinned copies, only this model's copies.
 */
export function endpointExecutionRole(
  scope: Construct,
  id: string,
  props: EndpointExecutionRoleProps,
): SageMakerExecutionRole {
  const { partition } = Stack.of(scope);
  const { endpointName, modelId, modelMonitor, direct, packaged } = props;
  const pinned = packaged?.pinnedCopies;
  const role = new SageMakerExecutionRole(scope, id, {
    description: `Execution role of the ${endpointName} endpoint and its monitoring jobs`,
    logGroups: [`/aws/sagemaker/Endpoints/${endpointName}`, ...(modelMonitor ? ['/aws/sagemaker/ProcessingJobs'] : [])],
    // An approved package's image lives in the staging account, which shares it with this one.
    repositories: [
      ...new Set(direct.map((v) => repositoryArn(partition, v.image))),
      ...(packaged ? [`arn:${partition}:ecr:${packaged.region}:${packaged.account}:repository/*`] : []),
      ...(pinned && !pinned.image.startsWith(`${packaged!.account}.`) ? [repositoryArn(partition, pinned.image)] : []),
    ].sort(),
  });
  const allow = role.allow.bind(role);
  allow('UseMlKey', ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'], [props.mlKey.keyArn]);
  const captured = props.captureBucket.arnForObjects(`capture/${endpointName}/*`);
  // With Model Monitor, its jobs run as this role too; the estate's monitoring has a role of its own.
  const reports = props.captureBucket.arnForObjects(`monitoring/${endpointName}/*`);
  allow(
    modelMonitor ? 'CaptureAndMonitor' : 'Capture',
    ['s3:PutObject', 's3:GetObject'],
    modelMonitor ? [captured, reports] : [captured],
  );
  allow('ListCaptureBucket', ['s3:ListBucket'], [props.captureBucket.bucketArn]);
  if (direct.length > 0) {
    allow(
      'ReadModelData',
      ['s3:GetObject'],
      [...new Set(direct.map((v) => `arn:${partition}:s3:::${v.modelData.slice('s3://'.length)}`))].sort(),
    );
  }
  if (packaged) {
    // ...and so are its artifacts.
    if (pinned) {
      // Only this model's pinned copies: each key written once, locked, never deleted (the approved-model bucket).
      allow(
        'ReadPinnedModelData',
        ['s3:GetObject'],
        [`arn:${partition}:s3:::${pinned.bucketName}/models/${modelId}/*`],
      );
    } else {
      allow('ReadApprovedArtifacts', ['s3:GetObject'], [`arn:${partition}:s3:::*/*`], {
        StringEquals: { 's3:ResourceAccount': packaged.account },
      });
    }
    allow(
      'DecryptApprovedArtifacts',
      ['kms:Decrypt'],
      [`arn:${partition}:kms:${packaged.region}:${packaged.account}:key/*`],
      { StringLike: { 'kms:ViaService': `s3.${packaged.region}.amazonaws.com` } },
    );
  }
  role.acknowledgeWildcards(
    'Wildcards only where the API has no resource-level permission (ENI creation and description, ECR login), where a condition scopes the grant (metrics namespace, the staging account as resource owner, KMS through S3), or for names created at run time under this endpoint (capture and monitoring objects, log streams).',
  );
  return role;
}
