import { App, AppProps, Aspects } from 'aws-cdk-lib';
import { NagPack } from 'cdk-nag';
import { ServicePrincipalSource } from './aspects/service-principal-source';
import { deliverySupportRegions, EstateConfig } from './config';
import { withConstructionTraces } from './compliance/evidence/sources';
import { CompliancePlugins, registerCompliancePacks } from './compliance/nag-packs';
import { DeliveryStack } from './stacks/delivery-stack';
import { DeliverySupportStack } from './stacks/delivery-support-stack';
import { OrganizationStack } from './stacks/organization-stack';
import { EnvironmentStage } from './stages/environment-stage';
import { warnIamQuotas } from './iam-quotas';
import type { RecordedPlacement } from './ml/placement-file';

/**
 * How the estate's App is made. aws-cdk-lib's built-in template validator is
 * off: it only warns (its errors are downgraded), it repeats what AWS's
 * cfn-lint checks in the tests over every template (0 errors required), and it
 * took about 40% of synthesis at 200 models. The construct tree's metadata
 * (`tree.json`) is not written: nothing deploys or checks from it (the evidence
 * reads the tree in process), and at 200 models it was 29 MB and 5% of synthesis.
 */
export const ESTATE_APP_PROPS: AppProps = { builtinCloudFormationValidation: false, treeMetadata: false };

export interface Estate {
  readonly stages: Record<string, EnvironmentStage>;
  /** The guardrails stack in the management account, when the config names it. */
  readonly organization?: OrganizationStack;
  /** The pipeline that deploys the environments, when the config names a tooling account. */
  readonly delivery?: DeliveryStack;
  /** The pipeline's artifact store in each other region it deploys to, in region order. */
  readonly deliverySupport: readonly DeliverySupportStack[];
  /** The compliance packs registered on the app. */
  readonly packs: readonly NagPack[];
  /** Every rule outcome of the last validation, and the plugin that writes the evidence. */
  readonly compliance: CompliancePlugins;
}

export interface BuildEstateOptions {
  /**
   * Recorded endpoint shard of each model (the placement file beside the estate
   * config, lib/ml/placement-file.ts).
   * @default - none recorded: every model placed by lib/ml/sharding.ts
   */
  readonly placement?: RecordedPlacement;
  /** The config file the estate was read from: its digest and lines go into the compliance evidence. */
  readonly configFile?: string;
  /**
   * How many frames construction traces capture (see CONSTRUCTION_TRACE_DEPTH); 0 keeps the process's own
   * limit (the trace benchmark compares the two).
   * @default CONSTRUCTION_TRACE_DEPTH
   */
  readonly traceDepth?: number;
}

/**
 * Builds every environment of the estate into the app and registers the
 * compliance packs. Construction traces reach our code, so the evidence
 * locates every resource at the line that creates it.
 */
export function buildEstate(app: App, config: EstateConfig, options: BuildEstateOptions = {}): Estate {
  return withConstructionTraces(() => build(app, config, options), options.traceDepth);
}

function build(app: App, config: EstateConfig, options: BuildEstateOptions): Estate {
  const stages: Record<string, EnvironmentStage> = {};
  for (const environment of config.environments) {
    stages[environment.name] = new EnvironmentStage(app, environment.name, {
      estate: config,
      environment,
      placement: options.placement,
    });
    // Aspects stop at a Stage's boundary, and the pipeline synthesizes each stage when it is added: register here.
    Aspects.of(stages[environment.name]).add(new ServicePrincipalSource());
    warnIamQuotas(stages[environment.name], environmentAccounts(config));
  }
  Aspects.of(app).add(new ServicePrincipalSource());
  const organization = config.organization.managementAccount
    ? new OrganizationStack(app, 'Organization', {
        estate: config,
        stackName: `${config.organization.name}-organization`,
        description: `${config.organization.name}: organizational units and service control policies`,
      })
    : undefined;
  const org = config.organization.name;
  const deliverySupport = config.delivery
    ? deliverySupportRegions(config).map(
        (region) =>
          new DeliverySupportStack(app, `DeliverySupport-${region}`, {
            estate: config,
            region,
            stackName: `${org}-delivery-support-${region}`,
            description: `${org}: pipeline artifact store in ${region}`,
          }),
      )
    : [];
  const delivery = config.delivery
    ? new DeliveryStack(app, 'Delivery', {
        estate: config,
        targets: config.environments.map((environment) => ({ environment, stage: stages[environment.name] })),
        artifactStores: Object.fromEntries(deliverySupport.map((s) => [s.region, s.bucket])),
        stackName: `${org}-delivery`,
        description: `${org}: the pipeline that tests, checks and deploys the estate`,
      })
    : undefined;
  const accountNames: Record<string, string> = {};
  if (config.organization.managementAccount) accountNames[config.organization.managementAccount] = 'organization';
  if (config.delivery) accountNames[config.delivery.account] = 'delivery';
  const compliance = registerCompliancePacks(app, {
    estate: config.organization.name,
    configFile: options.configFile,
    configValue: config,
    accountNames,
  });
  return { stages, organization, delivery, deliverySupport, packs: compliance.packs, compliance };
}

/** Each environment's account, named by the environment (for messages). */
function environmentAccounts(config: EstateConfig): Record<string, string> {
  return Object.fromEntries(config.environments.map((e) => [e.account, `${e.name}`]));
}
