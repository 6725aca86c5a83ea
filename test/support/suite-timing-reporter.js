// Records the wall time of every whole-suite jest run (no path or name filter) in
// .bench/test-suite.json, with its test and assertion counts and slowest files, so
// that `npm run bench` can print the last measured figure without running the
// suite again (test/bench/test-suite-bench.ts). A filtered run records nothing.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, '.bench', 'test-suite.json');

/**
 * Whether the run passed, from its counts: jest sets the aggregated `success` only after every
 * reporter's onRunComplete has returned, so a reporter reads the value it was created with (false).
 * The counts are final by then, and so are the snapshot summary and an interruption.
 */
function passed(results) {
  return (
    results.numFailedTests === 0 &&
    results.numFailedTestSuites === 0 &&
    results.numRuntimeErrorTestSuites === 0 &&
    !results.snapshot?.failure &&
    !results.runExecError &&
    !results.wasInterrupted
  );
}

class SuiteTimingReporter {
  /** `options.outputFile`: where to write (default .bench/test-suite.json). */
  constructor(globalConfig, options = {}) {
    this.globalConfig = globalConfig;
    this.outputFile = options.outputFile ?? OUT;
  }

  whole() {
    const g = this.globalConfig;
    const patterns = g.testPathPatterns;
    const filtered =
      (Array.isArray(patterns)
        ? patterns.length > 0
        : patterns && typeof patterns.isSet === 'function'
          ? patterns.isSet()
          : false) ||
      Boolean(g.testNamePattern) ||
      g.onlyChanged ||
      g.findRelatedTests ||
      g.lastCommit ||
      g.onlyFailures ||
      (Array.isArray(g.nonFlagArgs) && g.nonFlagArgs.length > 0) ||
      Boolean(g.shard);
    return !filtered && !g.watch && !g.watchAll;
  }

  onRunStart() {
    this.loadAtStart = os.loadavg()[0];
    this.startedAt = Date.now();
  }

  onRunComplete(_contexts, results) {
    if (!this.whole()) return;
    const seconds = (ms) => Math.round(ms / 100) / 10;
    const files = results.testResults
      .map((r) => ({
        file: path.relative(ROOT, r.testFilePath),
        seconds: seconds(r.perfStats.end - r.perfStats.start),
      }))
      .sort((a, b) => b.seconds - a.seconds);
    const record = {
      finishedAt: new Date().toISOString(),
      wallSeconds: seconds(Date.now() - (results.startTime || this.startedAt)),
      invariantEstates: process.env.INVARIANT_ESTATES ?? 'repository',
      workers: this.globalConfig.maxWorkers,
      files: results.numTotalTestSuites,
      tests: {
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
      },
      // Passing expect() calls as jest counts them (each test's numPassingAsserts).
      passingAssertions: results.testResults.reduce(
        (n, r) => n + r.testResults.reduce((m, t) => m + (t.numPassingAsserts ?? 0), 0),
        0,
      ),
      success: passed(results),
      loadAverage: {
        atStart: Math.round((this.loadAtStart ?? 0) * 100) / 100,
        atEnd: Math.round(os.loadavg()[0] * 100) / 100,
        cores: os.cpus().length,
      },
      slowestFiles: files.slice(0, 15),
    };
    try {
      fs.mkdirSync(path.dirname(this.outputFile), { recursive: true });
      fs.writeFileSync(this.outputFile, `${JSON.stringify(record, null, 2)}\n`);
    } catch {
      // A read-only checkout keeps no record; the run itself is unaffected.
    }
  }
}

module.exports = SuiteTimingReporter;
