import { z } from 'zod';
import { ConfigProblem, text } from './common';
import type { EstateConfig } from './estate-config';

/** The feature store: its feature groups, their features, record ID and event time. */

export const FEATURE_TYPES = ['string', 'integral', 'fractional'] as const;
const NAME_PATTERN = /^[a-z][a-z0-9-]{1,46}[a-z0-9]$/;
const FEATURE_NAME = /^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$/;

/** A feature group of the feature store: its features, record ID and event time. */
export const featureGroupSchema = z.strictObject({
  name: text(NAME_PATTERN, 'must be 3-48 lower-case letters, digits or hyphens, starting with a letter'),
  description: z.string({ error: 'must be text' }).max(128, { error: 'must be at most 128 characters' }).optional(),
  recordIdentifier: text(FEATURE_NAME, 'must be a feature name'),
  eventTime: text(FEATURE_NAME, 'must be a feature name').describe(
    'Feature that holds the event time; point-in-time joins use it',
  ),
  features: z
    .array(
      z.strictObject({
        name: text(FEATURE_NAME, 'must be 1-64 letters, digits, hyphens or underscores'),
        type: z.enum(FEATURE_TYPES, { error: `must be one of ${FEATURE_TYPES.join(', ')}` }),
      }),
      { error: 'must be a list of features with name and type' },
    )
    .min(2, { error: 'must list at least the record identifier and the event time' })
    .max(2500, { error: 'must list at most 2500 features' }),
  online: z.boolean({ error: 'must be true or false' }).default(true),
  offline: z.boolean({ error: 'must be true or false' }).default(true),
});

export type FeatureGroupConfig = z.output<typeof featureGroupSchema>;

/** Cross-field rules of the feature groups: unique names, record ID and event time among the features, a store. */
export function checkFeatureGroupRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = new Map<string, number>();
  (config.featureGroups ?? []).forEach((group, i) => {
    const at = `featureGroups[${i}]`;
    const twin = groups.get(group.name);
    if (twin !== undefined)
      problems.push({
        path: `${at}.name`,
        value: group.name,
        message: `is already used by featureGroups[${twin}]; names must be unique`,
      });
    else groups.set(group.name, i);
    const features = new Map(group.features.map((f) => [f.name, f.type]));
    if (!features.has(group.recordIdentifier)) {
      problems.push({
        path: `${at}.recordIdentifier`,
        value: group.recordIdentifier,
        message: 'must be one of the features of this group',
      });
    }
    const eventType = features.get(group.eventTime);
    if (!eventType)
      problems.push({
        path: `${at}.eventTime`,
        value: group.eventTime,
        message: 'must be one of the features of this group',
      });
    else if (eventType === 'integral')
      problems.push({
        path: `${at}.eventTime`,
        value: group.eventTime,
        message: 'must be a fractional or string feature (event times are seconds or ISO-8601)',
      });
    if (!group.online && !group.offline)
      problems.push({
        path: `${at}.online`,
        value: false,
        message: 'and offline cannot both be false: a feature group needs a store',
      });
    group.features.forEach((f, j) => {
      if (group.features.findIndex((g) => g.name === f.name) !== j)
        problems.push({ path: `${at}.features[${j}].name`, value: f.name, message: 'is listed twice' });
    });
  });
  return problems;
}
