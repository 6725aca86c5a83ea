/**
 * The gate's marks on a package and its applied records, tried hostile: a
 * package that leaves no room for the gate's metadata, marks a registrant set
 * in advance, and two invocations recording one round differently. Each case
 * asserts the final status, the records and the reason.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { approvalGate, MAX_METADATA_ENTRIES } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('metadata');
}, 60_000);
afterAll(async () => w?.stop());

const base = (arn: string) => `approval/${arn.split('/').slice(-2).join('/')}/`;
const filler = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`feature-${i}`, 'x']));

test("a package with no room left for the gate's marks: the decision is recorded as not applied, a person is told, and a redelivery changes nothing", async () => {
  // 'training-data' and 'pipeline-execution' are added by the registration: 48 entries in all.
  const arn = await w.register('fraud-score', { metadata: filler(46) });
  expect(Object.keys((await w.describe(arn)).CustomerMetadataProperties ?? {})).toHaveLength(48);
  const result = await approvalGate(w.deps)(stateChange(arn));
  expect(result).toMatchObject({
    outcome: 'unapplied',
    round: 1,
    notified: true,
    reason: expect.stringMatching(
      new RegExp(
        `carries 48 metadata entries, and the gate's marks would exceed SageMaker's ${MAX_METADATA_ENTRIES}: the gate's approve was not applied; a person decides`,
      ),
    ),
  });
  expect(await w.status(arn)).toBe('PendingManualApproval');
  expect(await w.json(`${base(arn)}round-1.applied.json`)).toMatchObject({ applied: false, blocked: true });
  expect(await w.keys(base(arn))).toContain(`${base(arn)}round-1.notified.json`);
  const again = await approvalGate(w.deps)(stateChange(arn));
  expect(again).toMatchObject({ outcome: 'unapplied', replayed: true, round: 1 });
  expect((await w.keys(base(arn))).filter((k) => /round-2/.test(k))).toEqual([]);
  // A person's decision still works, and stands.
  await w.person(arn, 'Approved');
  expect(await approvalGate(w.deps)(stateChange(arn))).toMatchObject({ outcome: 'skipped' });
  expect(await w.status(arn)).toBe('Approved');
});

test("a gate-decision mark set at registration is not taken for the gate's: a person's approval is not recorded as the gate's", async () => {
  const predicted = `s3://${w.records}/approval/fraud-score/`;
  // The registrant cannot know the version in advance for certain, but may guess it: register once to learn the next
  // one.
  const probe = await w.register('fraud-score');
  const next = Number(probe.split('/').pop()) + 1;
  const guess = `${predicted}${next}/round-1.json`;
  const arn = await w.register('fraud-score', {
    metadata: { 'gate-decision': guess, 'gate-outcome': 'approve', 'gate-round': '1' },
  });
  expect(arn.endsWith(`/${next}`)).toBe(true);
  // The gate decides and records round 1, but a person approves before the gate's update would be sent.
  let acted = false;
  const s3Real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
  const s3 = new Proxy(w.s3, {
    get: (t, p) =>
      p === 'send'
        ? async (c: { constructor: { name: string }; input: { Key?: string } }) => {
            const out = await s3Real(c);
            if (!acted && c.constructor.name === 'PutObjectCommand' && (c.input.Key ?? '').endsWith('round-1.json')) {
              acted = true;
              await w.person(arn, 'Approved', 'approved by the model-risk approver');
            }
            return out;
          }
        : Reflect.get(t, p),
  });
  const result = await approvalGate({ ...w.deps, s3 })(stateChange(arn));
  // The package changed under the gate: its approve is not applied, and the person's approval is not claimed as the
  // gate's.
  expect(result).toMatchObject({ outcome: 'superseded' });
  expect(await w.status(arn)).toBe('Approved');
  expect((await w.describe(arn)).ApprovalDescription).toBe('approved by the model-risk approver');
  expect(await w.json(`${base(arn)}round-1.applied.json`)).toMatchObject({ applied: false });
});

test('two invocations of one round: one records "not applied", the other\'s update went through; the contradiction is recorded', async () => {
  const arn = await w.register('fraud-score');
  const appliedKey = `${base(arn)}round-1.applied.json`;
  const s3Real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
  let raced = false;
  // Just before this invocation records its applied update, another has recorded the round as superseded.
  const s3 = new Proxy(w.s3, {
    get: (t, p) =>
      p === 'send'
        ? async (c: { constructor: { name: string }; input: { Key?: string } }) => {
            if (!raced && c.constructor.name === 'PutObjectCommand' && c.input.Key === appliedKey) {
              raced = true;
              await w.s3.send(
                new PutObjectCommand({
                  Bucket: w.records,
                  Key: appliedKey,
                  Body: JSON.stringify({
                    schema: 'model-approval-applied/1',
                    record: 'x',
                    applied: false,
                    package: {},
                    reason: 'the package changed while the gate decided',
                    at: new Date().toISOString(),
                  }),
                }),
              );
            }
            return s3Real(c);
          }
        : Reflect.get(t, p),
  });
  const result = await approvalGate({ ...w.deps, s3 })(stateChange(arn));
  expect(result).toMatchObject({ outcome: 'approve' });
  expect(await w.status(arn)).toBe('Approved');
  expect(await w.json(appliedKey)).toMatchObject({ applied: false });
  const updates = (await w.keys(base(arn))).filter((k) => /round-1\.update-.*\.json$/.test(k));
  expect(updates).toHaveLength(1);
  expect(await w.json(updates[0])).toMatchObject({
    applied: true,
    reason: expect.stringMatching(
      /^set Approved after another invocation had recorded the round as not applied \(the package changed while the gate decided\)$/,
    ),
  });
});
