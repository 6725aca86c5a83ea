const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalTeardown() {
  const dir = process.env.ESTATE_TEST_TMPDIR;
  if (!dir) return;
  // Each worker's moto server (test/support/moto.ts), kept between its test files.
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!/^moto-worker-\d+\.json$/.test(f)) continue;
    try {
      process.kill(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).pid, 'SIGTERM');
    } catch {
      // Gone already.
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
};
