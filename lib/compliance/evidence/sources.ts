import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import * as YAML from 'yaml';

/** The repository root: file locations in the evidence are relative to it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * How deep construct creation traces go while the estate is built. CDK records
 * a creation trace on every CloudFormation element (`aws:cdk:creationStack`),
 * keeping only frames of our code, but it captures `Error.stackTraceLimit`
 * frames first (10 by default): an element made deep inside aws-cdk-lib (a
 * subnet of a VPC, a stage of CDK Pipelines) then has no frame of ours at all.
 * 40 frames reach our code for every element of the estate; the cost is
 * measured by `BENCH_ONLY=traces npm run bench`.
 */
export const CONSTRUCTION_TRACE_DEPTH = 40;

/** Runs `build` with traces deep enough to reach our code, then restores the limit (synthesis does not need it). */
export function withConstructionTraces<T>(build: () => T, depth = CONSTRUCTION_TRACE_DEPTH): T {
  const previous = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(previous, depth);
  try {
    return build();
  } finally {
    Error.stackTraceLimit = previous;
  }
}

/** A place in a file of the repository: 1-based line and column, end column exclusive (as SARIF counts). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endColumn: number;
  /**
   * construct: where the resource's construct is created; config: the estate
   * config entry that declares it; stack: the class of its stack (no trace).
   */
  readonly kind: 'construct' | 'config' | 'stack';
  /** What runs there: the function or constructor of the frame, or the config entry. */
  readonly label: string;
}

interface Frame {
  readonly fn: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const FRAME = /^\s*(?:at\s+)?(.*?)\s*\(([^()]+):(\d+):(\d+)\)\s*$/;

/** The frames of a rendered trace that lie in this repository (not in node_modules), relative paths. */
export function ourFrames(trace: readonly string[] | undefined, root = REPO_ROOT): Frame[] {
  const frames: Frame[] = [];
  for (const text of trace ?? []) {
    const m = FRAME.exec(text);
    if (!m) continue;
    const abs = m[2].startsWith('file://') ? m[2].slice(7) : m[2];
    if (!path.isAbsolute(abs) || abs.includes(`${path.sep}node_modules${path.sep}`)) continue;
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    frames.push({
      fn: m[1] || '<anonymous>',
      file: rel.split(path.sep).join('/'),
      line: Number(m[3]),
      column: Number(m[4]),
    });
  }
  return frames;
}

/** The creation trace CDK recorded on a CloudFormation element. */
export function creationTrace(element: IConstruct): readonly string[] | undefined {
  const entry = element.node.metadata.find((m) => m.type === 'aws:cdk:creationStack');
  return Array.isArray(entry?.data) ? (entry!.data as string[]) : undefined;
}

/** Where an estate config file declares things, by what the construct tree calls them. */
export interface ConfigIndex {
  readonly file: string;
  /**
   * Line and column of `organization:`, `delivery:`, each `environments[]` entry by name and `models[]` entry by id.
   */
  readonly entries: ReadonlyMap<string, { line: number; column: number; endColumn: number }>;
}

/** Indexes the top-level entries of an estate config (YAML or JSON); undefined when it cannot be read. */
export function indexConfig(configFile: string | undefined, root = REPO_ROOT): ConfigIndex | undefined {
  if (!configFile) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch {
    return undefined;
  }
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, keepSourceTokens: false });
  const entries = new Map<string, { line: number; column: number; endColumn: number }>();
  const lines = text.split('\n');
  const at = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col, endColumn: (lines[line - 1] ?? '').replace(/\s+$/, '').length + 1 };
  };
  const root_ = doc.contents;
  if (!YAML.isMap(root_)) return undefined;
  for (const pair of root_.items) {
    const key = YAML.isScalar(pair.key) ? String(pair.key.value) : undefined;
    if (!key) continue;
    const keyPos = at((pair.key as YAML.Scalar).range?.[0]);
    if (keyPos) entries.set(key, keyPos);
    if ((key === 'environments' || key === 'models') && YAML.isSeq(pair.value)) {
      const field = key === 'environments' ? 'name' : 'id';
      for (const item of pair.value.items) {
        if (!YAML.isMap(item)) continue;
        const idNode = item.items.find((p) => YAML.isScalar(p.key) && p.key.value === field);
        const value = idNode && YAML.isScalar(idNode.value) ? String(idNode.value.value) : undefined;
        const pos = at(item.range?.[0]);
        if (value !== undefined && pos) entries.set(`${key}:${value}`, pos);
      }
    }
  }
  const rel = path.relative(root, path.resolve(configFile)).split(path.sep).join('/');
  return { file: rel.startsWith('..') ? path.basename(configFile) : rel, entries };
}

