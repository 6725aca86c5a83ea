import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync, BuildOptions, version as esbuildVersion } from 'esbuild';

const built = new Map<string, string>();

/**
 * How every gate is bundled (exported for the benchmark, which measures exactly what is deployed): with the AWS
 * SDK v3 in the bundle, tree-shaken from its ES modules (`mainFields` prefers each package's "module" build) and
 * minified, and the credential chain reduced to the environment variables the Lambda runtime sets
 * (lambdas/shared/env-credentials.ts). A function then runs the SDK version its tests ran, not whichever the
 * runtime carries that day, and loads only the commands it sends: module init about 2.6 times faster than with
 * the runtime's SDK (README, "Performance").
 */
export const GATE_BUNDLE_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  mainFields: ['module', 'main'],
  alias: {
    '@aws-sdk/credential-provider-node': path.resolve(__dirname, '..', 'lambdas', 'shared', 'env-credentials.ts'),
  },
  write: false,
  outfile: 'index.js',
  logLevel: 'silent',
  metafile: true,
};

/**
 * Files that decide what a bundle is made of besides the project's own sources: the lock file and npm's record of
 * what it installed (`node_modules/.package-lock.json`: every package's version and integrity, nested copies
 * included), and the compiler options. They stand for every file of node_modules a bundle takes in: a package's
 * files do not change without its version or integrity changing, so those files are not hashed one by one (about
 * 6,000 files, 0.2 to 1 s of every synth). A file edited by hand inside node_modules is not seen.
 */
export const RESOLUTION_INPUTS = [
  path.resolve(__dirname, '..', 'package-lock.json'),
  path.resolve(__dirname, '..', 'node_modules', '.package-lock.json'),
  path.resolve(__dirname, '..', 'tsconfig.json'),
];

/** A file of an installed package (node_modules/<package>/...), not of a folder such as node_modules/.cache. */
const installed = (file: string) => /[\\/]node_modules[\\/](?!\.)/.test(file);

/** What a cached bundle was built from: every input file with its SHA-256. */
interface BundleManifest {
  readonly key: string;
  readonly inputs: Record<string, string>;
  readonly dir: string;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * Where bundles are kept between synths: `node_modules/.cache/estate-lambda-bundles`
 * of the project (the convention build tools share; never committed, never in
 * cdk.out's assets), else the system temp directory when that is not writable.
 */
function cacheRoot(): string {
  const preferred = path.resolve(__dirname, '..', 'node_modules', '.cache', 'estate-lambda-bundles');
  try {
    fs.mkdirSync(preferred, { recursive: true });
    fs.accessSync(preferred, fs.constants.W_OK);
    return preferred;
  } catch {
    const fallback = path.join(os.tmpdir(), 'estate-lambda-bundles');
    fs.mkdirSync(fallback, { recursive: true });
    return fallback;
  }
}

/** The cached bundle of an entry, if every file it was built from is unchanged. */
function cached(manifestFile: string, key: string): string | undefined {
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.key !== key) return undefined;
  // The folder is named by the bundle's hash: a bundle changed or lost since is not served.
  try {
    if (!sha256(fs.readFileSync(path.join(manifest.dir, 'index.js'))).startsWith(path.basename(manifest.dir)))
      return undefined;
  } catch {
    return undefined;
  }
  for (const [file, digest] of Object.entries(manifest.inputs)) {
    try {
      if (sha256(fs.readFileSync(file)) !== digest) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest.dir;
}

/**
 * Bundles a Lambda handler with esbuild, in process, into a folder named by the
 * bundle's content hash, so that the same code always gives the same asset. The
 * AWS SDK v3 is bundled in (GATE_BUNDLE_OPTIONS).
 *
 * A bundle is built once per synth for each entry (every environment shares it),
 * and reused across synths while the files it was built from are unchanged (their
 * SHA-256, with esbuild's version and options, is the cache key): the asset is the
 * same bytes either way.
 */
export function bundleHandler(entry: string): string {
  const inMemory = built.get(entry);
  if (inMemory) return inMemory;
  const root = cacheRoot();
  const key = sha256(
    JSON.stringify({
      entry: path.resolve(entry),
      esbuild: esbuildVersion,
      options: GATE_BUNDLE_OPTIONS,
      inputs: RESOLUTION_INPUTS,
    }),
  );
  const manifestFile = path.join(root, `${key.slice(0, 24)}.json`);
  const hit = cached(manifestFile, key);
  if (hit) {
    built.set(entry, hit);
    return hit;
  }
  const result = buildSync({ ...GATE_BUNDLE_OPTIONS, entryPoints: [entry] });
  const code = result.outputFiles![0].contents;
  const dir = path.join(root, sha256(code).slice(0, 24));
  if (
    !fs.existsSync(path.join(dir, 'index.js')) ||
    !sha256(fs.readFileSync(path.join(dir, 'index.js'))).startsWith(path.basename(dir))
  ) {
    fs.mkdirSync(dir, { recursive: true });
    // Written under another name first and renamed, so a concurrent synth never reads half a bundle.
    const partial = path.join(dir, `index.js.${process.pid}`);
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, path.join(dir, 'index.js'));
  }
  const inputs: Record<string, string> = {};
  // The project's own files the bundle was built from, and for everything of node_modules, what was installed.
  const own = Object.keys(result.metafile!.inputs)
    .map((input) => path.resolve(input))
    .filter((file) => !installed(file));
  for (const file of [...own, ...RESOLUTION_INPUTS])
    if (fs.existsSync(file)) inputs[file] = sha256(fs.readFileSync(file));
  const manifest: BundleManifest = { key, inputs, dir };
  const partialManifest = `${manifestFile}.${process.pid}`;
  fs.writeFileSync(partialManifest, JSON.stringify(manifest));
  fs.renameSync(partialManifest, manifestFile);
  built.set(entry, dir);
  return dir;
}
