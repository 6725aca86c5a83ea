/**
 * A gate-written Approved counts for promotion only on positive evidence that no person's call crossed it
 * (lambdas/deployment-gate/restorations.ts, trail-evidence.ts): CloudTrail's event history of the window, from the
 * round's re-read to the gate's update (widened by the clocks' allowance), holds the gate's own UpdateModelPackage and
 * no other identity's status-setting call on the package that the approval gate has not settled.
 *
 * Why the absence of a person record is no evidence: it exists only if CloudTrail's event reaches EventBridge, and "in
 * some rare cases an event might not be delivered" (EventBridge User Guide, "Events from AWS services"); CloudTrail's
 * delivery time "is not guaranteed" (CloudTrail User Guide).
 *
 * The approval gate is the real one and every SageMaker and S3 call goes to moto; CloudTrail's history is the fake of
 * test/gates/trail.ts behind a real CloudTrailClient (moto has no LookupEvents), fed by the gate's and the person's
 * calls as they are made. A person's call inside the window is made right after the gate's re-read answered, as in
 * person-race-restore.moto.test.ts.
 */
import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { deploymentGate, DeploymentRecord } from '../../lambdas/deployment-gate/handler';
import { approvalOf, RACE_SETTLE_MINUTES } from '../../lambdas/deployment-gate/restorations';
import { approvalGate, GATE_WRITE_KEY } from '../../lambdas/model-approval-gate/handler';
import { modelPinner } from '../../lambdas/model-pinner/handler';
import { approvalDeps, deploymentDeps, person, pinnerDeps, version } from './promotion';
import { servedChallenger } from './staging';
import { APPROVAL_GATE_ROLE, APPROVAL_GATE_ROLE_NAME, APPROVER_ROLE, FakeTrail, trailOf } from './trail';
import { approvalWorld, ApprovalWorld, stateChange } from './world';
import { GATE_CONFIG } from './fixtures';

let w: ApprovalWorld;
let trail: FakeTrail;
beforeAll(async () => {
  w = await approvalWorld('race-evidence');
  trail = trailOf(w);
}, 60_000);
afterAll(async () => w?.stop());

const settleLater = () => new Date(Date.now() + (RACE_SETTLE_MINUTES + 1) * 60_000);
const groupAndVersion = (arn: string) => arn.split('/').slice(-2) as [string, string];

/** What the deployment gate counts, with CloudTrail's history as the world's (or `client`). */
async function counted(arn: string, now = settleLater(), client = trail.client()) {
  const [group, version] = groupAndVersion(arn);
  return approvalOf(
    { s3: w.s3, recordBucket: w.records, cloudtrail: client, approvalGateRoleName: APPROVAL_GATE_ROLE_NAME },
    group,
    version,
    await w.describe(arn),
    now,
  );
}

/** The gate decides a fresh package; `inside` runs right after its re-read answered (inside its window). */
async function decided(inside?: (arn: string) => Promise<void>) {
  const arn = await w.register('fraud-score');
  const gateClient = approvalDeps(w).sagemaker;
  let describes = 0;
  const racing = new Proxy(gateClient, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        const answer = await target.send(command as DescribeModelPackageCommand);
        if (command instanceof DescribeModelPackageCommand && ++describes === 2 && inside) await inside(arn);
        return answer;
      };
    },
  }) as SageMakerClient;
  expect(await approvalGate({ ...approvalDeps(w), sagemaker: racing })(stateChange(arn))).toMatchObject({
    outcome: 'approve',
    round: 1,
  });
  const gateEvent = trail.lastRecorded!;
  const mark = (await w.describe(arn)).CustomerMetadataProperties![GATE_WRITE_KEY];
  const readAt = Date.parse(mark.split(' ')[0]);
  const applied = (await w.json(`approval/${groupAndVersion(arn).join('/')}/round-1.applied.json`)) as {
    package: { lastModified: string };
  };
  const round = (await w.json(`approval/${groupAndVersion(arn).join('/')}/round-1.json`)) as { decidedAt: string };
  return {
    arn,
    gateEvent,
    mark,
    readAt,
    decidedAt: Date.parse(round.decidedAt),
    updatedAt: Date.parse(applied.package.lastModified),
  };
}