/**
 * Finds, for each resource, where our code creates it: the first frame of
 * ours in its creation trace (the `new X(...)` in our files), and the frames
 * that lead there from its stack. Without a trace, the estate config entry
 * that declares it, else the class of its stack.
 */
export class SourceLocator {
  private readonly lines = new Map<string, string[]>();
  private readonly stackFiles = new Map<Stack, SourceLocation | undefined>();

  constructor(
    private readonly config?: ConfigIndex,
    private readonly root = REPO_ROOT,
  ) {}

  /** Primary location and the chain of our frames up to the stack (related locations). */
  locate(resource: IConstruct): { source: SourceLocation; trail: SourceLocation[] } {
    const stack = Stack.of(resource);
    const frames = CfnElement.isCfnElement(resource) ? ourFrames(creationTrace(resource), this.root) : [];
    if (frames.length > 0) {
      const stackFrame = frames.findIndex((f) => f.fn === `new ${stack.constructor.name}`);
      const upTo = stackFrame >= 0 ? stackFrame : Math.min(frames.length - 1, 4);
      const [first, ...rest] = frames.slice(0, upTo + 1).map((f) => this.fromFrame(f));
      return { source: first, trail: rest };
    }
    const declared = this.fromConfig(resource);
    if (declared) return { source: declared, trail: [] };
    const stackFile = this.stackFile(stack);
    if (stackFile) return { source: stackFile, trail: [] };
    // Last resort, still a file of the repository: the estate's entry point.
    return {
      source: { file: 'bin/estate.ts', line: 1, column: 1, endColumn: 2, kind: 'stack', label: stack.node.path },
      trail: [],
    };
  }

  /**
   * Where acknowledgements were recorded: the first frame of ours outside the acknowledgement helpers
   * (`policies/acknowledge*.ts`).
   */
  acknowledgedAt(trace: readonly string[] | undefined): SourceLocation | undefined {
    const frames = ourFrames(trace, this.root);
    const caller = frames.find((f) => !/^policies\/acknowledge[^/]*\.ts$/.test(f.file)) ?? frames[0];
    return caller ? this.fromFrame(caller) : undefined;
  }

  private fromFrame(f: Frame): SourceLocation {
    return {
      file: f.file,
      line: f.line,
      column: f.column,
      endColumn: this.endColumn(f.file, f.line, f.column),
      kind: 'construct',
      label: f.fn,
    };
  }

  private endColumn(file: string, line: number, column: number): number {
    if (!this.lines.has(file)) {
      let text = '';
      try {
        text = fs.readFileSync(path.join(this.root, file), 'utf8');
      } catch {
        // A file we cannot read still gets a one-character region.
      }
      this.lines.set(file, text.split('\n'));
    }
    const length = (this.lines.get(file)![line - 1] ?? '').replace(/\s+$/, '').length;
    return Math.max(column + 1, length + 1);
  }

  /**
   * The config entry that declares a resource: its model, else its environment, else the organization or delivery
   * block.
   */
  private fromConfig(resource: IConstruct): SourceLocation | undefined {
    if (!this.config) return undefined;
    const ids = resource.node.scopes.map((s) => s.node.id);
    const candidates = [
      ...ids.map((id) => `models:${id}`),
      ...ids.map((id) => `environments:${id}`),
      ...(ids.some((id) => id.startsWith('Delivery')) ? ['delivery'] : []),
      ...(ids.includes('Organization') ? ['organization'] : []),
    ];
    for (const key of candidates) {
      const pos = this.config.entries.get(key);
      if (pos) return { file: this.config.file, ...pos, kind: 'config', label: key.replace(':', ' ') };
    }
    return undefined;
  }

  /** The declaration of a stack's class, found from any element of it whose trace passes through its constructor. */
  private stackFile(stack: Stack): SourceLocation | undefined {
    if (this.stackFiles.has(stack)) return this.stackFiles.get(stack);
    let found: SourceLocation | undefined;
    const name = stack.constructor.name;
    for (const c of stack.node.findAll()) {
      if (!CfnElement.isCfnElement(c)) continue;
      const frame = ourFrames(creationTrace(c), this.root).find((f) => f.fn === `new ${name}`);
      if (!frame) continue;
      this.endColumn(frame.file, 1, 1);
      const lines = this.lines.get(frame.file)!;
      const index = lines.findIndex((l) => new RegExp(`\\bclass ${name}\\b`).test(l));
      const line = index >= 0 ? index + 1 : frame.line;
      found = {
        file: frame.file,
        line,
        column: 1,
        endColumn: (lines[line - 1] ?? '').replace(/\s+$/, '').length + 1,
        kind: 'stack',
        label: `class ${name}`,
      };
      break;
    }
    this.stackFiles.set(stack, found);
    return found;
  }
}
