import { z } from 'zod';
import { cidrsOverlap, parseCidr } from './cidr';

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
  dataClassification: z
    .enum(DATA_CLASSIFICATIONS, { error: `must be one of ${DATA_CLASSIFICATIONS.join(', ')}` })
    .default('confidential'),
  flags: flags.default({}),
});

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

export const modelSchema = z.strictObject({
  id: text(/^[a-z][a-z0-9-]{1,47}[a-z0-9]$/, 'must be 3-49 lower-case letters, digits or hyphens, starting with a letter (it names the model package group)'),
  owner: text(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be the e-mail address of the accountable owner'),
  riskTier: z.enum(RISK_TIERS, { error: `must be one of ${RISK_TIERS.join(', ')}` }),
  problemType: z.enum(PROBLEM_TYPES, { error: `must be one of ${PROBLEM_TYPES.join(', ')}` }),
  protectedAttributes: z.array(z.string({ error: 'must be a facet name' }).min(1), { error: 'must be a list of facet names' }).default([]),
  maxRmse: z.number({ error: 'must be a positive number' }).positive({ error: 'must be a positive number' }).optional(),
});

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
    }),
  }, { error: 'must be a mapping with tiers (high, medium, low) and deployment' }),
  models: z.array(modelSchema, { error: 'must be a list of models' }).default([]),
});

export type EstateConfigInput = z.input<typeof estateSchema>;
export type EstateConfig = z.output<typeof estateSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];
export type ModelConfig = z.output<typeof modelSchema>;

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

  problems.push(...checkModelRiskRules(config));
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
