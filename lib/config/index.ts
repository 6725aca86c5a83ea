/**
 * The estate config module: the shape of every domain, the cross-field
 * rules, the loader, and the questions the rest of the app asks of a config
 * (which environment prod promotes from, which endpoints are monitored). Stacks,
 * stages, bin/ and tests import from here.
 */
export * from '../../policies/regulatory-floors';
export { instanceFamily } from '../../constructs/aws-facts';
export type { ConfigProblem } from './common';
export * from './delivery';
export * from './detection-regions';
export * from './environments';
export * from './estate-config';
export * from './feature-store';
export * from './load';
export * from './model-risk';
export * from './models';
export * from './organization';
export * from './training';
