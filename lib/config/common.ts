import { z } from 'zod';
import { parseCidr } from './cidr';

/** Shapes shared by the config's domains: patterns, and the field types several domains use. */

/** A problem found in the config: where, what was there, and what is allowed. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
export const ENV_NAME_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

/** A string that must match `pattern`; one message for a wrong type and a wrong form. */
export function text(pattern: RegExp, error: string) {
  return z.string({ error }).regex(pattern, { error });
}

export const region = text(REGION_PATTERN, 'must be an AWS region code such as eu-west-1');

export const cidr = z
  .string({ error: 'must be an IPv4 CIDR block such as 10.20.0.0/16' })
  .refine((value) => parseCidr(value) !== undefined, {
    error: 'must be an IPv4 CIDR block with a prefix from /16 to /24, such as 10.20.0.0/16',
  });

export const share = (what: string) =>
  z
    .number({ error: `must be a number from 0 to 1 (${what})` })
    .min(0, { error: `must be a number from 0 to 1 (${what})` })
    .max(1, { error: `must be a number from 0 to 1 (${what})` });

export const whole = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

export const imageUri = text(
  /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/,
  'must be an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)',
);
export const modelData = text(/^s3:\/\/[a-z0-9.-]{3,63}\/.+\.tar\.gz$/, 'must be the S3 URI of a model.tar.gz');
export const instanceType = text(
  /^ml\.[a-z0-9]+\.[a-z0-9]+$/,
  'must be a SageMaker instance type such as ml.g5.xlarge',
);
