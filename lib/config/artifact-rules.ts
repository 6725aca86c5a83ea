import { modelArtifactsBucketName } from '../delivery/names';
import type { ConfigProblem } from './common';
import type { EstateConfig } from './estate-config';

const IMAGE =
  /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(@sha256:[a-f0-9]{64}|:[\w.-]+)$/;

/** The account, repository and reference of an ECR image URI the schema has accepted. */
export function parseImage(image: string): { account: string; repository: string; byDigest: boolean } | undefined {
  const m = IMAGE.exec(image);
  return m ? { account: m[1], repository: m[3], byDigest: m[4].startsWith('@') } : undefined;
}

/**
 * What a model serves or trains with comes from the estate: images from the
 * ECR registries of the estate's accounts, named by digest outside dev (a tag
 * can be moved after the image was tested and approved), and model data from
 * an environment's artifact bucket.
 */
export function checkArtifactRules(config: EstateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const all = (config.environments ?? []).filter(Boolean);
  const environments = new Map(all.map((e) => [e.name, e]));
  const accounts = [...new Set(all.map((e) => e.account))];
  const buckets = [...new Set(all.map((e) => modelArtifactsBucketName(e.account, e.region)))];
  const checkImage = (path: string, image: string | undefined, needsDigest: boolean, where: string) => {
    const parsed = image === undefined ? undefined : parseImage(image);
    if (!parsed) return;
    if (!accounts.includes(parsed.account)) {
      problems.push({
        path,
        value: image,
        message: `is in the registry of account ${parsed.account}, outside the estate (accounts ${accounts.join(', ')}): images come from the estate's own repositories`,
      });
    } else if (needsDigest && !parsed.byDigest) {
      problems.push({
        path,
        value: image,
        message: `must name the image by digest (<repository>@sha256:<64 hex>) in ${where}: a tag can be moved after the image was tested and approved`,
      });
    }
  };
  const checkData = (path: string, uri: string | undefined) => {
    const bucket = uri === undefined ? undefined : /^s3:\/\/([^/]+)\//.exec(uri)?.[1];
    if (bucket !== undefined && !buckets.includes(bucket)) {
      problems.push({
        path,
        value: uri,
        message: `is in bucket ${bucket}, outside the estate's artifact buckets (${buckets.join(', ')})`,
      });
    }
  };
  (config.models ?? []).forEach((model, i) => {
    for (const [envName, endpoint] of Object.entries(model.endpoints ?? {})) {
      const env = environments.get(envName);
      // Prod serves only approved package versions; a direct image there is refused by the endpoint rules.
      if (!env || env.type === 'prod') continue;
      const needsDigest = env.type !== 'dev';
      endpoint.variants.forEach((v, j) => {
        checkImage(`models[${i}].endpoints.${envName}.variants[${j}].image`, v.image, needsDigest, env.name);
        checkData(`models[${i}].endpoints.${envName}.variants[${j}].modelData`, v.modelData);
      });
      if (endpoint.shadow) {
        checkImage(`models[${i}].endpoints.${envName}.shadow.image`, endpoint.shadow.image, needsDigest, env.name);
        checkData(`models[${i}].endpoints.${envName}.shadow.modelData`, endpoint.shadow.modelData);
      }
    }
    const t = model.training;
    if (t) {
      const outsideDev = t.environments.filter(
        (name) => environments.get(name) && environments.get(name)!.type !== 'dev',
      );
      for (const field of ['image', 'processingImage'] as const)
        checkImage(`models[${i}].training.${field}`, t[field], outsideDev.length > 0, outsideDev.join(', '));
    }
  });
  return problems;
}
