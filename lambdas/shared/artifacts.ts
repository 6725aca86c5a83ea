/**
 * What a package would serve must come from the estate: images from its
 * registries (by digest where the rules say so) and model data from its
 * artifact bucket, under the prefix the caller names. Shared by the approval
 * gate (at approval) and the deployment gate (again before promotion: a
 * person may approve a package the approval gate would have rejected).
 */
import type { ModelPackageContainerDefinition } from '@aws-sdk/client-sagemaker';
import type { Check } from './decision';
import type { ArtifactRules } from './gate-config';
import { visible } from './strict-json';

const IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]{2,256})(@sha256:[a-f0-9]{64}|:[\w.-]{1,128})$/;

export interface ArtifactScope {
  /** The environment's artifact bucket. */
  readonly bucket: string;
  /** Model data must be under this key prefix, when set. */
  readonly prefix?: string;
  /** How the prefix reads in a reason (e.g. "fraud-score's training run"). */
  readonly prefixMeaning?: string;
}

export function artifactChecks(
  containers: readonly ModelPackageContainerDefinition[] | undefined,
  rules: ArtifactRules,
  scope: ArtifactScope,
): Check[] {
  if (!containers || containers.length === 0)
    return [
      { name: 'artifacts', passed: false, severity: 'block', detail: 'the package names no inference container' },
    ];
  return containers.flatMap((c, i): Check[] => {
    const checks: Check[] = [];
    const image = c.Image ?? '';
    const m = IMAGE.exec(image);
    const shownImage = visible(image).slice(0, 300);
    if (!m)
      checks.push({
        name: `image ${i}`,
        passed: false,
        severity: 'block',
        detail: `image "${shownImage}" is not an ECR image URI`,
      });
    else if (!rules.registryAccounts.includes(m[1]))
      checks.push({
        name: `image ${i}`,
        passed: false,
        severity: 'block',
        detail: `image ${shownImage} is outside the estate's registries (accounts ${rules.registryAccounts.join(', ')})`,
      });
    else if (rules.requireImageDigest && !m[4].startsWith('@sha256:'))
      checks.push({
        name: `image ${i}`,
        passed: false,
        severity: 'block',
        detail: `image ${shownImage} is named by a tag, which can be moved after approval; outside dev an image is named by digest`,
      });
    else
      checks.push({
        name: `image ${i}`,
        passed: true,
        severity: 'block',
        detail: `image ${shownImage} is in the estate's registry`,
      });
    const data = c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri;
    if (data !== undefined) {
      const where = /^s3:\/\/([^/]+)\/(.+)$/.exec(data);
      const shownData = visible(data).slice(0, 300);
      const inBucket = where?.[1] === scope.bucket && !where[2].split('/').includes('..');
      const underPrefix = scope.prefix ? where?.[2].startsWith(scope.prefix) : true;
      if (!inBucket)
        checks.push({
          name: `model data ${i}`,
          passed: false,
          severity: 'block',
          detail: `model data ${shownData} is outside the estate's artifact bucket ${scope.bucket}`,
        });
      else if (!underPrefix)
        checks.push({
          name: `model data ${i}`,
          passed: false,
          severity: 'block',
          detail: `model data ${shownData} is not ${scope.prefixMeaning ?? 'where the estate keeps model data'} (expected under s3://${scope.bucket}/${scope.prefix})`,
        });
      else
        checks.push({
          name: `model data ${i}`,
          passed: true,
          severity: 'block',
          detail: `model data ${shownData} is in the estate's artifact bucket${scope.prefix ? `, ${scope.prefixMeaning ?? 'under ' + scope.prefix}` : ''}`,
        });
    }
    return checks;
  });
}
