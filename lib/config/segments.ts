import { z } from 'zod';
import type { ConfigProblem } from './common';
import type { EstateConfig } from './estate-config';
import type { MonitoredSegment } from '../../constructs/estate-monitoring';
import type { SegmentationPolicy, SegmentPolicy } from '../../lambdas/shared/segments';
import { didYouMean } from './suggest';

/**
 * Segments of a model's population, judged on their own: where an aggregate
 * metric hides a failure (a fraud model that misses on high-value
 * transactions, a credit model that drifts for thin-file customers).
 *
 * A segment is a categorical value set or a numeric range of one feature of
 * the model's feature groups. A range is `min <= x < max` (either bound may be
 * left out). The evaluation, the gates and the monitoring job read the same
 * definition: the evaluation report repeats it, and a gate refuses a report
 * whose segment is defined otherwise.
 */

const SEGMENT_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const nameOf = (what: string) =>
  z
    .string({
      error: `must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it names the ${what} in reports and alarms)`,
    })
    .regex(SEGMENT_NAME, {
      error: `must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it names the ${what} in reports and alarms)`,
    });
const share = (what: string) =>
  z
    .number({ error: `must be a number from 0 to 1 (${what})` })
    .min(0, { error: `must be a number from 0 to 1 (${what})` })
    .max(1, { error: `must be a number from 0 to 1 (${what})` });
const finite = z
  .number({ error: 'must be a finite number' })
  .refine((x) => Number.isFinite(x), { error: 'must be a finite number' });

/** Floors that replace the tier's for one segment (each optional). */
export const segmentFloorsSchema = z.strictObject({
  minAuc: share('floor of AUC in this segment').optional(),
  minF1: share('floor of F1 in this segment').optional(),
  minR2: z
    .number({ error: 'must be a number at most 1 (floor of R2 in this segment)' })
    .max(1, { error: 'must be a number at most 1 (floor of R2 in this segment)' })
    .optional(),
  maxRmse: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).optional(),
});

export const segmentSchema = z.strictObject({
  name: nameOf('segment'),
  feature: z
    .string({ error: "must be the name of a feature of the model's feature groups" })
    .min(1, { error: "must be the name of a feature of the model's feature groups" }),
  values: z
    .array(z.union([z.string(), finite], { error: 'must be a feature value (text or number)' }), {
      error: 'must be a list of feature values',
    })
    .min(1, { error: 'must list at least one value' })
    .max(50, { error: 'must list at most 50 values' })
    .optional()
    .describe('Categorical segment: the rows whose feature has one of these values'),
  range: z
    .strictObject(
      {
        min: finite.optional().describe('Inclusive lower bound'),
        max: finite.optional().describe('Exclusive upper bound'),
      },
      { error: 'must be a mapping with min and/or max' },
    )
    .optional()
    .describe('Numeric segment: min <= value < max'),
  critical: z
    .boolean({ error: 'must be true or false' })
    .default(false)
    .describe(
      'Every gate judges it on its own: floors block, a loss against the champion blocks promotion, alarms in production',
    ),
  minSupport: z
    .number({ error: 'must be a whole number of rows from 1 to 1000000' })
    .int({ error: 'must be a whole number of rows from 1 to 1000000' })
    .min(1, { error: 'must be a whole number of rows from 1 to 1000000' })
    .max(1_000_000, { error: 'must be a whole number of rows from 1 to 1000000' })
    .default(100)
    .describe('Rows below which the segment is reported as insufficient data, not judged'),
  floors: segmentFloorsSchema.optional().describe("Floors of this segment; the tier's where not given"),
});

