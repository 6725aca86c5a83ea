import { z } from 'zod';
import { checkArtifactRules } from './artifact-rules';
import { hasInstanceStorage } from '../ml/instances';
import { cidrsOverlap, parseCidr } from './cidr';
import { checkReviewerRules } from './estate-rules';
import { checkSecurityAlertRules, securityAlertsSchema } from './security-alerts';
import { checkSegmentRules, segmentationSchema } from './segments';

/**
 * The estate configuration: one reviewed file describes every environment.
 *
 * Shape is checked by the zod schema below (unknown keys are errors, so a typo
 * never silently falls back to a default); cross-field rules (unique accounts,
 * non-overlapping CIDRs, regulatory floors) are checked in `checkEstateRules`.
 */

/** Regulatory floors for audit-log retention, in years, by environment type. */
export const AUDIT_RETENTION_FLOOR_YEARS = {
  // PCI DSS 10.7: keep audit trail history for at least one year.
  dev: 1,
  staging: 1,
  // Prod holds the record of model decisions: SEC 17a-4 / FINRA 4511 (6 years),
  // SR 11-7 model documentation practice and ECOA (25 months) are all covered by 7.
  prod: 7,
} as const;

/** CloudWatch Logs retention values allowed here: the service's own values, one year and up. */
export const LOG_RETENTION_DAYS = [365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const ENVIRONMENT_TYPES = ['dev', 'staging', 'prod'] as const;
export const DATA_CLASSIFICATIONS = ['internal', 'confidential', 'restricted'] as const;

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const ENV_NAME_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
const TAG_KEY_PATTERN = /^[A-Za-z0-9 _.:/=+@-]{1,128}$/;

/** A string that must match `pattern`; one message for a wrong type and a wrong form. */
function text(pattern: RegExp, error: string) {
  return z.string({ error }).regex(pattern, { error });
}

const region = text(REGION_PATTERN, 'must be an AWS region code such as eu-west-1');

const cidr = z.string({ error: 'must be an IPv4 CIDR block such as 10.20.0.0/16' }).refine((value) => parseCidr(value) !== undefined, {
  error: 'must be an IPv4 CIDR block with a prefix from /16 to /24, such as 10.20.0.0/16',
});

const flags = z.strictObject({
  retainStatefulResources: z
    .boolean()
    .optional()
    .describe('Keep keys, buckets and log groups when a stack is deleted. Forced on for staging and prod.'),
  terminationProtection: z
    .boolean()
    .optional()
    .describe('CloudFormation termination protection on the stacks. Forced on for prod.'),
});

/** Who monitors endpoints: the estate's processing jobs (default), or SageMaker Model Monitor where the account still has it. */
export const MONITORING_SERVICES = ['estate', 'model-monitor'] as const;

export const environmentSchema = z.strictObject({
  name: text(ENV_NAME_PATTERN, 'must be 2-16 lower-case letters or digits, starting with a letter (it names stages and stacks)'),
  type: z.enum(ENVIRONMENT_TYPES, { error: `must be one of ${ENVIRONMENT_TYPES.join(', ')}` }),
  account: text(/^\d{12}$/, 'must be a 12-digit AWS account ID written as a quoted string'),
  region,
  availabilityZones: z
    .array(z.string({ error: 'must be an availability zone name such as eu-west-1a' }), {
      error: 'must be a list of availability zone names',
    })
    .min(2, { error: 'must list at least 2 availability zones (the network spans two or more)' })
    .max(6, { error: 'must list at most 6 availability zones' }),
  vpcCidr: cidr,
  auditReplicaRegion: region.describe('Second region that holds a locked copy of the audit logs'),
  auditLogRetentionYears: z
    .number({ error: 'must be a whole number of years' })
    .int({ error: 'must be a whole number of years' })
    .max(100, { error: 'must be at most 100 years (the S3 Object Lock maximum)' }),
  logRetentionDays: z
    .union(
      LOG_RETENTION_DAYS.map((d) => z.literal(d)),
      { error: `must be one of the CloudWatch Logs retention values of a year or more: ${LOG_RETENTION_DAYS.join(', ')}` },
    )
    .default(365),
  monitoringService: z
    .enum(MONITORING_SERVICES, { error: `must be one of ${MONITORING_SERVICES.join(', ')}` })
    .default('estate')
    .describe("Who monitors the endpoints: the estate's own processing jobs, or SageMaker Model Monitor (only for accounts that still have it; closed to new customers on 2026-07-30)"),
  dataClassification: z
    .enum(DATA_CLASSIFICATIONS, { error: `must be one of ${DATA_CLASSIFICATIONS.join(', ')}` })
    .default('confidential'),
  instanceFamilies: z
    .array(text(/^ml\.[a-z0-9]+$/, 'must be a SageMaker instance family such as ml.g5'), { error: 'must be a list of SageMaker instance families' })
    .min(1, { error: 'must list at least one instance family' })
    .optional()
    .describe('Instance families endpoints may use here; default by environment type (INSTANCE_FAMILIES)'),
  flags: flags.default({}),
  securityAlerts: securityAlertsSchema.optional(),
  promoteFrom: text(ENV_NAME_PATTERN, 'must be the name of a staging environment of this estate')
    .optional()
    .describe('Prod only, required when the estate has a staging environment: the staging environment whose registry and deployment gate prod promotes from'),
});

/**
 * Instance families endpoints may use, by environment type, unless the
 * environment lists its own: GPU (g5, g6; p4d and p5 outside dev, for their
 * cost), Inferentia 2, and general-purpose CPU.
 */
export const INSTANCE_FAMILIES: Record<(typeof ENVIRONMENT_TYPES)[number], readonly string[]> = {
  dev: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2'],
  staging: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2', 'ml.p4d', 'ml.p5'],
  prod: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2', 'ml.p4d', 'ml.p5'],
};

const share = (what: string) => z.number({ error: `must be a number from 0 to 1 (${what})` }).min(0, { error: `must be a number from 0 to 1 (${what})` }).max(1, { error: `must be a number from 0 to 1 (${what})` });

/** Thresholds the model approval gate applies to every model of a risk tier. */
export const tierPolicySchema = z.strictObject({
  autoApprove: z.boolean({ error: 'must be true or false' }).describe('Approve without a person when every check passes. Never for high.'),
  minAuc: share('floor of AUC for classifiers'),
  minF1: share('floor of F1 for classifiers'),
  minR2: share('floor of R2 for regression models'),
  minDisparateImpact: z
    .number({ error: 'must be a number from 0.8 to 1' })
    .min(0.8, { error: 'must be at least 0.8: the four-fifths rule is the floor' })
    .max(1, { error: 'must be at most 1' }),
  psiWarn: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }),
  psiBlock: z
    .number({ error: 'must be a positive number' })
    .positive({ error: 'must be a positive number' })
    .max(0.25, { error: 'must be at most 0.25: drift beyond that is never accepted' }),
  requireExplainability: z.boolean({ error: 'must be true or false' }),
  reviewEveryMonths: z
    .number({ error: 'must be a whole number of months from 1 to 12' })
    .int({ error: 'must be a whole number of months from 1 to 12' })
    .min(1, { error: 'must be a whole number of months from 1 to 12' })
    .max(12, { error: 'must be a whole number of months from 1 to 12' }),
});

