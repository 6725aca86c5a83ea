import { z } from 'zod';
import type { ConfigProblem } from './common';
import type { EstateConfig } from './estate-config';

/**
 * Who receives an environment's security alerts (GuardDuty and Security Hub
 * findings, break-glass assumptions): the endpoint subscribed to its findings
 * topic. Without one the alerts go nowhere, so staging and prod require it.
 */
export const SECURITY_ALERT_PROTOCOLS = ['email', 'https', 'sqs', 'lambda'] as const;

const ENDPOINTS: Record<(typeof SECURITY_ALERT_PROTOCOLS)[number], { pattern: RegExp; hint: string }> = {
  email: { pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, hint: 'an e-mail address such as security-team@example.com' },
  https: { pattern: /^https:\/\/[^\s]+$/, hint: 'an https:// URL' },
  sqs: {
    pattern: /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}$/,
    hint: 'the ARN of an SQS queue, e.g. one of the security account',
  },
  lambda: {
    pattern: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}(:[\w-]+)?$/,
    hint: 'the ARN of a Lambda function',
  },
};

export const securityAlertsSchema = z
  .strictObject(
    {
      protocol: z.enum(SECURITY_ALERT_PROTOCOLS, { error: `must be one of ${SECURITY_ALERT_PROTOCOLS.join(', ')}` }),
      endpoint: z.string({ error: 'must be text: the address, URL or ARN that receives the alerts' }),
    },
    { error: 'must be a mapping with protocol and endpoint' },
  )
  .describe("Subscriber of the environment's security findings topic; required for staging and prod");

export type SecurityAlertsConfig = z.output<typeof securityAlertsSchema>;

/** Staging and prod name who receives their alerts; every endpoint fits its protocol. */
export function checkSecurityAlertRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.environments.forEach((env, i) => {
    const at = `environments[${i}].securityAlerts`;
    const alerts = env.securityAlerts;
    if (!alerts) {
      if (env.type !== 'dev') {
        problems.push({
          path: at,
          message: `is required for a ${env.type} environment: the security team's endpoint ({ protocol: email|https|sqs|lambda, endpoint }) subscribed to the findings topic; without it GuardDuty, Security Hub and break-glass alerts reach no one`,
        });
      }
      return;
    }
    const { pattern, hint } = ENDPOINTS[alerts.protocol];
    if (!pattern.test(alerts.endpoint))
      problems.push({
        path: `${at}.endpoint`,
        value: alerts.endpoint,
        message: `must be ${hint} for protocol ${alerts.protocol}`,
      });
  });
  return problems;
}
