import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { AuditBucketLocked } from './rules/AuditBucketLocked';
import { withRenderCache } from './rules/helpers';
import { CloudTrailAuditGrade } from './rules/CloudTrailAuditGrade';
import { GateFunctionHardened } from './rules/GateFunctionHardened';
import { KMSKeyPolicyNoOpenPrincipal } from './rules/KMSKeyPolicyNoOpenPrincipal';
import { LogGroupRetainedEncrypted } from './rules/LogGroupRetainedEncrypted';
import { MLResourceTagged } from './rules/MLResourceTagged';
import { SageMakerEndpointDataCapture } from './rules/SageMakerEndpointDataCapture';
import { SageMakerFeatureGroupEncrypted } from './rules/SageMakerFeatureGroupEncrypted';
import { SageMakerModelIsolated } from './rules/SageMakerModelIsolated';
import { SageMakerModelPackageNotApproved } from './rules/SageMakerModelPackageNotApproved';
import { SageMakerMonitoringJobHardened } from './rules/SageMakerMonitoringJobHardened';
import { SageMakerProdEndpointMonitored } from './rules/SageMakerProdEndpointMonitored';
import { SageMakerProdSegmentsAlarmed } from './rules/SageMakerProdSegmentsAlarmed';
import { SageMakerProdVariantCapacity } from './rules/SageMakerProdVariantCapacity';

interface RuleSpec {
  readonly rule: (node: CfnResource) => NagRuleCompliance;
  /** What is wrong, and the controls the rule serves (regulation: control). */
  readonly info: string;
  readonly explanation: string;
}

/**
 * What the stock packs do not check for a regulated ML estate (CONTROLS.md,
 * "Gaps in the stock cdk-nag packs"). Each rule's info names the controls it
 * serves; the list is pinned by a test.
 */
export const REGULATED_MLOPS_RULES: readonly RuleSpec[] = [
  {
    rule: SageMakerModelIsolated,
    info: 'The SageMaker model is not network-isolated in a VPC - (Controls: EU AI Act art. 15; NIST 800-53 SC-7; zero trust).',
    explanation:
      'A model container with network access can exfiltrate inference data; isolation and VPC subnets keep it on private paths.',
  },
  {
    rule: SageMakerEndpointDataCapture,
    info: 'The endpoint config does not capture inference data with a customer key (100% in prod) - (Controls: EU AI Act art. 12; ECOA/Reg B record keeping; SR 11-7 monitoring).',
    explanation:
      'CloudTrail does not log InvokeEndpoint; data capture is the record of inferences, and it holds customer data.',
  },
  {
    rule: SageMakerProdVariantCapacity,
    info: 'A prod production variant starts with fewer than 2 instances - (Controls: EU AI Act art. 15 robustness; NIST 800-53 CP-10).',
    explanation: 'One instance is one AZ; a prod model must survive the loss of an instance or a zone.',
  },
  {
    rule: SageMakerFeatureGroupEncrypted,
    info: 'A feature group store is not encrypted with a customer key - (Controls: EU AI Act art. 10; PCI DSS 3.5; GLBA safeguards).',
    explanation:
      'Feature stores hold customer attributes; both the online and offline stores need a customer-managed key.',
  },
  {
    rule: SageMakerMonitoringJobHardened,
    info: "A monitoring job (Model Monitor, or a processing job the estate's monitoring starts) lacks inter-container encryption, network isolation in a VPC or customer-key encryption - (Controls: NIST 800-53 SC-8, SC-28; SR 11-7 monitoring).",
    explanation: 'Monitoring jobs read captured inference data; they must be as closed as the endpoint they watch.',
  },
  {
    rule: SageMakerProdEndpointMonitored,
    info: "A prod endpoint has neither the estate's scheduled monitoring nor a Model Monitor schedule - (Controls: SR 11-7 ongoing monitoring; EU AI Act art. 9, 15).",
    explanation:
      'Every prod model needs ongoing monitoring of data quality, drift, model quality and bias so that decay is seen; an alarm on errors or latency does not watch the model.',
  },
  {
    rule: SageMakerProdSegmentsAlarmed,
    info: 'A monitored prod endpoint lacks an enabled, notifying alarm on the drift, score drift or quality of a critical segment its monitoring computes - (Controls: SR 11-7 ongoing monitoring; ECOA / Reg B; EU AI Act art. 9, 15).',
    explanation:
      'An aggregate metric hides a failure in a segment (high-value fraud, thin-file credit); every critical segment needs its own alarms in production.',
  },
  {
    rule: SageMakerModelPackageNotApproved,
    info: 'The template registers a model package as Approved - (Controls: SR 11-7 independent validation; EU AI Act art. 14).',
    explanation: 'Only the approval gate or a person in the model-risk role may approve a model.',
  },
  {
    rule: CloudTrailAuditGrade,
    info: 'The trail is not multi-region, validated, KMS-encrypted and recording S3 data events - (Controls: PCI DSS 10.3, 10.5; NIST 800-53 AU-9, AU-12).',
    explanation: 'The audit trail must cover every region and the data, and be provably untampered.',
  },
  {
    rule: AuditBucketLocked,
    info: 'An audit bucket lacks Object Lock COMPLIANCE with the retention floor of its environment - (Controls: PCI DSS 10.5, 10.7; SEC 17a-4; EU AI Act art. 12).',
    explanation: 'Audit records must be unalterable by anyone, root included, for the regulatory period.',
  },
  {
    rule: LogGroupRetainedEncrypted,
    info: 'The log group keeps events for less than 365 days or is not KMS-encrypted - (Controls: PCI DSS 10.7; NIST 800-53 AU-11, SC-28).',
    explanation: 'Stock packs accept any explicit retention; a year is the floor here, and logs carry sensitive data.',
  },
  {
    rule: KMSKeyPolicyNoOpenPrincipal,
    info: 'A key policy allows the * principal without a condition, or an AWS service without aws:SourceAccount or aws:SourceArn - (Controls: PCI DSS 3.5, 7.2; zero trust least privilege).',
    explanation:
      'A key policy must name who may use the key; a grant to a service must name the account or resource it acts for, or any account could use the service against the key (confused deputy).',
  },
  {
    rule: GateFunctionHardened,
    info: 'A validation gate function lacks reserved concurrency, a VPC or a failure destination, or has a function URL - (Controls: SR 11-7 effective challenge; NIST 800-53 SC-7, SI-17).',
    explanation:
      'A gate decides which models reach production: it must not be reachable from outside, starved, or lose events.',
  },
  {
    rule: MLResourceTagged,
    info: 'A model resource lacks the model id, risk tier or data classification tag - (Controls: SR 11-7 model inventory; EU AI Act art. 11).',
    explanation: "The inventory and the evidence find a model's resources by these tags.",
  },
];

/** Our own cdk-nag 3 pack for regulated MLOps, run with the stock packs at synth. */
export class RegulatedMLOpsChecks extends NagPack {
  public readonly name = 'RegulatedMLOps';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'RegulatedMLOps';
  }

  override validateScope(scope: IConstruct) {
    return withRenderCache(() => super.validateScope(scope));
  }

  protected checkResource(node: CfnResource): void {
    for (const spec of REGULATED_MLOPS_RULES) {
      this.applyRule({
        info: spec.info,
        explanation: spec.explanation,
        level: NagMessageLevel.ERROR,
        rule: spec.rule,
        node,
      });
    }
  }
}
