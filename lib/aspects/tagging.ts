import { Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { EstateConfig } from '../config';

/**
 * Tags every resource under `scope` with the estate's own tags (config
 * `tags`), its organization and, when given, the environment it belongs to:
 * the one tagging of the stacks outside the environment stages (organization,
 * delivery and its support stacks).
 */
export function tagEstateResources(scope: IConstruct, estate: EstateConfig, environment?: string): void {
  for (const [key, value] of Object.entries(estate.tags)) Tags.of(scope).add(key, value);
  Tags.of(scope).add('estate:organization', estate.organization.name);
  if (environment !== undefined) Tags.of(scope).add('estate:environment', environment);
}
