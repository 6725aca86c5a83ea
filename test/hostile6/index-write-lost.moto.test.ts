/**
 * A pending person call's index entry for the sweep (approval/_waiting/<day>/...) is written BEFORE its judgement is
 * recorded. Were it written after, a write failing on the first delivery and on both of Lambda's async retries (about
 * three minutes: AWS Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous invocation")
 * would leave a pending record that no sweep ever lists: never judged again, never counted. Written first, a failure
 * leaves no record at all: the call is in the gate's dead-letter queue (alarmed), the deployment gate refuses the
 * package (CloudTrail's history shows a person's call the gate has not recorded), and a later delivery judges it.
 * Error path emulated with a client that refuses the index writes (a throttled S3 PUT); everything else goes to moto.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SWEEP_EVENT, approvalGate, WAITING_PREFIX } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { GATE_ROLE, personRace, Call } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile6-index-write-lost');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

function failingIndex(s3: S3Client): S3Client {
  return new Proxy(s3, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string }; input: { Key?: string } }, ...rest: unknown[]) => {
        if (command.constructor.name === 'PutObjectCommand' && String(command.input.Key).startsWith(WAITING_PREFIX)) {
          throw Object.assign(new Error('SlowDown'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
        }
        return (target.send as (...a: unknown[]) => unknown).call(target, command, ...rest);
      };
    },
  });
}

test("a pending call whose index write fails through Lambda's retries is still judged by the sweep or counted as pending too long", async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  const bad = failingIndex(w.s3);
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    // First delivery and Lambda's two retries, all while the gate's update is still landing or S3 refuses the index
    // write.
    for (let i = 0; i < 3; i++)
      await r
        .gate({ s3: bad })(r.trail(arn, call))
        .catch((e: Error) => e);
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  expect(await w.status(arn)).toBe('Approved');
  const v = arn.split('/').pop();
  const personKeys = async () =>
    (await w.keys(`approval/fraud-score/${v}/person/`)).filter((k) => /person\/[\w-]+\.json$/.test(k));
  // No pending judgement without its index entry: nothing was recorded while the index could not be written.
  expect(await personKeys()).toEqual([]);
  expect(await w.keys(WAITING_PREFIX)).toEqual([]);
  // Retries are spent; the event is redriven from the dead-letter queue once S3 answers: judged, indexed, and the
  // sweep (or the delivery itself) sets the person's Rejected back.
  await r
    .gate()(r.trail(arn, call!))
    .catch((e: Error) => e);
  expect(await personKeys()).toHaveLength(1);
  const later = new Date(Date.now() + 40 * 60_000);
  const swept = await approvalGate({ ...w.deps, roleName: GATE_ROLE, cloudwatch: w.cloudwatch, now: () => later })(
    SWEEP_EVENT,
  );
  expect(swept.swept!.tooLong).toEqual([]);
  expect(await w.status(arn)).toBe('Rejected');
}, 120_000);
