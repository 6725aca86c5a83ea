/**
 * The approval gate judges a person's crossed call by STATUS-SETTING calls, not by LastModifiedTime: an
 * UpdateModelPackage that sets no status (ModelApprovalStatus is optional, SageMaker API Reference, UpdateModelPackage)
 * moves LastModifiedTime but decides nothing. While the package still has the status the gate wrote and no later
 * person's status call is recorded, a person's overwritten decision was overwritten, whatever was edited since. The
 * outcome fails closed: a Rejected is set back; an Approved is set back only while nothing can have landed since the
 * gate's update, otherwise the package is left as it is (not Approved) and the person is told to decide again.
 * Every case here also checks the record, the reason, the notice and what the deployment gate would promote.
 */
import { PersonUpdateRecord, RestoredRecord } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';
import { evaluation } from './fixtures';
import { APPROVER, base, Call, personRace } from './person-race';

let w: ApprovalWorld;
let r: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('race-by-status');
  r = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

const second = () => new Promise((res) => setTimeout(res, 1100));

describe('a status-less edit does not turn an overwritten decision into a final "stands"', () => {
  test("Rejected overwritten by the gate's Approved, then the description is edited before CloudTrail delivers the call: Rejected is restored, once", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await r.raced(arn, 'Rejected');
    await second();
    await r.statuslessEdit(arn, 'model-approval-gate: approve. (ticket RISK-12 added)');
    const { sns, messages } = r.listening();
    const result = await r.gate({ sns })(r.trail(arn, call));
    expect(result).toMatchObject({ outcome: 'restore', approvalStatus: 'Rejected', notified: true });
    expect(result.reason).toMatch(
      /^restored Rejected set by .* overwritten by the gate's Approved \(.*round-1\.json\) inside the race window$/,
    );
    expect(await w.status(arn)).toBe('Rejected');
    const record = (await w.json(result.record!)) as unknown as PersonUpdateRecord;
    expect(record).toMatchObject({ verdict: 'restore', person: { status: 'Rejected', identity: APPROVER } });
    expect(record.reason).toMatch(
      /the package was edited since \(modified .*\) but its status is still the gate's, and no later person's status call is recorded: it was overwritten by the gate$/,
    );
    expect(await w.json(result.record!.replace(/\.json$/, '.restored.json'))).toMatchObject({
      restored: true,
      verdict: 'restore',
      status: 'Rejected',
    });
    expect(messages.map((m) => m.subject)).toEqual([expect.stringMatching(/: person's Rejected restored$/)]);
    expect(await r.settled(arn)).toBe('Rejected');
    // Redelivered: nothing is updated or sent again.
    const { client, seen } = r.racing(arn, 99, async () => undefined);
    const again = r.listening();
    expect(await r.gate({ sagemaker: client, sns: again.sns })(r.trail(arn, call))).toMatchObject({
      outcome: 'restore',
      replayed: true,
    });
    expect(seen.updates).toBe(0);
    expect(again.messages).toHaveLength(0);
  });

  test("Approved overwritten by the gate's Rejected, then an edit: Approved is not set back (a later Rejected may be on its way); the package stays Rejected and the person is told to decide again", async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.55) } });
    const { decided, call } = await r.raced(arn, 'Approved');
    expect(decided).toMatchObject({ outcome: 'reject' });
    await second();
    await r.statuslessEdit(arn, 'model-approval-gate: reject. (see RISK-7)');
    const { client, seen } = r.racing(arn, 99, async () => undefined);
    const { sns, messages } = r.listening();
    const result = await r.gate({ sagemaker: client, sns })(r.trail(arn, call));
    expect(result).toMatchObject({ outcome: 'redecide', approvalStatus: 'Rejected', notified: true });
    expect(result.reason).toMatch(
      /^the person's Approved \(.*\) was overwritten by the gate's Rejected; the package was changed after the gate's update \(modified .*; status still Rejected\), so a later person's Rejected whose CloudTrail event has not arrived cannot be ruled out: Approved is not set back, the package stays Rejected, and a person decides again$/,
    );
    expect(seen.updates).toBe(0);
    expect(await w.status(arn)).toBe('Rejected');
    const record = (await w.json(result.record!)) as unknown as PersonUpdateRecord;
    expect(record).toMatchObject({
      verdict: 'redecide',
      person: { status: 'Approved' },
      overwrittenBy: { status: 'Rejected', record: `s3://${w.records}/${base(arn)}round-1.json` },
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].subject).toMatch(/: person's Approved not restored, decide again$/);
    expect(messages[0].message).toContain(`DECIDE AGAIN: Approved, set by ${APPROVER}`);
    expect(await r.settled(arn)).toBe('Rejected');
    // Redelivered: the verdict is final and the notice is not sent twice.
    const again = r.listening();
    expect(await r.gate({ sagemaker: client, sns: again.sns })(r.trail(arn, call))).toMatchObject({
      outcome: 'redecide',
      replayed: true,
      notified: true,
    });
    expect(again.messages).toHaveLength(0);
    expect(seen.updates).toBe(0);
    expect(await w.keys(`${base(arn)}person/`)).toEqual([
      `${base(arn)}person/${call.id}.json`,
      `${base(arn)}person/${call.id}.notified.json`,
    ]);
  });

  test("a person's call that came after the gate's update, when the status is the gate's again, stands: a later call set it", async () => {
    const arn = await w.register('fraud-score');
    expect(await r.gate()(stateChange(arn))).toMatchObject({ outcome: 'approve' });
    await second();
    await second();
    const rejected = await r.personCall(arn, 'Rejected', 'withdrawn');
    await second();
    const approved = await r.personCall(arn, 'Approved', 'approved again after the fix');
    const { client, seen } = r.racing(arn, 99, async () => undefined);
    const result = await r.gate({ sagemaker: client })(r.trail(arn, rejected));
    expect(result).toMatchObject({ outcome: 'stands', approvalStatus: 'Approved' });
    expect(result.reason).toMatch(
      /came after the gate's update .* and the package is Approved again: a later call set it, and that decision stands/,
    );
    expect(seen.updates).toBe(0);
    expect(await r.gate({ sagemaker: client })(r.trail(arn, approved))).toMatchObject({ outcome: 'concurs' });
    expect(await w.status(arn)).toBe('Approved');
  });
});

