/**
 * A hold never touches a person's decision: the gate sends no
 * UpdateModelPackage for a hold (the package is already pending), so a
 * person's Approved or Rejected made at any moment of the gate's run stands,
 * including inside the window between the gate's re-read and the moment it
 * would have written (SageMaker's UpdateModelPackage has no condition, so any
 * update sent there would overwrite the person). Every high-risk package is
 * held, so every high-risk package is covered.
 *
 * The person's update is injected right after the gate's last read of the
 * package (the re-read before the write). The client only observes and
 * injects; every call still goes to moto. Each case asserts the final status,
 * the record and the reason.
 */
import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { AppliedRecord, approvalGate, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('person-race');
}, 60_000);
afterAll(async () => w?.stop());

/** A client that lets a person act right after the gate's n-th DescribeModelPackage, and counts the gate's updates. */
function racing(arn: string, afterDescribe: number, act: () => Promise<void>) {
  const seen = { describes: 0, updates: 0, acted: false };
  const client = new Proxy(w.sagemaker, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown) => {
        if (command instanceof UpdateModelPackageCommand) seen.updates++;
        const answer = await target.send(command as DescribeModelPackageCommand);
        if (
          command instanceof DescribeModelPackageCommand &&
          command.input.ModelPackageName === arn &&
          ++seen.describes === afterDescribe &&
          !seen.acted
        ) {
          seen.acted = true;
          await act();
        }
        return answer;
      };
    },
  }) as SageMakerClient;
  return { client, seen };
}

const roundKeys = async (arn: string) => w.keys(`approval/${arn.split('/').slice(-2).join('/')}/`);

describe('a hold sends no update, so a person deciding inside the window keeps the decision', () => {
  test.each([
    ['approves', 'Approved'],
    ['rejects', 'Rejected'],
  ] as const)(
    'a person who %s a high-risk package right after the re-read keeps the decision',
    async (_verb, status) => {
      const arn = await w.register('credit-default');
      // The gate reads the package (1), then re-reads it right before it would write (2): the person acts then.
      const { client, seen } = racing(arn, 2, () => w.person(arn, status, `model-risk approver: ${status}`));
      const result = await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
      expect(seen.acted).toBe(true);
      expect(seen.updates).toBe(0);
      expect(result).toMatchObject({ outcome: 'hold', round: 1 });
      expect(await w.status(arn)).toBe(status);
      expect((await w.describe(arn)).ApprovalDescription).toBe(`model-risk approver: ${status}`);
      const rec = (await w.record(result.record!)) as ApprovalRecord;
      expect(rec).toMatchObject({ outcome: 'hold', approvalStatus: 'PendingManualApproval', round: 1 });
      expect(rec.reasons.join(' ')).toMatch(/high-risk model is approved only by a person/);
      const applied = (await w.json(result.record!.replace(/\.json$/, '.applied.json'))) as unknown as AppliedRecord;
      expect(applied).toMatchObject({ applied: true, reason: expect.stringMatching(/no update sent/) });
    },
  );

  test('a person who approves a held medium-risk package (a hand registration) while the gate holds it keeps the decision', async () => {
    const arn = await w.register('fraud-score', { execution: false });
    const { client, seen } = racing(arn, 2, () => w.person(arn, 'Approved', 'model-risk approver: reviewed by hand'));
    const result = await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
    expect(seen.updates).toBe(0);
    expect(result.outcome).toBe('hold');
    expect(await w.status(arn)).toBe('Approved');
    const rec = (await w.record(result.record!)) as ApprovalRecord;
    expect(rec.provenance.kind).toBe('hand-registered');
    expect(rec.reasons.join(' ')).toMatch(/hand-registered/);
  });

  test('a hold leaves the package as registered: no gate update, no gate metadata, and the notice still goes out once', async () => {
    const arn = await w.register('credit-default');
    const before = await w.describe(arn);
    const { client, seen } = racing(arn, 99, async () => undefined);
    const first = await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
    expect(first).toMatchObject({ outcome: 'hold', notified: true });
    const after = await w.describe(arn);
    expect(seen.updates).toBe(0);
    expect(after.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(after.CustomerMetadataProperties).toEqual(before.CustomerMetadataProperties);
    expect(new Date(after.LastModifiedTime!).getTime()).toBe(new Date(before.LastModifiedTime!).getTime());
    // The redelivered event is recognised as this round: nothing new is decided or sent.
    const again = await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
    expect(again).toMatchObject({ outcome: 'hold', round: 1, replayed: true, notified: true });
    expect(seen.updates).toBe(0);
    expect((await roundKeys(arn)).map((k) => k.split('/').pop())).toEqual([
      'round-1.applied.json',
      'round-1.json',
      'round-1.notified.json',
    ]);
  });

  test('a person who rejects a held package and re-opens it starts round 2, still without a gate update', async () => {
    const arn = await w.register('credit-default');
    const { client, seen } = racing(arn, 99, async () => undefined);
    await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
    await w.person(arn, 'Rejected');
    await w.person(arn, 'PendingManualApproval', 'reopened for review');
    const second = await approvalGate({ ...w.deps, sagemaker: client })(stateChange(arn));
    expect(second).toMatchObject({ outcome: 'hold', round: 2 });
    expect(seen.updates).toBe(0);
    expect(await w.status(arn)).toBe('PendingManualApproval');
    expect((await w.describe(arn)).ApprovalDescription).toBe('reopened for review');
  });
});
