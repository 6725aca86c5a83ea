/**
 * The sweep lists only today's and yesterday's index (approval/_waiting/<day>/). A pending person call is carried
 * into the current day only by a sweep that runs; if no sweep completes for more than a day (the function throttled
 * or failing, EventBridge's deliveries dropped after maxEventAge), the entry is left on a day no sweep lists again.
 * When sweeps resume they publish 0 and the alarm returns to OK, while the person's call stays overwritten and
 * unjudged forever: the person's decision changed by the gate, with the alarm saying all is well.
 */
import { SWEEP_EVENT, approvalGate } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { GATE_ROLE, personRace, Call } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile6-sweep-window');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

test('a pending person call outlives a sweep outage of over a day: it is still judged, or counted as pending too long', async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    await r
      .gate()(r.trail(arn, call))
      .catch((e: Error) => e);
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  expect(await w.status(arn)).toBe('Approved'); // the person's Rejected is overwritten, pending judgement

  // No sweep completes for two days; then the schedule resumes.
  const later = new Date(Date.now() + 49 * 3600_000);
  const swept = await approvalGate({ ...w.deps, roleName: GATE_ROLE, cloudwatch: w.cloudwatch, now: () => later })(
    SWEEP_EVENT,
  );
  const report = swept.swept!;
  // Either the call is found and judged (the Rejected restored) or the alarm's count includes it.
  expect(report.listed + report.tooLong.length).toBeGreaterThan(0);
  expect(await w.status(arn)).toBe('Rejected');
}, 120_000);
