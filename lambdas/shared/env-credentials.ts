/**
 * The credential chain bundled into every Lambda handler in place of the SDK's default chain
 * (`@aws-sdk/credential-provider-node`, aliased to this file by constructs/gate-bundle.ts): the Lambda
 * runtime hands a function its role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (AWS Lambda Developer Guide, "Defined runtime environment variables"), which is where
 * the default chain looks first, so in Lambda both find the same credentials. Leaving out the chain's
 * other providers (SSO, shared files, process, web identity, container and instance metadata) leaves
 * about 100 KB and a third of module init out of every bundle. Without those variables a client fails at
 * once, naming them; it never falls back to another source.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
