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
 * - the gate's own last update is at least `RACE_SETTLE_MINUTES` old, the time CloudTrail is given to deliver a person's
 *   call made inside its window (CloudTrail documents delivery "typically within about 5 minutes"; not a guarantee).
 */
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PersonUpdateRecord, RestoredRecord } from '../model-approval-gate/handler';
import { listKeys, readRecord } from '../shared/s3-objects';

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

/** The approval gate's `gate-write` mark, `<re-read sent at, ISO> <record URI>` (model-approval-gate, GATE_WRITE_KEY). */
export function parseGateWrite(value: string | undefined): { readAt: string; uri: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (s3:\/\/\S+)$/.exec(value ?? '');
  return m && Number.isFinite(Date.parse(m[1])) ? { readAt: m[1], uri: m[2] } : undefined;
}

/** `Approved` when the package's approval is settled, otherwise the status with why it does not count. */
export async function settledStatus(
  deps: { readonly s3: S3Client; readonly recordBucket: string },
  group: string,
  version: string,
  d: DescribeModelPackageCommandOutput,
  now: Date,
): Promise<string | undefined> {
  const status = d.ModelApprovalStatus;
  if (status !== 'Approved') return status;
  const base = `approval/${group}/${version}/person/`;
  let keys: string[];
  try {
    keys = await listKeys(deps.s3, deps.recordBucket, base);
  } catch (e) {
    return `Approved, but whether a person's decision crossed the approval gate's cannot be read (${(e as Error).message})`;
  }
  const lastModified = d.LastModifiedTime ? new Date(d.LastModifiedTime).getTime() : Number.NaN;
  const people: Array<{ key: string; record: PersonUpdateRecord; settled?: RestoredRecord }> = [];
  for (const key of keys.filter((k) => PERSON_RECORD.test(k))) {
    const record = await readRecord<PersonUpdateRecord>(deps.s3, { bucket: deps.recordBucket, key });
    if (!record) return `Approved, but ${key} cannot be read`;
    const settledKey = key.replace(/\.json$/, '.restored.json');
    const settled = keys.includes(settledKey) ? await readRecord<RestoredRecord>(deps.s3, { bucket: deps.recordBucket, key: settledKey }) : undefined;
    if ((record.verdict === 'restore' || record.verdict === 'wait') && !settled) {
      return `Approved, but the approval gate overwrote ${record.person.identity}'s ${record.person.status} inside its race window and has not restored it yet (${key})`;
    }
    people.push({ key, record, settled });
  }
  const mark = parseGateWrite(d.CustomerMetadataProperties?.[GATE_WRITE_KEY]);
  for (const { key, record, settled } of people) {
    if (!settled?.restored || settled.status !== 'Approved') continue;
    const restoredAt = Date.parse(String(settled.package?.lastModified ?? settled.at));
    // A later round of the gate (a person re-opened the package, the gate decided again) replaced the restoration.
    if (mark && ROUND_URI.test(mark.uri) && mark.uri.startsWith(`s3://${deps.recordBucket}/approval/${group}/${version}/`) && Date.parse(mark.readAt) > restoredAt) continue;
    // Only a person's later call that set Approved is a new decision; CloudTrail's second starts up to the clocks'
    // allowance before the call, so the call is after the restoration only when its second is past it by that much.
    const decidedAgain = people.find(
      (p) => p.key !== key && p.record.person?.status === 'Approved' && Date.parse(String(p.record.person.eventTime)) - CLOCK_SKEW_MS >= restoredAt,
    );
    if (!decidedAgain) {
      return `Approved by a restoration (${record.person.identity}'s Approved had crossed the approval gate's ${record.overwrittenBy?.status}; ${key}): a person decides again before it is promoted`;
    }
  }
  if (mark && Number.isFinite(lastModified) && now.getTime() - lastModified < RACE_SETTLE_MINUTES * 60_000) {
    return `Approved by the approval gate ${Math.max(0, Math.floor((now.getTime() - lastModified) / 60_000))} minute(s) ago: a person's decision overwritten inside its race window is restored once CloudTrail delivers the call, so promotion waits ${RACE_SETTLE_MINUTES} minutes`;
  }
  return status;
}