export const stressScenarioSchema = z.strictObject({
  name: nameOf('stress scenario'),
  positiveRate: z
    .number({ error: 'must be a number between 0 and 1 (the share of positive labels in the scenario)' })
    .gt(0, { error: 'must be a number between 0 and 1 (the share of positive labels in the scenario)' })
    .lt(1, { error: 'must be a number between 0 and 1 (the share of positive labels in the scenario)' })
    .optional()
    .describe(
      'Prior shift: the test set reweighted so that this share of rows is positive (e.g. a doubled default rate)',
    ),
  segmentShare: z
    .strictObject({
      segment: z.string({ error: 'must name a segment of this model' }),
      share: z
        .number({ error: 'must be a number between 0 and 1' })
        .gt(0, { error: 'must be a number between 0 and 1' })
        .lt(1, { error: 'must be a number between 0 and 1' }),
    })
    .optional()
    .describe('Population shift: the test set reweighted so that this segment is this share of rows'),
});

export const segmentationSchema = z.strictObject({
  marginBelowAggregate: z
    .number({ error: 'must be a number from 0 to 0.5' })
    .min(0, { error: 'must be a number from 0 to 0.5' })
    .max(0.5, { error: 'must be a number from 0 to 0.5' })
    .default(0.05)
    .describe("A segment whose primary metric (AUC, R2) is more than this below the aggregate's is held for a person"),
  segments: z
    .array(segmentSchema, { error: 'must be a list of segments' })
    .min(1, { error: 'must list at least one segment' })
    .max(20, { error: 'must list at most 20 segments (each is a set of metrics and alarms)' }),
  stressScenarios: z
    .array(stressScenarioSchema, { error: 'must be a list of stress scenarios' })
    .max(10, { error: 'must list at most 10 stress scenarios' })
    .default([]),
});

export type SegmentConfig = z.output<typeof segmentSchema>;
export type SegmentationConfig = z.output<typeof segmentationSchema>;
export type StressScenarioConfig = z.output<typeof stressScenarioSchema>;

/** Critical segments per model: each is three alarms per monitored endpoint (drift, score drift, quality). */
export const MAX_CRITICAL_SEGMENTS = 5;

/** The largest container argument SageMaker accepts (AppSpecification.ContainerArguments items: 256 characters). */
export const MAX_CONTAINER_ARGUMENT = 256;

/**
 * A segment as the evaluation and monitoring script reads it (one container argument each). `critical`
 * rides along (the script ignores it) so that the compliance pack can read, from the monitoring job
 * itself, which segments must have alarms.
 */
export function segmentArgument(
  s: Pick<SegmentConfig, 'name' | 'feature' | 'values' | 'range' | 'minSupport'> & { readonly critical?: boolean },
): string {
  return JSON.stringify({
    name: s.name,
    feature: s.feature,
    ...(s.values ? { values: s.values } : {}),
    ...(s.range
      ? {
          range: {
            ...(s.range.min !== undefined ? { min: s.range.min } : {}),
            ...(s.range.max !== undefined ? { max: s.range.max } : {}),
          },
        }
      : {}),
    minSupport: s.minSupport,
    ...(s.critical ? { critical: true } : {}),
  });
}

/** The definition as the reports repeat it (the script's `definition()`): feature, and values or range. */
export function segmentDefinition(s: Pick<SegmentConfig, 'feature' | 'values' | 'range'>): SegmentPolicy['definition'] {
  if (s.values) return { feature: s.feature, values: s.values };
  return {
    feature: s.feature,
    range: {
      ...(s.range?.min !== undefined ? { min: s.range.min } : {}),
      ...(s.range?.max !== undefined ? { max: s.range.max } : {}),
    },
  };
}

/** A stress scenario as the script reads it. */
export function stressArgument(s: StressScenarioConfig): string {
  return JSON.stringify({
    name: s.name,
    ...(s.positiveRate !== undefined ? { positiveRate: s.positiveRate } : {}),
    ...(s.segmentShare ? { segmentShare: s.segmentShare } : {}),
  });
}

/** Container arguments of a model's segments and stress scenarios (none without segmentation). */
export function segmentArguments(segmentation: SegmentationConfig | undefined): string[] {
  if (!segmentation) return [];
  return [
    ...segmentation.segments.flatMap((s) => ['--segment', segmentArgument(s)]),
    ...segmentation.stressScenarios.flatMap((s) => ['--stress', stressArgument(s)]),
  ];
}

