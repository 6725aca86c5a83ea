import type { EstateUnderTest } from '../suite';

/** The ways to write an Object Lock default retention of COMPLIANCE for `years` years: in years or in days. */
const lockedFor = (years: number) => [
  { Mode: 'COMPLIANCE', Years: years },
  { Mode: 'COMPLIANCE', Days: 365 * years },
];

/**
 * Invariant 4: a multi-region, validated, encrypted trail into an Object Lock COMPLIANCE bucket, replicated to a second
 * region.
 */
export default function audit(estate: EstateUnderTest): void {
  const { config, stacks, ofType, envOf, synth } = estate;
  const org = config.organization.name;

  for (const stack of stacks.foundation) {
    describe(`invariant 4: immutable audit trail (${stack})`, () => {
      test('the trail is multi-region, validated, KMS-encrypted, copied to CloudWatch Logs and records S3 data events', () => {
        const trails = ofType(stack, 'AWS::CloudTrail::Trail');
        expect(trails).toHaveLength(1);
        const [[, trail]] = trails;
        expect(trail.Properties).toMatchObject({
          TrailName: `${org}-${envOf(stack).name}-audit`,
          IsMultiRegionTrail: true,
          EnableLogFileValidation: true,
          IncludeGlobalServiceEvents: true,
          IsLogging: true,
          KMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^KeysAuditKey/), 'Arn'] },
          CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(/^AuditLogGroup/), 'Arn'] },
          S3BucketName: { Ref: expect.stringMatching(/^AuditBucket/) },
        });
        const selectors = trail.Properties.AdvancedEventSelectors;
        expect(selectors).toContainEqual({
          Name: expect.any(String),
          FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
        });
        const data = selectors.find((s: any) => s.FieldSelectors.some((f: any) => f.Equals?.includes('Data')));
        expect(data.FieldSelectors).toContainEqual({ Field: 'resources.type', Equals: ['AWS::S3::Object'] });
      });

      test('log files land in a versioned, logged bucket under Object Lock COMPLIANCE with the configured retention', () => {
        const env = envOf(stack);
        const [[, bucket]] = ofType(stack, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('AuditBucket'));
        expect(bucket.Properties.ObjectLockEnabled).toBe(true);
        expect(bucket.Properties.ObjectLockConfiguration.ObjectLockEnabled).toBe('Enabled');
        expect(lockedFor(env.auditLogRetentionYears)).toContainEqual(
          bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention,
        );
        expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
        expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
          Ref: expect.stringMatching(/^AuditAccessLogBucket/),
        });
      });

      test('every bucket of the stack blocks public access and refuses plain HTTP', () => {
        for (const [id, bucket] of ofType(stack, 'AWS::S3::Bucket')) {
          expect([id, bucket.Properties.PublicAccessBlockConfiguration]).toEqual([
            id,
            { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          ]);
          const policies = ofType(stack, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === id);
          expect([id, policies.length]).toEqual([id, 1]);
          expect(policies[0][1].Properties.PolicyDocument.Statement).toContainEqual(
            expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          );
        }
      });

      test('only this trail may deliver to the audit bucket and use the audit key', () => {
        const env = envOf(stack);
        const trailArn = `arn:aws:cloudtrail:${env.region}:${env.account}:trail/${org}-${env.name}-audit`;
        const [[, policy]] = ofType(stack, 'AWS::S3::BucketPolicy').filter(([, p]) =>
          p.Properties.Bucket.Ref.startsWith('AuditBucket'),
        );
        expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({
            Sid: 'DenyDeliveryFromOtherTrails',
            Effect: 'Deny',
            Condition: { StringNotEquals: { 'aws:SourceArn': trailArn } },
          }),
        );
        const [[, key]] = ofType(stack, 'AWS::KMS::Key').filter(([id]) => id.startsWith('KeysAuditKey'));
        const forTrail = key.Properties.KeyPolicy.Statement.filter(
          (s: any) => s.Principal?.Service === 'cloudtrail.amazonaws.com',
        );
        expect(forTrail.length).toBeGreaterThan(0);
        for (const statement of forTrail) expect(statement.Condition.StringEquals['aws:SourceArn']).toEqual(trailArn);
      });
    });
  }

  for (const env of config.environments) {
    describe(`invariant 4: audit logs replicated to a locked bucket in a second region (${env.name})`, () => {
      test('the replica is a COMPLIANCE-locked, KMS-encrypted, versioned, private bucket in the replica region', () => {
        const replica = synth().estate.stages[env.name].auditReplica;
        expect(replica.region).toBe(env.auditReplicaRegion);
        expect(replica.region).not.toBe(env.region);
        const [[, bucket]] = ofType(`${env.name}/AuditReplica`, 'AWS::S3::Bucket').filter(([id]) =>
          id.startsWith('AuditReplicaBucket'),
        );
        expect(bucket.Properties).toMatchObject({
          BucketName: `audit-replica-${env.account}-${env.auditReplicaRegion}`,
          ObjectLockEnabled: true,
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^AuditReplicaKey/), 'Arn'] },
                },
              },
            ],
          },
        });
        expect(lockedFor(env.auditLogRetentionYears)).toContainEqual(
          bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention,
        );
        synth().templates[`${env.name}/AuditReplica`].hasResourceProperties('AWS::KMS::Alias', {
          AliasName: `alias/${org}-${env.name}/audit-replica`,
        });
      });

      test('the audit bucket replicates every KMS-encrypted log file there, re-encrypted with the replica key; the replica deploys first', () => {
        const [[, bucket]] = ofType(`${env.name}/Foundation`, 'AWS::S3::Bucket').filter(([id]) =>
          id.startsWith('AuditBucket'),
        );
        const [rule] = bucket.Properties.ReplicationConfiguration.Rules;
        expect(rule).toMatchObject({
          Status: 'Enabled',
          Filter: { Prefix: '' },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
          Destination: {
            Bucket: `arn:aws:s3:::audit-replica-${env.account}-${env.auditReplicaRegion}`,
            EncryptionConfiguration: {
              ReplicaKmsKeyID: `arn:aws:kms:${env.auditReplicaRegion}:${env.account}:alias/${org}-${env.name}/audit-replica`,
            },
          },
        });
        const { foundation, auditReplica } = synth().estate.stages[env.name];
        expect(foundation.dependencies).toContain(auditReplica);
      });

      test('governance decisions are kept under the same lock and replicated there too', () => {
        const stack = `${env.name}/ModelGovernance`;
        const [[, bucket]] = ofType(stack, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('DecisionRecords'));
        expect(lockedFor(env.auditLogRetentionYears)).toContainEqual(
          bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention,
        );
        expect(bucket.Properties.ReplicationConfiguration.Rules[0].Destination.Bucket).toBe(
          `arn:aws:s3:::audit-replica-${env.account}-${env.auditReplicaRegion}`,
        );
        expect(bucket.DeletionPolicy).toBe('Retain');
      });
    });
  }
}
