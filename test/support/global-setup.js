// One temporary directory for the whole test run: everything the tests (and the
// libraries they call: the CDK's default outdirs, esbuild, mkdtemp) write to the
// system temp directory goes there, and global-teardown.js removes it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { synthesisInputsDigest } = require('./synthesis-inputs');

module.exports = async function globalSetup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'estate-tests-'));
  process.env.ESTATE_TEST_TMPDIR = dir;
  // Workers are started after this and inherit the environment; os.tmpdir() reads TMPDIR.
  process.env.TMPDIR = dir;
  process.env.TMP = dir;
  process.env.TEMP = dir;
  // The sources and git state synthesis reads, digested once for the run (keys the shared assemblies).
  process.env.ESTATE_SYNTHESIS_INPUTS = synthesisInputsDigest();
};