describe("a package whose gate-write mark was removed is placed against the gate's records", () => {
  test.each([
    { person: 'Rejected', outcome: 'restore', final: 'Rejected' },
    { person: 'Approved', outcome: 'redecide', final: 'Rejected' },
  ] as const)(
    'the crossed $person, after an approver removed the mark in a call that sets no status: $outcome',
    async ({ person, outcome, final }) => {
      const arn = await w.register(
        'fraud-score',
        person === 'Approved' ? { reports: { ...GOOD, evaluation: evaluation(0.55) } } : {},
      );
      const { call } = await r.raced(arn, person);
      await second();
      // In AWS: UpdateModelPackage with CustomerMetadataPropertiesToRemove ['gate-write'] and no status (the status is
      // kept). moto replaces the metadata with what is sent (and clears an omitted status), so the result is sent as it
      // is.
      const { UpdateModelPackageCommand } = await import('@aws-sdk/client-sagemaker');
      const before = await w.describe(arn);
      const { 'gate-write': _removed, ...rest } = before.CustomerMetadataProperties ?? {};
      await w.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: before.ModelApprovalStatus,
          ApprovalDescription: before.ApprovalDescription,
          CustomerMetadataProperties: rest,
        }),
      );
      expect((await w.describe(arn)).CustomerMetadataProperties?.['gate-write']).toBeUndefined();
      const result = await r.gate()(r.trail(arn, call));
      expect(result.outcome).toBe(outcome);
      expect(await w.status(arn)).toBe(final);
      expect(await w.json(result.record!)).toMatchObject({
        verdict: outcome,
        overwrittenBy: { record: `s3://${w.records}/${base(arn)}round-1.json` },
      });
      expect(await r.settled(arn)).toBe(final);
    },
  );
});

