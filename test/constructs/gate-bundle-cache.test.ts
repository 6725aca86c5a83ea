/**
 * The gate bundles are reused across synths only while every file they were
 * built from is unchanged: an edit to a handler or to a module it imports gives a
 * new bundle, and a reused bundle is byte for byte what a fresh build gives.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { GATE_BUNDLE_OPTIONS, RESOLUTION_INPUTS } from '../../constructs/gate-bundle';
import { REPO_ROOT } from '../support/estate';

type Bundler = (entry: string) => string;
/** A fresh module each time: a new synth process, with only the on-disk cache in common. */
const freshBundler = (): Bundler => {
  let fn: Bundler | undefined;
  jest.isolateModules(() => {
    fn = require('../../constructs/gate-bundle').bundleHandler;
  });
  return fn!;
};

describe('gate bundle cache', () => {
  // A fresh `npm ci` leaves no node_modules/.cache until something bundles: create it first.
  const parent = path.join(REPO_ROOT, 'node_modules', '.cache');
  fs.mkdirSync(parent, { recursive: true });
  // The entry lives under the repository, as handlers do, and imports a second module.
  const dir = fs.mkdtempSync(path.join(parent, 'bundle-cache-test-'));
  const entry = path.join(dir, 'handler.ts');
  const helper = path.join(dir, 'helper.ts');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (answer: string) => {
    fs.writeFileSync(helper, `export const answer = ${JSON.stringify(answer)};\n`);
    fs.writeFileSync(entry, `import { answer } from './helper';\nexport const handler = async () => answer;\n`);
  };
  const code = (bundleDir: string) => fs.readFileSync(path.join(bundleDir, 'index.js'), 'utf8');

  test('an unchanged handler reuses the bundle; an edited import builds a new one', () => {
    write('first');
    const first = freshBundler()(entry);
    expect(code(first)).toContain('"first"');

    // GIVEN nothing changed WHEN a new synth bundles THEN the same folder, same bytes
    const again = freshBundler()(entry);
    expect(again).toBe(first);

    // GIVEN the imported module changed (not the entry) WHEN bundled THEN a new bundle with the new code
    fs.writeFileSync(helper, 'export const answer = "second";\n');
    const second = freshBundler()(entry);
    expect(second).not.toBe(first);
    expect(code(second)).toContain('"second"');
    expect(code(second)).not.toContain('"first"');

    // GIVEN the import is removed again (back to the first content) THEN the first bundle, by content hash
    fs.writeFileSync(helper, 'export const answer = "first";\n');
    expect(freshBundler()(entry)).toBe(first);
  });

  test('a reused bundle is what a fresh build of the same sources gives', () => {
    write('same');
    const cachedDir = freshBundler()(entry);
    const reused = freshBundler()(entry);
    const fresh = buildSync({ ...GATE_BUNDLE_OPTIONS, entryPoints: [entry] });
    expect(reused).toBe(cachedDir);
    expect(code(reused)).toBe(Buffer.from(fresh.outputFiles![0].contents).toString('utf8'));
  });

  test('a cached bundle changed or lost since is rebuilt, not served', () => {
    write('intact');
    const bundleDir = freshBundler()(entry);
    // GIVEN the cached file altered in place WHEN a new synth bundles THEN the built code, not the altered file
    fs.writeFileSync(path.join(bundleDir, 'index.js'), 'exports.handler = async () => "tampered";');
    const rebuilt = freshBundler()(entry);
    expect(rebuilt).toBe(bundleDir);
    expect(code(rebuilt)).toContain('"intact"');
    expect(code(rebuilt)).not.toContain('tampered');
    // GIVEN the cached file removed THEN rebuilt
    fs.rmSync(path.join(bundleDir, 'index.js'));
    expect(code(freshBundler()(entry))).toContain('"intact"');
  });

  test('the lock files and the compiler options are inputs of every bundle, for all of node_modules', () => {
    // A real handler, which bundles the AWS SDK from node_modules.
    const pinner = path.join(REPO_ROOT, 'lambdas', 'model-pinner', 'handler.ts');
    const bundleDir = freshBundler()(pinner);
    // The manifest the bundler wrote or read last for it (an earlier checkout's may lie beside it, under another key).
    const cache = path.join(parent, 'estate-lambda-bundles');
    const manifests = fs
      .readdirSync(cache)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({
        m: JSON.parse(fs.readFileSync(path.join(cache, f), 'utf8')),
        at: fs.statSync(path.join(cache, f)).mtimeMs,
      }))
      .filter(({ m }) => m.dir === bundleDir && Object.keys(m.inputs).includes(pinner))
      .sort((a, b) => b.at - a.at);
    expect(manifests.length).toBeGreaterThan(0);
    const inputs = Object.keys(manifests[0].m.inputs);
    // npm can resolve a name to another file (a nested copy, an override) with no bundled file changed: the locks say.
    expect(RESOLUTION_INPUTS.map((f) => path.relative(REPO_ROOT, f))).toEqual([
      'package-lock.json',
      path.join('node_modules', '.package-lock.json'),
      'tsconfig.json',
    ]);
    for (const file of RESOLUTION_INPUTS) expect(inputs).toContain(file);
    // The handler's own modules are hashed; the installed packages stand for their files, none hashed one by one.
    expect(inputs).toContain(path.join(REPO_ROOT, 'lambdas', 'shared', 'env-credentials.ts'));
    expect(inputs.filter((f) => /[\\/]node_modules[\\/](?!\.)/.test(f) && !RESOLUTION_INPUTS.includes(f))).toEqual([]);
  });
});
