import type { EstateConfigInput } from '../../lib/config';
import { defaultEstateConfig } from './estate';

/**
 * The default estate with `models` generated models (and a feature group per
 * five models), each with an endpoint in every environment shaped like the
 * example's: GPU or Inferentia, a prod champion and challenger served from
 * approved versions, Model Monitor on in prod. For scale tests and the bench.
 */
export function generatedEstate(models: number, options: { delivery?: boolean } = {}): EstateConfigInput {
  const base = defaultEstateConfig();
  const groups = Math.max(1, Math.ceil(models / 5));
  const featureGroups = Array.from({ length: groups }, (_, g) => ({
    name: `features-${String(g).padStart(3, '0')}`,
    recordIdentifier: 'entity_id',
    eventTime: 'event_time',
    features: [
      { name: 'entity_id', type: 'string' as const },
      { name: 'event_time', type: 'fractional' as const },
      ...Array.from({ length: 8 }, (_, f) => ({ name: `f${f}`, type: 'fractional' as const })),
    ],
  }));
  // Images from the estate's registries (by digest outside dev), model data from the environment's artifact bucket.
  const variant = (env: { account: string; name: string; type: string }, id: string, gpu: boolean) => ({
    image: `${env.account}.dkr.ecr.eu-west-1.amazonaws.com/${id}${env.type === 'dev' ? ':1.0.0' : `@sha256:${'0'.repeat(63)}1`}`,
    modelData: `s3://model-artifacts-${env.account}-eu-west-1/models/${id}/1.0.0/model.tar.gz`,
    instanceType: gpu ? 'ml.g5.xlarge' : 'ml.inf2.xlarge',
    instanceCount: 1,
    weight: 1,
    autoscaling: { minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 100 },
  });
  const [dev] = base.environments;
  const generated = Array.from({ length: models }, (_, i) => {
    const id = `model-${String(i).padStart(4, '0')}`;
    const gpu = i % 2 === 0;
    return {
      id,
      owner: `team-${i % 17}@examplebank.example`,
      riskTier: (['high', 'medium', 'low'] as const)[i % 3],
      problemType: 'binary_classification' as const,
      protectedAttributes: ['age_band'],
      intendedUse: `Generated model ${i} for scale measurements.`,
      featureGroups: [featureGroups[i % groups].name],
      // Every third model is segmented (one critical segment), so the segment invariants hold on estates beyond the
      // example.
      ...(i % 3 === 1
        ? {
            segmentation: {
              segments: [
                { name: 'upper-tail', feature: 'f0', range: { min: 2 }, critical: true, minSupport: 200 },
                { name: 'lower-tail', feature: 'f1', range: { max: -2 } },
              ],
            },
          }
        : {}),
      endpoints: {
        dev: { variants: [{ name: 'champion', ...variant(dev, id, gpu) }] },
        // Staging bakes what prod serves, as the example's does: both versions, in variants that take traffic.
        staging: {
          variants: [
            {
              name: 'champion',
              modelPackageVersion: 2,
              instanceType: gpu ? 'ml.g5.xlarge' : 'ml.inf2.xlarge',
              instanceCount: 1,
              weight: 0.9,
              autoscaling: { minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 100 },
            },
            {
              name: 'challenger',
              modelPackageVersion: 3,
              instanceType: gpu ? 'ml.g5.xlarge' : 'ml.inf2.xlarge',
              instanceCount: 1,
              weight: 0.1,
              autoscaling: { minInstances: 1, maxInstances: 2, targetInvocationsPerInstance: 100 },
            },
          ],
        },
        prod: {
          variants: [
            {
              name: 'champion',
              modelPackageVersion: 2,
              instanceType: gpu ? 'ml.g5.2xlarge' : 'ml.inf2.xlarge',
              instanceCount: 2,
              weight: 0.9,
              autoscaling: { minInstances: 2, maxInstances: 6, targetInvocationsPerInstance: 300 },
            },
            {
              name: 'challenger',
              modelPackageVersion: 3,
              instanceType: gpu ? 'ml.g5.xlarge' : 'ml.inf2.xlarge',
              instanceCount: 2,
              weight: 0.1,
              autoscaling: { minInstances: 2, maxInstances: 4, targetInvocationsPerInstance: 300 },
            },
          ],
          rollout: { strategy: 'canary' as const, stepPercent: 10, bakeMinutes: 10 },
        },
      },
    };
  });
  const { delivery, ...rest } = base as EstateConfigInput;
  return { ...rest, ...(options.delivery ? { delivery } : {}), featureGroups, models: generated } as EstateConfigInput;
}
