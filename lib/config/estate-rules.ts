import { instanceFamily } from '../../constructs/aws-facts';
import { SAGEMAKER_INSTANCE_TYPES, InstanceUse } from '../ml/instances';
import { parseCidr } from './cidr';
import type { ConfigProblem } from './common';
import type { EstateConfig } from './estate-config';
import { closest, didYouMean, editDistance } from './suggest';

/**
 * Cross-field rules a bank's reviewer and SageMaker itself would apply, on a
 * config whose parts are well-formed (environments or models may be missing
 * from a sparse list when they are not; forEach skips them).
 */
export function checkReviewerRules(config: EstateConfig): ConfigProblem[] {
  return [
    ...checkInstanceTypes(config),
    ...checkPromotion(config),
    ...checkPrivateNetworks(config),
    ...checkExplainability(config),
    ...checkImageRegions(config),
    ...checkDetectiveControls(config),
  ];
}

/** Inherited detective controls name who runs them: the evidence says so, and a reviewer asks. */
function checkDetectiveControls(config: EstateConfig): ConfigProblem[] {
  const controls = config.organization?.detectiveControls;
  if (!controls) return [];
  if (controls.source === 'organization' && controls.administratorAccount === undefined) {
    return [
      {
        path: 'organization.detectiveControls.administratorAccount',
        message:
          "is required with source organization: the account that runs the organization's GuardDuty, Config and Security Hub (its delegated administrator), named in the evidence",
      },
    ];
  }
  if (controls.source === 'estate' && controls.administratorAccount !== undefined) {
    return [
      {
        path: 'organization.detectiveControls.administratorAccount',
        value: controls.administratorAccount,
        message: 'applies only with source organization',
      },
    ];
  }
  return [];
}

const USE_NAMES: Record<InstanceUse, string> = {
  hosting: 'hosting (endpoint)',
  training: 'training',
  processing: 'processing',
};

/** Instance types against SageMaker's list for their use, with the closest known type as a hint. */
function checkInstanceTypes(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const extra = new Set(config.extraInstanceTypes ?? []);
  const check = (path: string, type: string, use: InstanceUse) => {
    const known = SAGEMAKER_INSTANCE_TYPES[use];
    if (known.includes(type) || extra.has(type)) return;
    const elsewhere = (Object.keys(SAGEMAKER_INSTANCE_TYPES) as InstanceUse[]).filter((u) =>
      SAGEMAKER_INSTANCE_TYPES[u].includes(type),
    );
    // A hint in another family only for a one-character slip (ml.gg6 for ml.g6), not for a different machine.
    const hint = closest(type, known);
    const near =
      hint && (instanceFamily(hint) === instanceFamily(type) || editDistance(hint, type) === 1)
        ? `; did you mean ${hint}?`
        : '';
    problems.push({
      path,
      value: type,
      message: elsewhere.length
        ? `is not a SageMaker ${USE_NAMES[use]} instance type: SageMaker offers it for ${elsewhere.map((u) => USE_NAMES[u]).join(' and ')} only${near}`
        : `is not a SageMaker ${USE_NAMES[use]} instance type${near} (a type newer than lib/ml/sagemaker-instance-types.json goes in extraInstanceTypes)`,
    });
  };
  (config.models ?? []).forEach((model, i) => {
    for (const [env, endpoint] of Object.entries(model.endpoints ?? {})) {
      endpoint.variants.forEach((v, j) =>
        check(`models[${i}].endpoints.${env}.variants[${j}].instanceType`, v.instanceType, 'hosting'),
      );
      if (endpoint.shadow)
        check(`models[${i}].endpoints.${env}.shadow.instanceType`, endpoint.shadow.instanceType, 'hosting');
    }
    if (model.training) {
      check(`models[${i}].training.instanceType`, model.training.instanceType, 'training');
      check(`models[${i}].training.processingInstanceType`, model.training.processingInstanceType, 'processing');
    }
  });
  return problems;
}

