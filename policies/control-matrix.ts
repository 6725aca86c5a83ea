/**
 * Regulation -> control in the estate -> the check that proves it (a pack
 * rule, or a named test). The evidence report fills in each row's status from
 * the rule outcomes of the synth, per environment; tests are named so a
 * reviewer can run them.
 */

/** One framework, at one version, named once: every row and every pack cites it by id. */
export interface Regulation {
  readonly id: string;
  readonly name: string;
  /** The version the clauses cited here are numbered by. */
  readonly version: string;
  /** The cdk-nag pack that checks this framework's own control IDs, when one does. */
  readonly pack?: string;
}

export const REGULATIONS: readonly Regulation[] = [
  {
    id: 'SR 11-7',
    name: 'Federal Reserve SR 11-7 / OCC Bulletin 2011-12, Supervisory Guidance on Model Risk Management',
    version: 'April 2011',
  },
  {
    id: 'EU AI Act',
    name: 'Regulation (EU) 2024/1689 laying down harmonised rules on artificial intelligence',
    version: 'Regulation (EU) 2024/1689, as published 12 July 2024',
  },
  {
    id: 'ECOA / Reg B',
    name: 'Equal Credit Opportunity Act, Regulation B (12 CFR Part 1002)',
    version: '12 CFR Part 1002: 1002.9 adverse action notices, 1002.12(b) 25-month retention',
  },
  {
    id: 'Four-fifths rule',
    name: 'Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D), applied as the fair-lending disparate impact test',
    version: '29 CFR 1607.4(D) (1978)',
  },
  {
    id: 'PSI practice',
    name: 'Population stability index thresholds for model drift (industry practice, not a regulation)',
    version: 'thresholds 0.1 watch / 0.25 act',
  },
  {
    id: 'PCI DSS',
    name: 'Payment Card Industry Data Security Standard',
    version: 'v3.2.1 (May 2018): the numbering of the PCI.DSS.321 pack',
    pack: 'PCI.DSS.321',
  },
  {
    id: 'GLBA',
    name: 'Gramm-Leach-Bliley Act Safeguards Rule (16 CFR Part 314)',
    version: '16 CFR 314.4 as amended in 2021',
  },
  {
    id: 'NIST SP 800-53',
    name: 'NIST SP 800-53, Security and Privacy Controls for Information Systems and Organizations',
    version: 'Revision 5: the numbering of the NIST.800.53.R5 pack',
    pack: 'NIST.800.53.R5',
  },
  {
    id: 'HIPAA Security Rule',
    name: 'HIPAA Security Rule (45 CFR Part 164 Subpart C)',
    version: '45 CFR 164.308-164.316, as mapped by the HIPAA.Security pack',
    pack: 'HIPAA.Security',
  },
  { id: 'Zero trust', name: 'NIST SP 800-207, Zero Trust Architecture', version: 'August 2020' },
];

export interface ControlRow {
  /** Stable id: the evidence diff matches rows by it. */
  readonly id: string;
  /** A `REGULATIONS` id. */
  readonly regulation: string;
  /** The clause of that regulation, in its version's numbering. */
  readonly clause: string;
  readonly obligation: string;
  readonly control: string;
  /** Rule IDs (any granular finding counts under its rule) whose outcomes show the control. */
  readonly rules: readonly string[];
  /** Tests (file: name) that assert the control where no rule can. */
  readonly tests: readonly string[];
  /**
   * A detective control the estate creates, or adopts from the organization
   * (`organization.detectiveControls`): the resource types an environment's
   * templates declare when the estate runs it. Where the organization runs it
   * the row is `inherited` for that environment, never met or violated from
   * these templates; rule results do not count for such a row.
   */
  readonly detectiveResources?: readonly string[];
}

