import type { EstateUnderTest } from '../suite';

/** Estate-wide Aspects: the permissions boundary on every role, managed policies only, the estate's tags everywhere. */
export default function boundariesAndTags(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf } = estate;

  test('every role of every environment carries the workload permissions boundary (the break-glass role its own)', () => {
    let roles = 0;
    for (const stack of stacks.environment) {
      for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
        roles++;
        // A stack of another region names the foundation's boundary by its fixed name (IAM is global; a Ref cannot
        // cross regions).
        const env = envOf(stack);
        const byName = `"arn:aws:iam::${env.account}:policy/${config.organization.name}-${env.name}-workload-boundary"`;
        const expected = id.startsWith('BreakGlassRole')
          ? /BreakGlassBoundary[0-9A-F]{8}/
          : stack.includes('/Detection-')
            ? new RegExp(`^${byName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
            : /WorkloadPermissionsBoundary[0-9A-F]{8}/;
        expect([stack, id, JSON.stringify(role.Properties.PermissionsBoundary)]).toEqual([
          stack,
          id,
          expect.stringMatching(expected),
        ]);
      }
    }
    expect(roles).toBeGreaterThanOrEqual(3 * stacks.foundation.length);
  });

  test('no role of any environment has an inline policy, but the CDK provider that closes the default security group', () => {
    for (const stack of stacks.environment) {
      expect([stack, ofType(stack, 'AWS::IAM::Policy').map(([id]) => id)]).toEqual([stack, []]);
      for (const [id, role] of ofType(stack, 'AWS::IAM::Role').filter(
        ([i]) => !i.startsWith('CustomVpcRestrictDefaultSGCustomResourceProvider'),
      )) {
        expect([stack, id, role.Properties.Policies]).toEqual([stack, id, undefined]);
      }
    }
  });

  test('keys, buckets, log groups, the VPC and the trail carry the estate and config tags', () => {
    for (const stack of stacks.environment) {
      const env = envOf(stack);
      const expected = [
        { Key: 'estate:environment', Value: env.name },
        { Key: 'estate:organization', Value: config.organization.name },
        { Key: 'data-classification', Value: env.dataClassification },
        ...Object.entries(config.tags).map(([Key, Value]) => ({ Key, Value })),
      ];
      for (const type of [
        'AWS::KMS::Key',
        'AWS::S3::Bucket',
        'AWS::Logs::LogGroup',
        'AWS::EC2::VPC',
        'AWS::CloudTrail::Trail',
      ]) {
        for (const [id, r] of ofType(stack, type))
          expect([stack, id, r.Properties.Tags]).toEqual([stack, id, expect.arrayContaining(expected)]);
      }
    }
  });
}