describe('a gate-written Approved with an uncrossed window, shown by the history, counts', () => {
  test("the history holds the gate's own call and nobody else's: Approved, with the evidence", async () => {
    const { arn, gateEvent, mark, readAt, decidedAt, updatedAt } = await decided();
    const result = await counted(arn);
    expect(result.status).toBe('Approved');
    expect(result.evidence).toMatchObject({ gateWrite: mark, gateEvent, settledCalls: [] });
    // The window asked for: EventName UpdateModelPackage, from the re-read (or the round's record before it, if
    // earlier) less 2 s to the update plus 2 s, whole seconds.
    const asked = trail.requests[trail.requests.length - 1];
    expect(asked).toMatchObject({
      target: 'CloudTrail_20131101.LookupEvents',
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateModelPackage' }],
      MaxResults: 50,
    });
    expect(decidedAt).toBeLessThanOrEqual(readAt);
    expect(Number(asked.StartTime) * 1000).toBe(Math.floor((Math.min(readAt, decidedAt) - 2000) / 1000) * 1000);
    expect(Number(asked.EndTime) * 1000).toBe(Math.ceil((updatedAt + 2000) / 1000) * 1000);
    expect(Date.parse(result.evidence!.window.from)).toBeLessThanOrEqual(readAt - 2000);
  });

  test('within the settle period it still waits, history or not (CloudTrail is given its delivery time first)', async () => {
    const { arn } = await decided();
    expect((await counted(arn, new Date())).status).toMatch(
      /^Approved by the approval gate 0 minute\(s\) ago: .* promotion waits 15 minutes$/,
    );
  });

  test("a person's call on another package inside the window is not this package's", async () => {
    const other = await w.register('fraud-score');
    const { arn } = await decided(async () => person(w, other, 'Rejected'));
    expect((await counted(arn)).status).toBe('Approved');
  });

  test("a person's edit that sets no status inside the window, and a failed call, overwrite no decision", async () => {
    const { arn, readAt } = await decided();
    trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt + 100),
      requestParameters: { modelPackageArn: arn, approvalDescription: 'ticket RISK-7' },
    });
    trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt + 200),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
      errorCode: 'AccessDenied',
    });
    expect((await counted(arn)).status).toBe('Approved');
  });

  test('a history of several pages is read to the end (NextToken), and a crossing call on the last page refuses', async () => {
    const { arn, readAt, updatedAt } = await decided();
    const elsewhere = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/credit-default/1';
    // 120 calls on another package in the window: the newest first, so this package's are on the last page.
    for (let i = 0; i < 120; i++)
      trail.record({
        role: APPROVER_ROLE,
        at: new Date(updatedAt + 1000),
        requestParameters: { modelPackageArn: elsewhere, approvalDescription: `edit ${i}` },
      });
    const before = trail.requests.length;
    expect((await counted(arn)).status).toBe('Approved');
    const pages = trail.requests.slice(before);
    expect(pages.map((p) => p.NextToken === undefined)).toEqual([true, false, false]);
    const crossing = trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt - 1000),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    expect((await counted(arn)).status).toMatch(
      new RegExp(
        `CloudTrail's history holds ${APPROVER_ROLE}'s Rejected at .* \\(event ${crossing}\\) inside its window`,
      ),
    );
  });
});

