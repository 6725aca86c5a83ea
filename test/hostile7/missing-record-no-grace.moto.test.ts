/**
 * The index entry is now written BEFORE the person record (87ce743). A record PUT refused once (S3 503 SlowDown) leaves
 * an entry without its record for the minute until Lambda's first retry writes it. A sweep in that minute counts the
 * entry as "its person record is missing: the call cannot be judged again" at once, with no grace for a delivery still
 * being retried (unlike a pending call, counted only past ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS): the PendingTooLong
 * alarm (threshold 1, one period) pages for an ordinary transient error that the retry fixes a minute later.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { approvalGate, SWEEP_EVENT } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { Call, GATE_ROLE, personRace } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile7-missing-grace');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

function refusingPersonRecord(s3: S3Client): S3Client {
  return new Proxy(s3, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string }; input: { Key?: string } }, ...rest: unknown[]) => {
        if (
          command.constructor.name === 'PutObjectCommand' &&
          /\/person\/[\w-]+\.json$/.test(String(command.input.Key)) &&
          !String(command.input.Key).includes('_waiting')
        ) {
          throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
        }
        return (target.send as (...a: unknown[]) => unknown).call(target, command, ...rest);
      };
    },
  }) as S3Client;
}

test('an entry whose record write is still being retried by Lambda is not counted as pending too long', async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  let first: unknown;
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    first = await r
      .gate({ s3: refusingPersonRecord(w.s3) })(r.trail(arn, call))
      .catch((e: Error) => e);
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  expect(String(first)).toMatch(/SlowDown/);
  // Thirty seconds later, before Lambda's first retry: the scheduled sweep.
  const soon = new Date(Date.now() + 30_000);
  const swept = await approvalGate({ ...w.deps, roleName: GATE_ROLE, cloudwatch: w.cloudwatch, now: () => soon })(
    SWEEP_EVENT,
  );
  expect(swept.swept!.tooLong).toEqual([]);
}, 120_000);
