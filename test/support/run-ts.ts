/**
 * Runs one of the repository's TypeScript scripts (bin/*.ts) as `npm run` would
 * run it with tsx, in one Node process with tsx's loader: `npx tsx` costs an npm
 * process and a second Node process on top, seconds each on a busy machine.
 */
import {
  execFileSync,
  ExecFileSyncOptionsWithStringEncoding,
  spawnSync,
  SpawnSyncOptionsWithStringEncoding,
  SpawnSyncReturns,
} from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** tsx's loader (the package's main export, as `node --import tsx` loads it), by absolute URL so any cwd works. */
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

const argv = (script: string, args: readonly string[]) => [
  '--import',
  TSX_LOADER,
  path.resolve(REPO_ROOT, script),
  ...args,
];

/** Like `spawnSync('npx', ['tsx', script, ...args])`: never throws for an exit code. */
export function spawnTs(
  script: string,
  args: readonly string[],
  options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> = {},
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, argv(script, args), { cwd: REPO_ROOT, ...options, encoding: 'utf8' });
}

/** Like `execFileSync('npx', ['tsx', script, ...args])`: its stdout, or throws when it exits non-zero. */
export function execTs(
  script: string,
  args: readonly string[],
  options: Omit<ExecFileSyncOptionsWithStringEncoding, 'encoding'> = {},
): string {
  return execFileSync(process.execPath, argv(script, args), { cwd: REPO_ROOT, ...options, encoding: 'utf8' });
}
