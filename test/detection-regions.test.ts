/**
 * Detective controls in every allowed region, on the repository's estate (the
 * estate runs them) and on the four-environment estate (a landing zone runs
 * them; only the alerts are wired).
 */
import { detectionRegionChecks } from './support/detection-regions';
import { FOUR_ENVIRONMENTS, REPOSITORY_ESTATE } from './support/estates';

detectionRegionChecks(REPOSITORY_ESTATE.name, REPOSITORY_ESTATE.config);
detectionRegionChecks(FOUR_ENVIRONMENTS.name, FOUR_ENVIRONMENTS.config);
