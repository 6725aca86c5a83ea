/**
 * Facts about AWS that the estate's code relies on: which instance types have
 * local storage, how an instance type names its family, how an ECR image URI
 * names its repository, which partition a region is in, which registries hold
 * AWS's processing and Model Monitor images, and the service-linked role of
 * endpoint autoscaling. A leaf module: it imports nothing of ours, so config,
 * constructs, rules and the pipeline's gate step can all depend on it.
 */

/**
 * Instance families with local NVMe storage. SageMaker encrypts that storage
 * in hardware and refuses a KmsKeyId on an endpoint config (or a volume key on
 * a job) that uses them (CreateEndpointConfig API reference, KmsKeyId).
 */
const INSTANCE_STORAGE_FAMILY = /^ml\.(g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|[a-z]+\d+[a-z]*d)\./;

/** Whether a SageMaker instance type has local NVMe storage (no volume key accepted). */
export const hasInstanceStorage = (instanceType: string): boolean => INSTANCE_STORAGE_FAMILY.test(instanceType);

/** The instance family of a SageMaker instance type: `ml.g5.xlarge` -> `ml.g5`. */
export const instanceFamily = (type: string): string => type.split('.').slice(0, 2).join('.');

/** The ECR repository ARN of an image URI (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`). */
export function repositoryArn(partition: string, image: string): string {
  const [host, ...rest] = image.split('/');
  const [account, , , region] = host.split('.');
  const repository = rest.join('/').replace(/(@sha256:[a-f0-9]+|:[\w.-]+)$/, '');
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

/** The AWS partition of a region, for code that runs outside CDK, where no partition token resolves. */
export function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/**
 * AWS's scikit-learn processing image (Python 3, numpy) per region: the registries of the SageMaker
 * Python SDK (image_uri_config/sklearn.json).
 */
export const SKLEARN_PROCESSING_REGISTRY: Readonly<Record<string, string>> = {
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
  'ca-central-1': '341280168497',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-south-1': '720646828776',
  'sa-east-1': '737474898029',
};
/** The tag of the scikit-learn processing image the estate runs. */
export const SKLEARN_PROCESSING_TAG = '1.2-1-cpu-py3';

/** AWS's scikit-learn processing image in a region; a region it is not known for is an error that says what to add. */
export function sklearnProcessingImage(region: string, where: string): string {
  const registry = SKLEARN_PROCESSING_REGISTRY[region];
  if (!registry)
    throw new Error(
      `${where}: no scikit-learn processing image is known for ${region}; add its registry to SKLEARN_PROCESSING_REGISTRY (SageMaker Python SDK, image_uri_config/sklearn.json)`,
    );
  return `${registry}.dkr.ecr.${region}.amazonaws.com/sagemaker-scikit-learn:${SKLEARN_PROCESSING_TAG}`;
}

/** Model Monitor's analyzer image registry per region (SageMaker Python SDK, image_uri_config/model-monitor.json). */
export const MODEL_MONITOR_REGISTRY: Readonly<Record<string, string>> = {
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'eu-central-1': '048819808253',
  'eu-north-1': '895015795356',
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
  'ca-central-1': '536280801234',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ap-northeast-1': '574779866223',
  'ap-south-1': '126357580389',
};

/** Model Monitor's analyzer image in a region; a region it is not known for is an error that says what to add. */
export function modelMonitorImage(region: string, where: string): string {
  const registry = MODEL_MONITOR_REGISTRY[region];
  if (!registry)
    throw new Error(`${where}: no Model Monitor image is known for ${region}; add it to MODEL_MONITOR_REGISTRY`);
  return `${registry}.dkr.ecr.${region}.amazonaws.com/sagemaker-model-monitor-analyzer`;
}

/**
 * The service-linked role Application Auto Scaling uses for SageMaker endpoint variants
 * (AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint; Application Auto Scaling User Guide,
 * "Service-linked roles").
 */
export function sagemakerEndpointScalingRoleArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`;
}

/**
 * The ARN of a Security Hub standard in a region (`standards/<id>/v/<version>`; the account is left out: the standards
 * are AWS's). Security Hub API reference, BatchEnableStandards, StandardsArn.
 */
export function securityHubStandardArn(partition: string, region: string, standard: string): string {
  return `arn:${partition}:securityhub:${region}::standards/${standard}`;
}
