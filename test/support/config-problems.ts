/**
 * The config problems a change to the example estate causes: the fixture is
 * parsed afresh, changed by `mutate`, validated, and the EstateConfigError's
 * lines returned one per problem (none when the config is valid). Anything
 * other than an EstateConfigError (a stack trace a user would see) is thrown.
 */
import * as fs from 'node:fs';
import * as YAML from 'yaml';
import { EstateConfigError, validateEstateConfig } from '../../lib/config/load';
import { EXAMPLE_ESTATE_FILE } from './estate';

/** The example estate's config as parsed YAML, a fresh copy each call. */
export const exampleConfig = (): any => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));

export function configProblems(mutate: (config: any) => void, config: any = exampleConfig()): string[] {
  mutate(config);
  try {
    validateEstateConfig(config, 'test.yaml');
  } catch (e) {
    if (!(e instanceof EstateConfigError)) throw e;
    return e.message
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ''));
  }
  return [];
}
