import { REPOSITORY_ESTATE } from '../support/estates';
import { runInvariantSuite } from './suite';

runInvariantSuite(REPOSITORY_ESTATE);