describe("a person's call inside the window: refused until the approval gate has settled it", () => {
  test("a person's Rejected that CloudTrail recorded but EventBridge never delivered (no person record) is refused, long after the settle period", async () => {
    const { arn, call } = await crossedOn();
    expect(await w.status(arn)).toBe('Approved');
    expect(await w.keys(`approval/${groupAndVersion(arn).join('/')}/person/`)).toEqual([]);
    const result = await counted(arn, new Date(Date.now() + 24 * 3600_000));
    expect(result.status).toMatch(
      new RegExp(
        `^Approved by the approval gate's round 1, but CloudTrail's history holds ${APPROVER_ROLE}'s Rejected at \\S+ \\(event ${call}\\) inside its window \\(\\S+ to \\S+\\), which the approval gate has not recorded yet: a person's decision may have been overwritten$`,
      ),
    );
    // Once delivered, the approval gate restores the person's Rejected: the package is Rejected, nothing to promote.
    expect(await approvalGate(approvalDeps(w))(trail.delivered(call))).toMatchObject({
      outcome: 'restore',
      approvalStatus: 'Rejected',
    });
    expect((await counted(arn)).status).toBe('Rejected');
  });

  test("a person's Approved inside the window, its own event not delivered: refused; recorded by the approval gate: counted", async () => {
    const { arn, call } = await crossedOn('Approved');
    expect((await counted(arn)).status).toMatch(/Approved at .* which the approval gate has not recorded yet/);
    expect(await approvalGate(approvalDeps(w))(trail.delivered(call))).toMatchObject({ outcome: 'concurs' });
    const result = await counted(arn);
    expect(result.status).toBe('Approved');
    expect(result.evidence!.settledCalls).toEqual([
      expect.objectContaining({ eventId: call, status: 'Approved', verdict: 'concurs' }),
    ]);
  });

  test("a crossing Rejected followed by a person's edit that sets no status is still refused (the edit decides nothing)", async () => {
    const { arn, call } = await crossedOn();
    await new Promise((r) => setTimeout(r, 5));
    // The edit sets no status (ModelApprovalStatus is optional in UpdateModelPackage, SageMaker API Reference):
    // CloudTrail records it without one. moto clears the status of an update that names none, where SageMaker keeps it,
    // so moto is sent the status the package has (the state SageMaker would leave).
    const current = await w.describe(arn);
    const description = `${current.ApprovalDescription} (ticket RISK-9)`;
    trail.record({
      role: APPROVER_ROLE,
      at: new Date(),
      requestParameters: { modelPackageArn: arn, approvalDescription: description },
    });
    await w.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arn,
        ModelApprovalStatus: current.ModelApprovalStatus,
        ApprovalDescription: description,
        CustomerMetadataProperties: current.CustomerMetadataProperties,
      }),
    );
    expect((await w.describe(arn)).LastModifiedTime!.getTime()).toBeGreaterThan(current.LastModifiedTime!.getTime());
    // Not delivered yet: refused. Delivered: whatever the approval gate makes of it, the person's Rejected is not
    // promoted.
    expect((await counted(arn)).status).toMatch(/which the approval gate has not recorded yet/);
    await approvalGate(approvalDeps(w))(trail.delivered(call)).catch(() => undefined);
    const after = await counted(arn);
    expect(after.status).not.toBe('Approved');
    if ((await w.status(arn)) === 'Approved')
      expect(after.status).toMatch(new RegExp(`\\(event ${call}\\) inside its window .* judged \`\\w+\``));
  });

  test("a person's call at the window's edges, as CloudTrail's whole seconds put it, counts as inside", async () => {
    const { arn, readAt, updatedAt } = await decided();
    // Made 0.9 s before the re-read was sent: its second may begin up to 1.9 s before; the window reaches 2 s back.
    const early = trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt - 900),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    expect((await counted(arn)).status).toMatch(new RegExp(`\\(event ${early}\\) inside its window`));
    trail.hide(early);
    // Recorded at the second after the update (CloudTrail's clock may run ahead): inside.
    const late = trail.record({
      role: APPROVER_ROLE,
      at: new Date(updatedAt + 1500),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    expect((await counted(arn)).status).toMatch(new RegExp(`\\(event ${late}\\) inside its window`));
    trail.hide(late);
    // Well outside on either side: not in the window (the gate saw the earlier; the later is a person's own decision).
    trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt - 4000),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    trail.record({
      role: APPROVER_ROLE,
      at: new Date(updatedAt + 4000),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    expect((await counted(arn)).status).toBe('Approved');
  });
});

