import { IConstruct } from 'constructs';
import { tagAll } from '../../constructs/tagging';
import type { EnvironmentConfig, EstateConfig } from '../config';

/**
 * Tags every resource under `scope` that CloudFormation accepts tags on with
 * the estate's own tags (config `tags`), its organization and, when given, the
 * environment it belongs to: by name (the delivery stacks), or an environment
 * of the config, whose type and data classification are tagged too (the
 * environment stages; the AuditBucketLocked rule reads `estate:environment-type`).
 * The one tagging of the estate's stacks and stages.
 */
export function tagEstateResources(
  scope: IConstruct,
  estate: EstateConfig,
  environment?: string | Pick<EnvironmentConfig, 'name' | 'type' | 'dataClassification'>,
): void {
  for (const [key, value] of Object.entries(estate.tags)) tagAll(scope, key, value);
  tagAll(scope, 'estate:organization', estate.organization.name);
  if (environment === undefined) return;
  if (typeof environment === 'string') {
    tagAll(scope, 'estate:environment', environment);
    return;
  }
  tagAll(scope, 'estate:environment', environment.name);
  tagAll(scope, 'estate:environment-type', environment.type);
  tagAll(scope, 'data-classification', environment.dataClassification);
}
