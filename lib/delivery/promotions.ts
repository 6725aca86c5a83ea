import { partitionOf } from '../../constructs/aws-facts';
import { promotionSource } from '../config/environments';
import type { EstateConfig } from '../config';
import { deploymentGateFunctionName, endpointName } from './names';

/** One question to the deployment gate: may prod serve this approved version? */
export interface PromotionRequest {
  readonly requestId: string;
  readonly modelPackageArn: string;
  readonly stagingEndpointName: string;
  readonly championModelPackageArn?: string;
}

export interface Promotion {
  /** The staging deployment gate that judges the versions. */
  readonly gateFunctionArn: string;
  readonly requests: readonly PromotionRequest[];
}

/**
 * Every approved version a prod environment will serve after this deployment,
 * as deployment-gate requests to the staging environment the versions come
 * from: the staging endpoint of the same model must have run clean, the
 * version must be Approved there, and a challenger is compared with the
 * champion of the same endpoint. The staging endpoint may serve the version in
 * a production variant or in its shadow variant (the gate finds which, and
 * then also compares the shadow on its captured traffic); a version prod
 * serves in its own shadow is asked about too.
 */
export function promotionsFor(config: EstateConfig, environmentName: string, executionId: string): Promotion {
  const target = config.environments.find((e) => e.name === environmentName);
  if (!target)
    throw new Error(
      `${environmentName} is not an environment of this estate (known: ${config.environments.map((e) => e.name).join(', ')})`,
    );
  const staging = promotionSource(config);
  if (!staging)
    throw new Error('the estate has no staging environment, so no deployment gate can judge what prod serves');
  const partition = partitionOf(staging.region);
  const org = config.organization.name;
  const packageArn = (model: string, version: number) =>
    `arn:${partition}:sagemaker:${staging.region}:${staging.account}:model-package/${model}/${version}`;
  const requests: PromotionRequest[] = [];
  for (const model of config.models) {
    const endpoint = model.endpoints[environmentName];
    if (!endpoint) continue;
    const packaged = endpoint.variants.filter((v) => v.modelPackageVersion !== undefined);
    const champion = [...packaged].sort((a, b) => b.weight - a.weight)[0];
    // A shadow's answers reach no caller, but it runs on prod's live requests: its version is judged like the rest,
    // against the champion of the same endpoint.
    const shadow =
      endpoint.shadow?.modelPackageVersion !== undefined
        ? [{ name: endpoint.shadow.name, modelPackageVersion: endpoint.shadow.modelPackageVersion }]
        : [];
    for (const variant of [...packaged, ...shadow]) {
      requests.push({
        requestId: `${executionId}.${model.id}.${variant.name}`.slice(0, 128),
        modelPackageArn: packageArn(model.id, variant.modelPackageVersion!),
        stagingEndpointName: endpointName(staging.name, model.id),
        championModelPackageArn:
          variant === champion || !champion ? undefined : packageArn(model.id, champion.modelPackageVersion!),
      });
    }
  }
  return {
    gateFunctionArn: `arn:${partition}:lambda:${staging.region}:${staging.account}:function:${deploymentGateFunctionName(org, staging.name)}`,
    requests,
  };
}