describe('a history that cannot show the window uncrossed: refused, with the reason', () => {
  test("the history does not (yet) hold the gate's own call: it does not cover the window", async () => {
    const { arn, gateEvent } = await decided();
    trail.hide(gateEvent);
    expect((await counted(arn)).status).toMatch(
      /^Approved by the approval gate's round 1, but CloudTrail's event history of \S+ to \S+ holds no UpdateModelPackage of the approval gate's setting Approved on the package \(\d+ UpdateModelPackage event\(s\) read\): the history does not cover the window yet/,
    );
    trail.deliver(gateEvent);
    expect((await counted(arn)).status).toBe('Approved');
  });

  test("a call of the gate's role that set another status, or carries another write's mark, is not the gate's call for this write", async () => {
    const { arn, gateEvent, readAt, mark } = await decided();
    trail.hide(gateEvent);
    trail.record({
      role: APPROVAL_GATE_ROLE,
      at: new Date(readAt + 50),
      requestParameters: { modelPackageArn: arn, modelApprovalStatus: 'Rejected' },
    });
    trail.record({
      role: APPROVAL_GATE_ROLE,
      at: new Date(readAt + 60),
      requestParameters: {
        modelPackageArn: arn,
        modelApprovalStatus: 'Approved',
        customerMetadataProperties: { [GATE_WRITE_KEY]: `${mark}-another` },
      },
    });
    expect((await counted(arn)).status).toMatch(/holds no UpdateModelPackage of the approval gate's setting Approved/);
  });

  test('LookupEvents throttled past its retries (two requests a second per account and Region) or denied: refused, saying so', async () => {
    const { arn } = await decided();
    trail.failures.push(
      { type: 'ThrottlingException', message: 'Rate exceeded' },
      { type: 'ThrottlingException', message: 'Rate exceeded' },
    );
    expect((await counted(arn)).status).toMatch(
      /^Approved by the approval gate's round 1, but CloudTrail's event history of \S+ to \S+ could not be read \(ThrottlingException: Rate exceeded\)/,
    );
    trail.failures.push({
      type: 'AccessDeniedException',
      message: 'not authorized to perform: cloudtrail:LookupEvents',
    });
    expect((await counted(arn, settleLater(), trail.client(1))).status).toMatch(
      /could not be read \(AccessDeniedException: not authorized to perform: cloudtrail:LookupEvents\)/,
    );
    // One throttled answer, then the SDK's retry is answered: counted.
    trail.failures.push({ type: 'ThrottlingException', message: 'Rate exceeded' });
    expect((await counted(arn)).status).toBe('Approved');
  });

  test("a gate-write mark set by hand is never taken for the gate's: one naming no update of the gate's to this package, or another re-read time", async () => {
    const { arn, mark } = await decided();
    const [group, v] = groupAndVersion(arn);
    const current = await w.describe(arn);
    const forge = async (value: string) => {
      // moto clears a status not sent; SageMaker keeps it: the status is sent unchanged.
      await w.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: 'Approved',
          CustomerMetadataProperties: { ...current.CustomerMetadataProperties, [GATE_WRITE_KEY]: value },
        }),
      );
      return (await counted(arn)).status;
    };
    const names = /mark \(.*\) names no update of the approval gate's to this package/;
    expect(await forge(`2026-01-01T00:00:00.000Z s3://${w.records}/approval/${group}/999/round-1.json`)).toMatch(names);
    expect(
      await forge(`2026-01-01T00:00:00.000Z s3://${w.records}/approval/${group}/${v}/person/not-a-restoration.json`),
    ).toMatch(names);
    expect(await forge('written by hand')).toMatch(names);
    // This package's round, another time: the gate's own call carries the real mark, so none matches the forged one.
    expect(
      await forge(`${new Date(Date.parse(mark.split(' ')[0]) - 60_000).toISOString()} ${mark.split(' ')[1]}`),
    ).toMatch(/holds no UpdateModelPackage of the approval gate's setting Approved/);
    expect(await forge(mark)).toBe('Approved');
  });

  test("a gate-write mark removed by a person's edit that sets no status: the latest round is taken for the gate's write and its window still read", async () => {
    const unmark = async (arn: string) => {
      const current = await w.describe(arn);
      const { [GATE_WRITE_KEY]: _removed, ...kept } = current.CustomerMetadataProperties ?? {};
      // CustomerMetadataPropertiesToRemove, in a call that sets no status; moto clears what an update does not name,
      // so it is sent the status and the metadata SageMaker would keep.
      trail.record({
        role: APPROVER_ROLE,
        at: new Date(),
        requestParameters: { modelPackageArn: arn, customerMetadataPropertiesToRemove: [GATE_WRITE_KEY] },
      });
      await w.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: arn,
          ModelApprovalStatus: current.ModelApprovalStatus,
          CustomerMetadataProperties: kept,
        }),
      );
      expect((await w.describe(arn)).CustomerMetadataProperties?.[GATE_WRITE_KEY]).toBeUndefined();
    };
    const crossing = await crossedOn();
    await unmark(crossing.arn);
    expect((await counted(crossing.arn)).status).toMatch(
      new RegExp(`\\(event ${crossing.call}\\) inside its window .* which the approval gate has not recorded yet`),
    );
    const clean = await decided();
    await unmark(clean.arn);
    expect((await counted(clean.arn, new Date())).status).toMatch(
      /mark removed, 0 minute\(s\) after the last update: promotion waits 15 minutes/,
    );
    expect((await counted(clean.arn)).status).toBe('Approved');
  });

  test('an event whose record is not JSON, or that names no package, cannot be told apart: refused', async () => {
    const { arn, readAt } = await decided();
    const noPackage = trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt + 10),
      requestParameters: { modelApprovalStatus: 'Rejected' },
    });
    expect((await counted(arn)).status).toMatch(
      new RegExp(`CloudTrail event ${noPackage} in \\S+ to \\S+ \\(an UpdateModelPackage\\) names no package`),
    );
    trail.hide(noPackage);
    const damaged = trail.record({
      role: APPROVER_ROLE,
      at: new Date(readAt + 20),
      requestParameters: {},
      raw: '{"eventSource":"sagemaker.amazonaws.com","eventName":"UpdateModelPa',
    });
    expect((await counted(arn)).status).toMatch(
      new RegExp(
        `CloudTrail event ${damaged} in \\S+ to \\S+ is not readable JSON, so whose call it was cannot be told`,
      ),
    );
    trail.hide(damaged);
    expect((await counted(arn)).status).toBe('Approved');
  });

  test("a write older than CloudTrail's 90 days of history cannot be shown uncrossed: refused without asking", async () => {
    const { arn } = await decided();
    const before = trail.requests.length;
    expect((await counted(arn, new Date(Date.now() + 91 * 86_400_000))).status).toMatch(
      /older than the 90 days CloudTrail's event history keeps/,
    );
    expect(trail.requests.length).toBe(before);
  });

  test('without a CloudTrail client (or the gate role name) a gate-written Approved never counts', async () => {
    const { arn } = await decided();
    const [group, v] = groupAndVersion(arn);
    const without = await approvalOf(
      { s3: w.s3, recordBucket: w.records },
      group,
      v,
      await w.describe(arn),
      settleLater(),
    );
    expect(without.status).toMatch(
      /CloudTrail's event history is not read here, so no evidence shows that no person's call crossed it/,
    );
  });

  test("a person's Approved after the gate's Rejected is the person's: counted without the gate's window", async () => {
    const arn = await version(w, 'fraud-score', { auc: 0.5, status: 'Approved', pin: false });
    expect((await w.describe(arn)).CustomerMetadataProperties?.[GATE_WRITE_KEY]).toMatch(/round-1\.json$/);
    const before = trail.requests.length;
    expect((await counted(arn)).status).toBe('Approved');
    expect(trail.requests.length).toBe(before);
  });
});

