/**
 * The pinner pins the baseline files other than statistics by timestamp: the latest version last modified at or before
 * the approval record's `decidedAt` (lambdas/model-pinner/handler.ts, pinBaselines/versionAt). The gate never reads or
 * records those files, and `decidedAt` is taken when the gate's run ends (handler.ts: `decidedAt: now()` after every
 * input is read), so a data scientist who writes the run's reports can replace baseline-constraints.json during the
 * gate's run and the replacement is pinned, copied into prod's monitoring and verified there as "approved". In AWS the
 * window is wider still: a multipart upload's LastModified is the time the upload was initiated (Amazon S3 User Guide,
 * "Multipart upload overview": the object's creation date is the initiation date), so an upload begun before the
 * decision and completed at any later time is a version "at or before decidedAt"; and the pinner counts any version of
 * the decision's own second as seen.
 *
 * Here the gate's run is emulated as deciding 3 s after it read its inputs (its clock, `now`), and the loosened
 * constraints land in that gap.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { baselineKey, modelPinner, PinRecord } from '../../lambdas/model-pinner/handler';
import { evaluation } from '../gates/fixtures';
import { approvalDeps, person, pinnerDeps } from '../gates/promotion';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from '../gates/world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('hostile6-pinned-constraints');
}, 60_000);
afterAll(async () => w?.stop());

const CONSTRAINTS = { version: 0.0, features: [{ name: 'amount', inferred_type: 'Fractional', completeness: 1 }] };
const LOOSENED = { version: 0.0, features: [] };

test('constraints replaced while the gate is deciding are not what prod monitoring gets as the approved baseline', async () => {
  const run = await w.run('fraud-score');
  const reports = `${run.prefix}reports/`;
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.artifacts,
      Key: `${reports}baseline-constraints.json`,
      Body: JSON.stringify(CONSTRAINTS),
    }),
  );
  const arn = await w.register('fraud-score', {
    execution: run.arn,
    reports: { ...GOOD, evaluation: evaluation(0.9) },
  });
  // The gate reads its inputs now and records its decision at the end of its run (3 s later by its clock).
  await approvalGate({ ...approvalDeps(w), now: () => new Date(Date.now() + 3000) })(stateChange(arn));
  // During the gate's run, the data scientist replaces the constraints.
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.artifacts,
      Key: `${reports}baseline-constraints.json`,
      Body: JSON.stringify(LOOSENED),
    }),
  );
  if ((await w.status(arn)) !== 'Approved') await person(w, arn, 'Approved');
  await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
  const where = arn.split('/').slice(-2).join('/');
  const rec = (await w.json(`pins/${where}/pin.json`)) as unknown as PinRecord;
  expect(rec.baselines?.status).toBe('pinned');
  const key = baselineKey('fraud-score', Number(arn.split('/').pop()), 'baseline-constraints.json');
  const pinned = JSON.parse(
    Buffer.from(
      await (await w.s3.send(new GetObjectCommand({ Bucket: w.approved, Key: key }))).Body!.transformToByteArray(),
    ).toString(),
  );
  expect(pinned).toEqual(CONSTRAINTS);
}, 120_000);
