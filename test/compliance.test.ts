/**
 * The compliance packs are live: removing a control from the estate makes a
 * pack report it, and an unacknowledged finding stops synthesis.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { compliancePacks, registerCompliancePacks } from '../lib/compliance/nag-packs';
import { buildEstate } from '../lib/estate';
import { acknowledgeFindings } from '../policies/acknowledge';
import { cdkJsonContext, defaultEstateConfig } from './support/estate';

/** Rule IDs every pack reports for `scope`, as `rule @ construct path`. */
function findings(scope: IConstruct): string[] {
  return compliancePacks().flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`)),
  );
}

describe('removing a control from the estate is caught by the packs', () => {
  // Built, not synthesized: the packs read the construct tree directly.
  const app = new App({ context: cdkJsonContext() });
  const { stages } = buildEstate(app, defaultEstateConfig());
  const prod = stages.prod.foundation;
  const governance = stages.prod.governance;
  const baseline = findings(stages.prod);

  test('the unmodified prod stage has no finding', () => {
    expect(baseline).toEqual([]);
  });

  test.each<[string, () => void, RegExp]>([
    [
      'key rotation off',
      () => ((prod.keys.data.node.defaultChild as kms.CfnKey).enableKeyRotation = false),
      /NIST\.800\.53\.R5-KMSBackingKeyRotationEnabled @ prod\/Foundation\/Keys\/DataKey\/Resource/,
    ],
    [
      'log file validation off',
      () => ((prod.audit.trail.node.defaultChild as cloudtrail.CfnTrail).enableLogFileValidation = false),
      /CloudTrailLogFileValidationEnabled @ prod\/Foundation\/Audit\/Trail\/Resource/,
    ],
    [
      'trail not encrypted',
      () => ((prod.audit.trail.node.defaultChild as cloudtrail.CfnTrail).kmsKeyId = undefined),
      /CloudTrailEncryptionEnabled @ prod\/Foundation\/Audit\/Trail\/Resource/,
    ],
    [
      'flow-log group not encrypted',
      () => ((prod.network.flowLogGroup.node.defaultChild as logs.CfnLogGroup).kmsKeyId = undefined),
      /CloudWatchLogGroupEncrypted @ prod\/Foundation\/Network\/FlowLogGroup\/Resource/,
    ],
    [
      'audit bucket without versioning',
      () => ((prod.audit.bucket.node.defaultChild as s3.CfnBucket).versioningConfiguration = undefined),
      /S3BucketVersioningEnabled @ prod\/Foundation\/Audit\/Bucket\/Resource/,
    ],
    // What only the RegulatedMLOps pack sees:
    [
      'decision records without Object Lock',
      () => ((governance.decisionRecords.node.defaultChild as s3.CfnBucket).objectLockConfiguration = undefined),
      /RegulatedMLOps-AuditBucketLocked @ prod\/ModelGovernance\/DecisionRecords\/Resource/,
    ],
    [
      'audit bucket without Object Lock',
      () => {
        const bucket = prod.audit.bucket.node.defaultChild as s3.CfnBucket;
        bucket.objectLockEnabled = false;
        bucket.objectLockConfiguration = undefined;
      },
      /RegulatedMLOps-AuditBucketLocked @ prod\/Foundation\/Audit\/Bucket\/Resource/,
    ],
    [
      'audit bucket locked for one year in prod',
      () =>
        (prod.audit.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
          'ObjectLockConfiguration.Rule.DefaultRetention.Years',
          1,
        ),
      /RegulatedMLOps-AuditBucketLocked @ prod\/Foundation\/Audit\/Bucket\/Resource/,
    ],
    [
      'trail without S3 data events',
      () =>
        (prod.audit.trail.node.defaultChild as cloudtrail.CfnTrail).addPropertyDeletionOverride(
          'AdvancedEventSelectors',
        ),
      /RegulatedMLOps-CloudTrailAuditGrade @ prod\/Foundation\/Audit\/Trail\/Resource/,
    ],
    [
      'approval gate without reserved concurrency',
      () =>
        ((governance.approvalGate.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions =
          undefined),
      /RegulatedMLOps-GateFunctionHardened @ prod\/ModelGovernance\/ApprovalGate\/Function\/Resource/,
    ],
    [
      'a model package group without its risk tier tag',
      () =>
        stages.prod.endpoints
          .find((e) => e.registry.groups['fraud-score'])!
          .registry.groups['fraud-score'].addPropertyOverride('Tags', [{ Key: 'model:id', Value: 'fraud-score' }]),
      /RegulatedMLOps-MLResourceTagged @ prod\/Endpoints\d\d\/Registry\/fraud-score/,
    ],
    [
      'a prod endpoint config that samples half the traffic',
      () => {
        const shard = stages.prod.endpoints.find((e) => e.endpoints['fraud-score'])!;
        shard.endpoints['fraud-score'].endpointConfig.addPropertyOverride(
          'DataCaptureConfig.InitialSamplingPercentage',
          50,
        );
      },
      /RegulatedMLOps-SageMakerEndpointDataCapture @ prod\/Endpoints\d\d\/fraud-score\/Endpoint\/Config/,
    ],
    [
      'a feature group whose offline store has no customer key',
      () => {
        const platform = stages.prod.mlPlatform;
        platform.featureStore.groups['card-transactions'].addPropertyDeletionOverride(
          'OfflineStoreConfig.S3StorageConfig.KmsKeyId',
        );
      },
      /RegulatedMLOps-SageMakerFeatureGroupEncrypted @ prod\/MLPlatform\/FeatureStore\/card-transactions/,
    ],
  ])('%s', (_name, removeControl, expected) => {
    removeControl();
    expect(findings(stages.prod).join('\n')).toMatch(expected);
  });
});

describe('synthesis with the packs registered', () => {
  function appWithPlainBucket(acknowledge: boolean): App {
    const app = new App({ context: cdkJsonContext() });
    const stage = new Stage(app, 'probe', { env: { account: '123456789012', region: 'eu-west-1' } });
    const stack = new Stack(stage, 'Probe');
    const bucket = new s3.Bucket(stack, 'PlainBucket', {
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    });
    if (acknowledge) {
      const reason = 'Probe bucket of a test that checks acknowledgements are honoured by synthesis.';
      acknowledgeFindings(bucket, ['AwsSolutions-S1'], reason);
      for (const pack of ['NIST.800.53.R5', 'PCI.DSS.321', 'HIPAA.Security']) {
        for (const rule of [
          'S3BucketLoggingEnabled',
          'S3BucketReplicationEnabled',
          'S3BucketVersioningEnabled',
          'S3DefaultEncryptionKMS',
        ]) {
          acknowledgeFindings(bucket, [`${pack}-${rule}`], reason);
        }
      }
    }
    registerCompliancePacks(app);
    return app;
  }

  test('fails on an unacknowledged finding, naming the rule and the resource', () => {
    expect(() => appWithPlainBucket(false).synth()).toThrow(
      /AwsSolutions-S1[\s\S]*probe\/Probe\/PlainBucket\/Resource/,
    );
  });

  test('still writes the evidence, with the violations in it, when a finding fails synthesis', () => {
    const app = appWithPlainBucket(false);
    expect(() => app.synth()).toThrow();
    const evidence = JSON.parse(fs.readFileSync(path.join(app.outdir, 'compliance', 'evidence.json'), 'utf8'));
    expect(evidence.totals.AwsSolutions.non_compliant).toBeGreaterThan(0);
    expect(evidence.results).toContainEqual(
      expect.objectContaining({
        rule: 'AwsSolutions-S1',
        path: 'probe/Probe/PlainBucket/Resource',
        status: 'non_compliant',
      }),
    );
  });

  test('passes once each finding is acknowledged on the resource', () => {
    expect(() => appWithPlainBucket(true).synth()).not.toThrow();
  });
});
