/**
 * The deploy rehearsal's tests.
 *
 * Static half: every cross-stack reference (Fn::GetStackOutput) names a stack of the assembly, in the
 * region and account it states, that declares the output, and the consumer depends on that stack.
 *
 * Dynamic half: the rehearsal (`npm run rehearse`: the real CDK CLI deploying into the patched moto)
 * is not vacuous: planted defects that synth accepts make it fail, naming them. Each run deploys a few
 * stacks of the real estate, with one defect planted in a copy of the assembly.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { validateEstateConfig } from '../lib/config/load';
import { AssemblyStack, assemblyStacks, crossStackProblems, stackOutputReferences } from './rehearsal/cross-stack';
import { synthesizeEstate } from './support/estate';
import { generatedEstate } from './support/generate-estate';

// The estate synthesized once for the whole file, as `cdk synth` would (packs included).
let outdir: string;
let stacks: AssemblyStack[];
beforeAll(() => {
  outdir = synthesizeEstate().outdir;
  stacks = assemblyStacks(outdir);
}, 300_000);

describe('cross-stack references of the estate', () => {
  test('every reference resolves to a declared output of a stack the consumer depends on', () => {
    // GIVEN the estate's assembly WHEN its references are checked THEN none is wrong
    expect(crossStackProblems(stacks)).toEqual([]);
  });

  test('the check sees the references: every environment stage reads its Foundation outputs', () => {
    const refs = stacks.flatMap(stackOutputReferences);
    expect(refs.length).toBeGreaterThan(100);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(
        refs.some((r) => r.consumer.displayName.startsWith(`${env}/`) && r.stackName === `${env}-Foundation`),
      ).toBe(true);
    }
  });

  // Hostile cases: the same assembly, changed the way a refactor could change it.
  const consumerOf = (all: AssemblyStack[]) => {
    const consumer = all.find((s) => stackOutputReferences(s).length > 0)!;
    const ref = stackOutputReferences(consumer)[0];
    const producer = all.find(
      (s) => s.stackName === ref.stackName && s.region === ref.region && s.account === ref.account,
    )!;
    return { consumer, ref, producer };
  };
  const replace = (all: AssemblyStack[], s: AssemblyStack, changed: Partial<AssemblyStack>) =>
    all.map((x) => (x === s ? { ...x, ...changed } : x));

  test('an output the producer no longer declares is named', () => {
    const { ref, producer } = consumerOf(stacks);
    const outputs = { ...producer.template.Outputs };
    delete outputs[ref.outputName];
    const problems = crossStackProblems(
      replace(stacks, producer, { template: { ...producer.template, Outputs: outputs } }),
    );
    expect(problems.some((p) => p.includes(`declares no output ${ref.outputName}`))).toBe(true);
  });

  test('a producer moved to another region is named', () => {
    const { ref, producer } = consumerOf(stacks);
    const problems = crossStackProblems(
      replace(stacks, producer, { region: 'eu-central-1' === ref.region ? 'eu-west-1' : 'eu-central-1' }),
    );
    expect(problems.some((p) => p.includes(`${ref.stackName} is deployed to`) && p.includes('not there'))).toBe(true);
  });

  test("a producer in another account is named (a reference without RoleArn reads the consumer's account)", () => {
    const { producer } = consumerOf(stacks);
    const problems = crossStackProblems(replace(stacks, producer, { account: '999999999990' }));
    expect(problems.some((p) => p.includes('999999999990/') && p.includes('not there'))).toBe(true);
  });

  test('a consumer that does not depend on its producer is named', () => {
    const { consumer, producer } = consumerOf(stacks);
    // Cut every path from the consumer to the producer.
    const cut = stacks.map((s) => (s === consumer ? { ...s, dependencies: [] } : s));
    const problems = crossStackProblems(cut);
    expect(problems.some((p) => p.includes(`${consumer.displayName} does not depend on ${producer.displayName}`))).toBe(
      true,
    );
  });

  test('a reference to a stack name the assembly does not have is named', () => {
    const { producer } = consumerOf(stacks);
    const problems = crossStackProblems(replace(stacks, producer, { stackName: `${producer.stackName}-renamed` }));
    expect(problems.some((p) => p.includes(`no stack of the assembly is named ${producer.stackName}`))).toBe(true);
  });

  test("a RoleArn reference reads the role's account", () => {
    const consumer: AssemblyStack = {
      id: 'C',
      displayName: 'x/C',
      stackName: 'x-C',
      account: '111111111111',
      region: 'eu-west-1',
      dependencies: ['P'],
      template: {
        Resources: {
          R: {
            Type: 'AWS::SNS::Topic',
            Properties: {
              TopicName: {
                'Fn::GetStackOutput': {
                  StackName: 'x-P',
                  Region: 'eu-west-1',
                  OutputName: 'Name',
                  RoleArn: 'arn:aws:iam::222222222222:role/reader',
                },
              },
            },
          },
        },
      },
    };
    const producer: AssemblyStack = {
      id: 'P',
      displayName: 'x/P',
      stackName: 'x-P',
      account: '222222222222',
      region: 'eu-west-1',
      dependencies: [],
      template: { Outputs: { Name: { Value: 'n' } } },
    };
    expect(crossStackProblems([consumer, producer])).toEqual([]);
    expect(crossStackProblems([consumer, { ...producer, account: '111111111111' }])).toEqual([
      'x/C reads x-P.Name in 222222222222/eu-west-1: x-P is deployed to 111111111111/eu-west-1, not there',
    ]);
  });
});

describe('cross-stack references of another valid estate', () => {
  test('a generated estate with more models and shards holds too', () => {
    const generated = assemblyStacks(
      synthesizeEstate(validateEstateConfig(generatedEstate(8, { delivery: true }))).outdir,
    );
    expect(generated.flatMap(stackOutputReferences).length).toBeGreaterThan(100);
    expect(crossStackProblems(generated)).toEqual([]);
  });
});

const REHEARSE = path.join(__dirname, 'rehearsal', 'rehearse.py');

function rehearse(assembly: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [REHEARSE, '--assembly', assembly, ...args], { cwd: path.join(__dirname, '..') });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const failures = (out: string) => out.split('\n').filter((l) => l.startsWith('REHEARSAL FAIL'));

describe('deploy rehearsal against planted defects', () => {
  let collision: { code: number | null; out: string };
  let missing: { code: number | null; out: string };
  beforeAll(async () => {
    [collision, missing] = await Promise.all([
      rehearse(outdir, ['--mutate', 'bucket-collision', '--stacks', 'dev/AuditReplica', 'staging/AuditReplica']),
      rehearse(outdir, ['--mutate', 'missing-output', '--stacks', 'dev/ModelGovernance']),
    ]);
  }, 600_000);

  test("two stacks in two accounts naming the same bucket fail the rehearsal with S3's answer", () => {
    // GIVEN staging's audit replica bucket renamed to dev's (a name clash no template check sees)
    expect(collision.out).toMatch(
      /REHEARSAL MUTANT bucket-collision: staging\/AuditReplica\/\S+ is named audit-replica-111111111111-eu-central-1/,
    );
    // THEN the rehearsal exits non-zero, naming the stack that lost the race and why
    expect(collision.code).toBe(1);
    expect(
      failures(collision.out).some((l) =>
        /stack (dev|staging)\/AuditReplica is ROLLBACK_COMPLETE .*BucketAlreadyExists/.test(l),
      ),
    ).toBe(true);
    // and the CLI itself did not claim success
    expect(failures(collision.out).some((l) => l.startsWith('REHEARSAL FAIL cdk deploy (deploy) exited 1'))).toBe(true);
  });

  test('an output a consumer reads but the producer no longer declares fails the rehearsal, naming the output', () => {
    const planted =
      /REHEARSAL MUTANT missing-output: dev\/Foundation no longer declares (\S+), which dev\/ModelGovernance reads/.exec(
        missing.out,
      );
    expect(planted).not.toBeNull();
    const output = planted![1];
    expect(missing.code).toBe(1);
    // The emulator refuses the reference as CloudFormation does, and the read-back names it.
    expect(missing.out).toContain(`has no output ${output}`);
    expect(failures(missing.out)).toContain(
      `REHEARSAL FAIL stack dev/ModelGovernance reads dev-Foundation.${output} in 111111111111/eu-west-1: the output is missing`,
    );
    // Only the planted defect's consequences fail: the producer itself deployed.
    expect(failures(missing.out).some((l) => l.includes('stack dev/Foundation '))).toBe(false);
  });
});

describe('the moto launcher refuses to run patches it cannot vouch for', () => {
  // Loads the launcher as a module (it serves only when run as a script) and runs its start-up checks.
  const launcher = (snippet: string) =>
    new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const program = [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(path.join(__dirname, 'rehearsal'))})`,
        'import moto_launcher as L',
        snippet,
      ].join('\n');
      const child = spawn('python3', ['-c', program]);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });

  // The three start-ups run at once: each loads moto (seconds on a busy machine).
  let pinned: { code: number | null; out: string };
  let closed: { code: number | null; out: string };
  let upgraded: { code: number | null; out: string };
  beforeAll(async () => {
    [pinned, closed, upgraded] = await Promise.all([
      launcher('import json\nprint(json.dumps(L.apply_patches()))'),
      launcher(
        [
          'name, needed, apply, why = L.PATCHES[0]',
          'L.PATCHES[0] = (name, lambda: False, apply, why)',
          'try:\n    L.apply_patches()\nexcept L.PatchError as e:\n    print("refused:", e); sys.exit(3)',
        ].join('\n'),
      ),
      launcher(
        [
          'import moto\nmoto.__version__ = "5.3.0"',
          'try:\n    L.apply_patches()\nexcept L.PatchError as e:\n    print("refused:", e); sys.exit(3)',
        ].join('\n'),
      ),
    ]);
  }, 300_000);

  test('on the pinned moto every patch is needed and applies, each with its reason', () => {
    expect(pinned.code).toBe(0);
    const applied = JSON.parse(pinned.out.trim().split('\n').pop()!) as { name: string; why: string }[];
    expect(applied.map((p) => p.name)).toContain('change-set-failure-is-a-failure');
    expect(applied.length).toBeGreaterThanOrEqual(10);
    for (const p of applied) expect(p.why.length).toBeGreaterThan(60);
  });

  test('a patch whose gap moto has closed stops the launcher, naming it', () => {
    expect(closed.code).toBe(3);
    expect(closed.out).toMatch(
      /refused: patch change-set-failure-is-a-failure is no longer needed with moto 5\.2\.1: remove it/,
    );
  });

  test('another moto version stops the launcher before any patch', () => {
    expect(upgraded.code).toBe(3);
    expect(upgraded.out).toContain('refused: moto 5.3.0 is installed; the rehearsal is pinned to 5.2.1');
  });
});
