/**
 * Facts about AWS that the estate's code relies on: which instance types have
 * local storage, how an instance type names its family, how an ECR image URI
 * names its repository, which partition a region is in. A leaf module: it
 * imports nothing of ours, so config, constructs, rules and the pipeline's gate
 * step can all depend on it.
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
