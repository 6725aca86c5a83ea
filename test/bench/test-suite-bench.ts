/**
 * The test suite's wall time, as `npm test` runs it from a warm node_modules,
 * with the number of tests and of assertions (expect() calls, recorded by
 * test/support/count-assertions.js) so that a faster suite can show it kept
 * every assertion.
 *
 * Running the suite takes minutes, so by default the bench prints the figure of
 * the last whole-suite run instead, as every `npm test` records it in
 * .bench/test-suite.json (test/support/suite-timing-reporter.js), with when it
 * finished and the machine's load then. BENCH_TESTS=run (or BENCH_ONLY=tests)
 * runs the suite here; BENCH_TEST_ARGS adds jest arguments (e.g. a path filter).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measure, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const TARGETS = { maxWallSeconds: 60 };

export const LAST_RUN_FILE = path.join(ROOT, '.bench', 'test-suite.json');

export async function benchTestSuite(): Promise<Record<string, unknown>> {
  if (process.env.BENCH_TESTS === 'run' || process.env.BENCH_ONLY === 'tests') return runTestSuite();
  return lastTestSuiteRun();
}

/** The last whole-suite run's figures, as `npm test` recorded them. */
export function lastTestSuiteRun(): Record<string, unknown> {
  if (!fs.existsSync(LAST_RUN_FILE)) {
    return {
      benchmark: 'test-suite',
      source: 'none',
      note: `no whole-suite run recorded in ${path.relative(ROOT, LAST_RUN_FILE)}: run npm test (or BENCH_TESTS=run)`,
      targets: TARGETS,
      met: { wall: false },
    };
  }
  const last = JSON.parse(fs.readFileSync(LAST_RUN_FILE, 'utf8'));
  const ageMinutes = round((Date.now() - Date.parse(last.finishedAt)) / 60000, 0);
  return {
    benchmark: 'test-suite',
    source: `last whole-suite jest run (${path.relative(ROOT, LAST_RUN_FILE)}, ${ageMinutes} min ago); BENCH_TESTS=run measures one now`,
    command: 'jest (npm test)',
    ...last,
    targets: TARGETS,
    met: { wall: last.success === true && last.wallSeconds <= TARGETS.maxWallSeconds },
  };
}

async function runTestSuite(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-bench-tests-'));
  const log = path.join(work, 'assertions.jsonl');
  const report = path.join(work, 'jest.json');
  const extra = (process.env.BENCH_TEST_ARGS ?? '').split(/\s+/).filter(Boolean);
  const loadBefore = os.loadavg()[0];
  const run = await measure(
    path.join(ROOT, 'node_modules', '.bin', 'jest'),
    ['--ci', '--silent', '--json', `--outputFile=${report}`, ...extra],
    {
      cwd: ROOT,
      env: { ...process.env, ESTATE_ASSERTION_LOG: log },
    },
  );
  const jest = JSON.parse(fs.readFileSync(report, 'utf8'));
  const lines = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { assertions: number });
  const files = (jest.testResults as Array<{ name: string; startTime: number; endTime: number }>)
    .map((r) => ({ file: path.relative(ROOT, r.name), seconds: round((r.endTime - r.startTime) / 1000, 1) }))
    .sort((a, b) => b.seconds - a.seconds);
  fs.rmSync(work, { recursive: true, force: true });
  const result = {
    benchmark: 'test-suite',
    source: 'measured now',
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
