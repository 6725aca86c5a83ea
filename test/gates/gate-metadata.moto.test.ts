/**
 * The gate's own metadata keys (`gate-decision`, `gate-outcome`, `gate-round`) are the gate's to write.
 * CreateModelPackage accepts any CustomerMetadataProperties, so a registrant can preset them (SageMaker API Reference,
 * CreateModelPackage). A package registered with any `gate-*` key is never approved by the gate: it holds, naming the
 * keys; a rejection stands. The gate's own keys from an earlier round do not hold a later one. Against moto: status,
 * record and reason.
 */
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { evaluation } from './fixtures';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('gate-metadata');
}, 60_000);
afterAll(async () => w?.stop());

describe("a registrant cannot preset the gate's marks", () => {
  test('a package that would be approved, registered with gate-decision and gate-outcome, holds for a person and says why', async () => {
    const spoof = `s3://${w.records}/approval/fraud-score/1/round-1.json`;
    const arn = await w.register('fraud-score', { metadata: { 'gate-decision': spoof, 'gate-outcome': 'approve' } });
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'hold', approvalStatus: 'PendingManualApproval', round: 1 });
    expect(await w.status(arn)).toBe('PendingManualApproval');
    const rec = await w.record(result.record!);
    expect(rec.reasons).toEqual([
      "the package was registered with the gate's own metadata keys (gate-decision, gate-outcome); only the gate sets them, so a person reviews it",
    ]);
    expect(rec.checks.find((c) => c.name === 'gate metadata')).toMatchObject({ passed: false, severity: 'warn' });
  });

  test('a package the gate rejects, registered with gate-round, is still rejected, the keys named among the reasons', async () => {
    const arn = await w.register('fraud-score', {
      reports: { ...GOOD, evaluation: evaluation(0.55) },
      metadata: { 'gate-round': '7' },
    });
    const result = await approvalGate(w.deps)(stateChange(arn));
    expect(result).toMatchObject({ outcome: 'reject', approvalStatus: 'Rejected' });
    expect(await w.status(arn)).toBe('Rejected');
    expect((await w.record(result.record!)).reasons).toContain(
      "the package was registered with the gate's own metadata keys (gate-round); only the gate sets them, so a person reviews it",
    );
  });

  test("the gate's own keys from round 1 do not hold round 2 (a person sent the package back)", async () => {
    const arn = await w.register('fraud-score');
    const first = await approvalGate(w.deps)(stateChange(arn));
    expect(first).toMatchObject({ outcome: 'approve', round: 1 });
    expect((await w.describe(arn)).CustomerMetadataProperties).toMatchObject({ 'gate-round': '1' });
    await w.person(arn, 'PendingManualApproval');
    const second = await approvalGate(w.deps)(stateChange(arn));
    expect(second).toMatchObject({ outcome: 'approve', approvalStatus: 'Approved', round: 2 });
    expect((await w.record(second.record!)).checks.some((c) => c.name === 'gate metadata')).toBe(false);
  });
});
