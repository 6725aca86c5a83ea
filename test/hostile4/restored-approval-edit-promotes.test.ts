/**
 * After the approval gate restores a person's Approved that crossed its Rejected, the deployment gate refuses the
 * version "until a person decides again" (lambdas/deployment-gate/restorations.ts): it compares the package's
 * LastModifiedTime with the one the restoration left. Any UpdateModelPackage moves LastModifiedTime, including one
 * that sets no status (ModelApprovalStatus is optional in UpdateModelPackage, SageMaker API Reference): a description
 * or metadata edit is taken for a new decision and the restored Approved is promoted 15 minutes later.
 */
import { restoredApprovals } from '../gates/restored-approval';

const { restored } = restoredApprovals('hostile5-restored-records');

test('a restored Approved stays unpromotable after a status-less edit of the package', async () => {
  const v = await restored('4');
  // An approver appends a ticket number to the description (no status sent): SageMaker keeps Approved, moves
  // LastModifiedTime.
  const edited = v.pkg('2026-12-02T05:10:00.000Z', {}, `${v.description} (RISK-12)`);
  const status = await v.settled(edited, '2026-12-02T05:30:00.000Z');
  expect(status).not.toBe('Approved');
}, 60_000);
