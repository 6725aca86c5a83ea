import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../policies/acknowledge';
import { hasInstanceStorage } from '../aws-facts';
import type { ModelEndpointProps } from './props';

/**
 * The endpoint config, made under `scope` as `id`: the production and shadow variants of `props`, each serving its
 * model of `models` (by variant name), the ML key on volumes (except where an instance type has local NVMe storage,
 * the findings acknowledged naming the types), and data capture of input and output to the capture bucket under the
 * ML key.
 */
export function capturedEndpointConfig(
  scope: Construct,
  id: string,
  props: Pick<
    ModelEndpointProps,
    'endpointName' | 'variants' | 'shadow' | 'mlKey' | 'captureBucket' | 'captureSamplingPercent'
  >,
  models: Readonly<Record<string, sagemaker.CfnModel>>,
): sagemaker.CfnEndpointConfig {
  const { shadow } = props;
  const instanceTypes = [...props.variants, ...(shadow ? [shadow] : [])].map((v) => v.instanceType);
  const localStorage = instanceTypes.some(hasInstanceStorage);
  const config = new sagemaker.CfnEndpointConfig(scope, id, {
    // SageMaker refuses a volume key on instance types with (hardware-encrypted) local storage.
    kmsKeyId: localStorage ? undefined : props.mlKey.keyArn,
    productionVariants: props.variants.map((v) => ({
      variantName: v.name,
      modelName: models[v.name].attrModelName,
      instanceType: v.instanceType,
      initialInstanceCount: v.instanceCount,
      initialVariantWeight: v.weight,
    })),
    shadowProductionVariants: shadow
      ? [
          {
            variantName: shadow.name,
            modelName: models[shadow.name].attrModelName,
            instanceType: shadow.instanceType,
            initialInstanceCount: shadow.instanceCount,
            // The share of requests the shadow sees is its weight relative to the production weights (which add up to
            // 1).
            initialVariantWeight: shadow.samplingPercent / 100,
          },
        ]
      : undefined,
    dataCaptureConfig: {
      enableCapture: true,
      initialSamplingPercentage: props.captureSamplingPercent ?? 100,
      destinationS3Uri: props.captureBucket.s3UrlForObject(`capture/${props.endpointName}`),
      kmsKeyId: props.mlKey.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
    },
  });
  if (localStorage) {
    acknowledgeFindings(
      config,
      [
        'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured',
        'PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured',
        'HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured',
      ],
      `Instance types ${instanceTypes.filter(hasInstanceStorage).join(', ')} have local NVMe storage, which SageMaker encrypts in hardware and for which CreateEndpointConfig refuses a KmsKeyId; captured data is still encrypted with the customer ML key.`,
    );
  }
  return config;
}
