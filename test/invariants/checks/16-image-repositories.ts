import { promotionSource, servingAccounts } from '../../../lib/config';
import { MAX_TEMPLATE_BYTES, MAX_TEMPLATE_RESOURCES } from '../../../lib/ml/sharding';
import {
  imageRepositoriesIn,
  repositoryBucketOf,
  repositoryStackId,
} from '../../../lib/stacks/image-repositories-stack';
import type { EstateUnderTest } from '../suite';

/**
 * The estate's image repositories: every repository the config's images name in
 * an environment's account exists there, in the stack its name hashes to (so
 * adding a model never moves one), tags immutable, scanned on push, under a
 * customer key, retained, pullable only by the serving accounts where the
 * environment is their promotion source. And no template of the estate is over
 * CloudFormation's limits.
 */
export default function imageRepositories(estate: EstateUnderTest): void {
  const { config, stacks, ofType, synth } = estate;

  for (const env of config.environments) {
    test(`image repositories (${env.name}): each named in its hashed stack, immutable, scanned, customer key, retained, pulled only by the serving accounts`, () => {
      const expected = imageRepositoriesIn(config, env.account);
      const found = stacks.repositories
        .filter((s) => s.startsWith(`${env.name}/`))
        .flatMap((s) => ofType(s, 'AWS::ECR::Repository').map(([, r]) => ({ stack: s, r })));
      expect(found.map(({ r }) => r.Properties.RepositoryName).sort()).toEqual(expected);
      // No repository anywhere else in the environment (the governance stack held them once).
      for (const other of stacks.environment.filter(
        (s) => s.startsWith(`${env.name}/`) && !stacks.repositories.includes(s),
      ))
        expect([other, ofType(other, 'AWS::ECR::Repository')]).toEqual([other, []]);
      const pullers = promotionSource(config)?.name === env.name ? servingAccounts(config) : [];
      for (const { stack, r } of found) {
        const name = r.Properties.RepositoryName as string;
        expect([name, stack]).toEqual([name, `${env.name}/${repositoryStackId(repositoryBucketOf(name))}`]);
        expect(r.Properties).toMatchObject({
          ImageTagMutability: 'IMMUTABLE',
          ImageScanningConfiguration: { ScanOnPush: true },
          EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: expect.anything() },
        });
        expect([name, r.DeletionPolicy]).toEqual([name, 'Retain']);
        const principals = JSON.stringify(
          r.Properties.RepositoryPolicyText?.Statement?.map((st: { Principal: unknown }) => st.Principal) ?? [],
        );
        for (const account of pullers) expect(principals).toContain(account);
        if (pullers.length === 0) expect(r.Properties.RepositoryPolicyText).toBeUndefined();
      }
    });
  }

  test(`no template has more than ${MAX_TEMPLATE_RESOURCES} resources or ${MAX_TEMPLATE_BYTES} bytes`, () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const { templateFiles, templates } = synth();
    for (const [key, file] of Object.entries(templateFiles)) {
      const resources = Object.keys((templates[key].toJSON() as { Resources: object }).Resources).length;
      expect([key, resources <= MAX_TEMPLATE_RESOURCES, fs.statSync(file).size <= MAX_TEMPLATE_BYTES]).toEqual([
        key,
        true,
        true,
      ]);
    }
  });
}
