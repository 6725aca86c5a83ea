/**
 * What the deployment gate makes of the approval gate's race with a person.
 *
 * SageMaker's UpdateModelPackage has no condition, so a person's Approved or Rejected that lands inside the approval
 * gate's window (after its re-read, before its update) is overwritten; the approval gate sets it back once CloudTrail
 * delivers the person's call (lambdas/model-approval-gate, `personUpdate`). Until then the package may read Approved
 * although a person rejected it. So the package's Approved counts for promotion only when:
 * - no restoration is pending: a person's call judged `restore` (or `wait`) without its `.restored.json` settlement;
 * - the package's Approved is not a restoration's: a person whose Approved crossed the gate's Rejected is told, and
 *   promotion waits until a person decides again, shown by a later person record of a call that SET Approved (an edit
 *   that sets no status, a description or metadata, moves LastModifiedTime but decides nothing);
 * - the package's last update is at least `RACE_SETTLE_MINUTES` old where the gate wrote it (the time CloudTrail is
 *   given to deliver a person's call made inside its window: "typically within about 5 minutes", not a guarantee);
 * - where the Approved is the gate's own (its `gate-write` mark names a round that set Approved: the mark survives a
 *   person's edit that sets no status, and every gate update rewrites it, so LastModifiedTime alone never decides
 *   this), on positive evidence that no person's call crossed it: CloudTrail's event history of the window, from the
 *   round's re-read to the gate's update (each widened by the clocks' allowance), holds the gate's own call and no
 *   other identity's status-setting call on the package that the approval gate has not settled (trail-evidence.ts). A
 *   delivery that never comes, a history that does not cover the window yet, a throttled or denied lookup: the Approved
 *   does not count, and the reason says which.
 */
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AppliedRecord, ApprovalRecord, PersonUpdateRecord, RestoredRecord } from '../model-approval-gate/handler';
import { errorText, listKeys, readRecord } from '../shared/s3-objects';
import { WindowCall, windowEvidence } from './trail-evidence';

export const RACE_SETTLE_MINUTES = 15;
/**
 * The approval gate's mark and clock allowances (model-approval-gate: GATE_WRITE_KEY, EVENT_TIME_PRECISION_MS,
 * CLOCK_SKEW_MS), repeated here so that the deployment gate's bundle holds none of the approval gate's calls; a test
 * holds them equal.
 */
export const GATE_WRITE_KEY = 'gate-write';
/** CloudTrail's eventTime is whole seconds: a call recorded at t landed in [t, t + 1 s). */
export const EVENT_TIME_PRECISION_MS = 1000;
/** Between the Lambda's clock and CloudTrail's. */
export const CLOCK_SKEW_MS = 1000;
const PERSON_RECORD = /\/person\/([\w-]{1,48})\.json$/;
const ROUND_URI = /\/round-\d{1,6}\.json$/;
const ROUND_KEY = /^approval\/[^/]+\/[^/]+\/round-(\d{1,6})\.json$/;

/**
 * The approval gate's `gate-write` mark, `<re-read sent at, ISO> <record URI>` (model-approval-gate, GATE_WRITE_KEY).
 */
export function parseGateWrite(value: string | undefined): { readAt: string; uri: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (s3:\/\/\S+)$/.exec(value ?? '');
  return m && Number.isFinite(Date.parse(m[1])) ? { readAt: m[1], uri: m[2] } : undefined;
}

export interface RaceDeps {
  readonly s3: S3Client;
  readonly recordBucket: string;
  /** CloudTrail, for the event history of a gate write's window; without it a gate-written Approved never counts. */
  readonly cloudtrail?: CloudTrailClient;
  /** The approval gate's role name, whose calls in CloudTrail's history are the gate's own. */
  readonly approvalGateRoleName?: string;
}

/** What the approval counted on: the gate write whose window CloudTrail's history showed uncrossed. */
export interface RaceEvidence {
  readonly gateWrite: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly gateEvent: string;
  /** Other identities' status-setting calls in the window, each settled by the approval gate (its person record). */
  readonly settledCalls: ReadonlyArray<WindowCall & { readonly record: string; readonly verdict: string }>;
}

/** `Approved` when the package's approval is settled, otherwise the status with why it does not count. */
export async function settledStatus(
  deps: RaceDeps,
  group: string,
  version: string,
  d: DescribeModelPackageCommandOutput,
  now: Date,
): Promise<string | undefined> {
  return (await approvalOf(deps, group, version, d, now)).status;
}