export const RISK_TIERS = ['high', 'medium', 'low'] as const;
export const PROBLEM_TYPES = ['binary_classification', 'regression'] as const;

export const FEATURE_TYPES = ['string', 'integral', 'fractional'] as const;
const NAME_PATTERN = /^[a-z][a-z0-9-]{1,46}[a-z0-9]$/;
const FEATURE_NAME = /^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$/;
const whole = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

/** A feature group of the feature store: its features, record ID and event time. */
export const featureGroupSchema = z.strictObject({
  name: text(NAME_PATTERN, 'must be 3-48 lower-case letters, digits or hyphens, starting with a letter'),
  description: z.string({ error: 'must be text' }).max(128, { error: 'must be at most 128 characters' }).optional(),
  recordIdentifier: text(FEATURE_NAME, 'must be a feature name'),
  eventTime: text(FEATURE_NAME, 'must be a feature name').describe('Feature that holds the event time; point-in-time joins use it'),
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

const imageUri = text(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/, 'must be an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)');
const modelData = text(/^s3:\/\/[a-z0-9.-]{3,63}\/.+\.tar\.gz$/, 'must be the S3 URI of a model.tar.gz');
const instanceType = text(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.g5.xlarge');

export const variantSchema = z.strictObject({
  name: text(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be 1-63 letters, digits or hyphens (e.g. champion, challenger)'),
  image: imageUri.optional(),
  modelData: modelData.optional(),
  modelPackageVersion: z
    .number({ error: 'must be a whole version number of the staging registry' })
    .int({ error: 'must be a whole version number of the staging registry' })
    .positive({ error: 'must be a whole version number of the staging registry' })
    .optional()
    .describe('Serve this approved version of the model package group in the staging registry'),
  instanceType,
  instanceCount: whole(1, 100),
  weight: z.number({ error: 'must be a number from 0 to 1' }).min(0, { error: 'must be a number from 0 to 1' }).max(1, { error: 'must be a number from 0 to 1' }),
  autoscaling: z.strictObject({
    minInstances: whole(1, 100),
    maxInstances: whole(1, 100),
    targetInvocationsPerInstance: whole(1, 100000).describe('Target of SageMakerVariantInvocationsPerInstance (per minute)'),
  }),
});

export const ROLLOUT_STRATEGIES = ['canary', 'linear', 'all-at-once'] as const;

export const endpointSchema = z.strictObject({
  awaitingApproval: z
    .boolean({ error: 'must be true or false' })
    .default(false)
    .describe('Declared before any version is approved: nothing is deployed for it here until the variants name an approved modelPackageVersion'),
  variants: z.array(variantSchema, { error: 'must be a list of production variants' }).min(1, { error: 'must list at least one production variant' }).max(10, { error: 'must list at most 10 production variants' }),
  shadow: z
    .strictObject({
      name: text(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be 1-63 letters, digits or hyphens').default('shadow'),
      image: imageUri,
      modelData,
      instanceType,
      instanceCount: whole(1, 100),
      samplingPercent: whole(1, 100).describe('Share of requests copied to the shadow variant'),
    })
    .optional(),
  rollout: z
    .strictObject({
      strategy: z.enum(ROLLOUT_STRATEGIES, { error: `must be one of ${ROLLOUT_STRATEGIES.join(', ')}` }),
      stepPercent: whole(1, 50).default(10).describe('Canary size, or each linear step, as a share of capacity'),
      bakeMinutes: whole(0, 60).default(10).describe('Wait between traffic shifts, and before the old fleet goes'),
    })
    .default({ strategy: 'canary', stepPercent: 10, bakeMinutes: 10 }),
  monitoring: z
    .strictObject({
      dataQuality: z.boolean({ error: 'must be true or false' }),
      modelQuality: z.boolean({ error: 'must be true or false' }),
      groundTruth: text(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^/]+\/)*$/, 'must be an S3 prefix ending in / (s3://<bucket>/<prefix>/) where ground-truth labels arrive')
        .optional()
        .describe('Where labels arrive (Model Monitor ground-truth JSON lines under yyyy/mm/dd/hh/); default monitoring/<endpoint>/ground-truth/ of the capture bucket'),
    })
    .optional()
    .describe('Monitoring of data quality, drift and bias (dataQuality) and of model quality (modelQuality); default on in prod, off elsewhere'),
});

/** Retraining of a model: where it runs, on what, and what starts it. */
export const trainingSchema = z.strictObject({
  environments: z
    .array(z.string({ error: 'must be an environment name' }), { error: 'must list the environments whose data the model is retrained on' })
    .min(1, { error: 'must list at least one environment' }),
  image: imageUri.describe('Training container'),
  processingImage: imageUri.describe('Container of the prepare and evaluate steps (writes the reports the gate reads)'),
  instanceType: instanceType.describe('Training instances'),
  processingInstanceType: instanceType.default('ml.m5.xlarge'),
  schedule: text(/^(cron\([^)]{9,100}\)|rate\(\d{1,3} (minute|minutes|hour|hours|day|days)\))$/, 'must be an EventBridge schedule expression such as cron(0 2 * * ? *) or rate(7 days)').optional(),
  onAlarm: z.boolean({ error: 'must be true or false' }).default(false).describe("Retrain when the model's endpoint quality alarm fires in that environment"),
  onMarketEvent: z.boolean({ error: 'must be true or false' }).default(false).describe("Retrain on a market event put on the environment's market-events bus"),
  cooldownHours: whole(0, 168).default(6).describe('No new run within this many hours of the last one that ran'),
  maxRunsPerDay: whole(1, 24).default(2).describe('At most this many runs in 24 hours, however many triggers fire'),
});

export const modelSchema = z.strictObject({
  id: text(/^[a-z][a-z0-9-]{1,47}[a-z0-9]$/, 'must be 3-49 lower-case letters, digits or hyphens, starting with a letter (it names the model package group)'),
  owner: text(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be the e-mail address of the accountable owner'),
  riskTier: z.enum(RISK_TIERS, { error: `must be one of ${RISK_TIERS.join(', ')}` }),
  problemType: z.enum(PROBLEM_TYPES, { error: `must be one of ${PROBLEM_TYPES.join(', ')}` }),
  protectedAttributes: z.array(z.string({ error: 'must be a facet name' }).min(1), { error: 'must be a list of facet names' }).default([]),
  maxRmse: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).optional(),
  intendedUse: z.string({ error: 'must be text' }).min(10, { error: 'must say what the model is for, in 10 characters or more' }).max(1024).optional().describe('Model card: intended use'),
  featureGroups: z.array(z.string({ error: 'must be a feature group name' }), { error: 'must be a list of feature group names' }).default([]),
  endpoints: z
    .record(z.string(), endpointSchema, { error: 'must map environment names to endpoint settings' })
    .default({})
    .describe('Endpoint of this model per environment name'),
  training: trainingSchema.optional(),
  segmentation: segmentationSchema.optional().describe('Segments judged on their own at approval, promotion and in production (lib/config/segments.ts)'),
});

/** The delivery pipeline: where it runs and where it reads the estate's code. */
export const deliverySchema = z.strictObject(
  {
    account: text(/^\d{12}$/, 'must be the 12-digit ID of the tooling account that runs the pipeline, quoted'),
    connectionArn: text(
      /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
      'must be the ARN of a CodeConnections (CodeStar) connection, such as arn:aws:codeconnections:eu-west-1:444455556666:connection/<uuid>',
    ),
    repository: text(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name of the repository that holds the estate'),
    branch: text(/^[\w./-]{1,255}$/, 'must be a branch name').default('main'),
  },
  { error: 'must be a mapping with account, connectionArn, repository and branch' },
);

/**
 * Who owns GuardDuty, AWS Config and Security Hub in the environment accounts.
 * Each allows one detector, recorder and hub per account and region; under
 * Control Tower or a landing zone they already exist (often run by a delegated
 * administrator), and creating them again fails the Foundation stack.
 */
export const DETECTIVE_CONTROL_SOURCES = ['estate', 'organization'] as const;
const detectiveControlsSchema = z
  .strictObject({
    source: z
      .enum(DETECTIVE_CONTROL_SOURCES, { error: `must be one of ${DETECTIVE_CONTROL_SOURCES.join(', ')}` })
      .describe('estate: the Foundation stacks create them; organization: they exist already and the estate only wires its alerts'),
    administratorAccount: text(/^\d{12}$/, 'must be the 12-digit ID of the delegated administrator account, quoted')
      .optional()
      .describe('With source organization: the account that administers them (named in the evidence)'),
  })
  .default({ source: 'estate' });

export const estateSchema = z.strictObject({
  organization: z.strictObject(
    {
      name: text(SLUG_PATTERN, 'must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it prefixes names)'),
      homeRegion: region,
      allowedRegions: z
        .array(region, { error: 'must be a list of AWS region codes' })
        .min(1, { error: 'must list at least one region' }),
      managementAccount: text(/^\d{12}$/, 'must be the 12-digit ID of the organization\'s management account, quoted')
        .optional()
        .describe('Where the organization stack (OUs, SCPs) is deployed; without it, no organization stack is built'),
      rootId: text(/^r-[0-9a-z]{4,32}$/, 'must be the organization root ID, such as r-ab12').optional(),
      identityAccount: text(/^\d{12}$/, 'must be the 12-digit ID of the account people sign in to, quoted')
        .optional()
        .describe('Account whose people assume the persona roles (with MFA); default: each environment account itself'),
      breakGlassRoleName: text(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits and +=,.@_-)').default('estate-break-glass'),
      detectiveControls: detectiveControlsSchema,
    },
    { error: 'must be a mapping with name, homeRegion and allowedRegions' },
  ),
  tags: z
    .record(
      z
        .string()
        .regex(TAG_KEY_PATTERN, { error: 'tag keys are 1-128 letters, digits, spaces and _.:/=+-@' }),
      z.string().max(256, { error: 'tag values are at most 256 characters' }),
    )
    .default({}),
  environments: z.array(environmentSchema, { error: 'must be a list of environments' }).min(1, { error: 'must define at least one environment' }),
  modelRisk: z.strictObject({
    tiers: z.strictObject({ high: tierPolicySchema, medium: tierPolicySchema, low: tierPolicySchema }),
    deployment: z.strictObject({
      stagingBakeMinutes: z
        .number({ error: 'must be a whole number of minutes from 15 to 10080' })
        .int({ error: 'must be a whole number of minutes from 15 to 10080' })
        .min(15, { error: 'must be a whole number of minutes from 15 to 10080' })
        .max(10080, { error: 'must be a whole number of minutes from 15 to 10080' }),
      challengerTolerance: z
        .number({ error: 'must be a number from 0 to 0.1' })
        .min(0, { error: 'must be a number from 0 to 0.1' })
        .max(0.1, { error: 'must be a number from 0 to 0.1' }),
      minStagingInvocations: z
        .number({ error: 'must be a whole number of invocations from 1 to 1000000' })
        .int({ error: 'must be a whole number of invocations from 1 to 1000000' })
        .min(1, { error: 'must be a whole number of invocations from 1 to 1000000' })
        .max(1_000_000, { error: 'must be a whole number of invocations from 1 to 1000000' })
        .default(100)
        .describe('Invocations the staging endpoint must serve during the bake period (an idle endpoint proves nothing)'),
    }),
  }, { error: 'must be a mapping with tiers (high, medium, low) and deployment' }),
  featureGroups: z.array(featureGroupSchema, { error: 'must be a list of feature groups' }).default([]),
  models: z.array(modelSchema, { error: 'must be a list of models' }).default([]),
  delivery: deliverySchema.optional().describe('The pipeline that deploys the environments; without it, deploy with cdk deploy'),
  extraInstanceTypes: z
    .array(text(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.g7.xlarge'), { error: 'must be a list of instance types' })
    .optional()
    .describe('Instance types newer than lib/ml/sagemaker-instance-types.json, accepted as they are'),
});

export type EstateConfigInput = z.input<typeof estateSchema>;
export type EstateConfig = z.output<typeof estateSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];
export type ModelConfig = z.output<typeof modelSchema>;
export type DeliveryConfig = z.output<typeof deliverySchema>;
export type FeatureGroupConfig = z.output<typeof featureGroupSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;
export type VariantConfig = z.output<typeof variantSchema>;
export type TrainingConfig = z.output<typeof trainingSchema>;

/** A problem found in the config: where, what was there, and what is allowed. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

/**
 * Cross-field rules the schema cannot express. Runs only on a config whose
 * shape is already valid, and returns every problem rather than the first.
 */
export function checkEstateRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { organization } = config;
  const allowed = new Set(organization.allowedRegions);

  organization.allowedRegions.forEach((r, i) => {
    if (organization.allowedRegions.indexOf(r) !== i) {
      problems.push({ path: `organization.allowedRegions[${i}]`, value: r, message: 'is listed twice' });
    }
  });
  if ((organization.managementAccount === undefined) !== (organization.rootId === undefined)) {
    problems.push({
      path: organization.managementAccount === undefined ? 'organization.managementAccount' : 'organization.rootId',
      message: 'is required when the other of managementAccount and rootId is given: the organization stack needs both',
    });
  }
  if (!allowed.has(organization.homeRegion)) {
    problems.push({
      path: 'organization.homeRegion',
      value: organization.homeRegion,
      message: `must be one of organization.allowedRegions (${organization.allowedRegions.join(', ')})`,
    });
  }

  const seenNames = new Map<string, number>();
  const seenAccounts = new Map<string, number>();
  // forEach and slice skip holes: a caller may pass a sparse list of the
  // environments that are well-formed, each at its index in the file.
  config.environments.forEach((env, i) => {
    const at = `environments[${i}]`;

    const nameTwin = seenNames.get(env.name);
    if (nameTwin !== undefined) {
      problems.push({ path: `${at}.name`, value: env.name, message: `is already used by environments[${nameTwin}]; names must be unique` });
    } else {
      seenNames.set(env.name, i);
    }
    if (env.account === organization.managementAccount) {
      problems.push({
        path: `${at}.account`,
        value: env.account,
        message: 'is the management account; workloads run in member accounts, never in the management account',
      });
    }
    const accountTwin = seenAccounts.get(env.account);
    if (accountTwin !== undefined) {
      problems.push({
        path: `${at}.account`,
        value: env.account,
        message: `is already used by environments[${accountTwin}]; each environment needs its own account`,
      });
    } else {
      seenAccounts.set(env.account, i);
    }

    if (!allowed.has(env.region)) {
      problems.push({
        path: `${at}.region`,
        value: env.region,
        message: `must be one of organization.allowedRegions (${organization.allowedRegions.join(', ')})`,
      });
    }
    if (env.auditReplicaRegion === env.region) {
      problems.push({
        path: `${at}.auditReplicaRegion`,
        value: env.auditReplicaRegion,
        message: `must differ from the environment's region (${env.region}): the replica protects against losing a region`,
      });
    } else if (!allowed.has(env.auditReplicaRegion)) {
      problems.push({
        path: `${at}.auditReplicaRegion`,
        value: env.auditReplicaRegion,
        message: `must be one of organization.allowedRegions (${organization.allowedRegions.join(', ')})`,
      });
    }
    env.availabilityZones.forEach((az, j) => {
      if (!new RegExp(`^${env.region}[a-z]$`).test(az)) {
        problems.push({
          path: `${at}.availabilityZones[${j}]`,
          value: az,
          message: `must be an availability zone of ${env.region}, such as ${env.region}a`,
        });
      } else if (env.availabilityZones.indexOf(az) !== j) {
        problems.push({ path: `${at}.availabilityZones[${j}]`, value: az, message: 'is listed twice' });
      }
    });

    const floor = AUDIT_RETENTION_FLOOR_YEARS[env.type];
    if (env.auditLogRetentionYears < floor) {
      problems.push({
        path: `${at}.auditLogRetentionYears`,
        value: env.auditLogRetentionYears,
        message: `must be at least ${floor} year(s) for a ${env.type} environment (regulatory floor)`,
      });
    }
    if (env.type !== 'dev' && env.flags.retainStatefulResources === false) {
      problems.push({
        path: `${at}.flags.retainStatefulResources`,
        value: false,
        message: `cannot be false in a ${env.type} environment: stateful resources are always retained outside dev`,
      });
    }
    if (env.type === 'prod' && env.flags.terminationProtection === false) {
      problems.push({
        path: `${at}.flags.terminationProtection`,
        value: false,
        message: 'cannot be false in a prod environment',
      });
    }

    config.environments.slice(0, i).forEach((other, k) => {
      if (cidrsOverlap(env.vpcCidr, other.vpcCidr)) {
        problems.push({
          path: `${at}.vpcCidr`,
          value: env.vpcCidr,
          message: `overlaps environments[${k}].vpcCidr (${other.vpcCidr}); environment networks must not overlap`,
        });
      }
    });
  });

  problems.push(...checkModelRiskRules(config), ...checkDeliveryRules(config), ...checkMlPlaneRules(config), ...checkTrainingRules(config));
  // Which accounts and buckets are the estate's is known only once the environments are sound.
  if (!problems.some((p) => p.path.startsWith('environments'))) problems.push(...checkArtifactRules(config));
  problems.push(...checkReviewerRules(config), ...checkSegmentRules(config), ...checkSecurityAlertRules(config));
  return problems;
}

function checkModelRiskRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.modelRisk) return problems; // reported by the schema
  if (config.modelRisk.tiers.high.autoApprove) {
    problems.push({ path: 'modelRisk.tiers.high.autoApprove', value: true, message: 'cannot be true: a high-risk model is approved only by a person in the model-risk role' });
  }
  for (const name of RISK_TIERS) {
    const tier = config.modelRisk.tiers[name];
    if (tier.psiWarn >= tier.psiBlock) {
      problems.push({ path: `modelRisk.tiers.${name}.psiWarn`, value: tier.psiWarn, message: `must be below psiBlock (${tier.psiBlock})` });
    }
  }
  const seen = new Map<string, number>();
  (config.models ?? []).forEach((model, i) => {
    const twin = seen.get(model.id);
    if (twin !== undefined) problems.push({ path: `models[${i}].id`, value: model.id, message: `is already used by models[${twin}]; model ids must be unique` });
    else seen.set(model.id, i);
    if (model.maxRmse !== undefined && model.problemType !== 'regression') {
      problems.push({ path: `models[${i}].maxRmse`, value: model.maxRmse, message: 'applies only to regression models' });
    }
  });
  return problems;
}

function checkDeliveryRules(config: EstateConfig): ConfigProblem[] {
  const { delivery, organization } = config;
  if (!delivery) return [];
  const problems: ConfigProblem[] = [];
  const twin = config.environments.findIndex((env) => env?.account === delivery.account);
  if (twin >= 0) {
    problems.push({
      path: 'delivery.account',
      value: delivery.account,
      message: `is already used by environments[${twin}]; the pipeline runs in its own tooling account`,
    });
  }
  if (delivery.account === organization.managementAccount) {
    problems.push({ path: 'delivery.account', value: delivery.account, message: 'is the management account; the pipeline runs in a member (tooling) account' });
  }
  const [, , , region, account] = delivery.connectionArn.split(':');
  if (account !== delivery.account || region !== organization.homeRegion) {
    problems.push({
      path: 'delivery.connectionArn',
      value: delivery.connectionArn,
      message: `must be a connection in the tooling account ${delivery.account} and the home region ${organization.homeRegion}, where the pipeline runs`,
    });
  }
  return problems;
}

/** The instance family of a SageMaker instance type: `ml.g5.xlarge` -> `ml.g5`. */
export const instanceFamily = (type: string): string => type.split('.').slice(0, 2).join('.');

function checkMlPlaneRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = new Map<string, number>();
  (config.featureGroups ?? []).forEach((group, i) => {
    const at = `featureGroups[${i}]`;
    const twin = groups.get(group.name);
    if (twin !== undefined) problems.push({ path: `${at}.name`, value: group.name, message: `is already used by featureGroups[${twin}]; names must be unique` });
    else groups.set(group.name, i);
    const features = new Map(group.features.map((f) => [f.name, f.type]));
    if (!features.has(group.recordIdentifier)) {
      problems.push({ path: `${at}.recordIdentifier`, value: group.recordIdentifier, message: 'must be one of the features of this group' });
    }
    const eventType = features.get(group.eventTime);
    if (!eventType) problems.push({ path: `${at}.eventTime`, value: group.eventTime, message: 'must be one of the features of this group' });
    else if (eventType === 'integral') problems.push({ path: `${at}.eventTime`, value: group.eventTime, message: 'must be a fractional or string feature (event times are seconds or ISO-8601)' });
    if (!group.online && !group.offline) problems.push({ path: `${at}.online`, value: false, message: 'and offline cannot both be false: a feature group needs a store' });
    group.features.forEach((f, j) => {
      if (group.features.findIndex((g) => g.name === f.name) !== j) problems.push({ path: `${at}.features[${j}].name`, value: f.name, message: 'is listed twice' });
    });
  });

  const present = config.environments.filter(Boolean);
  const environments = new Map(present.map((e) => [e.name, e]));
  // The registry packaged variants serve from: the staging environment prod names in promoteFrom.
  const promoted = present.some((e) => e.type === 'prod' && e.promoteFrom !== undefined);
  (config.models ?? []).forEach((model, i) => {
    const at = `models[${i}]`;
    model.featureGroups.forEach((name, j) => {
      if (!groups.has(name)) {
        problems.push({ path: `${at}.featureGroups[${j}]`, value: name, message: `is not a feature group of this estate (known: ${[...groups.keys()].join(', ') || 'none'})` });
      }
    });
    for (const [envName, endpoint] of Object.entries(model.endpoints)) {
      const ep = `${at}.endpoints.${envName}`;
      const env = environments.get(envName);
      if (!env) {
        problems.push({ path: ep, message: `is not an environment of this estate (known: ${[...environments.keys()].join(', ')})` });
        continue;
      }
      const allowed = env.instanceFamilies ?? INSTANCE_FAMILIES[env.type];
      const total = endpoint.variants.reduce((sum, v) => sum + v.weight, 0);
      if (Math.abs(total - 1) > 1e-6) {
        problems.push({ path: `${ep}.variants`, value: endpoint.variants.map((v) => v.weight), message: `weights must add up to 1 (they add up to ${Number(total.toFixed(6))})` });
      }
      const checkFamily = (path: string, type: string) => {
        if (!allowed.includes(instanceFamily(type))) {
          problems.push({ path, value: type, message: `is of family ${instanceFamily(type)}, not allowed in ${env.name} (allowed: ${allowed.join(', ')})` });
        }
      };
      endpoint.variants.forEach((v, j) => {
        const vp = `${ep}.variants[${j}]`;
        if (endpoint.variants.findIndex((w) => w.name === v.name) !== j) problems.push({ path: `${vp}.name`, value: v.name, message: 'is listed twice' });
        checkFamily(`${vp}.instanceType`, v.instanceType);
        const { minInstances, maxInstances } = v.autoscaling;
        if (maxInstances < minInstances) problems.push({ path: `${vp}.autoscaling.maxInstances`, value: maxInstances, message: `must be at least minInstances (${minInstances})` });
        if (v.instanceCount < minInstances || v.instanceCount > maxInstances) {
          problems.push({ path: `${vp}.instanceCount`, value: v.instanceCount, message: `must lie within the autoscaling bounds (${minInstances} to ${maxInstances})` });
        }
        if (env.type === 'prod' && v.weight > 0 && (v.instanceCount < 2 || minInstances < 2)) {
          problems.push({
            path: v.instanceCount < 2 ? `${vp}.instanceCount` : `${vp}.autoscaling.minInstances`,
            value: v.instanceCount < 2 ? v.instanceCount : minInstances,
            message: 'must be at least 2 in prod: a variant that takes traffic spans two availability zones',
          });
        }
        const packaged = v.modelPackageVersion !== undefined;
        const direct = v.image !== undefined || v.modelData !== undefined;
        if (endpoint.awaitingApproval) {
          if (packaged || direct) problems.push({ path: vp, message: 'gives a model, but the endpoint is awaitingApproval: remove awaitingApproval once a version is approved, or the model until then' });
        } else if (packaged === direct || (direct && (v.image === undefined || v.modelData === undefined))) {
          problems.push({ path: vp, message: 'must give either modelPackageVersion, or both image and modelData' });
        } else if (env.type === 'prod' && !packaged) {
          problems.push({ path: `${vp}.image`, value: v.image, message: 'cannot be used in prod: prod serves only a model package version approved in the staging registry (give modelPackageVersion)' });
        } else if (packaged && !promoted) {
          problems.push({ path: `${vp}.modelPackageVersion`, value: v.modelPackageVersion, message: "needs a staging environment, whose registry holds the approved versions, named in prod's promoteFrom" });
        }
      });
      if (endpoint.shadow) {
        checkFamily(`${ep}.shadow.instanceType`, endpoint.shadow.instanceType);
        if (endpoint.variants.some((v) => v.name === endpoint.shadow!.name)) {
          problems.push({ path: `${ep}.shadow.name`, value: endpoint.shadow.name, message: 'must differ from the production variant names' });
        }
      }
    }
  });
  return problems;
}

