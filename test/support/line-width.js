#!/usr/bin/env node
// The project's width, checked by `npm run lint` after Prettier: no line of TypeScript or JavaScript runs past
// 120 columns (Prettier's printWidth in .prettierrc.json), comments included. A line may run over only where
// the text that makes it long is one Prettier does not break: a string, template or regular-expression literal,
// or a URL. These are the exemptions of ESLint's max-len (ignoreStrings, ignoreTemplateLiterals,
// ignoreRegExpLiterals, ignoreUrls): an error message or a pattern stays whole, so it can be found with grep.
//
//   node test/support/line-width.js            # every tracked *.ts and *.js file
//   node test/support/line-width.js a.ts b.js  # the files named
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parse } = require('@babel/parser');

const ROOT = path.resolve(__dirname, '..', '..');
const WIDTH = JSON.parse(fs.readFileSync(path.join(ROOT, '.prettierrc.json'), 'utf8')).printWidth;
const LITERALS = new Set(['string', 'template', 'regexp']);
const URL = /[a-z][a-z0-9+.-]*:\/\/\S+/i;

/** The lines of `text` (1-based numbers) that run past WIDTH with no literal or URL to excuse them. */
function overlong(text, file) {
  const lines = text.split('\n');
  const long = lines.map((l, i) => (l.length > WIDTH ? i + 1 : 0)).filter(Boolean);
  if (long.length === 0) return [];
  const ast = parse(text, {
    sourceType: 'unambiguous',
    plugins: file.endsWith('.ts') ? ['typescript'] : [],
    tokens: true,
  });
  const excused = new Set();
  for (const token of ast.tokens) {
    if (!LITERALS.has(token.type.label)) continue;
    for (let l = token.loc.start.line; l <= token.loc.end.line; l++) excused.add(l);
  }
  return long
    .filter((n) => !excused.has(n) && !URL.test(lines[n - 1]))
    .map((n) => ({ line: n, length: lines[n - 1].length }));
}

function main(argv) {
  const files =
    argv.length > 0
      ? argv
      : execFileSync('git', ['ls-files', '*.ts', '*.js'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  let problems = 0;
  for (const file of files) {
    const full = path.resolve(ROOT, file);
    if (!fs.existsSync(full)) continue;
    for (const p of overlong(fs.readFileSync(full, 'utf8'), file)) {
      problems += 1;
      console.error(`${file}:${p.line}: ${p.length} columns, over the project's width of ${WIDTH}`);
    }
  }
  if (problems > 0) {
    console.error(`${problems} line(s) over ${WIDTH} columns: rewrap the comment or break the code`);
    process.exit(1);
  }
}

module.exports = { overlong, WIDTH };
if (require.main === module) main(process.argv.slice(2));
