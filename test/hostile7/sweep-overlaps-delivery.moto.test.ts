/**
 * "A sweep that overlaps a delivery changes nothing twice" (handler.ts, sweep's doc). A waited call's delivery is
 * retried by Lambda one and two minutes later; a retry can run while the sweep (every five minutes) judges the same
 * call. Both judge `restore`, both re-read the package before the update (`before`), and the check that nothing changed
 * since (`sameState(before, current)`) is not atomic with SageMaker's unconditional UpdateModelPackage: when the
 * delivery's restoration lands between the sweep's re-read and its update, the sweep restores again (a second
 * UpdateModelPackage: LastModifiedTime and the gate's mark move again) and announces again (a second RESTORED notice).
 * The write-once `.restored.json` only hides the second: its `false` return is ignored and the notice is sent anyway.
 */
import { approvalGate, SWEEP_EVENT } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { Call, GATE_ROLE, personRace } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile7-overlap');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

test('a sweep overlapping a redelivery of the same call restores and announces once', async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    await r
      .gate()(r.trail(arn, call))
      .catch((e: Error) => e); // `wait`
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  expect(await w.status(arn)).toBe('Approved');

  const later = new Date(Date.now() + 40 * 60_000);
  const { sns, messages } = r.listening();
  const delivery = r.racing(arn, Number.POSITIVE_INFINITY, async () => undefined);
  // Lambda's retry of the delivery runs right after the sweep re-read the package before its restoration.
  const swept = r.racing(arn, 2, async () => {
    await r
      .gate({ sagemaker: delivery.client, sns, now: () => later })(r.trail(arn, call!))
      .catch((e: Error) => e);
  });
  await approvalGate({
    ...w.deps,
    sagemaker: swept.client,
    sns,
    roleName: GATE_ROLE,
    cloudwatch: w.cloudwatch,
    now: () => later,
  })(SWEEP_EVENT);
  expect(swept.seen.acted).toBe(true);
  expect(await w.status(arn)).toBe('Rejected');
  expect({
    updates: swept.seen.updates + delivery.seen.updates,
    notices: messages.filter((m) => /RESTORED/.test(m.message ?? '')).length,
  }).toEqual({ updates: 1, notices: 1 });
}, 120_000);