export const CONTROL_MATRIX: readonly ControlRow[] = [
  {
    id: 'sr11-7.model-risk',
    regulation: 'SR 11-7',
    clause: 'sections IV-VI (development, validation, governance)',
    obligation: 'Model inventory, independent validation, ongoing monitoring',
    control:
      'One tagged package group per model; approval gate records every decision; only the gate or a model-risk approver approves; review reminders per tier',
    rules: [
      'RegulatedMLOps-MLResourceTagged',
      'RegulatedMLOps-SageMakerModelPackageNotApproved',
      'RegulatedMLOps-GateFunctionHardened',
      'RegulatedMLOps-SageMakerProdEndpointMonitored',
      'RegulatedMLOps-SageMakerProdSegmentsAlarmed',
    ],
    tests: ['test/gates/approval-gate.moto.test.ts', 'test/estate.test.ts: invariant 6'],
  },
  {
    id: 'eu-ai-act.art-10',
    regulation: 'EU AI Act',
    clause: 'art. 10',
    obligation: 'Data governance',
    control: 'Feature stores and data buckets encrypted with customer keys; versioned buckets',
    rules: [
      'RegulatedMLOps-SageMakerFeatureGroupEncrypted',
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'NIST.800.53.R5-S3BucketVersioningEnabled',
    ],
    tests: ['test/estate.test.ts: invariant 2'],
  },
  {
    id: 'eu-ai-act.art-12',
    regulation: 'EU AI Act',
    clause: 'art. 12',
    obligation: 'Record-keeping',
    control:
      'Endpoint data capture encrypted; audit trail and gate decisions under Object Lock COMPLIANCE, replicated to a second region',
    rules: [
      'RegulatedMLOps-SageMakerEndpointDataCapture',
      'RegulatedMLOps-AuditBucketLocked',
      'RegulatedMLOps-CloudTrailAuditGrade',
      'NIST.800.53.R5-S3BucketReplicationEnabled',
    ],
    tests: ['test/estate.test.ts: invariant 4'],
  },
  {
    id: 'eu-ai-act.art-14',
    regulation: 'EU AI Act',
    clause: 'art. 14',
    obligation: 'Human oversight',
    control: 'High-risk models held for a person; templates never approve',
    rules: ['RegulatedMLOps-SageMakerModelPackageNotApproved'],
    tests: ['test/gates/approval-policy.test.ts: high risk held'],
  },
  {
    id: 'eu-ai-act.art-15',
    regulation: 'EU AI Act',
    clause: 'art. 15',
    obligation: 'Accuracy, robustness, cybersecurity',
    control: 'Performance floors in the gate; network isolation; VPC only; KMS; >= 2 instances per prod variant',
    rules: [
      'RegulatedMLOps-SageMakerModelIsolated',
      'RegulatedMLOps-SageMakerProdVariantCapacity',
      'NIST.800.53.R5-LambdaInsideVPC',
    ],
    tests: ['test/gates/approval-policy.test.ts: exact boundaries', 'test/estate.test.ts: invariant 3'],
  },
  {
    id: 'ecoa.adverse-action-records',
    regulation: 'ECOA / Reg B',
    clause: '1002.9, 1002.12(b)',
    obligation: 'Adverse-action reasons; records kept 25 months',
    control:
      'Explainability report required by the gate; captured inference data and audit records retained (prod 7 years)',
    rules: ['RegulatedMLOps-SageMakerEndpointDataCapture', 'RegulatedMLOps-AuditBucketLocked'],
    tests: ['test/gates/approval-policy.test.ts: explainability'],
  },
  {
    id: 'fair-lending.four-fifths',
    regulation: 'Four-fifths rule',
    clause: '1607.4(D)',
    obligation: 'Disparate impact >= 0.8 for every protected facet',
    control: 'Approval gate checks DI per facet group; config refuses a floor below 0.8',
    rules: [],
    tests: ['test/gates/approval-policy.test.ts: DI boundaries', 'test/config.test.ts: disparate impact floor'],
  },
  {
    id: 'drift.psi',
    regulation: 'PSI practice',
    clause: 'watch at 0.1, act at 0.25',
    obligation: 'Watch at 0.1, act at 0.25',
    control:
      'Approval gate computes PSI per feature against the training baseline (asserted by tests; no template can show it)',
    rules: [],
    tests: ['test/gates/approval-policy.test.ts: PSI boundaries'],
  },
  {
    id: 'pci-dss.crypto-and-audit',
    regulation: 'PCI DSS',
    clause: 'req. 3.5-3.6, 4.1, 10.3, 10.5, 10.7',
    obligation: 'Key management, encryption in transit, audit log integrity and retention (at least one year)',
    control:
      'Customer keys with rotation; TLS-only buckets and topics; log file validation; immutable logs; log retention >= 365 days',
    rules: [
      'PCI.DSS.321-KMSBackingKeyRotationEnabled',
      'PCI.DSS.321-S3BucketSSLRequestsOnly',
      'PCI.DSS.321-CloudTrailLogFileValidationEnabled',
      'RegulatedMLOps-LogGroupRetainedEncrypted',
      'RegulatedMLOps-KMSKeyPolicyNoOpenPrincipal',
    ],
    tests: ['test/estate.test.ts: invariant 2'],
  },
  {
    id: 'glba.safeguards',
    regulation: 'GLBA',
    clause: '314.4(c)(3)',
    obligation: 'Encrypt customer information in transit and at rest',
    control: 'Customer keys with rotation; TLS-only buckets and topics',
    rules: [
      'PCI.DSS.321-KMSBackingKeyRotationEnabled',
      'PCI.DSS.321-S3BucketSSLRequestsOnly',
      'RegulatedMLOps-KMSKeyPolicyNoOpenPrincipal',
    ],
    tests: ['test/estate.test.ts: invariant 2'],
  },
  {
    id: 'nist.continuous-monitoring',
    regulation: 'NIST SP 800-53',
    clause: 'SI-4, CA-7',
    obligation: 'System monitoring and continuous monitoring of the environment for attacks and unauthorized use',
    control:
      'GuardDuty, Security Hub (foundational best practices and NIST 800-53 R5 standards) and AWS Config recording every resource type, in each environment account; high and critical findings alert through a KMS-encrypted topic. Created by the estate, or run by the organization and inherited',
    rules: [],
    tests: ['test/invariants/checks/09-detective-controls.ts'],
    detectiveResources: [
      'AWS::GuardDuty::Detector',
      'AWS::SecurityHub::Hub',
      'AWS::SecurityHub::Standard',
      'AWS::Config::ConfigurationRecorder',
      'AWS::Config::DeliveryChannel',
    ],
  },
  {
    id: 'zero-trust.least-privilege',
    regulation: 'Zero trust',
    clause: 'tenets 3, 6 (per-session, least-privilege access)',
    obligation: 'Verify explicitly, least privilege, assume breach',
    control: 'No wildcard IAM where a resource exists; permissions boundary; VPC endpoint policies',
    rules: ['AwsSolutions-IAM5', 'NIST.800.53.R5-IAMNoInlinePolicy', 'NIST.800.53.R5-VPCDefaultSecurityGroupClosed'],
    tests: ['test/estate.test.ts: estate-wide Aspects'],
  },
];
