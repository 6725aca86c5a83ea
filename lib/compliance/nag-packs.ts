import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { RegulatedMLOpsChecks } from '../../policies/regulated-mlops-pack';

/** The compliance packs every estate is checked against at synth: five stock packs and our own. */
export function compliancePacks(scope?: IConstruct): NagPack[] {
  return [
    new AwsSolutionsChecks(scope),
    new NIST80053R5Checks(scope),
    new PCIDSS321Checks(scope),
    new HIPAASecurityChecks(scope),
    new ServerlessChecks(scope),
    new RegulatedMLOpsChecks(scope),
  ];
}

/**
 * Registers the packs once on the app: each walks the whole construct tree, so
 * every stage and stack is checked, and any unacknowledged finding fails synth.
 */
export function registerCompliancePacks(app: IConstruct): NagPack[] {
  const packs = compliancePacks(app);
  Validations.of(app).addPlugins(...packs);
  return packs;
}
