// With ESTATE_TEST_PROFILE set to a file, each test file appends one JSON line
// per costly thing it did: every outermost synth (an App, or a Stage or stack's
// stage synthesized on its own as Template.fromStack does: `root` says which, with
// its duration, its stack count and a digest of its stack names and template
// sizes, which tells distinct estates apart) and every child process started
// (cfn-lint, moto, a browser, esbuild...), and one line of CPU seconds for the
// file: the worker's own (split into loading the test file's modules, before its
// first hook, and the rest), its waited children's (cfn-lint, Python, esbuild),
// and the worker's moto server's. Wall seconds mislead on a loaded machine.
const fs = require('node:fs');
const { createHash } = require('node:crypto');

const log = process.env.ESTATE_TEST_PROFILE;
if (log) {
  const file = () => expect.getState().testPath ?? '(setup)';
  const write = (entry) =>
    fs.appendFileSync(log, `${JSON.stringify({ file: file(), worker: process.env.JEST_WORKER_ID, ...entry })}\n`);

  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  // utime + stime, or with children cutime + cstime (those waited for), from /proc/<pid>/stat.
  const ticks = (pid, children) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (children ? Number(fields[13]) + Number(fields[14]) : Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return 0;
    }
  };
  const motoPid = () => {
    try {
      const dir = process.env.ESTATE_TEST_TMPDIR;
      return JSON.parse(fs.readFileSync(`${dir}/moto-worker-${process.pid}.json`, 'utf8')).pid;
    } catch {
      return undefined;
    }
  };
  const at = () => ({ wall: Date.now() / 1000, cpu: cpu(), children: ticks('self', true) });
  const start = at();
  const startMoto = motoPid();
  const startMotoCpu = startMoto ? ticks(startMoto, false) : 0;
  let loaded;
  beforeAll(() => {
    loaded = at();
  });
  afterAll(() => {
    const end = at();
    const moto = motoPid();
    const motoCpu = moto ? ticks(moto, false) - (moto === startMoto ? startMotoCpu : 0) : 0;
    const r = (n) => Math.round(n * 100) / 100;
    write({
      kind: 'file',
      wall: r(end.wall - start.wall),
      cpu: r(end.cpu - start.cpu),
      loadCpu: r((loaded ?? end).cpu - start.cpu),
      loadWall: r((loaded ?? end).wall - start.wall),
      childrenCpu: r(end.children - start.children),
      motoCpu: r(motoCpu),
    });
  });

  const { Stage } = require('aws-cdk-lib');
  const synth = Stage.prototype.synth;
  let depth = 0;
  Stage.prototype.synth = function profiledSynth(...args) {
    depth += 1;
    const start = process.hrtime.bigint();
    const startCpu = cpu();
    let assembly;
    try {
      assembly = synth.apply(this, args);
      return assembly;
    } finally {
      depth -= 1;
      if (depth === 0) {
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
          root: !Stage.of(this),
          ms: Math.round(ms),
          cpuMs: Math.round((cpu() - startCpu) * 1000),
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
