/**
 * The regulatory floors of the estate, defined once: the config refuses a
 * value below them, the constructs refuse to build below them, and the
 * RegulatedMLOps rules flag a template below them. A leaf module: it imports
 * nothing, so config, constructs and rules can all depend on it.
 */

/** The environment types a floor is set for (the config's `environments[].type`). */
export type FloorEnvironmentType = 'dev' | 'staging' | 'prod';

/** Regulatory floors for audit-log retention, in years, by environment type. */
export const AUDIT_RETENTION_FLOOR_YEARS = {
  // PCI DSS 10.7: keep audit trail history for at least one year.
  dev: 1,
  staging: 1,
  // Prod holds the record of model decisions: SEC 17a-4 / FINRA 4511 (6 years),
  // SR 11-7 model documentation practice and ECOA (25 months) are all covered by 7.
  prod: 7,
} as const satisfies Record<FloorEnvironmentType, number>;

/**
 * Days in a retention year. Object Lock counts calendar years (`Years`); the
 * lifecycle and lock settings written in days count a year as 365 days.
 */
export const DAYS_PER_RETENTION_YEAR = 365;

/** A retention of whole years, in days (365 a year). */
export const retentionDays = (years: number): number => DAYS_PER_RETENTION_YEAR * years;

/** Shortest Object Lock retention of audit records, in days, by environment type. */
export const AUDIT_RETENTION_FLOOR_DAYS: Readonly<Record<FloorEnvironmentType, number>> = {
  dev: retentionDays(AUDIT_RETENTION_FLOOR_YEARS.dev),
  staging: retentionDays(AUDIT_RETENTION_FLOOR_YEARS.staging),
  prod: retentionDays(AUDIT_RETENTION_FLOOR_YEARS.prod),
};

/** The shortest retention this estate accepts for any log group (PCI DSS 10.7: one year). */
export const MIN_LOG_RETENTION_DAYS = 365;

/** CloudWatch Logs retention values allowed here: the service's own values, one year and up. */
export const LOG_RETENTION_DAYS = [365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * Instance families endpoints may use, by environment type, unless the
 * environment lists its own: GPU (g5, g6; p4d and p5 outside dev, for their
 * cost), Inferentia 2, and general-purpose CPU.
 */
export const INSTANCE_FAMILIES: Readonly<Record<FloorEnvironmentType, readonly string[]>> = {
  dev: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2'],
  staging: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2', 'ml.p4d', 'ml.p5'],
  prod: ['ml.m5', 'ml.m6i', 'ml.c5', 'ml.c6i', 'ml.g5', 'ml.g6', 'ml.inf2', 'ml.p4d', 'ml.p5'],
};
