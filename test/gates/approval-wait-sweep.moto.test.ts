/**
 * A person's call the approval gate cannot judge yet (`wait`: the gate's own update may still be landing) or whose
 * restoration failed is thrown for a retry, but Lambda retries an asynchronous invoke only twice, about three minutes
 * in all ("by default Lambda attempts to run it two more times, with a one-minute wait between the first two attempts,
 * and two minutes between the second and third attempts", AWS Lambda Developer Guide, "How Lambda handles errors and
 * retries with asynchronous invocation"), while a wait may last the round's time in flight. Here no retry is delivered
 * at all: the scheduled sweep (SWEEP_EVENT) judges the call again from its index entry, and what stays pending too long
 * or cannot be read is published for the alarm. On moto: final package status, records, reasons, notices and the
 * metric.
 */
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  approvalGate,
  ROUND_IN_FLIGHT_MS,
  SWEEP_EVENT,
  WAITING_MARGIN_MS,
  WAITING_METRIC,
  WAITING_PREFIX,
} from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from './world';
import { base, Call, GATE_ROLE, personRace } from './person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('wait-sweep');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

const day = (d: Date) => d.toISOString().slice(0, 10);
const sweeper = (extra: Partial<Parameters<typeof approvalGate>[0]> = {}) =>
  approvalGate({ ...w.deps, roleName: GATE_ROLE, cloudwatch: w.cloudwatch, ...extra });
/** The largest value the sweep published since `from` (moto keeps what PutMetricData sent). */
async function published(from: Date, to = new Date(Date.now() + 3 * 86_400_000)): Promise<number[]> {
  const stats = await w.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: WAITING_METRIC.namespace,
      MetricName: WAITING_METRIC.metricName,
      Dimensions: [{ Name: WAITING_METRIC.dimension, Value: w.deps.config.environment }],
      StartTime: from,
      EndTime: to,
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  return (stats.Datapoints ?? [])
    .sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime())
    .map((d) => d.Maximum!);
}

/**
 * A person's Rejected lands inside the window and CloudTrail delivers it while the gate's update is still landing:
 * `wait`.
 */
async function waitingCall(): Promise<{ arn: string; call: Call }> {
  const arn = await w.register('fraud-score');
  let call: Call | undefined;
  let early: unknown;
  const { client } = r.racing(arn, 2, async () => {
    call = await r.personCall(arn, 'Rejected', 'model-risk approver: Rejected');
    early = await r
      .gate()(r.trail(arn, call))
      .catch((e: Error) => e);
  });
  expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
  });
  // Recorded and indexed, and returned (not thrown: the sweep judges it again, so the event does not go to the
  // dead-letter queue).
  expect(early).toMatchObject({
    outcome: 'wait',
    reason: expect.stringMatching(
      /is recorded but not yet recorded as applied: the gate's update may still be landing .*judged again by the sweep/,
    ),
  });
  return { arn, call: call! };
}

