import { ONE_ENVIRONMENT } from '../support/estates';
import { runInvariantSuite } from './suite';

runInvariantSuite(ONE_ENVIRONMENT);
