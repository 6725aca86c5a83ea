import { z } from 'zod';
import { AUDIT_RETENTION_FLOOR_YEARS, INSTANCE_FAMILIES, LOG_RETENTION_DAYS } from '../../policies/regulatory-floors';
import { cidrsOverlap } from './cidr';
import { cidr, ConfigProblem, ENV_NAME_PATTERN, region, text } from './common';
import type { EstateConfig } from './estate-config';
import type { EndpointConfig } from './models';
import { securityAlertsSchema } from './security-alerts';

/** The environments of the estate: one account and region each, its network, retention and flags. */

export const ENVIRONMENT_TYPES = ['dev', 'staging', 'prod'] as const;
export const DATA_CLASSIFICATIONS = ['internal', 'confidential', 'restricted'] as const;

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

/**
 * Who monitors endpoints: the estate's processing jobs (default), or SageMaker Model Monitor where the account still
 * has it.
 */
export const MONITORING_SERVICES = ['estate', 'model-monitor'] as const;

export const environmentSchema = z.strictObject({
  name: text(
    ENV_NAME_PATTERN,
    'must be 2-16 lower-case letters or digits, starting with a letter (it names stages and stacks)',
  ),
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
      {
        error: `must be one of the CloudWatch Logs retention values of a year or more: ${LOG_RETENTION_DAYS.join(', ')}`,
      },
    )
    .default(365),
  monitoringService: z
    .enum(MONITORING_SERVICES, { error: `must be one of ${MONITORING_SERVICES.join(', ')}` })
    .default('estate')
    .describe(
      "Who monitors the endpoints: the estate's own processing jobs, or SageMaker Model Monitor (only for accounts that still have it; closed to new customers on 2026-07-30)",
    ),
  dataClassification: z
    .enum(DATA_CLASSIFICATIONS, { error: `must be one of ${DATA_CLASSIFICATIONS.join(', ')}` })
    .default('confidential'),
  instanceFamilies: z
    .array(text(/^ml\.[a-z0-9]+$/, 'must be a SageMaker instance family such as ml.g5'), {
      error: 'must be a list of SageMaker instance families',
    })
    .min(1, { error: 'must list at least one instance family' })
    .optional()
    .describe('Instance families endpoints may use here; default by environment type (INSTANCE_FAMILIES)'),
  flags: flags.default({}),
  securityAlerts: securityAlertsSchema.optional(),
  promoteFrom: text(ENV_NAME_PATTERN, 'must be the name of a staging environment of this estate')
    .optional()
    .describe(
      'Prod only, required when the estate has a staging environment: the staging environment whose registry and deployment gate prod promotes from',
    ),
});

export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

/** Instance families an environment's endpoints and jobs may use: its own list, else the floor of its type. */
export function allowedInstanceFamilies(env: EnvironmentConfig): readonly string[] {
  return env.instanceFamilies ?? INSTANCE_FAMILIES[env.type];
}

/** Whether a model's endpoint in an environment watches model quality (and so has a quality alarm). */
export function monitorsQuality(env: EnvironmentConfig, endpoint: EndpointConfig | undefined): boolean {
  if (!endpoint || endpoint.awaitingApproval) return false;
  return endpoint.monitoring ? endpoint.monitoring.modelQuality : env.type === 'prod';
}

/**
 * The environment prod promotes from: the staging environment that prod's
 * `promoteFrom` names (config requires it, and the same one for every prod).
 * Its registry holds the approved versions prod serves, and its deployment
 * gate judges them before the pipeline deploys prod. An estate without prod
 * has none.
 */
export function promotionSource(estate: EstateConfig): EnvironmentConfig | undefined {
  const from = estate.environments.find((e) => e.type === 'prod' && e.promoteFrom !== undefined)?.promoteFrom;
  return from === undefined ? undefined : estate.environments.find((e) => e.name === from);
}

/**
 * Cross-field rules of the environments: unique names and accounts, never the
 * management account, allowed regions and zones, the regulatory floors, and
 * networks that do not overlap.
 */
export function checkEnvironmentRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { organization } = config;
  const allowed = new Set(organization.allowedRegions);
  const seenNames = new Map<string, number>();
  const seenAccounts = new Map<string, number>();
  // forEach and slice skip holes: a caller may pass a sparse list of the
  // environments that are well-formed, each at its index in the file.
  config.environments.forEach((env, i) => {
    const at = `environments[${i}]`;

    const nameTwin = seenNames.get(env.name);
    if (nameTwin !== undefined) {
      problems.push({
        path: `${at}.name`,
        value: env.name,
        message: `is already used by environments[${nameTwin}]; names must be unique`,
      });
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
  return problems;
}
