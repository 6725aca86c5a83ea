/**
 * The race SageMaker leaves, made harmless: UpdateModelPackage has no condition, so a person's Approved or Rejected
 * that lands after the gate's re-read answered and before the gate's update took effect is overwritten. The gate
 * learns of every status update from CloudTrail ("AWS API Call via CloudTrail" events through EventBridge: who called,
 * when, to the second, with which status) and sets the person's status back when the package is still as the gate's
 * update left it and the person's call was not older than that update's re-read (when CloudTrail's one-second
 * precision cannot tell, the person wins). Anything later stands; an old call replayed after a new round is not
 * applied; the gate's own calls do not loop; a restoration that fails is pending, retried, never lost; and the
 * deployment gate does not count the package's Approved while a restoration is pending or stands unconfirmed.
 *
 * The person's update is injected inside the window by a client wrapper around the gate's SageMaker client (right
 * after the gate's re-read answered, before its update is sent); every call still goes to moto. The CloudTrail
 * event is built as CloudTrail records the person's call (eventTime cut to the second), since moto has no CloudTrail
 * delivery to EventBridge. Shape: CloudTrail record contents (userIdentity, eventTime, eventSource, eventName,
 * requestParameters, errorCode, eventID), AWS CloudTrail User Guide, "CloudTrail record contents for management,
 * data, and network activity events"; EventBridge detail type "AWS API Call via CloudTrail".
 */
