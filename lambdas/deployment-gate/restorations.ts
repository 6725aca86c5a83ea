/**
 * What the deployment gate makes of the approval gate's race with a person.
 *
 * SageMaker's UpdateModelPackage has no condition, so a person's Approved or Rejected that lands inside the approval
 * gate's window (after its re-read, before its update) is overwritten; the approval gate sets it back once CloudTrail
 * delivers the person's call (lambdas/model-approval-gate, `personUpdate`). Until then the package may read Approved
 * although a person rejected it. So the package's Approved counts for promotion only when:
 * - no restoration is pending: a person's call judged `restore` (or `wait`) without its `.restored.json` settlement;
 * - the package is not as a restoration left it: a person whose decision crossed the gate's is told, and promotion
 *   waits until a person decides again (any later update of the package by a person moves its LastModifiedTime);
 * - the gate's own last update is at least `RACE_SETTLE_MINUTES` old, the time CloudTrail is given to deliver a person's
 *   call made inside its window (CloudTrail documents delivery "typically within about 5 minutes"; not a guarantee).
 */
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PersonUpdateRecord, RestoredRecord } from '../model-approval-gate/handler';
import { listKeys, readRecord } from '../shared/s3-objects';

export const RACE_SETTLE_MINUTES = 15;
const PERSON_RECORD = /\/person\/([\w-]{1,48})\.json$/;

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
  for (const key of keys.filter((k) => PERSON_RECORD.test(k))) {
    const record = await readRecord<PersonUpdateRecord>(deps.s3, { bucket: deps.recordBucket, key });
    if (!record) return `Approved, but ${key} cannot be read`;
    const settledKey = key.replace(/\.json$/, '.restored.json');
    const settled = keys.includes(settledKey) ? await readRecord<RestoredRecord>(deps.s3, { bucket: deps.recordBucket, key: settledKey }) : undefined;
    if ((record.verdict === 'restore' || record.verdict === 'wait') && !settled) {
      return `Approved, but the approval gate overwrote ${record.person.identity}'s ${record.person.status} inside its race window and has not restored it yet (${key})`;
    }
    if (settled?.restored && settled.package.lastModified && new Date(settled.package.lastModified).getTime() === lastModified) {
      return `Approved by a restoration (${record.person.identity}'s Approved had crossed the approval gate's ${record.overwrittenBy?.status}; ${key}): a person decides again before it is promoted`;
    }
  }
  const mark = d.CustomerMetadataProperties?.['gate-write'];
  if (mark && Number.isFinite(lastModified) && now.getTime() - lastModified < RACE_SETTLE_MINUTES * 60_000) {
    return `Approved by the approval gate ${Math.max(0, Math.floor((now.getTime() - lastModified) / 60_000))} minute(s) ago: a person's decision overwritten inside its race window is restored once CloudTrail delivers the call, so promotion waits ${RACE_SETTLE_MINUTES} minutes`;
  }
  return status;
}