/** Prod names the staging environment it promotes from; nothing is implied by the order of the list. */
function checkPromotion(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const present = config.environments.filter(Boolean);
  const staging = present.filter((e) => e.type === 'staging').map((e) => e.name);
  const sources = new Set<string>();
  config.environments.forEach((env, i) => {
    const at = `environments[${i}].promoteFrom`;
    if (env.type !== 'prod') {
      if (env.promoteFrom !== undefined)
        problems.push({ path: at, value: env.promoteFrom, message: 'applies only to a prod environment' });
      return;
    }
    if (env.promoteFrom === undefined) {
      if (staging.length > 0)
        problems.push({
          path: at,
          message: `is required: name the staging environment whose registry and deployment gate prod promotes from (staging environments: ${staging.join(', ')})`,
        });
      return;
    }
    const source = present.find((e) => e.name === env.promoteFrom);
    if (!source || source.type !== 'staging') {
      problems.push({
        path: at,
        value: env.promoteFrom,
        message: `must name a staging environment of this estate (${staging.join(', ') || 'there is none'})${didYouMean(env.promoteFrom, staging)}`,
      });
    } else if (source.region !== env.region) {
      problems.push({
        path: at,
        value: env.promoteFrom,
        message: `must be in prod's region (${env.region}), not ${source.region}: SageMaker serves a model package only in the region of its registry`,
      });
    }
    sources.add(env.promoteFrom);
  });
  if (sources.size > 1) {
    const i = config.environments.findIndex(
      (e) => e?.type === 'prod' && e.promoteFrom !== undefined && e.promoteFrom !== [...sources][0],
    );
    problems.push({
      path: `environments[${i}].promoteFrom`,
      value: [...sources][1],
      message: `must be the same for every prod environment (${[...sources].join(', ')}): one staging registry holds the versions prod serves`,
    });
  }
  return problems;
}

/** RFC 1918: the only address ranges a bank's isolated network is built from. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

function inRange(cidr: string, range: string): boolean {
  const [base, bits] = range.split('/');
  const [a, b, c, d] = base.split('.').map(Number);
  const network = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  const mask = (0xffffffff << (32 - Number(bits))) >>> 0;
  const parsed = parseCidr(cidr);
  return parsed !== undefined && (parsed.network & mask) >>> 0 === network;
}

function checkPrivateNetworks(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.environments.forEach((env, i) => {
    if (parseCidr(env.vpcCidr) && !PRIVATE_RANGES.some((r) => inRange(env.vpcCidr, r))) {
      problems.push({
        path: `environments[${i}].vpcCidr`,
        value: env.vpcCidr,
        message: `must lie in a private range (${PRIVATE_RANGES.join(', ')}), not in public address space`,
      });
    }
  });
  return problems;
}

function checkExplainability(config: EstateConfig): ConfigProblem[] {
  const high = config.modelRisk?.tiers?.high;
  return high && !high.requireExplainability
    ? [
        {
          path: 'modelRisk.tiers.high.requireExplainability',
          value: false,
          message:
            'cannot be false: a high-risk model must explain its decisions (ECOA / Reg B adverse-action reasons, SR 11-7)',
        },
      ]
    : [];
}

/**
 * Images run where they are: SageMaker pulls a model's image, and reads its
 * model data, only in the region of the model (SageMaker API reference,
 * ContainerDefinition). Which accounts and buckets they may come from is
 * checked in artifact-rules.ts.
 */
function checkImageRegions(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const present = config.environments.filter(Boolean);
  const checkImage = (path: string, image: string | undefined, env: { name: string; region: string }) => {
    const region = image === undefined ? undefined : /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\./.exec(image)?.[1];
    if (region !== undefined && region !== env.region) {
      problems.push({
        path,
        value: image,
        message: `is in ${region}, but ${env.name} runs in ${env.region}: SageMaker pulls images only from its own region`,
      });
    }
  };
  (config.models ?? []).forEach((model, i) => {
    for (const [name, endpoint] of Object.entries(model.endpoints ?? {})) {
      const env = present.find((e) => e.name === name);
      if (!env) continue; // reported elsewhere
      endpoint.variants.forEach((v, j) =>
        checkImage(`models[${i}].endpoints.${name}.variants[${j}].image`, v.image, env),
      );
      if (endpoint.shadow) checkImage(`models[${i}].endpoints.${name}.shadow.image`, endpoint.shadow.image, env);
    }
    const training = model.training;
    for (const name of training?.environments ?? []) {
      const env = present.find((e) => e.name === name);
      if (!env) continue;
      checkImage(`models[${i}].training.image`, training!.image, env);
      checkImage(`models[${i}].training.processingImage`, training!.processingImage, env);
    }
  });
  return problems;
}