/** Cross-field rules of every model's segments: features of its feature groups, of a type that fits the definition. */
export function checkSegmentRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = new Map((config.featureGroups ?? []).filter(Boolean).map((g) => [g.name, g]));
  (config.models ?? []).forEach((model, i) => {
    if (!model?.segmentation) return;
    const at = `models[${i}].segmentation`;
    const features = new Map<string, string>();
    const keys = new Set<string>();
    for (const name of model.featureGroups) {
      const group = groups.get(name);
      if (!group) continue; // reported by the feature-group rule
      keys.add(group.recordIdentifier);
      keys.add(group.eventTime);
      for (const f of group.features) if (!features.has(f.name)) features.set(f.name, f.type);
    }
    const usable = [...features.keys()].filter((f) => !keys.has(f));
    const classifier = model.problemType === 'binary_classification';
    const names = new Map<string, number>();
    model.segmentation.segments.forEach((s, j) => {
      const sp = `${at}.segments[${j}]`;
      const twin = names.get(s.name);
      if (twin !== undefined)
        problems.push({
          path: `${sp}.name`,
          value: s.name,
          message: `is already used by segments[${twin}]; segment names must be unique within a model`,
        });
      else names.set(s.name, j);
      const type = features.get(s.feature);
      if (type === undefined) {
        problems.push({
          path: `${sp}.feature`,
          value: s.feature,
          message:
            model.featureGroups.length === 0
              ? 'is not a feature of the model: the model lists no featureGroups'
              : `is not a feature of the model's feature groups (${model.featureGroups.join(', ')}; features: ${usable.join(', ')})${didYouMean(s.feature, usable)}`,
        });
      } else if (keys.has(s.feature)) {
        problems.push({
          path: `${sp}.feature`,
          value: s.feature,
          message:
            'is a record identifier or event time, which says nothing about a population; choose a feature the model uses',
        });
      }
      if ((s.values === undefined) === (s.range === undefined)) {
        problems.push({
          path: sp,
          message: 'must give either values (a categorical segment) or range (a numeric one), not both or neither',
        });
      } else if (s.range) {
        const { min, max } = s.range;
        if (min === undefined && max === undefined)
          problems.push({ path: `${sp}.range`, message: 'must give min, max or both (min <= value < max)' });
        else if (min !== undefined && max !== undefined && !(min < max))
          problems.push({
            path: `${sp}.range.max`,
            value: max,
            message: `must be above min (${min}): the range is min <= value < max`,
          });
        if (type === 'string')
          problems.push({
            path: `${sp}.range`,
            message: `applies to a numeric feature; ${s.feature} is a string feature (give values instead)`,
          });
      } else if (s.values) {
        s.values.forEach((v, k) => {
          if (s.values!.indexOf(v) !== k)
            problems.push({ path: `${sp}.values[${k}]`, value: v, message: 'is listed twice' });
          if (typeof v === 'string' && /\{%|%\}/.test(v))
            problems.push({
              path: `${sp}.values[${k}]`,
              value: v,
              message: "cannot contain {% or %} (the delimiters of the monitoring state machine's expressions)",
            });
          if (type === 'string' && typeof v !== 'string')
            problems.push({
              path: `${sp}.values[${k}]`,
              value: v,
              message: `must be text: ${s.feature} is a string feature (quote it)`,
            });
          if ((type === 'integral' || type === 'fractional') && typeof v !== 'number')
            problems.push({
              path: `${sp}.values[${k}]`,
              value: v,
              message: `must be a number: ${s.feature} is a numeric (${type}) feature`,
            });
          if (type === 'integral' && typeof v === 'number' && !Number.isInteger(v))
            problems.push({
              path: `${sp}.values[${k}]`,
              value: v,
              message: `must be a whole number: ${s.feature} is an integral feature`,
            });
        });
      }
      if (s.floors) {
        const wrong = classifier ? (['minR2', 'maxRmse'] as const) : (['minAuc', 'minF1'] as const);
        for (const key of wrong) {
          if (s.floors[key] !== undefined)
            problems.push({
              path: `${sp}.floors.${key}`,
              value: s.floors[key],
              message: `applies only to ${classifier ? 'regression' : 'binary classification'} models; ${model.id} is ${model.problemType}`,
            });
        }
      }
      const argument = segmentArgument(s);
      if (argument.length > MAX_CONTAINER_ARGUMENT) {
        problems.push({
          path: s.values ? `${sp}.values` : sp,
          message: `is ${argument.length} characters as a processing job argument, more than SageMaker's ${MAX_CONTAINER_ARGUMENT}: list fewer or shorter values`,
        });
      }
    });
    const critical = model.segmentation.segments.filter((s) => s.critical).length;
    if (critical > MAX_CRITICAL_SEGMENTS) {
      problems.push({
        path: `${at}.segments`,
        value: critical,
        message: `marks ${critical} segments critical, more than ${MAX_CRITICAL_SEGMENTS}: each critical segment is three alarms per monitored endpoint, and an endpoint shard holds up to 16 models in one 500-resource template`,
      });
    }
    const scenarios = new Set<string>();
    model.segmentation.stressScenarios.forEach((s, j) => {
      const sp = `${at}.stressScenarios[${j}]`;
      if (scenarios.has(s.name))
        problems.push({
          path: `${sp}.name`,
          value: s.name,
          message: 'is listed twice; scenario names must be unique within a model',
        });
      scenarios.add(s.name);
      if ((s.positiveRate === undefined) === (s.segmentShare === undefined)) {
        problems.push({
          path: sp,
          message: 'must give exactly one of positiveRate (a prior shift) or segmentShare (a population shift)',
        });
      }
      if (s.positiveRate !== undefined && !classifier)
        problems.push({
          path: `${sp}.positiveRate`,
          value: s.positiveRate,
          message: `applies only to binary classification models; ${model.id} is ${model.problemType}`,
        });
      if (s.segmentShare && !names.has(s.segmentShare.segment)) {
        problems.push({
          path: `${sp}.segmentShare.segment`,
          value: s.segmentShare.segment,
          message: `is not a segment of this model (known: ${[...names.keys()].join(', ')})${didYouMean(s.segmentShare.segment, names.keys())}`,
        });
      }
      if (stressArgument(s).length > MAX_CONTAINER_ARGUMENT)
        problems.push({
          path: sp,
          message: `is longer than SageMaker's ${MAX_CONTAINER_ARGUMENT}-character container argument`,
        });
    });
  });
  return problems;
}

