import { ProcessingInstanceType, ProductionVariantInstanceType, TrainingInstanceType } from '@aws-sdk/client-sagemaker';

/** The SDK version the committed list was taken from (package.json pins it exactly). */
const SDK_VERSION: string = require('@aws-sdk/client-sagemaker/package.json').version;

/**
 * SageMaker's instance types by use, as the pinned SDK's API model lists them.
 * Loading the SDK takes seconds, so config validation reads the committed copy
 * (lib/ml/sagemaker-instance-types.json) and a test keeps the two equal.
 */
export function sdkInstanceTypes(): { source: string; hosting: string[]; training: string[]; processing: string[] } {
  const sorted = (o: Record<string, string>) =>
    [...new Set(Object.values(o))].filter((t) => t.startsWith('ml.')).sort();
  return {
    source: `@aws-sdk/client-sagemaker ${SDK_VERSION}: ProductionVariantInstanceType, TrainingInstanceType, ProcessingInstanceType`,
    hosting: sorted(ProductionVariantInstanceType),
    training: sorted(TrainingInstanceType),
    processing: sorted(ProcessingInstanceType),
  };
}