/** The package's status as it counts for promotion (`Approved`, or why not), and the race evidence it counted on. */
export async function approvalOf(
  deps: RaceDeps,
  group: string,
  version: string,
  d: DescribeModelPackageCommandOutput,
  now: Date,
): Promise<{ status: string | undefined; evidence?: RaceEvidence }> {
  const status = d.ModelApprovalStatus;
  if (status !== 'Approved') return { status };
  const refuse = (why: string) => ({ status: why });
  const prefix = `approval/${group}/${version}/`;
  const base = `${prefix}person/`;
  let keys: string[];
  try {
    keys = await listKeys(deps.s3, deps.recordBucket, base);
  } catch (e) {
    return refuse(
      `Approved, but whether a person's decision crossed the approval gate's cannot be read (${(e as Error).message})`,
    );
  }
  const lastModified = d.LastModifiedTime ? new Date(d.LastModifiedTime).getTime() : Number.NaN;
  const people: Array<{ key: string; record: PersonUpdateRecord; settled?: RestoredRecord }> = [];
  for (const key of keys.filter((k) => PERSON_RECORD.test(k))) {
    const record = await readRecord<PersonUpdateRecord>(deps.s3, { bucket: deps.recordBucket, key });
    if (!record) return refuse(`Approved, but ${key} cannot be read`);
    const settledKey = key.replace(/\.json$/, '.restored.json');
    const settled = keys.includes(settledKey)
      ? await readRecord<RestoredRecord>(deps.s3, { bucket: deps.recordBucket, key: settledKey })
      : undefined;
    if ((record.verdict === 'restore' || record.verdict === 'wait') && !settled) {
      return refuse(
        `Approved, but the approval gate overwrote ${record.person.identity}'s ${record.person.status} inside its race window and has not restored it yet (${key})`,
      );
    }
    people.push({ key, record, settled });
  }
  /**
   * A person record of a call that set Approved, recorded past `after` by the clocks' allowance: a decision made after
   * it.
   */
  const approvedAfter = (after: number, except?: string) =>
    people.find(
      (p) =>
        p.key !== except &&
        p.record.person?.status === 'Approved' &&
        Date.parse(String(p.record.person.eventTime)) - CLOCK_SKEW_MS >= after,
    );
  const markValue = d.CustomerMetadataProperties?.[GATE_WRITE_KEY];
  const mark = parseGateWrite(markValue);
  for (const { key, record, settled } of people) {
    if (!settled?.restored || settled.status !== 'Approved') continue;
    const restoredAt = Date.parse(String(settled.package?.lastModified ?? settled.at));
    // A later round of the gate (a person re-opened the package, the gate decided again) replaced the restoration.
    if (
      mark &&
      ROUND_URI.test(mark.uri) &&
      mark.uri.startsWith(`s3://${deps.recordBucket}/${prefix}`) &&
      Date.parse(mark.readAt) > restoredAt
    )
      continue;
    // Only a person's later call that set Approved is a new decision; CloudTrail's second starts up to the clocks'
    // allowance before the call, so the call is after the restoration only when its second is past it by that much.
    if (!approvedAfter(restoredAt, key)) {
      return refuse(
        `Approved by a restoration (${record.person.identity}'s Approved had crossed the approval gate's ${record.overwrittenBy?.status}; ${key}): a person decides again before it is promoted`,
      );
    }
  }
  // Without a mark (the gate never wrote, or a person's call removed the key: CustomerMetadataPropertiesToRemove), the
  // package's latest round is taken for the gate's last write: if it set Approved, its window is read all the same.
  let unmarked: RegExpExecArray | null = null;
  if (markValue === undefined) {
    let rounds: string[];
    try {
      rounds = (await listKeys(deps.s3, deps.recordBucket, `${prefix}round-`)).filter((k) => ROUND_KEY.test(k));
    } catch (e) {
      return refuse(`Approved, but the approval gate's rounds of this package cannot be listed (${errorText(e)})`);
    }
    const latest = rounds.map((k) => ROUND_KEY.exec(k)!).sort((a, b) => Number(b[1]) - Number(a[1]))[0];
    if (!latest) return { status };
    unmarked = latest;
  }
  if (
    markValue !== undefined &&
    Number.isFinite(lastModified) &&
    now.getTime() - lastModified < RACE_SETTLE_MINUTES * 60_000
  ) {
    return refuse(
      `Approved by the approval gate ${Math.max(0, Math.floor((now.getTime() - lastModified) / 60_000))} minute(s) ago: a person's decision overwritten inside its race window is restored once CloudTrail delivers the call, so promotion waits ${RACE_SETTLE_MINUTES} minutes`,
    );
  }
  // Whose Approved is it? Every update of the gate's writes its mark; a person's edit that sets no status keeps it.
  const round =
    unmarked ??
    (mark && mark.uri.startsWith(`s3://${deps.recordBucket}/${prefix}`)
      ? ROUND_KEY.exec(mark.uri.slice(`s3://${deps.recordBucket}/`.length))
      : null);
  // A restoration's mark counts only where the approval gate recorded that restoration as made.
  if (
    !unmarked &&
    (!mark || (!round && !people.some((p) => mark.uri === `s3://${deps.recordBucket}/${p.key}` && p.settled?.restored)))
  ) {
    return refuse(
      `Approved, but the package's ${GATE_WRITE_KEY} mark (${String(markValue).slice(0, 200)}) names no update of the approval gate's to this package, so whether the Approved is the gate's cannot be told: a person approves it again`,
    );
  }
  // A restoration's Approved was judged above (a person's later Approved is required); one of Rejected, then Approved
  // now: a person set it since. A round's: the gate's own, unless a person's later Approved is recorded.
  if (!round) return { status };
  let record: ApprovalRecord | undefined;
  let applied: AppliedRecord | undefined;
  try {
    record = await readRecord<ApprovalRecord>(deps.s3, { bucket: deps.recordBucket, key: round[0] });
    applied = await readRecord<AppliedRecord>(deps.s3, {
      bucket: deps.recordBucket,
      key: round[0].replace(/\.json$/, '.applied.json'),
    });
  } catch (e) {
    return refuse(`Approved, but the approval gate's round ${round[1]} cannot be read (${errorText(e)})`);
  }
  if (!record)
    return refuse(
      `Approved, but the approval gate's round ${round[1]}, which the package's ${GATE_WRITE_KEY} mark names, is not recorded`,
    );
  if (record.approvalStatus !== 'Approved') return { status }; // the gate set another status (or held): a person approved since
  if (unmarked && !applied?.applied) return { status }; // the latest round did not write: the Approved is a person's
  if (unmarked && Number.isFinite(lastModified) && now.getTime() - lastModified < RACE_SETTLE_MINUTES * 60_000) {
    return refuse(
      `Approved, with the approval gate's ${GATE_WRITE_KEY} mark removed, ${Math.max(0, Math.floor((now.getTime() - lastModified) / 60_000))} minute(s) after the last update: promotion waits ${RACE_SETTLE_MINUTES} minutes`,
    );
  }
  if (!applied?.applied)
    return refuse(
      `Approved by the approval gate's round ${round[1]}, whose update is not recorded as applied: its window is not known yet`,
    );
  const updatedAt = Date.parse(String(applied.package?.lastModified ?? applied.at));
  // The re-read was sent after the round was recorded: the earlier of the two bounds the window whatever the mark says.
  const readAt = Math.min(
    mark && !unmarked ? Date.parse(mark.readAt) : Number.POSITIVE_INFINITY,
    Date.parse(record.decidedAt),
  );
  if (!Number.isFinite(updatedAt) || !Number.isFinite(readAt))
    return refuse(`Approved by the approval gate's round ${round[1]}, whose window cannot be placed in time`);
  if (!deps.cloudtrail || !deps.approvalGateRoleName) {
    return refuse(
      `Approved by the approval gate's round ${round[1]}, but CloudTrail's event history is not read here, so no evidence shows that no person's call crossed it`,
    );
  }
  const allowance = EVENT_TIME_PRECISION_MS + CLOCK_SKEW_MS;
  const window = await windowEvidence(deps.cloudtrail, {
    packageArn: String(d.ModelPackageArn ?? record.modelPackage?.arn),
    gateRoleName: deps.approvalGateRoleName,
    gateStatus: 'Approved',
    mark: unmarked ? undefined : String(markValue),
    from: new Date(readAt - allowance),
    to: new Date(updatedAt + allowance),
    now,
  });
  if (!window.ok) return refuse(`Approved by the approval gate's round ${round[1]}, but ${window.reason}`);
  const settledCalls: Array<RaceEvidence['settledCalls'][number]> = [];
  for (const call of window.others) {
    const key = `${base}${call.eventId.replace(/[^\w-]/g, '_').slice(0, 48)}.json`;
    const judged = people.find((p) => p.key === key);
    // The judgement as it settled (a `wait` or `restore` judged again records its final verdict with the settlement).
    const verdict = judged?.settled?.verdict ?? (judged?.settled?.restored ? 'restore' : judged?.record.verdict);
    // Settled: the gate saw the call (older), it matches the status (concurs), its status was set back (restored), or a
    // person's later call set Approved (that later decision is the current one). Anything else (no record yet,
    // `stands`, `redecide`, `wait`, a verdict this gate does not know) leaves the person's call possibly overwritten.
    const callTime = Date.parse(call.eventTime);
    const ok =
      verdict === 'older' ||
      verdict === 'concurs' ||
      judged?.settled?.restored === true ||
      people.some(
        (p) =>
          p.key !== key &&
          p.record.person?.status === 'Approved' &&
          Date.parse(String(p.record.person.eventTime)) > callTime,
      );
    if (!ok) {
      return refuse(
        `Approved by the approval gate's round ${round[1]}, but CloudTrail's history holds ${call.identity}'s ${call.status} at ${call.eventTime} (event ${call.eventId}) inside its window (${window.from} to ${window.to}), ${judged ? `judged \`${verdict}\` (${key}) with no later Approved of a person's recorded` : 'which the approval gate has not recorded yet'}: a person's decision may have been overwritten`,
      );
    }
    settledCalls.push({ ...call, record: key, verdict: String(verdict ?? 'approved since') });
  }
  return {
    status,
    evidence: {
      gateWrite: String(markValue),
      window: { from: window.from, to: window.to },
      gateEvent: window.gateEvent,
      settledCalls,
    },
  };
}
