import { z } from 'zod';
import { ConfigProblem, text } from './common';
import type { EstateConfig } from './estate-config';

/** The delivery pipeline: where it runs and where it reads the estate's code. */
export const deliverySchema = z.strictObject(
  {
    account: text(/^\d{12}$/, 'must be the 12-digit ID of the tooling account that runs the pipeline, quoted'),
    connectionArn: text(
      /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
      'must be the ARN of a CodeConnections (CodeStar) connection, such as arn:aws:codeconnections:eu-west-1:444455556666:connection/<uuid>',
    ),
    repository: text(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name of the repository that holds the estate'),
    branch: text(/^[\w./-]{1,255}$/, 'must be a branch name').default('main'),
  },
  { error: 'must be a mapping with account, connectionArn, repository and branch' },
);

export type DeliveryConfig = z.output<typeof deliverySchema>;

/** Cross-field rules of the pipeline: its own tooling account, its connection there and in the home region. */
export function checkDeliveryRules(config: EstateConfig): ConfigProblem[] {
  const { delivery, organization } = config;
  if (!delivery) return [];
  const problems: ConfigProblem[] = [];
  const twin = config.environments.findIndex((env) => env?.account === delivery.account);
  if (twin >= 0) {
    problems.push({
      path: 'delivery.account',
      value: delivery.account,
      message: `is already used by environments[${twin}]; the pipeline runs in its own tooling account`,
    });
  }
  if (delivery.account === organization.managementAccount) {
    problems.push({
      path: 'delivery.account',
      value: delivery.account,
      message: 'is the management account; the pipeline runs in a member (tooling) account',
    });
  }
  const [, , , region, account] = delivery.connectionArn.split(':');
  if (account !== delivery.account || region !== organization.homeRegion) {
    problems.push({
      path: 'delivery.connectionArn',
      value: delivery.connectionArn,
      message: `must be a connection in the tooling account ${delivery.account} and the home region ${organization.homeRegion}, where the pipeline runs`,
    });
  }
  return problems;
}
