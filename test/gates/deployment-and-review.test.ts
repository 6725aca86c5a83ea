/** Deployment gate and review reminder: pure policies, exact boundaries, fail-closed cases. */
import { decideDeployment, DeploymentInputs } from '../../lambdas/deployment-gate/policy';
import { addMonths, dueForReview } from '../../lambdas/review-reminder/policy';
import { CLASSIFIER, evaluation, GATE_CONFIG, okReport, REGRESSOR, regressionEvaluation } from './fixtures';

const NOW = new Date('2026-11-23T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const POLICY = GATE_CONFIG.deployment; // 60-minute bake, 0.01 tolerance

const inputs = (patch: Partial<DeploymentInputs> = {}): DeploymentInputs => ({
  model: CLASSIFIER,
  approvalStatus: 'Approved',
  alarms: [
    { name: 'fraud-score-staging-5xx', state: 'OK', stateUpdated: minutesAgo(600) },
    { name: 'fraud-score-staging-p99-latency', state: 'OK', stateUpdated: minutesAgo(61) },
  ],
  challengerEvaluation: okReport(evaluation(0.9)),
  champions: [{ label: 'version 3 (served by prod)', evaluation: okReport(evaluation(0.905)) }],
  serving: { ok: true, variant: 'champion', detail: 'serves the package', liveSince: minutesAgo(120) },
  artifacts: [],
  invocations: { count: 500 },
  now: NOW,
  ...patch,
});

describe('deployment gate policy', () => {
  test('passes an approved package on a quiet staging endpoint that matches its champion within tolerance', () => {
    expect(decideDeployment(POLICY, inputs())).toMatchObject({ pass: true, reasons: ['every promotion check passed'] });
  });

  test.each<[string, Partial<DeploymentInputs>, RegExp]>([
    ['package pending', { approvalStatus: 'PendingManualApproval' }, /is PendingManualApproval, not Approved/],
    ['package rejected', { approvalStatus: 'Rejected' }, /is Rejected, not Approved/],
    ['package status unknown', { approvalStatus: undefined }, /is unknown, not Approved/],
    ['ungoverned model', { model: undefined }, /not governed/],
    ['no alarms at all', { alarms: [] }, /no alarm watches the staging endpoint/],
    ['alarms unreadable', { alarms: { error: 'AccessDenied' } }, /could not be read: AccessDenied/],
    [
      'an alarm firing',
      { alarms: [{ name: 'a', state: 'ALARM', stateUpdated: minutesAgo(600) }] },
      /a is ALARM, not OK/,
    ],
    [
      'an alarm without data',
      { alarms: [{ name: 'a', state: 'INSUFFICIENT_DATA', stateUpdated: minutesAgo(600) }] },
      /INSUFFICIENT_DATA, not OK/,
    ],
    [
      'OK for 59 minutes of a 60-minute bake',
      { alarms: [{ name: 'a', state: 'OK', stateUpdated: minutesAgo(59) }] },
      /less than the 60-minute bake period/,
    ],
    [
      'current config live for 59 minutes of a 60-minute bake',
      { serving: { ok: true, variant: 'champion', detail: 'serves', liveSince: minutesAgo(59) } },
      /went live at 2026-11-23T11:01:00.000Z, after the 60-minute bake period began at 2026-11-23T11:00:00.000Z/,
    ],
    [
      'current config live since an unknown time',
      { serving: { ok: true, variant: 'champion', detail: 'serves', liveSince: new Date(Number.NaN) } },
      /went live at an unknown time/,
    ],
    [
      'challenger worse than champion beyond tolerance',
      { challengerEvaluation: okReport(evaluation(0.894)) },
      /worse than the champion's 0.905 \(version 3 \(served by prod\)\) by more than 0.01/,
    ],
    [
      'challenger worse than one of two champions (the request cannot pick the weaker)',
      {
        champions: [
          { label: 'version 3 (served by prod)', evaluation: okReport(evaluation(0.8)) },
          { label: 'version 5 (the latest Approved version before it)', evaluation: okReport(evaluation(0.95)) },
        ],
      },
      /worse than the champion's 0.95 \(version 5/,
    ],
    [
      'challenger report unreadable',
      { challengerEvaluation: { status: 'missing', reason: 'the model package names no such report' } },
      /challenger evaluation: the model package names no such report/,
    ],
    [
      'champion report malformed',
      { champions: [{ label: 'version 3', evaluation: okReport(evaluation('high')) }] },
      /champion evaluation \(version 3\): .* is not a number/,
    ],
    [
      'champion evaluation not read by the approval gate',
      {
        champions: [
          { label: 'version 3', evaluation: { status: 'missing', reason: 'no approval round read its evaluation' } },
        ],
      },
      /champion evaluation \(version 3\): no approval round read its evaluation/,
    ],
    [
      'a pairing problem',
      { pairingProblems: ['the champion version 3 is Rejected, not Approved'] },
      /version 3 is Rejected/,
    ],
  ])('fails: %s', (_name, patch, reason) => {
    const decision = decideDeployment(POLICY, inputs(patch));
    expect(decision.pass).toBe(false);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  test('exact boundaries: OK for exactly the bake period, and exactly at the tolerance, pass', () => {
    const decision = decideDeployment(
      POLICY,
      inputs({
        alarms: [{ name: 'a', state: 'OK', stateUpdated: minutesAgo(60) }],
        challengerEvaluation: okReport(evaluation(0.895)),
      }),
    );
    expect(decision.pass).toBe(true);
  });

  test('the first deployment, with no champion, is judged on the rest', () => {
    expect(decideDeployment(POLICY, inputs({ champions: [] })).pass).toBe(true);
  });

  test('a regression challenger is compared on R2', () => {
    const decision = decideDeployment(
      POLICY,
      inputs({
        model: REGRESSOR,
        challengerEvaluation: okReport(regressionEvaluation(0.7)),
        champions: [{ label: 'version 2', evaluation: okReport(regressionEvaluation(0.75)) }],
      }),
    );
    expect(decision.reasons).toEqual([
      "challenger R2 0.7 is worse than the champion's 0.75 (version 2) by more than 0.01",
    ]);
  });
});

describe('review reminder policy', () => {
  const models = GATE_CONFIG.models;
  const approved = (id: string, iso: string | undefined) => new Map([[id, iso ? new Date(iso) : undefined]]);

  test('a high-risk model approved three months ago to the day is due; one day less is not', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    expect(
      dueForReview(models, 'high', 3, approved('credit-default', '2026-08-23T00:00:00Z'), now).map((d) => d.model.id),
    ).toEqual(['credit-default']);
    expect(dueForReview(models, 'high', 3, approved('credit-default', '2026-08-24T00:00:00Z'), now)).toEqual([]);
  });

  test('a model never approved is not in production and not due', () => {
    expect(dueForReview(models, 'high', 3, approved('credit-default', undefined), NOW)).toEqual([]);
  });

  test('only models of the tier are considered', () => {
    expect(dueForReview(models, 'low', 12, approved('credit-default', '2020-01-01T00:00:00Z'), NOW)).toEqual([]);
  });

  test('months are calendar months, clamped at month ends', () => {
    expect(addMonths(new Date('2026-11-30T00:00:00Z'), 3).toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(addMonths(new Date('2026-01-31T00:00:00Z'), 6).toISOString()).toBe('2026-07-31T00:00:00.000Z');
  });
});