import {
  approvalGate,
  ApprovalRecord,
  CLOCK_SKEW_MS,
  EVENT_TIME_PRECISION_MS,
  GATE_WRITE_KEY,
  PersonUpdateRecord,
  RestoredRecord,
} from '../../lambdas/model-approval-gate/handler';
import { ACCOUNT, approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';
import { evaluation } from './fixtures';
import { APPROVER, base, Call, GATE_ROLE, personRace } from './person-race';

let w: ApprovalWorld;
let race: ReturnType<typeof personRace>;
beforeAll(async () => {
  w = await approvalWorld('race-restore');
  race = personRace(w);
}, 60_000);
afterAll(async () => w?.stop());

const personCall: ReturnType<typeof personRace>['personCall'] = (...a) => race.personCall(...a);
const trail: ReturnType<typeof personRace>['trail'] = (...a) => race.trail(...a);
const racing: ReturnType<typeof personRace>['racing'] = (...a) => race.racing(...a);
const listening: ReturnType<typeof personRace>['listening'] = () => race.listening();
const raced: ReturnType<typeof personRace>['raced'] = (...a) => race.raced(...a);
const gate: ReturnType<typeof personRace>['gate'] = (...a) => race.gate(...a);
const settled: ReturnType<typeof personRace>['settled'] = (...a) => race.settled(...a);

describe("a person's decision overwritten inside the window is restored, recorded and announced", () => {
  test("a person's Rejected inside the window of the gate's Approved: Rejected is restored, recorded, notified, and nothing promotes meanwhile", async () => {
    const arn = await w.register('fraud-score');
    const { decided, call, seen } = await raced(arn, 'Rejected');
    // The window: the gate's Approved landed on the person's Rejected.
    expect(decided).toMatchObject({ outcome: 'approve', round: 1 });
    expect(seen.updates).toBe(1);
    expect(await w.status(arn)).toBe('Approved');
    const mark = (await w.describe(arn)).CustomerMetadataProperties?.[GATE_WRITE_KEY];
    expect(mark).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z s3://${w.records}/${base(arn)}round-1\\.json$`));
    // Until CloudTrail delivers the person's call, the deployment gate does not count the gate's fresh Approved.
    expect(await settled(arn, new Date())).toMatch(
      /^Approved by the approval gate 0 minute\(s\) ago: .* promotion waits 15 minutes$/,
    );

    const { sns, messages } = listening();
    const restored = await gate({ sns })(trail(arn, call));
    expect(restored).toMatchObject({ outcome: 'restore', approvalStatus: 'Rejected', notified: true });
    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.ApprovalDescription).toMatch(
      new RegExp(
        `^model-approval-gate: restored Rejected set by ${APPROVER} at ${call.at.toISOString().slice(0, 19)}\\.000Z \\(overwritten inside the race window by the gate's Approved\\)\\. model-risk approver: Rejected, reviewed the evidence$`,
      ),
    );
    const record = (await w.json(restored.record!)) as unknown as PersonUpdateRecord;
    expect(record).toMatchObject({
      verdict: 'restore',
      person: { status: 'Rejected', identity: APPROVER, eventId: call.id },
      overwrittenBy: { status: 'Approved', record: `s3://${w.records}/${base(arn)}round-1.json` },
    });
    // Both updates are in the record: the person's (time, who, status) and the gate's (record, status, re-read time,
    // state after).
    expect(record.overwrittenBy!.package!.status).toBe('Approved');
    expect(Date.parse(record.overwrittenBy!.readAt)).toBeLessThanOrEqual(call.at.getTime());
    const done = (await w.json(restored.record!.replace(/\.json$/, '.restored.json'))) as unknown as RestoredRecord;
    expect(done).toMatchObject({ restored: true, status: 'Rejected', package: { status: 'Rejected' } });
    expect(await w.keys(`${base(arn)}person/`)).toEqual([
      `${base(arn)}person/${call.id}.json`,
      `${base(arn)}person/${call.id}.notified.json`,
      `${base(arn)}person/${call.id}.restored.json`,
    ]);
    expect(messages).toHaveLength(1);
    expect(messages[0].subject).toBe(`Model fraud-score v${arn.split('/').pop()}: person's Rejected restored`);
    expect(messages[0].message).toContain(`RESTORED: Rejected, set by ${APPROVER}`);
    expect(await settled(arn)).toBe('Rejected');

    // Delivered again (EventBridge delivers at least once): nothing is updated or sent twice.
    const { client, seen: again } = racing(arn, 99, async () => undefined);
    const { sns: sns2, messages: second } = listening();
    expect(await gate({ sagemaker: client, sns: sns2 })(trail(arn, call))).toMatchObject({
      outcome: 'restore',
      replayed: true,
      notified: true,
    });
    expect(again.updates).toBe(0);
    expect(second).toHaveLength(0);
  });

  test("a person's Approved inside the window of the gate's Rejected: Approved is restored, and is not promoted until a person decides again", async () => {
    const arn = await w.register('fraud-score', { reports: { ...GOOD, evaluation: evaluation(0.55) } });
    const { decided, call } = await raced(arn, 'Approved');
    expect(decided).toMatchObject({ outcome: 'reject' });
    expect(await w.status(arn)).toBe('Rejected');
    const restored = await gate()(trail(arn, call));
    expect(restored).toMatchObject({ outcome: 'restore', approvalStatus: 'Approved' });
    expect(await w.status(arn)).toBe('Approved');
    expect((await w.describe(arn)).ApprovalDescription).toMatch(
      /restored Approved set by .* \(overwritten inside the race window by the gate's Rejected\)/,
    );
    // The person's Approved crossed the gate's findings: the deployment gate waits for a person to decide again.
    expect(await settled(arn)).toMatch(
      /^Approved by a restoration \(.*'s Approved had crossed the approval gate's Rejected; .*\): a person decides again before it is promoted$/,
    );
    // A person decides again (past the clocks' allowance after the restoration): counted once the approval gate has
    // recorded that call; the update alone (it could have set no status) is not a decision.
    await new Promise((r) => setTimeout(r, CLOCK_SKEW_MS + EVENT_TIME_PRECISION_MS + 100));
    const again = await personCall(arn, 'Approved', "model-risk approver: confirmed after reading the gate's findings");
    expect(await settled(arn)).toMatch(/^Approved by a restoration/);
    expect(await gate()(trail(arn, again))).toMatchObject({ outcome: 'concurs' });
    expect(await settled(arn)).toBe('Approved');
  });

  test("a person's call at the same second as the gate's re-read is restored (when CloudTrail's precision cannot tell, the person wins)", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    const readAt = Date.parse((await w.describe(arn)).CustomerMetadataProperties![GATE_WRITE_KEY].split(' ')[0]);
    // The recorded second starts up to 1 s before the call; take the earliest second that still overlaps the re-read.
    const earliest = { ...call, at: new Date(Math.floor(readAt / 1000) * 1000 - 1000) };
    expect(await gate()(trail(arn, earliest))).toMatchObject({ outcome: 'restore' });
    expect(await w.status(arn)).toBe('Rejected');
  });
});

