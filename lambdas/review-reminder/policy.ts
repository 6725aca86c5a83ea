/** Which approved models are due for their periodic review (SR 11-7 ongoing monitoring). Pure. */
import { GovernedModel } from '../shared/gate-config';

export interface DueModel {
  readonly model: GovernedModel;
  readonly lastApproved: Date;
  readonly dueSince: Date;
}

/** Calendar months later, clamped to the end of shorter months. */
export function addMonths(date: Date, months: number): Date {
  const out = new Date(date.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, last));
  return out;
}

/**
 * Models of `tier` whose latest approved package was approved at least
 * `months` ago. Models never approved are not in production and not due.
 */
export function dueForReview(
  models: readonly GovernedModel[],
  tier: string,
  months: number,
  lastApproved: ReadonlyMap<string, Date | undefined>,
  now: Date,
): DueModel[] {
  return models
    .filter((m) => m.riskTier === tier)
    .flatMap((model) => {
      const approved = lastApproved.get(model.id);
      if (!approved) return [];
      const dueSince = addMonths(approved, months);
      return dueSince.getTime() <= now.getTime() ? [{ model, lastApproved: approved, dueSince }] : [];
    });
}
