/**
 * What a synthesized estate depends on besides its config: the code that
 * builds it (lib/, constructs/, policies/, lambdas/ bundled into assets, bin/,
 * processing/ uploaded as an asset), the settings and locked dependencies it is
 * built with, the test helper that synthesizes it, and the git state the
 * compliance evidence records as provenance (commit, commit time, uncommitted
 * changes). A cached assembly is keyed by this digest as well as by the config,
 * so an edited source, a new commit or a changed lock file is never answered
 * with an assembly synthesized before it.
 *
 * jest's global setup computes it once per run (ESTATE_SYNTHESIS_INPUTS); a
 * process outside jest computes it on first use.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SYNTHESIS_SOURCE_DIRS = ['lib', 'constructs', 'policies', 'lambdas', 'bin', 'processing'] as const;
export const SYNTHESIS_SOURCE_FILES = [
  'cdk.json',
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'test/support/estate.ts',
  'test/support/synthesis-inputs.ts',
] as const;
const SKIPPED = new Set(['node_modules', '__pycache__', 'cdk.out']);

function filesUnder(root: string, dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (SKIPPED.has(e.name)) continue;
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) filesUnder(root, rel, out);
    else if (e.isFile() || e.isSymbolicLink()) out.push(rel);
  }
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch {
    return '(no git)';
  }
}

/** SHA-256 (hex) of every synthesis input under `root`: file names and contents, Node's version, the git state. */
export function synthesisInputsDigest(root = REPO_ROOT): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const dir of SYNTHESIS_SOURCE_DIRS) filesUnder(root, dir, files);
  files.sort();
  for (const file of [...files, ...SYNTHESIS_SOURCE_FILES]) {
    let content: Buffer | string;
    try {
      content = fs.readFileSync(path.join(root, file));
    } catch {
      content = '(missing)';
    }
    hash.update(`${file}\0${content.length}\0`).update(content).update('\0');
  }
  hash.update(`node ${process.version}\0`);
  // What the evidence's provenance reads (lib/compliance/evidence/provenance.ts).
  // A checkout's root holds .git (a directory, or a file in a worktree); anything else is no checkout.
  const head = fs.existsSync(path.join(root, '.git')) ? git(root, ['rev-parse', 'HEAD']) : '(no git)';
  hash.update(head).update('\0');
  if (head === '(no git)') return hash.digest('hex');
  hash.update(git(root, ['log', '-1', '--format=%ct'])).update('\0');
  const status = git(root, ['status', '--porcelain', '--untracked-files=all']);
  hash.update(status).update('\0');
  if (status.trim() !== '') {
    hash.update(git(root, ['diff', 'HEAD', '--binary'])).update('\0');
    for (const line of status.split('\n').filter((l) => l.startsWith('?? '))) {
      const file = line.slice(3);
      try {
        hash
          .update(file)
          .update('\0')
          .update(fs.readFileSync(path.join(root, file)))
          .update('\0');
      } catch {
        hash.update(file).update('\0(unreadable)\0');
      }
    }
  }
  return hash.digest('hex');
}

let memo: string | undefined;

/** This run's digest: the one jest's global setup computed, else computed once in this process. */
export function currentSynthesisInputs(): string {
  return process.env.ESTATE_SYNTHESIS_INPUTS || (memo ??= synthesisInputsDigest());
}
