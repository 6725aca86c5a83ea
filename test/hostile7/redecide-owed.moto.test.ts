/**
 * 87ce743: "A record whose verdict was final when written is settled" (sweep, handler.ts). One final verdict is not
 * done when written: `redecide` (the person's Approved overwritten and NOT set back) is acted on only by its notice,
 * sent after the record is written (personUpdate: record, then notifyRedecide). When SNS refuses that publish on every
 * attempt, the event is dead-lettered; a retry that first judged `restore`/`wait` has already written an index entry
 * (written BEFORE the record, which another attempt recorded `redecide`). The sweep finds the final record, counts it
 * settled and publishes 0: the notice owed (no `.notified.json`) is never sent, nothing counts it, and the day closes.
 * State built directly on moto: the redecide record and its index entry, no notice record.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { approvalGate, SWEEP_EVENT, WAITING_PREFIX } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld } from '../gates/world';
import { APPROVER, GATE_ROLE, personRace } from '../gates/person-race';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('hostile7-redecide-owed');
}, 60_000);
afterAll(async () => w?.stop());

test('a redecide record whose notice is owed is announced by the sweep, or counted', async () => {
  const arn = await w.register('fraud-score');
  const v = arn.split('/').pop();
  const eventId = 'ct-redecide-1';
  const t0 = new Date(Date.now() - 30 * 60_000);
  const put = (Key: string, body: unknown) =>
    w.s3.send(new PutObjectCommand({ Bucket: w.records, Key, Body: JSON.stringify(body) }));
  const where = `approval/fraud-score/${v}/person/${eventId}.json`;
  await put(where, {
    schema: 'model-approval-person-update/1',
    modelPackage: { arn, group: 'fraud-score', version: Number(v) },
    person: {
      eventId,
      eventTime: t0.toISOString(),
      identity: APPROVER,
      status: 'Approved',
      description: 'model-risk approver: Approved',
    },
    verdict: 'redecide',
    reason: "the package changed since the gate's update: the person decides again",
    package: { status: 'Rejected' },
    at: t0.toISOString(),
  });
  await put(`${WAITING_PREFIX}${t0.toISOString().slice(0, 10)}/fraud-score/${v}/${eventId}.json`, {
    schema: 'model-approval-waiting/1',
    record: `s3://${w.records}/${where}`,
    since: t0.toISOString(),
  });
  const { sns, messages } = personRace(w).listening();
  const swept = await approvalGate({ ...w.deps, sns, roleName: GATE_ROLE, cloudwatch: w.cloudwatch })(SWEEP_EVENT);
  expect(swept.swept).toMatchObject({ listed: 1, settled: 1 }); // counted settled from the final verdict alone
  const notified = (await w.keys(`approval/fraud-score/${v}/person/`)).filter((k) => k.endsWith('.notified.json'));
  expect({
    counted: swept.swept!.tooLong.length,
    notices: messages.filter((m) => /DECIDE AGAIN/.test(m.message ?? '')).length + notified.length,
  }).not.toEqual({ counted: 0, notices: 0 });
}, 120_000);