describe('what is not restored', () => {
  test("a person's call replayed hours later, after a new round, is not applied: the later decision stands", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    expect(await gate()(trail(arn, call))).toMatchObject({ outcome: 'restore' });
    // A person re-opens the package; hours later, round 2 approves it.
    await personCall(arn, 'PendingManualApproval', 'reopened with new evidence');
    const later = () => new Date(Date.now() + 3 * 3600_000);
    expect(await gate({ now: later })(stateChange(arn))).toMatchObject({ outcome: 'approve', round: 2 });
    // The old call, with a new delivery id (a replay through an archive, say): older than round 2's re-read.
    const { client, seen } = racing(arn, 99, async () => undefined);
    const replay = await gate({ sagemaker: client, now: later })(trail(arn, { ...call, id: `${call.id}-replayed` }));
    expect(replay).toMatchObject({ outcome: 'older', approvalStatus: 'Approved' });
    expect(replay.reason).toMatch(
      /is older than the re-read before the gate's update .* by more than the clocks' precision: the gate saw it, and a later decision replaced it; not applied/,
    );
    expect(seen.updates).toBe(0);
    expect(await w.status(arn)).toBe('Approved');
    expect(await w.json(replay.record!)).toMatchObject({
      verdict: 'older',
      overwrittenBy: { record: `s3://${w.records}/${base(arn)}round-2.json` },
    });
    // The same event delivered once more keeps its verdict.
    expect(
      await gate({ sagemaker: client, now: later })(trail(arn, { ...call, id: `${call.id}-replayed` })),
    ).toMatchObject({ outcome: 'older', replayed: true });
    expect(seen.updates).toBe(0);
  });

  test("a person's update after the gate's stands untouched", async () => {
    const arn = await w.register('fraud-score');
    expect(await gate()(stateChange(arn))).toMatchObject({ outcome: 'approve' });
    const call = await personCall(arn, 'Rejected', 'model-risk approver: withdrawn after review');
    const { client, seen } = racing(arn, 99, async () => undefined);
    const result = await gate({ sagemaker: client })(trail(arn, call));
    expect(result).toMatchObject({ outcome: 'concurs', approvalStatus: 'Rejected' });
    expect(seen.updates).toBe(0);
    const pkg = await w.describe(arn);
    expect(pkg.ModelApprovalStatus).toBe('Rejected');
    expect(pkg.ApprovalDescription).toBe('model-risk approver: withdrawn after review');
    expect(await w.keys(`${base(arn)}person/`)).toEqual([`${base(arn)}person/${call.id}.json`]);
  });

  test("an older person's call delivered after a later person's call (same status as the gate's) does not undo it", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    // Before CloudTrail delivers the overwritten Rejected, another approver approves again, and that call is delivered
    // first.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await personCall(arn, 'Approved', 'second approver: approved');
    expect(await gate()(trail(arn, later))).toMatchObject({ outcome: 'concurs' });
    const { client, seen } = racing(arn, 99, async () => undefined);
    const result = await gate({ sagemaker: client })(trail(arn, call));
    expect(result).toMatchObject({ outcome: 'stands', approvalStatus: 'Approved' });
    expect(result.reason).toMatch(
      new RegExp(
        `^a later person's call is recorded \\(${APPROVER} set Approved at .*\\): the latest decision stands, not this one$`,
      ),
    );
    expect(seen.updates).toBe(0);
    expect((await w.describe(arn)).ApprovalDescription).toBe(later.description);
  });

  test("the gate's own updates, seen through CloudTrail, do not loop: neither its round's update nor its restoration", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    const gateRole = `arn:aws:iam::${ACCOUNT}:role/estate/${GATE_ROLE}`;
    const { client, seen } = racing(arn, 99, async () => undefined);
    // The gate's Approved, delivered before the person's call.
    expect(
      await gate({ sagemaker: client })(
        trail(arn, {
          status: 'Approved',
          description: 'model-approval-gate: approve.',
          at: new Date(),
          id: `${call.id}-gate`,
          role: gateRole,
        }),
      ),
    ).toMatchObject({ outcome: 'skipped', reason: "the call is the gate's own update" });
    expect(await gate({ sagemaker: client })(trail(arn, call))).toMatchObject({ outcome: 'restore' });
    expect(seen.updates).toBe(1);
    // The restoration's own call, and the round's again: both the gate's; nothing more is updated.
    expect(
      await gate({ sagemaker: client })(
        trail(arn, {
          status: 'Rejected',
          description: 'restored',
          at: new Date(),
          id: `${call.id}-restore`,
          role: gateRole,
        }),
      ),
    ).toMatchObject({ outcome: 'skipped' });
    expect(
      await gate({ sagemaker: client })(
        trail(arn, {
          status: 'Approved',
          description: 'model-approval-gate: approve.',
          at: new Date(),
          id: `${call.id}-gate`,
          role: gateRole,
        }),
      ),
    ).toMatchObject({ outcome: 'skipped' });
    expect(seen.updates).toBe(1);
    expect(await w.status(arn)).toBe('Rejected');
    // Its restoration seen as anyone's call (a role name the gate does not know): the package is as it says already.
    expect(
      await approvalGate(w.deps)(
        trail(arn, {
          status: 'Rejected',
          description: 'restored',
          at: new Date(),
          id: `${call.id}-restore-2`,
          role: APPROVER,
        }),
      ),
    ).toMatchObject({ outcome: 'concurs' });
    expect(await w.status(arn)).toBe('Rejected');
  });

  test("a high-risk package is unaffected: the gate holds without an update, so a person's call stands and nothing is restored", async () => {
    const arn = await w.register('credit-default');
    const { decided, call, seen } = await raced(arn, 'Approved');
    expect(decided).toMatchObject({ outcome: 'hold' });
    expect(seen.updates).toBe(0);
    const { client, seen: after } = racing(arn, 99, async () => undefined);
    const result = await gate({ sagemaker: client })(trail(arn, call));
    expect(result).toMatchObject({ outcome: 'concurs', approvalStatus: 'Approved' });
    expect(result.reason).toMatch(/was not set by the gate: nothing to restore/);
    expect(after.updates).toBe(0);
    expect((await w.describe(arn)).ApprovalDescription).toBe(call.description);
    expect((await w.describe(arn)).CustomerMetadataProperties?.[GATE_WRITE_KEY]).toBeUndefined();
  });

  test("a failed call, another account's package, a call that sets no status and a call that is not UpdateModelPackage change nothing", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    const { client, seen } = racing(arn, 99, async () => undefined);
    const g = gate({ sagemaker: client });
    expect(await g(trail(arn, { ...call, id: `${call.id}-denied` }, { errorCode: 'AccessDenied' }))).toMatchObject({
      outcome: 'skipped',
      reason: 'the call failed (AccessDenied): it changed nothing',
    });
    const foreign = arn.replace(ACCOUNT, '210987654321');
    expect(await g(trail(foreign, { ...call, id: `${call.id}-foreign` }))).toMatchObject({
      outcome: 'skipped',
      record: expect.stringMatching(/^unattributable\//),
    });
    // A call that sets no status (a description edit) decides nothing (a person's sending back is restored:
    // restoration-by-status).
    expect(
      await g(
        trail(
          arn,
          { ...call, id: `${call.id}-statusless` },
          { requestParameters: { modelPackageArn: arn, approvalDescription: 'ticket added' } },
        ),
      ),
    ).toMatchObject({ outcome: 'skipped', reason: 'the call set no status: only a status a person sets is restored' });
    expect(await g(trail(arn, { ...call, id: `${call.id}-other` }, { eventName: 'DeleteModelPackage' }))).toMatchObject(
      { outcome: 'skipped' },
    );
    // A package of a group the gate does not govern (its role may not even describe it): not read, not recorded.
    const ungoverned = await w.register('ungoverned-model', { execution: false });
    await personCall(ungoverned, 'Approved');
    const watched = racing(ungoverned, 99, async () => undefined);
    expect(
      await gate({ sagemaker: watched.client })(trail(ungoverned, { ...call, id: `${call.id}-ungoverned` })),
    ).toMatchObject({
      outcome: 'skipped',
      reason: 'ungoverned-model is not a governed package group: the gate never writes to it',
    });
    expect(watched.seen).toMatchObject({ describes: 0, updates: 0 });
    expect(await w.keys(`${base(ungoverned)}`)).toEqual([]);
    expect(seen.updates).toBe(0);
    expect(await w.status(arn)).toBe('Approved');
    expect(await w.keys(`${base(arn)}person/`)).toEqual([]);
    expect(await w.keys(`unattributable/`)).toEqual(expect.arrayContaining([expect.stringMatching(/eb-ct-/)]));
  });
});