/**
 * What the gates need of a model's segmentation (lambdas/shared/segments.ts): definitions as the reports repeat them.
 */
export function segmentationPolicy(s: SegmentationConfig): SegmentationPolicy {
  return {
    marginBelowAggregate: s.marginBelowAggregate,
    segments: s.segments.map((x) => ({
      name: x.name,
      definition: segmentDefinition(x),
      critical: x.critical,
      minSupport: x.minSupport,
      ...(x.floors ? { floors: x.floors } : {}),
    })),
    stressScenarios: s.stressScenarios.map((x) => x.name),
  };
}

/**
 * A model's segments as its monitoring needs them (constructs take props, not the config): the
 * script's argument, whether it is critical, and its live quality floor (the segment's own, else the tier's).
 */
export function monitoredSegments(
  segmentation: SegmentationConfig | undefined,
  problemType: 'binary_classification' | 'regression',
  tier: { readonly minAuc: number },
  maxRmse: number | undefined,
): MonitoredSegment[] {
  return (segmentation?.segments ?? []).map((s) => {
    const rmse = s.floors?.maxRmse ?? maxRmse;
    const quality =
      problemType === 'binary_classification'
        ? ({ metric: 'auc', value: s.floors?.minAuc ?? tier.minAuc } as const)
        : rmse !== undefined
          ? ({ metric: 'rmse', value: rmse } as const)
          : undefined;
    return { name: s.name, argument: segmentArgument(s), critical: s.critical, ...(quality ? { quality } : {}) };
  });
}
