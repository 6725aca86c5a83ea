import type { EstateUnderTest } from '../suite';

/** A reference to a key of the foundation, in its own stack or from another stack of the environment. */
const foundationKey = (purpose: string) => (value: unknown) =>
  String(JSON.stringify(value)).match(new RegExp(`Keys${purpose}Key[0-9A-F]{8}`)) !== null;

/**
 * Invariant 2: customer-managed keys, rotating, never open to an unconditioned wildcard; buckets and logs under them.
 */
export default function encryption(estate: EstateUnderTest): void {
  const { stacks, ofType } = estate;

  for (const stack of stacks.foundation) {
    test(`invariant 2: ${stack} has four keys, one per purpose, each rotating`, () => {
      const keys = ofType(stack, 'AWS::KMS::Key');
      expect(keys).toHaveLength(4);
      for (const [, key] of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
      const aliases = ofType(stack, 'AWS::KMS::Alias').map(([, a]) => a.Properties.AliasName as string);
      expect(aliases.map((a) => a.split('/').pop()).sort()).toEqual(['audit', 'data', 'logs', 'ml']);
    });
  }

  test('invariant 2: no key policy in any stack allows an unconditioned wildcard principal; every key rotates', () => {
    for (const stack of stacks.all) {
      for (const [id, key] of ofType(stack, 'AWS::KMS::Key')) {
        expect([stack, id, key.Properties.EnableKeyRotation]).toEqual([stack, id, true]);
        for (const statement of key.Properties.KeyPolicy.Statement) {
          const principal = JSON.stringify(statement.Principal);
          const wildcard = principal === '"*"' || /"AWS":"\*"/.test(principal);
          if (statement.Effect === 'Allow' && wildcard && !statement.Condition) {
            throw new Error(`${stack} ${id}: statement ${statement.Sid ?? ''} allows "*" without a condition`);
          }
        }
      }
    }
  });

  test('invariant 2: every bucket of every environment but the access-log targets uses SSE-KMS with a customer key of the foundation', () => {
    let checked = 0;
    for (const stack of stacks.environment.filter((s) => !s.endsWith('/AuditReplica'))) {
      // A stack of another region (Detection-<region>) cannot use the foundation's keys (KMS keys are regional): a
      // customer key of its own.
      const ownKey = (v: any) =>
        ofType(stack, 'AWS::KMS::Key').some(
          ([k]) => JSON.stringify(v) === JSON.stringify({ 'Fn::GetAtt': [k, 'Arn'] }),
        );
      const keyed = stack.includes('/Detection-') ? ownKey : foundationKey('\\w+');
      for (const [id, bucket] of ofType(stack, 'AWS::S3::Bucket').filter(([i]) => !/AccessLog/.test(i))) {
        const sse =
          bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
        expect([stack, id, sse.SSEAlgorithm, keyed(sse.KMSMasterKeyID)]).toEqual([stack, id, 'aws:kms', true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(stacks.foundation.length);
  });

  test('invariant 2: every log group of every environment is encrypted with the logs key and kept at least a year', () => {
    let checked = 0;
    for (const stack of stacks.environment) {
      for (const [id, group] of ofType(stack, 'AWS::Logs::LogGroup')) {
        expect([stack, id, foundationKey('Logs')(group.Properties.KmsKeyId)]).toEqual([stack, id, true]);
        expect(group.Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * stacks.foundation.length);
  });
}
