// With ESTATE_TEST_PROFILE set to a file, each test file appends one JSON line
// per costly thing it did: every root synth (an App or Stage synthesized, with
// its duration, its stack count and a digest of its stack names and template
// sizes, which tells distinct estates apart) and every child process started
// (cfn-lint, moto, a browser, esbuild...). Read by test/bench/test-suite-bench.ts.
const fs = require('node:fs');
const { createHash } = require('node:crypto');

const log = process.env.ESTATE_TEST_PROFILE;
if (log) {
  const file = () => expect.getState().testPath ?? '(setup)';
  const write = (entry) =>
    fs.appendFileSync(log, `${JSON.stringify({ file: file(), worker: process.env.JEST_WORKER_ID, ...entry })}\n`);

  const { Stage } = require('aws-cdk-lib');
  const synth = Stage.prototype.synth;
  let depth = 0;
  Stage.prototype.synth = function profiledSynth(...args) {
    depth += 1;
    const start = process.hrtime.bigint();
    let assembly;
    try {
      assembly = synth.apply(this, args);
      return assembly;
    } finally {
      depth -= 1;
      if (depth === 0 && !Stage.of(this)) {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const stacks = [];
        const walk = (a) => {
          for (const s of a.stacks) stacks.push(`${s.hierarchicalId}:${JSON.stringify(s.template).length}`);
          for (const n of a.artifacts) if (n.nestedAssembly) walk(n.nestedAssembly);
        };
        try {
          if (assembly) walk(assembly);
        } catch {
          // Nothing to record beyond the duration.
        }
        stacks.sort();
        write({
          kind: 'synth',
          ms: Math.round(ms),
          stacks: stacks.length,
          digest: createHash('sha256').update(stacks.join('\n')).digest('hex').slice(0, 12),
        });
      }
    }
  };

  // child_process is one object per worker, shared by its test files: wrap it once,
  // and let each file say it is the one running now.
  const cp = require('node:child_process');
  cp.__estateProfileWrite = write;
  if (!cp.__estateProfiled) {
    cp.__estateProfiled = true;
    for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync']) {
      const original = cp[name];
      cp[name] = function profiled(command, ...rest) {
        const args = Array.isArray(rest[0]) ? rest[0] : [];
        const what = String(command).split('/').pop();
        const detail =
          what === 'python3' || what === 'node'
            ? `${what} ${String(args[0] ?? '')
                .split('/')
                .pop()}`
            : what;
        cp.__estateProfileWrite({ kind: 'process', command: detail.slice(0, 80) });
        return original.call(this, command, ...rest);
      };
    }
  }
}
