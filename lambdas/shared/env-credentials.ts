/**
 * The credential chain bundled into every Lambda handler in place of the SDK's default chain
 * (`@aws-sdk/credential-provider-node`, aliased to this file by constructs/gate-bundle.ts): the Lambda
 * runtime hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (AWS Lambda Developer Guide, "Defined runtime environment variables"), which is where
 * the default chain looks first, so in Lambda both find the same credentials. Leaving out the chain's
 * other providers (SSO, shared files, process, web identity, container and instance metadata) leaves
 * about 100 KB and a third of module init out of every bundle. Without those variables a client fails at
 * once, naming them; it never falls back to another source. Hence no SnapStart on these functions: where it is on,
 * Lambda hands credentials through a container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) instead.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The variables the role's credentials are read from (AWS_SESSION_TOKEN too, when Lambda sets it). */
export const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => {
  const provider = fromEnv(init);
  return async () => {
    try {
      return await provider();
    } catch (e) {
      const unset = CREDENTIAL_VARIABLES.filter((v) => !process.env[v]);
      throw new Error(
        `No AWS credentials: ${unset.join(' and ') || CREDENTIAL_VARIABLES.join(' and ')} not set in the environment, ` +
          "where Lambda puts the function role's credentials; no other source is read.",
        { cause: e },
      );
    }
  };
};