test('a call judged `wait` and never redelivered is judged by the sweep: the overwritten Rejected is restored, recorded and announced; a second sweep changes nothing', async () => {
  const started = new Date(Date.now() - 60_000);
  const { arn, call } = await waitingCall();
  const entry = `${WAITING_PREFIX}${day(new Date())}/${base(arn).slice('approval/'.length)}person/`.replace(
    '/person/',
    '/',
  );
  expect(await w.keys(`${WAITING_PREFIX}${day(new Date())}/`)).toContain(`${entry}${call.id}.json`);
  expect(await w.json(`${entry}${call.id}.json`)).toMatchObject({
    schema: 'model-approval-waiting/1',
    record: `s3://${w.records}/${base(arn)}person/${call.id}.json`,
  });
  expect(await w.status(arn)).toBe('Approved');
  expect(await r.settled(arn)).toMatch(/has not restored it yet/);

  const { sns, messages } = r.listening();
  const swept = await sweeper({ sns })(SWEEP_EVENT);
  expect(swept).toMatchObject({ outcome: 'swept', swept: { judged: 1, pending: 0, tooLong: [] } });
  expect(await w.status(arn)).toBe('Rejected');
  expect(await w.json(`${base(arn)}person/${call.id}.restored.json`)).toMatchObject({
    restored: true,
    verdict: 'restore',
    status: 'Rejected',
  });
  expect(messages.map((m) => m.subject)).toEqual([expect.stringMatching(/person's Rejected restored$/)]);
  expect(await r.settled(arn)).toBe('Rejected');
  expect(await published(started)).toContain(0);

  // Sweep again, and the original delivery arrives late as well: nothing is updated or sent twice.
  const { client, seen } = r.racing(arn, 99, async () => undefined);
  const again = r.listening();
  const second = await sweeper({ sns: again.sns, sagemaker: client })(SWEEP_EVENT);
  expect(second.swept).toMatchObject({ pending: 0, tooLong: [] });
  expect(second.swept!.settled).toBeGreaterThanOrEqual(1);
  expect(await r.gate({ sagemaker: client, sns: again.sns })(r.trail(arn, call))).toMatchObject({
    outcome: 'restore',
    replayed: true,
  });
  expect(seen.updates).toBe(0);
  expect(again.messages).toHaveLength(0);
});

test('a restoration that keeps failing stays pending: carried from day to day, and counted for the alarm once it is pending past the round time plus the margin', async () => {
  const { arn, call } = await waitingCall();
  const failing = r.racing(arn, 99, async () => undefined, 1000);
  const t0 = Date.now();
  const at = (ms: number) => () => new Date(t0 + ms);
  // Soon after: pending, not yet too long.
  const early = await sweeper({ sagemaker: failing.client, now: at(60_000) })(SWEEP_EVENT);
  const mine = (s: typeof early) => s.swept!.tooLong.filter((x) => x.key.endsWith(`/${call.id}.json`));
  expect(early.swept!.pending).toBeGreaterThanOrEqual(1);
  expect(mine(early)).toEqual([]);
  expect(failing.seen.updates).toBeGreaterThanOrEqual(1);
  expect(await w.status(arn)).toBe('Approved');
  // Past ROUND_IN_FLIGHT_MS + the margin: counted, with why.
  const late = await sweeper({ sagemaker: failing.client, now: at(ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS + 60_000) })(
    SWEEP_EVENT,
  );
  expect(mine(late)).toEqual([
    {
      key: expect.stringContaining(call.id),
      reason: expect.stringMatching(/^pending since .*: ThrottlingException: Rate exceeded/),
    },
  ]);
  // A day later the entry is carried into that day; two days later only the carried entry is listed, and still counted.
  const nextDay = await sweeper({ sagemaker: failing.client, now: at(24 * 3600_000) })(SWEEP_EVENT);
  expect(mine(nextDay)).toHaveLength(1);
  expect(await w.keys(`${WAITING_PREFIX}${day(new Date(t0 + 24 * 3600_000))}/`)).toContain(
    `${WAITING_PREFIX}${day(new Date(t0 + 24 * 3600_000))}/fraud-score/${arn.split('/').pop()}/${call.id}.json`,
  );
  const twoDays = await sweeper({ sagemaker: failing.client, now: at(48 * 3600_000) })(SWEEP_EVENT);
  expect(mine(twoDays)).toHaveLength(1);
  expect(Math.max(...(await published(new Date(t0 + ROUND_IN_FLIGHT_MS))))).toBeGreaterThanOrEqual(1);
  expect(await r.settled(arn)).toMatch(/has not restored it yet/);
  // Once SageMaker answers again, the next sweep restores it.
  const done = await sweeper({ now: at(48 * 3600_000 + 60_000) })(SWEEP_EVENT);
  expect(mine(done)).toEqual([]);
  expect(await w.status(arn)).toBe('Rejected');
});

test('an index entry whose person record is missing or unreadable is counted, named and does not stop the sweep', async () => {
  const { arn, call } = await waitingCall();
  const today = `${WAITING_PREFIX}${day(new Date())}/fraud-score`;
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: `${today}/999/ct-missing.json`,
      Body: JSON.stringify({
        schema: 'model-approval-waiting/1',
        record: 'x',
        since: new Date(Date.now() - 40 * 60_000).toISOString(),
      }),
    }),
  );
  // A record still missing within the pending time is a delivery whose record write Lambda is retrying: pending, not
  // counted.
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: `${today}/997/ct-young.json`,
      Body: JSON.stringify({ schema: 'model-approval-waiting/1', record: 'x', since: new Date().toISOString() }),
    }),
  );
  await w.s3.send(new PutObjectCommand({ Bucket: w.records, Key: `${today}/998/ct-garbled.json`, Body: '{}' }));
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: 'approval/fraud-score/998/person/ct-garbled.json',
      Body: '{not json',
    }),
  );
  const swept = await sweeper()(SWEEP_EVENT);
  const reasons = Object.fromEntries(swept.swept!.tooLong.map((x) => [x.key.split('/').pop(), x.reason]));
  expect(reasons['ct-missing.json']).toBe(
    'its person record approval/fraud-score/999/person/ct-missing.json is missing: the call cannot be judged again',
  );
  expect(reasons['ct-garbled.json']).toMatch(/^cannot be read or judged: SyntaxError/);
  expect(reasons['ct-young.json']).toBeUndefined();
  // The genuine pending call is still judged and restored.
  expect(await w.status(arn)).toBe('Rejected');
  expect(await w.json(`${base(arn)}person/${call.id}.restored.json`)).toMatchObject({ restored: true });
});

