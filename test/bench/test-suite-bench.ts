/**
 * The test suite's wall time, as `npm test` runs it from a warm node_modules,
 * with the number of tests and of assertions (expect() calls, recorded by
 * test/support/count-assertions.js) so that a faster suite can show it kept
 * every assertion. BENCH_TEST_ARGS adds jest arguments (e.g. a path filter).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measure, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const TARGETS = { maxWallSeconds: 60 };

export async function benchTestSuite(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-bench-tests-'));
  const log = path.join(work, 'assertions.jsonl');
  const report = path.join(work, 'jest.json');
  const extra = (process.env.BENCH_TEST_ARGS ?? '').split(/\s+/).filter(Boolean);
  const loadBefore = os.loadavg()[0];
  const run = await measure(path.join(ROOT, 'node_modules', '.bin', 'jest'), ['--ci', '--silent', '--json', `--outputFile=${report}`, ...extra], {
    cwd: ROOT,
    env: { ...process.env, ESTATE_ASSERTION_LOG: log },
  });
  const jest = JSON.parse(fs.readFileSync(report, 'utf8'));
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { assertions: number });
  const files = (jest.testResults as Array<{ name: string; startTime: number; endTime: number }>)
    .map((r) => ({ file: path.relative(ROOT, r.name), seconds: round((r.endTime - r.startTime) / 1000, 1) }))
    .sort((a, b) => b.seconds - a.seconds);
  fs.rmSync(work, { recursive: true, force: true });
  const result = {
    benchmark: 'test-suite',
    command: 'jest --ci (npm test)',
    wallSeconds: round(run.seconds, 1),
    peakMb: round(run.peakMb, 0),
    tests: { passed: jest.numPassedTests, failed: jest.numFailedTests, skipped: jest.numPendingTests },
    assertions: lines.reduce((n, l) => n + l.assertions, 0),
    loadAverageAtStart: round(loadBefore, 2),
    slowestFiles: files.slice(0, 8),
    targets: TARGETS,
  };
  return { ...result, met: { wall: result.wallSeconds <= TARGETS.maxWallSeconds } };
}
