import * as fs from 'node:fs';
import * as YAML from 'yaml';
import { validateEstateConfig } from '../../lib/config/load';
import { placementFileFor, readPlacement, RecordedPlacement } from '../../lib/ml/placement-file';
import type { EstateConfig } from '../../lib/config';
import { EXAMPLE_ESTATE_FILE, REPOSITORY_ESTATE_FILE, repositoryEstateConfig } from './estate';
import { generatedEstate } from './generate-estate';

/**
 * The estates the invariant suite (test/invariants) runs on: the repository's
 * own, and three shaped unlike the example, so that no invariant can lean on
 * the example's stacks, names, regions or counts. Each is built from the
 * example fixture and validated like any config.
 */
export interface InvariantEstate {
  /** Short name, used in test titles. */
  readonly name: string;
  /** What is unusual about it. */
  readonly description: string;
  readonly config: () => EstateConfig;
  /** Run only with INVARIANT_ESTATES=all (CI): every estate but the repository's. */
  readonly extra?: boolean;
  /** The recorded endpoint shard of each model (its placement file), as `cdk synth` reads it. */
  readonly placement?: () => RecordedPlacement;
}

type Raw = Record<string, any>;
const example = (): Raw => YAML.parse(fs.readFileSync(EXAMPLE_ESTATE_FILE, 'utf8'));
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** A variant, shadow or training spec moved to another account and region, its data in that environment's bucket. */
function rehome<T extends Raw>(spec: T, _org: string, env: { name: string; account: string; region: string }): T {
  const out: Raw = clone(spec);
  for (const field of ['image', 'processingImage']) {
    if (typeof out[field] === 'string')
      out[field] = out[field].replace(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\./, `${env.account}.dkr.ecr.${env.region}.`);
  }
  if (typeof out.modelData === 'string')
    out.modelData = out.modelData.replace(/^s3:\/\/[^/]+\//, `s3://model-artifacts-${env.account}-${env.region}/`);
  return out as T;
}

function rehomeEndpoint(endpoint: Raw, org: string, env: { name: string; account: string; region: string }): Raw {
  const out = clone(endpoint);
  out.variants = out.variants.map((v: Raw) => rehome(v, org, env));
  if (out.shadow) out.shadow = rehome(out.shadow, org, env);
  return out;
}

/** The repository's estate: estate.yaml, or the file ESTATE_CONFIG names. */
export const REPOSITORY_ESTATE: InvariantEstate = {
  name: 'repository estate',
  description: `the estate the repository deploys (${REPOSITORY_ESTATE_FILE})`,
  config: repositoryEstateConfig,
  placement: () => readPlacement(placementFileFor(REPOSITORY_ESTATE_FILE)),
};

/** A sandbox: one dev environment, no organization stack, no pipeline, models trained and served in dev. */
export const ONE_ENVIRONMENT: InvariantEstate = {
  name: 'one environment',
  extra: true,
  description: 'dev only: no staging or prod, no organization stack, no delivery pipeline; a model retrains in dev',
  config: () => {
    const raw = example();
    const org = raw.organization.name;
    const dev = raw.environments.find((e: Raw) => e.type === 'dev');
    raw.organization = {
      name: org,
      homeRegion: raw.organization.homeRegion,
      allowedRegions: raw.organization.allowedRegions,
      access: raw.organization.access,
    };
    raw.environments = [dev];
    delete raw.delivery;
    raw.models = raw.models.map((m: Raw) => {
      const model: Raw = { ...m, endpoints: { dev: m.endpoints.dev } };
      delete model.training;
      if (m.id === 'credit-default' && m.training) {
        model.training = { ...rehome(m.training, org, dev), environments: ['dev'], onAlarm: false };
      }
      return model;
    });
    return validateEstateConfig(raw, 'one-environment estate');
  },
};

/**
 * Four environments over two regions: dev and a second staging (uat) in the other region; prod promotes from staging.
 */
export const FOUR_ENVIRONMENTS: InvariantEstate = {
  name: 'four environments',
  extra: true,
  description:
    "dev and uat (a second staging environment) in eu-central-1, staging and prod in eu-west-1; a pipeline deploys all four; the organization's detective controls adopted; people sign in to an identity account, the approver and break-glass trusting a permission set and a user or a role there",
  config: () => {
    const raw = example();
    const org = raw.organization.name;
    const byType = (type: string) => raw.environments.find((e: Raw) => e.type === type);
    const [devBase, staging, prod] = [byType('dev'), byType('staging'), byType('prod')];
    const dev = {
      ...devBase,
      region: 'eu-central-1',
      availabilityZones: ['eu-central-1a', 'eu-central-1b'],
      auditReplicaRegion: 'eu-west-1',
    };
    const uat = {
      ...clone(staging),
      name: 'uat',
      account: '555555555555',
      region: 'eu-central-1',
      availabilityZones: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'],
      vpcCidr: '10.40.0.0/16',
      auditReplicaRegion: 'eu-west-1',
      logRetentionDays: 731,
    };
    // uat sits between staging and prod in the file, so "the first staging environment" would still be staging:
    // prod names the environment it promotes from wherever it is listed.
    raw.environments = [dev, uat, staging, prod];
    // A landing zone runs GuardDuty, Config and Security Hub here already.
    raw.organization.detectiveControls = { source: 'organization', administratorAccount: '777777777777' };
    // People sign in to an identity account of their own; the roles name every kind of principal there.
    raw.organization.identityAccount = '888888888888';
    raw.organization.access = {
      ...raw.organization.access,
      modelRiskApprover: [{ permissionSet: 'ModelRiskApprover' }, { user: 'people/risk-officer' }],
      breakGlass: [
        { permissionSet: 'BreakGlass' },
        { role: 'arn:aws:iam::888888888888:role/emergency/IncidentCommander' },
      ],
    };
    raw.models = raw.models.map((m: Raw) => {
      const endpoints: Raw = {};
      for (const [name, endpoint] of Object.entries<Raw>(m.endpoints)) {
        if (name === 'dev') endpoints.dev = rehomeEndpoint(endpoint, org, dev);
        else endpoints[name] = endpoint;
        if (name === 'staging') endpoints.uat = rehomeEndpoint(endpoint, org, uat);
      }
      return { ...m, endpoints };
    });
    return validateEstateConfig(raw, 'four-environment estate');
  },
};

/** Thirty models, each served in every environment and in most endpoint shards. */
export const THIRTY_MODELS: InvariantEstate = {
  name: 'thirty models',
  extra: true,
  description:
    'thirty generated models on GPU and Inferentia in dev, staging and prod (past the 20 groups grants name one by one), no pipeline',
  config: () => validateEstateConfig(generatedEstate(30), 'thirty-model estate'),
};
