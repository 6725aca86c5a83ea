import { THIRTY_MODELS } from '../support/estates';
import { runInvariantSuite } from './suite';

runInvariantSuite(THIRTY_MODELS);