describe('the deployment gate itself: pass or fail, the reason and the record', () => {
  async function served(name: string, arn: string) {
    await servedChallenger(w, name, arn);
    return { requestId: `exec-${name}`, modelPackageArn: arn, stagingEndpointName: name };
  }
  const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
  const record = async (key: string) =>
    JSON.parse(
      await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
    ) as DeploymentRecord;

  test('an uncrossed window passes, and the record keeps the evidence it counted on', async () => {
    const arn = await version(w, 'fraud-score');
    const result = await deploymentGate(deploymentDeps(w, { now: afterBake }))(await served('race-clean', arn));
    expect(result).toMatchObject({ pass: true, answer: 1 });
    const rec = await record(result.record!);
    expect(rec.inputs.approval).toMatchObject({
      gateWrite: expect.stringMatching(/round-1\.json$/),
      gateEvent: expect.any(String),
      settledCalls: [],
    });
  });

  test("a crossing person's Rejected not delivered: the promotion fails, and the record says why", async () => {
    const { arn, call } = await crossedOn();
    await modelPinner(pinnerDeps(w))(stateChange(arn, 'Approved'));
    const result = await deploymentGate(deploymentDeps(w, { now: afterBake }))(await served('race-crossed', arn));
    expect(result.pass).toBe(false);
    const why = new RegExp(
      `the model package is Approved by the approval gate's round 1, but CloudTrail's history holds .*'s Rejected .* \\(event ${call}\\) inside its window .*, not Approved`,
    );
    expect(result.reasons.join('\n')).toMatch(why);
    const rec = await record(result.record!);
    expect(rec).toMatchObject({ pass: false, schema: 'deployment-decision/2' });
    expect(rec.reasons.join('\n')).toMatch(why);
    expect(rec.inputs.approval).toBeUndefined();
  });
});

/** A person's call crossing the gate's: made on moto (and so recorded by CloudTrail) right after the gate's re-read. */
async function crossedOn(status: 'Approved' | 'Rejected' = 'Rejected') {
  let call: string | undefined;
  const d = await decided(async (arn) => {
    await person(w, arn, status, `model-risk approver: ${status}`);
    call = trail.lastRecorded;
  });
  return { ...d, call: call! };
}
