/**
 * The project's width (test/support/line-width.js, run by `npm run lint`): a line over 120 columns is refused
 * unless a literal Prettier does not break, or a URL, makes it long.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { overlong, WIDTH } = require('./support/line-width') as {
  overlong: (text: string, file: string) => { line: number; length: number }[];
  WIDTH: number;
};

const pad = (n: number) => 'x'.repeat(n);

describe("the project's width", () => {
  test("is Prettier's printWidth", () => {
    expect(WIDTH).toBe(120);
  });

  test('a comment or code line over the width is refused, with its line and length; one at the width passes', () => {
    const comment = `// ${pad(WIDTH - 3)}`;
    const over = `// ${pad(WIDTH - 2)}`;
    const code = `const a = [${Array.from({ length: 40 }, (_, i) => i).join(', ')}];`;
    expect(overlong([comment, over, code].join('\n'), 'a.ts')).toEqual([
      { line: 2, length: WIDTH + 1 },
      { line: 3, length: code.length },
    ]);
    expect(code.length).toBeGreaterThan(WIDTH);
  });

  test('a string, template or regular-expression literal, or a URL, may make a line long', () => {
    const text = [
      `const s = '${pad(WIDTH)}';`,
      `const t = \`${pad(WIDTH)}\${s}\`;`,
      `const r = /${pad(WIDTH)}/;`,
      `// see https://docs.aws.amazon.com/${pad(WIDTH)}`,
      'const html = `',
      `${pad(WIDTH + 5)}`,
      '`;',
    ].join('\n');
    expect(overlong(text, 'b.ts')).toEqual([]);
  });

  test('a long comment beside a short string is still refused when the comment is on its own line', () => {
    const text = [`const s = 'short';`, `// ${pad(WIDTH)}`].join('\n');
    expect(overlong(text, 'c.js')).toEqual([{ line: 2, length: WIDTH + 3 }]);
  });
});
