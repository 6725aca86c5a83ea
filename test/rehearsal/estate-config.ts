// Prints the validated estate config as JSON (defaults applied), for the rehearsal's read-back.
import * as path from 'node:path';
import { loadEstateConfig } from '../../lib/config/load';

process.stdout.write(JSON.stringify(loadEstateConfig(path.resolve(process.argv[2] ?? 'estate.yaml'))));
