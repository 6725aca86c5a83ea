/**
 * What the approval gate and its scheduled sweep (constructs/approval-wait-sweep.ts) agree on, kept apart from the
 * handler so that the stack can name them without bundling the handler's SDK imports.
 */

/** A round recorded but not recorded as applied for less than this (Lambda's longest run) may still be landing. */
export const ROUND_IN_FLIGHT_MS = 15 * 60_000;
/** The constant input of the scheduled rule that has the gate judge pending person calls again. */
export const SWEEP_EVENT = { sweep: 'pending-person-calls' } as const;
/** How often the sweep runs. */
export const SWEEP_EVERY_MINUTES = 5;
/**
 * The index of pending person calls: `approval/_waiting/<day>/<group>/<version>/<event id>.json`. Under the gate's
 * listable `approval/` prefix, beside no group's records (a package group name has no `_`), and by day: a call still
 * pending is carried into the current day, and a past day whose entries are all settled or carried is closed
 * (SWEPT_PREFIX), so a sweep judges only the open days' entries, never the whole record bucket.
 */
export const WAITING_PREFIX = 'approval/_waiting/';
/**
 * Days of the index the sweep has closed (every entry settled or carried into a later day): `<day>/<entries>.json`,
 * written once.
 */
export const SWEPT_PREFIX = 'approval/_swept/';
/** How long past ROUND_IN_FLIGHT_MS a person call may still be pending before it counts as waiting too long. */
export const WAITING_MARGIN_MS = 10 * 60_000;
/** The metric the sweep publishes (every run, 0 when nothing waits too long) and the alarm watches. */
export const WAITING_METRIC = {
  namespace: 'Estate/ApprovalGate',
  metricName: 'PersonCallsPendingTooLong',
  dimension: 'Environment',
} as const;
