import { resourceTypesByKind } from '../../../policies/bootstrap/account-kinds';
import { executionPolicy } from '../../../policies/bootstrap/execution-policy';
import type { EstateUnderTest } from '../suite';

/** The execution policy `npm run bootstrap-policies` writes for this estate does not block its own roles. */
export default function bootstrapPolicy(estate: EstateUnderTest): void {
  const { stacks, ofType, synth } = estate;

  test("every role of every environment is created under a boundary the environment execution policy's deny admits", () => {
    const types = resourceTypesByKind(synth().app.synth());
    const policy = executionPolicy({
      kind: 'environment',
      resourceTypes: types.environment,
      allowedRegions: estate.config.organization.allowedRegions,
    });
    const deny = policy.Statement.find((s) => s.Sid === 'RolesOnlyUnderTheEstateBoundaries') as any;
    const patterns: RegExp[] = deny.Condition.StringNotLike['iam:PermissionsBoundary'].map(
      (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`),
    );
    for (const foundation of stacks.foundation) {
      const env = foundation.split('/')[0];
      const boundaries = Object.fromEntries(
        ofType(foundation, 'AWS::IAM::ManagedPolicy').map(([id, p]) => [
          id,
          p.Properties.ManagedPolicyName as string | undefined,
        ]),
      );
      for (const stack of estate.stacksOf(env)) {
        for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
          const boundary = JSON.stringify(role.Properties.PermissionsBoundary);
          const ref = boundary.match(/(WorkloadPermissionsBoundary|BreakGlassBoundary)[0-9A-F]{8}/)?.[0];
          // A stack of another region names the foundation's boundary by its fixed name (a Ref cannot cross regions).
          const byName = /^"arn:aws:iam::\d{12}:policy\/([\w+=,.@-]+)"$/.exec(boundary)?.[1];
          expect([
            stack,
            id,
            ref !== undefined || (byName !== undefined && Object.values(boundaries).includes(byName)),
          ]).toEqual([stack, id, true]);
          // CloudFormation names an unnamed managed policy <stack>-<logical ID>-<suffix>.
          const name = byName ?? boundaries[ref!] ?? `${env}-Foundation-${ref}-ABCDEFGHIJKL`;
          expect([stack, id, patterns.some((p) => p.test(`arn:aws:iam::123456789012:policy/${name}`))]).toEqual([
            stack,
            id,
            true,
          ]);
        }
      }
    }
  });
}
