import { execFileSync } from 'node:child_process';
import type { EstateUnderTest } from '../suite';

/** AWS's CloudFormation linter finds no error in any template the estate synthesizes. */
export default function cfnLint(estate: EstateUnderTest): void {
  test('cfn-lint reports no error in any synthesized template', () => {
    const files = Object.values(estate.synth().templateFiles);
    expect(files).toHaveLength(estate.stacks.all.length);
    let output = '[]';
    try {
      output = execFileSync('cfn-lint', ['--format', 'json', ...files], {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      });
    } catch (e: any) {
      // cfn-lint exits non-zero for warnings too; its JSON output is what counts.
      output = e.stdout;
      if (!output) throw new Error(`cfn-lint did not run: ${e.message}`);
    }
    const matches: any[] = JSON.parse(output);
    expect(matches.filter((m) => m.Level === 'Error').map((m) => `${m.Rule.Id} ${m.Filename}: ${m.Message}`)).toEqual(
      [],
    );
  });
}
