/**
 * Disparate impact is checked from both sides (four-fifths rule:
 * minDisparateImpact <= DI <= 1 / minDisparateImpact, so 0.8 <= DI <= 1.25):
 * a facet favoured far above the rest is as unfair as one far below. Each
 * case asserts the final status, the record and the reason.
 */
import { approvalGate, ApprovalRecord } from '../../lambdas/model-approval-gate/handler';
import { bias } from './fixtures';
import { approvalWorld, ApprovalWorld, GOOD, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('fairness');
}, 60_000);
afterAll(async () => w?.stop());

async function judge(di: number) {
  const arn = await w.register('fraud-score', {
    reports: { ...GOOD, bias: bias({ sex: [['female', di]], age_band: [['18-25', 0.95]] }) },
  });
  const result = await approvalGate(w.deps)(stateChange(arn));
  const rec = (await w.record(result.record!)) as ApprovalRecord;
  return { result, rec, status: await w.status(arn), reasons: rec.reasons.join('\n') };
}

test.each([
  [40, /disparate impact for sex = female is 40, above 1.25 \(1\/0.8\)/],
  [1.2500001, /disparate impact for sex = female is 1.2500001, above 1.25/],
  [0.79, /disparate impact for sex = female is 0.79, below 0.8/],
])('a disparate impact of %s is rejected', async (di, reason) => {
  const { result, rec, status, reasons } = await judge(di);
  expect(result.outcome).toBe('reject');
  expect(status).toBe('Rejected');
  expect(rec.checks.find((c) => c.name === 'disparate impact (sex) = female')).toMatchObject({
    passed: false,
    value: di,
    threshold: '>= 0.8 and <= 1.25',
  });
  expect(reasons).toMatch(reason);
});

test.each([0.8, 1, 1.25])(
  'a disparate impact of %s (within the four-fifths band, bounds included) is approved',
  async (di) => {
    const { result, rec, status } = await judge(di);
    expect(result.outcome).toBe('approve');
    expect(status).toBe('Approved');
    expect(rec.checks.find((c) => c.name === 'disparate impact (sex) = female')).toMatchObject({
      passed: true,
      value: di,
    });
  },
);
