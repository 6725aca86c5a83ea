const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const dir = process.env.ESTATE_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
