/**
 * Regulation -> control in the estate -> the check that proves it (a pack
 * rule, or a named test). The evidence report fills in each row's status from
 * the rule outcomes of the synth; tests are named so a reviewer can run them.
 */
export interface ControlRow {
  readonly regulation: string;
  readonly obligation: string;
  readonly control: string;
  /** Rule IDs (any granular finding counts under its rule) whose outcomes show the control. */
  readonly rules: readonly string[];
  /** Tests (file: name) that assert the control where no rule can. */
  readonly tests: readonly string[];
}

export const CONTROL_MATRIX: readonly ControlRow[] = [
  {
    regulation: 'SR 11-7 / OCC 2011-12',
    obligation: 'Model inventory, independent validation, ongoing monitoring',
    control: 'One tagged package group per model; approval gate records every decision; only the gate or a model-risk approver approves; review reminders per tier',
    rules: ['RegulatedMLOps-MLResourceTagged', 'RegulatedMLOps-SageMakerModelPackageNotApproved', 'RegulatedMLOps-GateFunctionHardened', 'RegulatedMLOps-SageMakerProdEndpointMonitored', 'RegulatedMLOps-SageMakerProdSegmentsAlarmed'],
    tests: ['test/gates/approval-gate.moto.test.ts', 'test/estate.test.ts: invariant 6'],
  },
  {
    regulation: 'EU AI Act art. 10',
    obligation: 'Data governance',
    control: 'Feature stores and data buckets encrypted with customer keys; versioned buckets',
    rules: ['RegulatedMLOps-SageMakerFeatureGroupEncrypted', 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'NIST.800.53.R5-S3BucketVersioningEnabled'],
    tests: ['test/estate.test.ts: invariant 2'],
  },
  {
    regulation: 'EU AI Act art. 12',
    obligation: 'Record-keeping',
    control: 'Endpoint data capture encrypted; audit trail and gate decisions under Object Lock COMPLIANCE, replicated to a second region',
    rules: ['RegulatedMLOps-SageMakerEndpointDataCapture', 'RegulatedMLOps-AuditBucketLocked', 'RegulatedMLOps-CloudTrailAuditGrade', 'NIST.800.53.R5-S3BucketReplicationEnabled'],
    tests: ['test/estate.test.ts: invariant 4'],
  },
  {
    regulation: 'EU AI Act art. 14',
    obligation: 'Human oversight',
    control: 'High-risk models held for a person; templates never approve',
    rules: ['RegulatedMLOps-SageMakerModelPackageNotApproved'],
    tests: ['test/gates/approval-policy.test.ts: high risk held'],
  },
  {
    regulation: 'EU AI Act art. 15',
    obligation: 'Accuracy, robustness, cybersecurity',
    control: 'Performance floors in the gate; network isolation; VPC only; KMS; >= 2 instances per prod variant',
    rules: ['RegulatedMLOps-SageMakerModelIsolated', 'RegulatedMLOps-SageMakerProdVariantCapacity', 'NIST.800.53.R5-LambdaInsideVPC'],
    tests: ['test/gates/approval-policy.test.ts: exact boundaries', 'test/estate.test.ts: invariant 3'],
  },
  {
    regulation: 'ECOA / Regulation B',
    obligation: 'Adverse-action reasons; records kept 25 months',
    control: 'Explainability report required by the gate; captured inference data and audit records retained (prod 7 years)',
    rules: ['RegulatedMLOps-SageMakerEndpointDataCapture', 'RegulatedMLOps-AuditBucketLocked'],
    tests: ['test/gates/approval-policy.test.ts: explainability'],
  },
  {
    regulation: 'Fair lending (four-fifths rule)',
    obligation: 'Disparate impact >= 0.8 for every protected facet',
    control: 'Approval gate checks DI per facet group; config refuses a floor below 0.8',
    rules: [],
    tests: ['test/gates/approval-policy.test.ts: DI boundaries', 'test/config.test.ts: disparate impact floor'],
  },
  {
    regulation: 'Drift (PSI practice)',
    obligation: 'Watch at 0.1, act at 0.25',
    control: 'Approval gate computes PSI per feature against the training baseline',
    rules: ['RegulatedMLOps-SageMakerMonitoringJobHardened'],
    tests: ['test/gates/approval-policy.test.ts: PSI boundaries'],
  },
  {
    regulation: 'PCI DSS 3.5-3.7, 4.2.1, 10.3, 10.5 / GLBA',
    obligation: 'Key management, encryption in transit, audit log integrity and retention',
    control: 'Customer keys with rotation; TLS-only buckets and topics; log file validation; immutable logs; log retention >= 365 days',
    rules: ['PCI.DSS.321-KMSBackingKeyRotationEnabled', 'PCI.DSS.321-S3BucketSSLRequestsOnly', 'PCI.DSS.321-CloudTrailLogFileValidationEnabled', 'RegulatedMLOps-LogGroupRetainedEncrypted', 'RegulatedMLOps-KMSKeyPolicyNoOpenPrincipal'],
    tests: ['test/estate.test.ts: invariant 2'],
  },
  {
    regulation: 'Zero trust',
    obligation: 'Verify explicitly, least privilege, assume breach',
    control: 'No wildcard IAM where a resource exists; permissions boundary; VPC endpoint policies',
    rules: ['AwsSolutions-IAM5', 'NIST.800.53.R5-IAMNoInlinePolicy', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed'],
    tests: ['test/estate.test.ts: estate-wide Aspects'],
  },
];
