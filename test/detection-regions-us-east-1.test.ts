/**
 * Detective controls in every allowed region on an estate that also allows
 * us-east-1 (where the global STS endpoint's calls are recorded): a third
 * regional stack, in us-east-1, with its break-glass rule forwarding to each
 * environment's home region.
 */
import { validateEstateConfig } from '../lib/config';
import { detectionRegionChecks } from './support/detection-regions';
import { REPOSITORY_ESTATE } from './support/estates';

detectionRegionChecks('the repository estate allowing us-east-1 too', () => {
  const config = REPOSITORY_ESTATE.config();
  return validateEstateConfig(
    {
      ...JSON.parse(JSON.stringify(config)),
      organization: { ...config.organization, allowedRegions: [...config.organization.allowedRegions, 'us-east-1'] },
    },
    'three-region estate',
  );
});
