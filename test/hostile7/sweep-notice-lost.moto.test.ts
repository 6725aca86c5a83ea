/**
 * The sweep judges a pending person call by calling personUpdate and catching what it throws. personUpdate writes the
 * settling `.restored.json` BEFORE it publishes the notice (notifyRestored / notifyRedecide). When SNS refuses the
 * publish (throttled, KMS key of the topic unavailable), the sweep catches the error, finds the call settled and
 * counts it settled: no Lambda retry (the sweep swallowed it), no dead-letter message, nothing in the alarm's count.
 * Later sweeps skip a settled entry, and only a redelivery of the original event sends a notice still owed; none comes.
 * The person whose call the gate overwrote is never told (for `redecide`, the notice is the only remedy).
 * Error path emulated with an SNS client that refuses Publish during the first sweep; everything else is moto.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { approvalGate, SWEEP_EVENT } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from '../gates/world';
import { base, Call, GATE_ROLE, personRace } from '../gates/person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('hostile7-notice-lost');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

function refusingPublish(sns: SNSClient): SNSClient {
  return new Proxy(sns, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown, ...rest: unknown[]) => {
        if (command instanceof PublishCommand)
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        return (target.send as (...a: unknown[]) => unknown).call(target, command, ...rest);
      };
    },
  }) as SNSClient;
}

test('a restoration made by the sweep whose notice SNS refused is announced later, or counted by the alarm', async () => {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    await r
      .gate()(r.trail(arn, call))
      .catch((e: Error) => e); // `wait`: the gate's update may still be landing
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  expect(await w.status(arn)).toBe('Approved');

  const later = new Date(Date.now() + 40 * 60_000);
  const first = await approvalGate({
    ...w.deps,
    sns: refusingPublish(w.sns),
    roleName: GATE_ROLE,
    cloudwatch: w.cloudwatch,
    now: () => later,
  })(SWEEP_EVENT);
  expect(await w.status(arn)).toBe('Rejected'); // restored
  const { sns, messages } = r.listening();
  const after = new Date(later.getTime() + 10 * 60_000);
  const second = await approvalGate({
    ...w.deps,
    sns,
    roleName: GATE_ROLE,
    cloudwatch: w.cloudwatch,
    now: () => after,
  })(SWEEP_EVENT);
  const notified = (await w.keys(`${base(arn)}person/`)).filter((k) => k.endsWith('.notified.json'));
  // Counted by the alarm (first or second sweep), or the owed notice is sent by a later sweep.
  expect({
    counted: first.swept!.tooLong.length + second.swept!.tooLong.length,
    notices: messages.filter((m) => /RESTORED/.test(m.message ?? '')).length + notified.length,
  }).not.toEqual({ counted: 0, notices: 0 });
}, 120_000);
