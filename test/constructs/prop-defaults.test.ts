/**
 * Every optional prop of a construct's exported props says what leaving it out means, with `@default` (the
 * aws-cdk-lib idiom), so that a reader of the props never has to read the constructor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', 'constructs');

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

/** `file:line name` of each optional member of an exported interface whose doc comment has no `@default`. */
export function undocumentedDefaults(text: string, file: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  let exported = false;
  let depth = 0;
  lines.forEach((line, i) => {
    if (depth === 0) exported = /^export interface \w+/.test(line);
    const member = depth === 1 && exported ? /^ {2}readonly (\w+)\?:/.exec(line) : null;
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
    if (!member) return;
    const doc: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*(\/\*\*|\*)/.test(lines[j]); j--) {
      doc.push(lines[j]);
      if (lines[j].trim().startsWith('/**')) break;
    }
    if (!doc.some((d) => d.includes('@default'))) out.push(`${file}:${i + 1} ${member[1]}`);
  });
  return out;
}

test('every optional prop of an exported construct interface documents its default', () => {
  const missing = files(ROOT).flatMap((f) => undocumentedDefaults(fs.readFileSync(f, 'utf8'), path.relative(ROOT, f)));
  expect(missing).toEqual([]);
});

test('the check finds an optional prop without @default, and passes one with it', () => {
  const text = [
    'export interface P {',
    '  /** Documented. */',
    '  readonly a?: string;',
    '  /**',
    '   * With a default.',
    '   * @default 3',
    '   */',
    '  readonly b?: number;',
    '  readonly c: string;',
    '  readonly e?: Array<{',
    '    readonly f?: string;',
    '  }>;',
    '}',
    'interface Internal {',
    '  readonly d?: string;',
    '}',
  ].join('\n');
  expect(undocumentedDefaults(text, 'p.ts')).toEqual(['p.ts:3 a', 'p.ts:10 e']);
});
