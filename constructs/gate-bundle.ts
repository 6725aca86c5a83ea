import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const built = new Map<string, string>();

/**
 * Bundles a Lambda handler with esbuild, in process and once per synth for
 * each entry (every environment shares the bundle), into a folder named by
 * the bundle's content hash, so that the same code always gives the same
 * asset. The AWS SDK v3 is left to the nodejs24.x runtime.
 */
export function bundleHandler(entry: string): string {
  const cached = built.get(entry);
  if (cached) return cached;
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    outfile: 'index.js',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const dir = path.join(os.tmpdir(), 'estate-lambda-bundles', createHash('sha256').update(code).digest('hex').slice(0, 24));
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.js'), code);
  }
  built.set(entry, dir);
  return dir;
}