describe("a person's sending back is a status-setting call too", () => {
  test("a package sent back (PendingManualApproval) inside the window of the gate's Approved, then edited: Pending is restored, announced, and the gate reviews it in a new round", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await r.raced(arn, 'PendingManualApproval');
    expect(await w.status(arn)).toBe('Approved');
    await second();
    await r.statuslessEdit(arn, 'model-approval-gate: approve. (ticket RISK-3 added)');
    const { sns, messages } = r.listening();
    const result = await r.gate({ sns })(r.trail(arn, call));
    expect(result).toMatchObject({ outcome: 'restore', approvalStatus: 'PendingManualApproval', notified: true });
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect(await w.json(result.record!)).toMatchObject({
      verdict: 'restore',
      person: { status: 'PendingManualApproval' },
      overwrittenBy: { status: 'Approved' },
    });
    expect(messages.map((m) => m.subject)).toEqual([expect.stringMatching(/person's PendingManualApproval restored$/)]);
    expect(await r.settled(arn)).toBe('PendingManualApproval');
    // SageMaker announces the package pending again: the gate decides a new round from fresh reads.
    expect(await r.gate()(stateChange(arn))).toMatchObject({ outcome: 'approve', round: 2 });
    // The sending back, delivered again after that round: older than round 2's re-read, nothing is undone.
    const { client, seen } = r.racing(arn, 99, async () => undefined);
    expect(await r.gate({ sagemaker: client })(r.trail(arn, call))).toMatchObject({
      outcome: 'restore',
      replayed: true,
    });
    expect(seen.updates).toBe(0);
    expect(await w.status(arn)).toBe('Approved');
  });
});

describe('later person calls and the order CloudTrail delivers them in', () => {
  test("a person re-approving after the gate's Approved, delivered after the crossed Rejected: Rejected is restored (fail closed), the re-approval is not set back and its person is told to decide again", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await r.raced(arn, 'Rejected');
    await second();
    const reapproval = await r.personCall(arn, 'Approved', 'second approver: approved');
    // CloudTrail delivers the Rejected minutes later (more than the clocks' precision after the re-approval).
    await second();
    await second();
    expect(await r.gate()(r.trail(arn, call))).toMatchObject({ outcome: 'restore', approvalStatus: 'Rejected' });
    const { sns, messages } = r.listening();
    const result = await r.gate({ sns })(r.trail(arn, reapproval));
    expect(result).toMatchObject({ outcome: 'redecide', approvalStatus: 'Rejected', notified: true });
    expect(result.reason).toMatch(
      /overwritten by the gate's restoration of .*'s Rejected; it landed before the re-read of the gate's restoration .* which took it for an edit/,
    );
    expect(await w.status(arn)).toBe('Rejected');
    expect(messages.map((m) => m.subject)).toEqual([
      expect.stringMatching(/person's Approved not restored, decide again$/),
    ]);
    expect(await r.settled(arn)).toBe('Rejected');
  });

  test.each([
    // Approved, then Rejected: the later Rejected is what the package says in either delivery order.
    { first: 'Approved', next: 'Rejected', delivery: 'in-order', outcomes: ['concurs', 'restore'], final: 'Rejected' },
    { first: 'Approved', next: 'Rejected', delivery: 'reversed', outcomes: ['restore', 'older'], final: 'Rejected' },
    // Rejected, then Approved, the gate approving. Delivered latest first, the latest (Approved) concurs and the
    // earlier Rejected is superseded by it. Delivered earliest first, the Rejected is restored (nothing later is known
    // yet), and the Approved then found under it is not set back: the package stays Rejected (fail closed), its person
    // decides again.
    { first: 'Rejected', next: 'Approved', delivery: 'reversed', outcomes: ['concurs', 'stands'], final: 'Approved' },
    { first: 'Rejected', next: 'Approved', delivery: 'in-order', outcomes: ['restore', 'redecide'], final: 'Rejected' },
  ] as const)(
    'two calls crossed the same Approved ($first, then $next; delivered $delivery): $final',
    async ({ first, next, delivery, outcomes, final }) => {
      const arn = await w.register('fraud-score');
      const calls: Call[] = [];
      const { client } = r.racing(arn, 2, async () => {
        calls.push(await r.personCall(arn, first, 'first approver'));
        await second();
        calls.push(await r.personCall(arn, next, 'second approver'));
      });
      expect(await r.gate({ sagemaker: client })(stateChange(arn))).toMatchObject({ outcome: 'approve' });
      expect(await w.status(arn)).toBe('Approved');
      await second();
      await second();
      const got = [];
      for (const c of delivery === 'in-order' ? calls : [...calls].reverse())
        got.push((await r.gate()(r.trail(arn, c))).outcome);
      expect(got).toEqual(outcomes);
      expect(await w.status(arn)).toBe(final);
      // Each redelivered: nothing changes.
      for (const c of calls) await r.gate()(r.trail(arn, c));
      expect(await w.status(arn)).toBe(final);
      expect(await r.settled(arn)).toBe(final === 'Approved' ? 'Approved' : 'Rejected');
    },
  );
});

describe('a restoration followed by an edit', () => {
  test("a Rejected that crossed the restoration's own update, then a status-less edit: the Rejected is restored over the restored Approved", async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.55) } });
    const { call } = await r.raced(arn, 'Approved');
    // Nothing touched the package since: the crossed Approved is restored, and another approver's Rejected lands
    // inside the restoration's own window (after its re-read, the 2nd DescribeModelPackage of its run).
    let rejected: Call | undefined;
    const { client } = r.racing(arn, 2, async () => {
      rejected = await r.personCall(arn, 'Rejected', 'second approver: rejected');
    });
    expect(await r.gate({ sagemaker: client })(r.trail(arn, call))).toMatchObject({
      outcome: 'restore',
      approvalStatus: 'Approved',
    });
    expect(await w.status(arn)).toBe('Approved');
    await second();
    await r.statuslessEdit(arn, 'restored; ticket RISK-9 added');
    // The restoration is redelivered: nothing is undone twice.
    const watched = r.racing(arn, 99, async () => undefined);
    expect(await r.gate({ sagemaker: watched.client })(r.trail(arn, call))).toMatchObject({
      outcome: 'restore',
      replayed: true,
    });
    expect(watched.seen.updates).toBe(0);
    const { sns, messages } = r.listening();
    const result = await r.gate({ sns })(r.trail(arn, rejected!));
    expect(result).toMatchObject({ outcome: 'restore', approvalStatus: 'Rejected', notified: true });
    expect(await w.status(arn)).toBe('Rejected');
    const record = (await w.json(result.record!)) as unknown as PersonUpdateRecord;
    expect(record).toMatchObject({
      verdict: 'restore',
      overwrittenBy: { status: 'Approved', record: `s3://${w.records}/${base(arn)}person/${call.id}.json` },
    });
    expect(record.reason).toMatch(/restoration of .*'s Approved .* the package was edited since/);
    expect(messages.map((m) => m.subject)).toEqual([expect.stringMatching(/person's Rejected restored$/)]);
    expect(await r.settled(arn)).toBe('Rejected');
    expect(await w.json(`${base(arn)}person/${call.id}.restored.json`)).toMatchObject({
      restored: true,
    } satisfies Partial<RestoredRecord>);
  });
});
