import { Validations } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NagPack,
  NIST80053R5Checks,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import { IConstruct } from 'constructs';
import { RegulatedMLOpsChecks } from '../../policies/regulated-mlops-pack';
import { PolicyValidationPlugin } from '../../policies/validation/plugin';
import { policyValidationSection } from './evidence/guardrails';
import { ComplianceEvidencePlugin, EvidenceOptions } from './evidence/plugin';
import { ComplianceLedger, recording } from './ledger';

/** The packs every estate is checked against at synth: five stock packs and our own. */
export const PACK_CLASSES = [
  AwsSolutionsChecks,
  NIST80053R5Checks,
  PCIDSS321Checks,
  HIPAASecurityChecks,
  ServerlessChecks,
  RegulatedMLOpsChecks,
];

/** Plain instances of the packs (no recording), for checks in tests and tools. */
export function compliancePacks(scope?: IConstruct): NagPack[] {
  return PACK_CLASSES.map((Pack) => new Pack(scope));
}

export interface CompliancePlugins {
  readonly packs: NagPack[];
  readonly ledger: ComplianceLedger;
  readonly evidence: ComplianceEvidencePlugin;
  /** Checks every policy document against the Service Authorization Reference. */
  readonly policyValidation: PolicyValidationPlugin;
}

/**
 * Registers the packs once on the app (each walks the whole construct tree,
 * so every stage and stack is checked, and any unacknowledged finding fails
 * synth), recording every outcome, then policy validation, then the evidence
 * writer (which adds policy validation's result as a section of its own).
 */
export function registerCompliancePacks(
  app: IConstruct,
  evidenceOptions: EvidenceOptions | string = 'estate',
): CompliancePlugins {
  const ledger = new ComplianceLedger();
  const packs = PACK_CLASSES.map((Pack) => new (recording(Pack, ledger))(app));
  const policyValidation = new PolicyValidationPlugin();
  const options = typeof evidenceOptions === 'string' ? { estate: evidenceOptions } : evidenceOptions;
  const evidence = new ComplianceEvidencePlugin(ledger, {
    ...options,
    sections: [policyValidationSection(policyValidation), ...(options.sections ?? [])],
  });
  Validations.of(app).addPlugins(...packs, policyValidation, evidence);
  return { packs, ledger, evidence, policyValidation };
}
