/**
 * The new Undelivered alarm (constructs/approval-wait-sweep.ts) announces an event in the gate's dead-letter queue as
 * "a person's call not yet judged ... nothing recorded", for a person to redrive. But every delivery judged `wait`
 * throws (handler.ts, personUpdate: "retried on redelivery"), although the call is recorded and indexed and the sweep
 * owns it. After Lambda's two retries (about three minutes, while a wait lasts up to ROUND_IN_FLIGHT_MS = 15 minutes)
 * the event goes to the dead-letter queue (the gate function's deadLetterQueue + onFailure,
 * constructs/gate-function.ts): every ordinary race fires the Undelivered alarm. The queue's messages are never
 * consumed (14 days' retention) and the alarm has no OK action, so it sits in ALARM and a genuinely undelivered call
 * (nothing recorded, e.g. SageMaker's DescribeModelPackage throttled before the index write) later changes no alarm
 * state: it is not announced. Reproduced (the round's update not yet recorded as applied through the three attempts,
 * the case the sweep exists for): the first delivery and Lambda's two retries of a waited call all fail, so the event
 * is dead-lettered.
 */
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { base, Call, GATE_ROLE, personRace } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile7-wait-dlq');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

test('a call the gate recorded and indexed as `wait` is not dead-lettered (the sweep judges it)', async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  const attempts: unknown[] = [];
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    // The first delivery and Lambda's two retries, all inside the round's time in flight.
    for (let i = 0; i < 3; i++)
      attempts.push(
        await r
          .gate()(r.trail(arn, call))
          .then(
            () => 'ok',
            (e: Error) => e,
          ),
      );
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  // Recorded and indexed: the sweep owns it.
  expect((await w.keys(`${base(arn)}person/`)).filter((k) => /person\/[\w-]+\.json$/.test(k))).toHaveLength(1);
  expect((await w.keys('approval/_waiting/')).length).toBeGreaterThan(0);
  // Yet every attempt failed: Lambda sends the event to the dead-letter queue and the Undelivered alarm fires.
  expect(attempts.filter((a) => a instanceof Error)).toHaveLength(0);
}, 120_000);
