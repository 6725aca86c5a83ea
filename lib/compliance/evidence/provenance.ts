import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './sources';

/** What the evidence is evidence of: the code, the config, the tools and when. */
export interface Provenance {
  /**
   * The commit the estate was synthesized from, or `uncommitted changes` (then `baseCommit` and
   * `changesSha256`), or `not a git checkout` (unless CodeBuild's CODEBUILD_RESOLVED_SOURCE_VERSION names it).
   */
  readonly commit: string;
  readonly baseCommit?: string;
  /** SHA-256 of the uncommitted changes (tracked diff and untracked files), so two dirty trees can be told apart. */
  readonly changesSha256?: string;
  /** ISO 8601, UTC, to the second. */
  readonly time: string;
  /**
   * SOURCE_DATE_EPOCH when set (reproducible builds), else the commit time:
   * never the wall clock, so the same inputs give byte-identical evidence.
   */
  readonly timeSource: 'SOURCE_DATE_EPOCH' | 'commit time' | 'none';
  readonly config: { readonly file: string; readonly sha256: string };
  /**
   * Versions of what decided the results: the CDK library, cdk-nag (the stock packs), constructs, this estate (our
   * pack), Node.js.
   */
  readonly tools: Record<string, string>;
  readonly packs: ReadonlyArray<{ readonly name: string; readonly version: string }>;
}

export interface ProvenanceInput {
  /** The estate config file; without one, the digest is of the validated config as JSON. */
  readonly configFile?: string;
  readonly configValue?: unknown;
  readonly packs: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly root?: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
}

function versionOf(pkg: string, root: string): string {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [root] }), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** JSON with sorted keys, so that a digest of a value does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The packs of cdk-nag are versioned with it; ours with this estate. */
const OWN_PACKS = new Set(['RegulatedMLOps']);

export function collectProvenance(input: ProvenanceInput): Provenance {
  const root = input.root ?? REPO_ROOT;
  const env = input.env ?? process.env;
  const head = git(root, ['rev-parse', 'HEAD'])?.trim();
  // A build from a source archive (CodeBuild from a CodeStar connection) has no .git: CodeBuild names the commit.
  const built = env.CODEBUILD_RESOLVED_SOURCE_VERSION?.trim();
  let commit = built && /^[0-9a-f]{40}$/.test(built) ? built : 'not a git checkout';
  let baseCommit: string | undefined;
  let changesSha256: string | undefined;
  if (head) {
    const status = git(root, ['status', '--porcelain', '--untracked-files=all']) ?? '';
    if (status.trim() === '') {
      commit = head;
    } else {
      commit = 'uncommitted changes';
      baseCommit = head;
      const untracked = status
        .split('\n')
        .filter((l) => l.startsWith('?? '))
        .map((l) => l.slice(3))
        .sort()
        .map((f) => {
          let digest = 'unreadable';
          try {
            digest = sha256(fs.readFileSync(path.join(root, f)));
          } catch {
            // A file that vanished in between still counts by name.
          }
          return `${f}\0${digest}`;
        });
      changesSha256 = sha256(`${git(root, ['diff', 'HEAD', '--binary']) ?? ''}\0${untracked.join('\n')}`);
    }
  }

  let time = '1970-01-01T00:00:00Z';
  let timeSource: Provenance['timeSource'] = 'none';
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch.trim())) {
    time = new Date(Number(epoch.trim()) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    timeSource = 'SOURCE_DATE_EPOCH';
  } else if (head) {
    const seconds = git(root, ['log', '-1', '--format=%ct', head])?.trim();
    if (seconds && /^\d+$/.test(seconds)) {
      time = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      timeSource = 'commit time';
    }
  }

  let config: Provenance['config'];
  let configBytes: Buffer | undefined;
  try {
    configBytes = input.configFile ? fs.readFileSync(input.configFile) : undefined;
  } catch {
    configBytes = undefined;
  }
  if (input.configFile && configBytes) {
    const rel = path.relative(root, path.resolve(input.configFile)).split(path.sep).join('/');
    config = { file: rel.startsWith('..') ? path.basename(input.configFile) : rel, sha256: sha256(configBytes) };
  } else {
    config = { file: '(validated config, canonical JSON)', sha256: sha256(canonical(input.configValue ?? null)) };
  }

  const own = (() => {
    try {
      return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    } catch {
      return 'unknown';
    }
  })();
  const cdkNag = versionOf('cdk-nag', root);
  const tools = {
    'aws-cdk-lib': versionOf('aws-cdk-lib', root),
    'cdk-nag': cdkNag,
    constructs: versionOf('constructs', root),
    estate: own,
    node: process.version,
  };
  const packs = input.packs.map((name) => ({
    name,
    version: OWN_PACKS.has(name) ? `estate ${own}` : `cdk-nag ${cdkNag}`,
  }));
  return {
    commit,
    ...(baseCommit ? { baseCommit } : {}),
    ...(changesSha256 ? { changesSha256 } : {}),
    time,
    timeSource,
    config,
    tools,
    packs,
  };
}
