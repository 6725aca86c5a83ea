/**
 * Storm control for retraining: however many triggers fire (schedule, alarms,
 * market events), a model's pipeline proceeds past its first step at most
 * `maxRunsPerDay` times in 24 hours and never within `cooldownHours` of the
 * previous run that proceeded. Runs the guard refused (and failed runs) do not
 * count, so a refused storm cannot lock retraining out.
 */

export interface RetrainingBudget {
  readonly cooldownHours: number;
  readonly maxRunsPerDay: number;
}

export interface ExecutionView {
  readonly arn: string;
  /** SageMaker status: Executing, Stopping, Stopped, Failed, Succeeded. */
  readonly status?: string;
  readonly startedAt?: Date;
  /** Whether the guard let this run proceed (a refused run fails at its first step). */
  readonly proceeded?: boolean;
}

export interface GuardDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

const HOUR = 3_600_000;
const COUNTED = new Set(['Executing', 'Stopping', 'Succeeded']);

export function decideRetraining(
  budget: RetrainingBudget | undefined,
  executions: readonly ExecutionView[] | { error: string },
  current: string,
  now: Date,
): GuardDecision {
  if (!budget)
    return { allowed: false, reason: 'no retraining budget is configured for this pipeline; refusing (fail closed)' };
  if ('error' in executions)
    return {
      allowed: false,
      reason: `earlier runs could not be listed (${executions.error}); refusing, the next trigger retries`,
    };
  const counted = executions.filter(
    (e) => e.arn !== current && e.startedAt && COUNTED.has(e.status ?? '') && e.proceeded !== false,
  );
  const lastDay = counted.filter((e) => now.getTime() - e.startedAt!.getTime() < 24 * HOUR);
  if (lastDay.length >= budget.maxRunsPerDay) {
    return {
      allowed: false,
      reason: `${lastDay.length} run(s) in the last 24 hours reach the budget of ${budget.maxRunsPerDay}`,
    };
  }
  const latest = Math.max(...counted.map((e) => e.startedAt!.getTime()), Number.NEGATIVE_INFINITY);
  if (now.getTime() - latest < budget.cooldownHours * HOUR) {
    const hours = ((now.getTime() - latest) / HOUR).toFixed(1);
    return {
      allowed: false,
      reason: `the last run started ${hours} h ago, within the ${budget.cooldownHours} h cooldown`,
    };
  }
  return {
    allowed: true,
    reason: `within budget: ${lastDay.length} of ${budget.maxRunsPerDay} run(s) in 24 hours, cooldown ${budget.cooldownHours} h passed`,
  };
}
