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
