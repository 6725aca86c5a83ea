/**
 * The layers the README's Layout names, held by reading the imports: constructs and policies never import from lib/
 * (they take props, never the config), and the AWS facts are a leaf.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Every .ts file under a folder of the repository. */
function tsFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push(full);
    }
  };
  walk(path.join(REPO_ROOT, folder));
  return out;
}

/** The repository-relative targets of a file's relative imports, re-exports and requires. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s+|\brequire\(\s*|\bimport\(\s*)['"]([^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) =>
      path
        .relative(REPO_ROOT, path.resolve(path.dirname(file), s))
        .split(path.sep)
        .join('/'),
    );
}

const intoLib = (folder: string) =>
  tsFiles(folder).flatMap((f) =>
    importsOf(f)
      .filter((target) => target === 'lib' || target.startsWith('lib/'))
      .map((target) => `${path.relative(REPO_ROOT, f)} -> ${target}`),
  );

test('no file under constructs/ or policies/ imports from lib/', () => {
  expect(tsFiles('constructs').length).toBeGreaterThan(20);
  expect(intoLib('constructs')).toEqual([]);
  expect(intoLib('policies')).toEqual([]);
});

test('control: the scan sees imports into lib/ where they are (the stacks import the config)', () => {
  expect(intoLib('lib/stacks').some((edge) => edge.startsWith('lib/stacks/endpoints-stack.ts -> lib/config'))).toBe(
    true,
  );
});

test('ModelEndpoint is a folder: the construct, its props, its execution role, its models, its endpoint config, its rollout, its autoscaling, its alarms and dashboard, its Model Monitor schedules', () => {
  expect(fs.readdirSync(path.join(REPO_ROOT, 'constructs/model-endpoint')).sort()).toEqual([
    'alarms.ts',
    'endpoint-config.ts',
    'index.ts',
    'models.ts',
    'monitoring.ts',
    'props.ts',
    'role.ts',
    'rollout.ts',
    'scaling.ts',
  ]);
  expect(fs.existsSync(path.join(REPO_ROOT, 'constructs/model-endpoint.ts'))).toBe(false);
});
