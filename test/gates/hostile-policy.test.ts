/** Pure pieces the gates rest on: strict JSON, metric domains, PSI edge cases and reason digits. */
import { decideApproval } from '../../lambdas/model-approval-gate/policy';
import { inDomain, populationStabilityIndex, shown } from '../../lambdas/shared/reports';
import { parseStrictJson, visible } from '../../lambdas/shared/strict-json';
import { CLASSIFIER, goodInputs, PIPELINE_CONTEXT, TIERS } from './fixtures';

describe('strict JSON', () => {
  test.each([
    ['{"a": 1, "a": 2}', /key "a" twice in one object \(at the top level\)/],
    ['{"m": {"auc": {"value": 0.41}, "auc": {"value": 0.93}}}', /key "auc" twice in one object \(at m\)/],
    ['{"m": [{"x": 1}, {"y": 1, "y": 2}]}', /key "y" twice in one object \(at m\[1\]\)/],
    ['{"a\\u0062": 1, "ab": 2}', /key "ab" twice/],
    ['\ufeff{"a": 1}', /byte-order mark \(U\+FEFF\)/],
    ['{"a": 1,}', /is not valid JSON/],
  ])('%s is refused with a reason', (text, reason) => {
    const parsed = parseStrictJson(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
    expect(!parsed.ok && parsed.reason).not.toMatch(/\ufeff/);
  });

  test.each([
    '{"a": {"b": 1}, "b": {"a": 2}}',
    '{"s": "a, \\"a\\": 1", "a": 2}',
    '[{"a": 1}, {"a": 2}]',
    '{"":1, " ":2}',
  ])('%s is accepted: equal keys in different objects, keys inside strings', (text) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, json: JSON.parse(text) });
  });

  test('invisible characters in a reason are shown as escapes', () => {
    expect(visible('a\u200bb\ufeffc\u0000')).toBe('a\\u200bb\\ufeffc\\u0000');
  });
});

describe('metric domains', () => {
  test.each([
    ['auc', 1, true],
    ['auc', 0, true],
    ['auc', 1.0000001, false],
    ['f1', -0.0001, false],
    ['r2', 1, true],
    ['r2', -5, true],
    ['r2', 1.01, false],
    ['rmse', 0, true],
    ['rmse', -1e-9, false],
    ['di', 0, true],
    ['di', -0.1, false],
  ])('%s %d in domain: %s', (name, value, ok) => {
    expect(inDomain(name as string, value as number).ok).toBe(ok);
  });
});

describe('PSI', () => {
  const bin = (lower: number, upper: number, count: number) => ({ lower, upper, count });
  test('a constant baseline against a spread sample is large, not 0', () => {
    expect(populationStabilityIndex([bin(5, 5, 100)], [bin(0, 10, 100)])).toBeGreaterThan(1);
  });
  test('a constant baseline against the same constant is 0', () => {
    expect(populationStabilityIndex([bin(5, 5, 100)], [bin(5, 5, 40)])).toBeCloseTo(0, 12);
  });
  test('a one-bin baseline against values outside its range is large', () => {
    expect(populationStabilityIndex([bin(0, 1, 100)], [bin(2, 3, 100)])).toBeGreaterThan(1);
  });
  test('values beyond the baseline range are drift, not folded into its edge bins', () => {
    const base = [bin(0, 1, 50), bin(1, 2, 50)];
    expect(populationStabilityIndex(base, [bin(0, 1, 50), bin(1, 2, 40), bin(5, 6, 10)])).toBeGreaterThan(0.25);
  });
});

describe('reasons show enough digits to differ from the threshold', () => {
  test.each([
    [0.69999, 0.7, '0.69999'],
    [0.699999999, 0.7, '0.699999999'],
    [0.7, 0.7, '0.7'],
    [0.912345678, 0.75, '0.9123'],
  ])('%d against %d reads %s', (x, t, text) => {
    expect(shown(x, t)).toBe(text);
  });

  test('an AUC a hair under the floor says so with the digits', () => {
    const inputs = goodInputs();
    const decision = decideApproval(
      CLASSIFIER,
      TIERS,
      {
        ...inputs,
        evaluation: {
          ...inputs.evaluation,
          json: { binary_classification_metrics: { auc: { value: 0.7499999 }, f1: { value: 0.8 } } },
        } as never,
      },
      PIPELINE_CONTEXT,
    );
    expect(decision.reasons).toEqual(['AUC 0.7499999 is below the floor 0.75']);
  });
});