describe('a restoration is never lost', () => {
  test('a throttled restoration is pending (recorded, promotion refused) and done on redelivery', async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    const { client, seen } = racing(arn, 99, async () => undefined, 1);
    await expect(gate({ sagemaker: client })(trail(arn, call))).rejects.toThrow(/Rate exceeded/);
    expect(seen.updates).toBe(1);
    expect(await w.status(arn)).toBe('Approved');
    expect(await w.json(`${base(arn)}person/${call.id}.json`)).toMatchObject({ verdict: 'restore' });
    expect(await w.keys(`${base(arn)}person/${call.id}.restored`)).toEqual([]);
    expect(await settled(arn)).toMatch(
      /^Approved, but the approval gate overwrote .*'s Rejected inside its race window and has not restored it yet/,
    );
    // EventBridge retries the delivery: the restoration is made.
    expect(await gate({ sagemaker: client })(trail(arn, call))).toMatchObject({ outcome: 'restore', notified: true });
    expect(seen.updates).toBe(2);
    expect(await w.status(arn)).toBe('Rejected');
    expect(await settled(arn)).toBe('Rejected');
  });

  test("a person's call delivered while the gate's update is still landing waits (recorded, indexed for the sweep) and is restored once it has", async () => {
    const arn = await w.register('fraud-score');
    let early: unknown;
    let call: Call | undefined;
    const { client } = racing(arn, 2, async () => {
      call = await personCall(arn, 'Rejected');
      // CloudTrail delivers the person's call before the gate's update has even been sent.
      early = await gate()(trail(arn, call)).catch((e: Error) => e);
    });
    expect(await approvalGate({ ...w.deps, sagemaker: client, roleName: GATE_ROLE })(stateChange(arn))).toMatchObject({
      outcome: 'approve',
    });
    expect(early).toMatchObject({
      outcome: 'wait',
      reason: expect.stringMatching(
        /round 1's approve is recorded but not yet recorded as applied: the gate's update may still be landing .*judged again by the sweep/,
      ),
    });
    expect(await w.json(`${base(arn)}person/${call!.id}.json`)).toMatchObject({ verdict: 'wait' });
    expect(await settled(arn)).toMatch(/has not restored it yet/);
    expect(await gate()(trail(arn, call!))).toMatchObject({ outcome: 'restore' });
    expect(await w.status(arn)).toBe('Rejected');
    expect(await w.json(`${base(arn)}person/${call!.id}.restored.json`)).toMatchObject({ restored: true });
  });

  test("a person's call overwritten by the restoration itself is restored in turn", async () => {
    const arn = await w.register('fraud-score');
    const { call } = await raced(arn, 'Rejected');
    let second: Call | undefined;
    // The restoration re-reads the package (2nd DescribeModelPackage of its run), then updates: another approver acts
    // between.
    const { client } = racing(arn, 2, async () => {
      second = await personCall(arn, 'Approved', 'second approver: approved');
    });
    expect(await gate({ sagemaker: client })(trail(arn, call))).toMatchObject({ outcome: 'restore' });
    expect(await w.status(arn)).toBe('Rejected');
    const again = await gate()(trail(arn, second!));
    expect(again).toMatchObject({ outcome: 'restore', approvalStatus: 'Approved' });
    expect(await w.json(again.record!)).toMatchObject({
      overwrittenBy: { status: 'Rejected', record: `s3://${w.records}/${base(arn)}person/${call.id}.json` },
    });
    expect(await w.status(arn)).toBe('Approved');
  });
});

test('the round record keeps the decision the restoration undid', async () => {
  const arn = await w.register('fraud-score');
  const { decided, call } = await raced(arn, 'Rejected');
  await gate()(trail(arn, call));
  const round = (await w.record(decided.record!)) as ApprovalRecord;
  expect(round).toMatchObject({ outcome: 'approve', round: 1 });
  expect(await w.json(`${base(arn)}round-1.applied.json`)).toMatchObject({
    applied: true,
    package: { status: 'Approved' },
  });
  expect(await w.status(arn)).toBe('Rejected');
});
