/**
 * The stacks stay thin and apart: each lib/stacks/ file is at most 120 lines (config is mapped to props in lib/props/,
 * resources are constructs), and no stack imports another stack's file but the base every environment stack extends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const STACKS = path.resolve(__dirname, '..', '..', 'lib', 'stacks');
const MAX_LINES = 120;
const BASE = 'estate-stack.ts';

const files = fs.readdirSync(STACKS).filter((f) => f.endsWith('.ts'));
const text = (f: string) => fs.readFileSync(path.join(STACKS, f), 'utf8');

/** The sibling stack files a stack file imports, re-exports or requires. */
const siblingsOf = (f: string) =>
  [...text(f).matchAll(/(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)['"](\.\/[^'"]+)['"]/g)].map(
    (m) => `${path.basename(m[1]).replace(/\.ts$/, '')}.ts`,
  );

test(`every stack file is at most ${MAX_LINES} lines`, () => {
  expect(files.length).toBeGreaterThan(5);
  const over = files
    .map((f) => ({ f, lines: text(f).split('\n').length - (text(f).endsWith('\n') ? 1 : 0) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ f, lines }) => `${f}: ${lines} lines`);
  expect(over).toEqual([]);
});

test(`no stack imports another stack's file but ${BASE}`, () => {
  const edges = files.flatMap((f) =>
    siblingsOf(f)
      .filter((s) => s !== BASE)
      .map((s) => `${f} -> ${s}`),
  );
  expect(edges).toEqual([]);
});

test('control: the scan sees the imports of the base', () => {
  expect(siblingsOf('endpoints-stack.ts')).toContain(BASE);
});

/** Fields of a stack class others could reassign: declared at class level without readonly, private or protected. */
const writableFieldsOf = (source: string) =>
  [
    ...source.matchAll(/^ {2}(?!readonly\b|private\b|protected\b|static\b|constructor\b|get\b|set\b)(\w+)\??\s*[:=]/gm),
  ].map((m) => m[1]);

test('every field a stack exposes is readonly', () => {
  const writable = files.flatMap((f) => writableFieldsOf(text(f)).map((field) => `${f}: ${field}`));
  expect(writable).toEqual([]);
});

test('control: the field scan finds a writable field and passes readonly, private and methods', () => {
  const sample = [
    'class S extends Stack {',
    '  readonly a: string;',
    '  private b = 1;',
    '  copier?: Thing;',
    '  count = 0;',
    '  constructor(scope: Construct) {',
    '    super(scope);',
    '  }',
    '  private addRetraining(props: P): void {}',
    '}',
  ].join('\n');
  expect(writableFieldsOf(sample)).toEqual(['copier', 'count']);
});
