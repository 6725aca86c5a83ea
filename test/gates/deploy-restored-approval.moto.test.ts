/**
 * A restored Approved is promoted only after a person decides again (lambdas/deployment-gate/restorations.ts).
 *
 * The approval gate restores a person's Approved that its Rejected overwrote inside its race window, and says the
 * version is not promoted until a person decides again. Any UpdateModelPackage moves LastModifiedTime, including one
 * that sets no status: ModelApprovalStatus is optional in UpdateModelPackage (SageMaker API Reference), so a
 * description or metadata edit decides nothing. Only a person record of a later call that SET Approved (the approval
 * gate writes one for every person's Approved or Rejected CloudTrail delivers) is a new decision.
 *
 * The records are the approval gate's own formats (PersonUpdateRecord, RestoredRecord; ./restored-approval.ts), written
 * to moto's S3 as the approval gate writes them (write-once), so that the deployment gate reads what it reads in AWS.
 */
import {
  CLOCK_SKEW_MS as APPROVAL_CLOCK_SKEW_MS,
  EVENT_TIME_PRECISION_MS as APPROVAL_EVENT_TIME_PRECISION_MS,
  GATE_WRITE_KEY as APPROVAL_GATE_WRITE_KEY,
} from '../../lambdas/model-approval-gate/handler';
import { CLOCK_SKEW_MS, EVENT_TIME_PRECISION_MS, GATE_WRITE_KEY } from '../../lambdas/deployment-gate/restorations';
import { restoredApprovals } from './restored-approval';

const bucket = 'deploy-restored-records';
const { restored } = restoredApprovals(bucket);

test("the deployment gate's copies of the approval gate's mark and clock allowances are the approval gate's", () => {
  expect({ GATE_WRITE_KEY, EVENT_TIME_PRECISION_MS, CLOCK_SKEW_MS }).toEqual({
    GATE_WRITE_KEY: APPROVAL_GATE_WRITE_KEY,
    EVENT_TIME_PRECISION_MS: APPROVAL_EVENT_TIME_PRECISION_MS,
    CLOCK_SKEW_MS: APPROVAL_CLOCK_SKEW_MS,
  });
});

const REFUSED =
  /^Approved by a restoration \(.*'s Approved had crossed the approval gate's Rejected; approval\/churn\/\d+\/person\/ev-crossed\.json\): a person decides again before it is promoted$/;

describe('a restored Approved is refused until a person sets Approved again', () => {
  test('as the restoration left it: refused', async () => {
    const v = await restored();
    expect(await v.settled(v.pkg('2026-12-02T05:00:05.000Z'))).toMatch(REFUSED);
  });

  test('after an edit that sets no status (description, metadata), an hour later: still refused', async () => {
    const v = await restored();
    expect(await v.settled(v.pkg('2026-12-02T05:10:00.000Z', { ticket: 'RISK-12' }))).toMatch(REFUSED);
  });

  test("a person's later Approved, recorded by the approval gate, is the new decision: counted", async () => {
    const v = await restored();
    await v.person('ev-again', '2026-12-02T05:20:00.000Z', 'Approved');
    expect(await v.settled(v.pkg('2026-12-02T05:20:00.300Z'))).toBe('Approved');
  });

  test("a person's later Approved whose own CloudTrail event is not delivered (no record): refused, the edit it made decides nothing", async () => {
    const v = await restored();
    expect(await v.settled(v.pkg('2026-12-02T05:20:00.300Z'))).toMatch(REFUSED);
  });

  test("a person's later Rejected is not an Approved: refused (whatever moved the status back)", async () => {
    const v = await restored();
    await v.person('ev-rejected', '2026-12-02T05:20:00.000Z', 'Rejected', 'stands');
    expect(await v.settled(v.pkg('2026-12-02T05:30:00.000Z'))).toMatch(REFUSED);
  });

  test("a person's Approved recorded within the clocks' allowance of the restoration cannot be told from one before it: refused", async () => {
    const v = await restored();
    // 05:00:05 recorded: landed in [05:00:05, 05:00:06) by CloudTrail's clock, which may run 1 s ahead of SageMaker's.
    await v.person('ev-same-second', '2026-12-02T05:00:05.000Z', 'Approved');
    expect(await v.settled(v.pkg('2026-12-02T05:00:05.600Z'))).toMatch(REFUSED);
    await v.person('ev-clear', '2026-12-02T05:00:06.000Z', 'Approved');
    expect(await v.settled(v.pkg('2026-12-02T05:00:06.200Z'))).toBe('Approved');
  });

  test('the crossed call itself, delivered again under another event id, is not a new decision (it is older than the restoration)', async () => {
    const v = await restored();
    await v.person('ev-crossed-replayed', '2026-12-02T04:59:59.000Z', 'Approved', 'older');
    expect(await v.settled(v.pkg('2026-12-02T05:00:05.000Z'))).toMatch(REFUSED);
  });

  test('a later round of the approval gate (a person re-opened the package) replaces the restoration', async () => {
    const v = await restored();
    const round2 = {
      [GATE_WRITE_KEY]: `2026-12-02T07:00:00.000Z s3://${bucket}/approval/churn/${v.version}/round-2.json`,
    };
    // The round's own race is judged elsewhere (its settle period and CloudTrail evidence); past it, the restoration no
    // longer counts.
    expect(await v.settled(v.pkg('2026-12-02T07:00:00.400Z', round2), '2026-12-02T08:00:00.000Z')).not.toMatch(REFUSED);
  });

  test("a round mark of another package's prefix does not replace the restoration", async () => {
    const v = await restored();
    const foreign = { [GATE_WRITE_KEY]: `2026-12-02T07:00:00.000Z s3://${bucket}/approval/churn/999/round-2.json` };
    expect(await v.settled(v.pkg('2026-12-02T07:00:00.400Z', foreign), '2026-12-02T08:00:00.000Z')).toMatch(REFUSED);
  });
});
