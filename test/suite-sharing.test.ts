/**
 * What the suite shares between test files to run faster must not leak one
 * file's state into another or answer an edit with a result from before it:
 * the synthesized assembly is keyed by every input of synthesis, and the
 * worker's moto server is empty for each file that asks for it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { assemblyKey, defaultEstateConfig } from './support/estate';
import { startMoto } from './support/moto';
import { SYNTHESIS_SOURCE_DIRS, synthesisInputsDigest } from './support/synthesis-inputs';

describe('the key of a shared assembly', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: root,
      stdio: 'ignore',
    });

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'synthesis-inputs-'));
    for (const dir of SYNTHESIS_SOURCE_DIRS) write(`${dir}/index.ts`, `export const where = '${dir}';\n`);
    write('cdk.json', '{"context":{}}\n');
    write('package-lock.json', '{}\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('changes with any source synthesis reads: an edit, a new file, a renamed file, each source folder, the lock file, cdk.json', () => {
    const before = synthesisInputsDigest(root);
    expect(synthesisInputsDigest(root)).toBe(before);
    const changes: Array<[string, () => void, () => void]> = [
      ...SYNTHESIS_SOURCE_DIRS.map((dir): [string, () => void, () => void] => [
        `edit in ${dir}/`,
        () => write(`${dir}/index.ts`, 'export const where = 0;\n'),
        () => write(`${dir}/index.ts`, `export const where = '${dir}';\n`),
      ]),
      [
        'a new file in lib/',
        () => write('lib/deep/new.ts', ''),
        () => fs.rmSync(path.join(root, 'lib', 'deep'), { recursive: true }),
      ],
      [
        'a file renamed, content unchanged',
        () => fs.renameSync(path.join(root, 'lib', 'index.ts'), path.join(root, 'lib', 'other.ts')),
        () => fs.renameSync(path.join(root, 'lib', 'other.ts'), path.join(root, 'lib', 'index.ts')),
      ],
      [
        'package-lock.json',
        () => write('package-lock.json', '{"lockfileVersion":3}\n'),
        () => write('package-lock.json', '{}\n'),
      ],
      ['cdk.json', () => write('cdk.json', '{"context":{"flag":true}}\n'), () => write('cdk.json', '{"context":{}}\n')],
    ];
    for (const [what, change, undo] of changes) {
      change();
      expect([what, synthesisInputsDigest(root)]).not.toEqual([what, before]);
      undo();
      expect([what, synthesisInputsDigest(root)]).toEqual([what, before]);
    }
  });

  test('ignores what synthesis does not read outside git (tests, docs, node_modules, __pycache__)', () => {
    const before = synthesisInputsDigest(root);
    write('test/some.test.ts', 'test("x", () => {});\n');
    write('README.md', '# more\n');
    write('lib/node_modules/x/index.js', '');
    write('processing/__pycache__/x.pyc', 'bytes');
    expect(synthesisInputsDigest(root)).toBe(before);
  });

  test('changes with the git state the evidence records: a commit, then any uncommitted change, tracked or not', () => {
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'one');
    const committed = synthesisInputsDigest(root);
    // A test file is no synthesis source, but the evidence's provenance records it as an uncommitted change.
    write('test/some.test.ts', 'one');
    const untracked = synthesisInputsDigest(root);
    expect(untracked).not.toBe(committed);
    write('test/some.test.ts', 'two');
    expect(synthesisInputsDigest(root)).not.toBe(untracked);
    git('add', '-A');
    git('commit', '-q', '-m', 'two');
    const next = synthesisInputsDigest(root);
    expect(new Set([committed, untracked, next]).size).toBe(3);
  });

  test("an assembly's key changes with the inputs' digest, the config and the environment, and with nothing else", () => {
    const config = defaultEstateConfig();
    const saved = {
      inputs: process.env.ESTATE_SYNTHESIS_INPUTS,
      epoch: process.env.SOURCE_DATE_EPOCH,
      worker: process.env.JEST_WORKER_ID,
    };
    try {
      process.env.ESTATE_SYNTHESIS_INPUTS = 'a'.repeat(64);
      const key = assemblyKey(config);
      expect(assemblyKey(defaultEstateConfig())).toBe(key);
      // Every worker reads the assembly another synthesized.
      process.env.JEST_WORKER_ID = String(Number(process.env.JEST_WORKER_ID ?? 1) + 1);
      expect(assemblyKey(config)).toBe(key);
      process.env.ESTATE_SYNTHESIS_INPUTS = 'b'.repeat(64);
      expect(assemblyKey(config)).not.toBe(key);
      process.env.ESTATE_SYNTHESIS_INPUTS = 'a'.repeat(64);
      expect(assemblyKey({ ...config, models: config.models.slice(1) })).not.toBe(key);
      process.env.SOURCE_DATE_EPOCH = '1234567890';
      expect(assemblyKey(config)).not.toBe(key);
    } finally {
      for (const [name, value] of [
        ['ESTATE_SYNTHESIS_INPUTS', saved.inputs],
        ['SOURCE_DATE_EPOCH', saved.epoch],
        ['JEST_WORKER_ID', saved.worker],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("the worker's moto server", () => {
  const listening = (endpoint: string) =>
    new Promise<boolean>((resolve) => {
      const url = new URL(endpoint);
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  const buckets = async (s3: S3Client) =>
    ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);

  test('is empty for each file that asks for it after another is done with it, and stays up between them', async () => {
    const first = await startMoto();
    const s3 = new S3Client({ ...first.clientConfig, forcePathStyle: true });
    await s3.send(
      new CreateBucketCommand({
        Bucket: 'left-behind',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    expect(await buckets(s3)).toEqual(['left-behind']);
    await first.stop();
    const second = await startMoto();
    try {
      expect(second.endpoint).toBe(first.endpoint);
      expect(await listening(second.endpoint)).toBe(true);
      expect(await buckets(new S3Client({ ...second.clientConfig, forcePathStyle: true }))).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 120_000);

  test('a second server asked for while the first is in use is a private one, stopped when released', async () => {
    const shared = await startMoto();
    try {
      const own = await startMoto();
      expect(own.endpoint).not.toBe(shared.endpoint);
      const mine = new S3Client({ ...own.clientConfig, forcePathStyle: true });
      await mine.send(
        new CreateBucketCommand({ Bucket: 'private', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
      );
      expect(await buckets(new S3Client({ ...shared.clientConfig, forcePathStyle: true }))).toEqual([]);
      await own.stop();
      expect(await listening(own.endpoint)).toBe(false);
      expect(await listening(shared.endpoint)).toBe(true);
    } finally {
      await shared.stop();
    }
  }, 120_000);
});

describe('the record of a whole-suite run that npm run bench prints', () => {
  const Reporter = require('./support/suite-timing-reporter.js');
  // As jest hands it to a reporter: `success` is still the false it was created with (set after the reporters).
  const results = (startTime: number) => ({
    startTime,
    success: false,
    numTotalTestSuites: 2,
    numFailedTestSuites: 0,
    numRuntimeErrorTestSuites: 0,
    snapshot: { failure: false },
    wasInterrupted: false,
    numPassedTests: 3,
    numFailedTests: 0,
    numPendingTests: 1,
    numTodoTests: 0,
    testResults: [
      {
        testFilePath: path.join(__dirname, 'fast.test.ts'),
        perfStats: { start: 0, end: 1_000 },
        testResults: [{ numPassingAsserts: 2 }],
      },
      {
        testFilePath: path.join(__dirname, 'slow.test.ts'),
        perfStats: { start: 0, end: 9_000 },
        testResults: [{ numPassingAsserts: 5 }, { numPassingAsserts: 0 }],
      },
    ],
  });
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suite-record-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a whole-suite run writes its wall time, counts and slowest files', () => {
    const outputFile = path.join(dir, 'record.json');
    const reporter = new Reporter(
      { testPathPatterns: { isSet: (): boolean => false }, nonFlagArgs: [], maxWorkers: 2 },
      { outputFile },
    );
    reporter.onRunStart();
    reporter.onRunComplete(new Set(), results(Date.now() - 42_000));
    const record = JSON.parse(fs.readFileSync(outputFile, 'utf8'));
    expect(record.wallSeconds).toBeGreaterThanOrEqual(42);
    expect(record.wallSeconds).toBeLessThan(60);
    expect(record).toMatchObject({
      files: 2,
      tests: { passed: 3, failed: 0, skipped: 1 },
      passingAssertions: 7,
      success: true,
      workers: 2,
    });
    expect(record.slowestFiles).toEqual([
      { file: 'test/slow.test.ts', seconds: 9 },
      { file: 'test/fast.test.ts', seconds: 1 },
    ]);
  });

  test.each<[string, boolean, Record<string, unknown>]>([
    ['every test passed', true, {}],
    ['a failed test', false, { numFailedTests: 1, numPassedTests: 2 }],
    ['a file that failed without a failed test', false, { numFailedTestSuites: 1 }],
    ['a file that could not run', false, { numRuntimeErrorTestSuites: 1 }],
    ['a snapshot failure', false, { snapshot: { failure: true } }],
    ['an interrupted run', false, { wasInterrupted: true }],
  ])('a run with %s is recorded as success: %s', (_name, success, overrides) => {
    const outputFile = path.join(dir, 'record.json');
    const reporter = new Reporter(
      { testPathPatterns: { isSet: (): boolean => false }, nonFlagArgs: [], maxWorkers: 2 },
      { outputFile },
    );
    reporter.onRunStart();
    reporter.onRunComplete(new Set(), { ...results(Date.now()), ...overrides });
    expect(JSON.parse(fs.readFileSync(outputFile, 'utf8')).success).toBe(success);
  });

  test.each<[string, Record<string, unknown>]>([
    ['a path filter', { testPathPatterns: { isSet: (): boolean => true }, nonFlagArgs: ['test/x.test.ts'] }],
    ['a test name filter', { testPathPatterns: { isSet: (): boolean => false }, testNamePattern: 'x' }],
    ['only changed files', { testPathPatterns: { isSet: (): boolean => false }, onlyChanged: true }],
    ['a shard', { testPathPatterns: { isSet: (): boolean => false }, shard: { shardIndex: 1, shardCount: 2 } }],
  ])('a run with %s records nothing', (_name, globalConfig) => {
    const outputFile = path.join(dir, 'record.json');
    const reporter = new Reporter(globalConfig, { outputFile });
    reporter.onRunStart();
    reporter.onRunComplete(new Set(), results(Date.now()));
    expect(fs.existsSync(outputFile)).toBe(false);
  });
});
