// With ESTATE_ASSERTION_LOG set (the test-suite benchmark sets it), each test's
// number of expect() calls is appended to that file, so a change that speeds the
// suite up can show it kept every assertion.
const fs = require('node:fs');

const log = process.env.ESTATE_ASSERTION_LOG;
if (log) {
  afterEach(() => {
    const { assertionCalls, currentTestName, testPath } = expect.getState();
    fs.appendFileSync(
      log,
      `${JSON.stringify({ file: testPath, test: currentTestName, assertions: assertionCalls })}\n`,
    );
  });
}