test('a call whose judgement cannot be completed (another person record of the package is unreadable) is recorded as a wait, refused for promotion, and judged by the sweep once the record reads', async () => {
  const arn = await w.register('fraud-score');
  const { call } = await r.raced(arn, 'Rejected');
  const other = `${base(arn)}person/ct-unreadable.json`;
  await w.s3.send(new PutObjectCommand({ Bucket: w.records, Key: other, Body: '{not json' }));
  const thrown = await r
    .gate()(r.trail(arn, call))
    .catch((e: Error) => e);
  expect(thrown).toMatchObject({
    outcome: 'wait',
    reason: expect.stringMatching(/the judgement could not be completed \(SyntaxError: .*\): judged again/),
  });
  expect(await w.json(`${base(arn)}person/${call.id}.json`)).toMatchObject({
    verdict: 'wait',
    reason: expect.stringMatching(/^the judgement could not be completed/),
  });
  expect(await w.keys(`${WAITING_PREFIX}${day(new Date())}/fraud-score/${arn.split('/').pop()}/`)).toEqual([
    `${WAITING_PREFIX}${day(new Date())}/fraud-score/${arn.split('/').pop()}/${call.id}.json`,
  ]);
  expect(await w.status(arn)).toBe('Approved');
  expect(await r.settled(arn)).not.toBe('Approved');
  // Still unreadable: the sweep keeps it pending.
  const first = await sweeper()(SWEEP_EVENT);
  expect(first.swept!.pending).toBeGreaterThanOrEqual(1);
  expect(await w.status(arn)).toBe('Approved');
  // The record reads again (a person call, older than the crossed one): the sweep restores the Rejected.
  await w.s3.send(
    new PutObjectCommand({
      Bucket: w.records,
      Key: other,
      Body: JSON.stringify({
        schema: 'model-approval-person-update/1',
        modelPackage: { arn, group: 'fraud-score', version: Number(arn.split('/').pop()) },
        person: { eventId: 'ct-unreadable', eventTime: '2020-01-01T00:00:00.000Z', identity: 'x', status: 'Approved' },
        verdict: 'older',
        reason: 'r',
        package: {},
        at: '2020-01-01T00:00:00.000Z',
      }),
    }),
  );
  await sweeper()(SWEEP_EVENT);
  expect(await w.status(arn)).toBe('Rejected');
  expect(await w.json(`${base(arn)}person/${call.id}.restored.json`)).toMatchObject({
    restored: true,
    verdict: 'restore',
  });
});