/** Whether a model's endpoint in an environment watches model quality (and so has a quality alarm). */
export function monitorsQuality(env: EnvironmentConfig, endpoint: EndpointConfig | undefined): boolean {
  if (!endpoint || endpoint.awaitingApproval) return false;
  return endpoint.monitoring ? endpoint.monitoring.modelQuality : env.type === 'prod';
}

export function checkTrainingRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const environments = new Map(config.environments.filter(Boolean).map((e) => [e.name, e]));
  (config.models ?? []).forEach((model, i) => {
    const t = model.training;
    if (!t) return;
    const at = `models[${i}].training`;
    if (!t.schedule && !t.onAlarm && !t.onMarketEvent) {
      problems.push({ path: at, message: 'must have at least one trigger: schedule, onAlarm or onMarketEvent' });
    }
    // Jobs need a volume key wherever they run (the organization guardrail), which SageMaker refuses on local storage.
    for (const field of ['instanceType', 'processingInstanceType'] as const) {
      if (hasInstanceStorage(t[field])) {
        problems.push({
          path: `${at}.${field}`,
          value: t[field],
          message: 'has local NVMe storage, where SageMaker refuses a volume key, and the organization guardrail requires one for every job: choose an EBS-backed type (ml.m5, ml.c5, ml.inf2 ...)',
        });
      }
    }
    t.environments.forEach((name, j) => {
      const env = environments.get(name);
      if (!env) {
        problems.push({ path: `${at}.environments[${j}]`, value: name, message: `is not an environment of this estate (known: ${[...environments.keys()].join(', ')})` });
        return;
      }
      const allowed = env.instanceFamilies ?? INSTANCE_FAMILIES[env.type];
      for (const field of ['instanceType', 'processingInstanceType'] as const) {
        if (!allowed.includes(instanceFamily(t[field]))) {
          problems.push({ path: `${at}.${field}`, value: t[field], message: `is of family ${instanceFamily(t[field])}, not allowed in ${env.name} (allowed: ${allowed.join(', ')})` });
        }
      }
      if (t.onAlarm && !monitorsQuality(env, model.endpoints[name])) {
        problems.push({ path: `${at}.onAlarm`, value: true, message: `needs the model's endpoint in ${name} with model-quality monitoring on (its quality alarm is the trigger)` });
      }
    });
  });
  return problems;
}
