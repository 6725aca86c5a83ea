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
