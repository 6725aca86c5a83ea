import { FOUR_ENVIRONMENTS } from '../support/estates';
import { runInvariantSuite } from './suite';

runInvariantSuite(FOUR_ENVIRONMENTS);
