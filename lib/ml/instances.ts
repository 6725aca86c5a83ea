/**
 * Instance families with local NVMe storage. SageMaker encrypts that storage
 * in hardware and refuses a KmsKeyId on an endpoint config (or a volume key on
 * a job) that uses them (CreateEndpointConfig API reference, KmsKeyId).
 */
const INSTANCE_STORAGE_FAMILY = /^ml\.(g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|[a-z]+\d+[a-z]*d)\./;

export const hasInstanceStorage = (instanceType: string): boolean => INSTANCE_STORAGE_FAMILY.test(instanceType);

/** What an instance runs: an endpoint variant, a training job, or a processing job. */
export type InstanceUse = 'hosting' | 'training' | 'processing';

/**
 * SageMaker's instance types by use: the one list config validation checks
 * against, taken from the pinned SDK (`npm run instance-types` rewrites it;
 * a test keeps it equal to the SDK). A type newer than the list goes in the
 * config's `extraInstanceTypes`.
 */
export const SAGEMAKER_INSTANCE_TYPES: Readonly<Record<InstanceUse, readonly string[]>> = (() => {
  const list = require('./sagemaker-instance-types.json') as Record<InstanceUse, string[]>;
  return { hosting: list.hosting, training: list.training, processing: list.processing };
})();
