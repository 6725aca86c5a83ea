/**
 * What the deploy hands to CloudFormation cannot be replaced before it is
 * deployed. Every Lambda function and layer of the estate (the gates' code and
 * their threshold config among them) deploys from an object in the CDK
 * bootstrap's asset bucket of its account and region, under a content hash
 * anyone can compute from the commit; cdk-assets publishes only when no object
 * with that key exists (aws-cdk's cdk-assets `files.ts`: `isPublished()` ->
 * `objectExists()`), so an object written there first would be deployed as the
 * estate's own. Asked of the synthesized SCPs and templates, with each
 * account's admin (AdministratorAccess, no boundary) as the attacker.
 */
import { synthesizeEstate } from '../support/estate';
import { EstateModel, memberAdmin } from './estate-model';
import { Answer, ask, scpsWithout } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const admin = memberAdmin;
const publishingRole = (kind: 'file' | 'image', account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-${kind}-publishing-role-${account}-${region}`;
const statements = (a: Answer) => a.by.map((b) => b.statement);

/** Every object a function or layer of any stack deploys from, resolved in its template's account and region. */
function assetObjects(): Array<{ where: string; account: string; region: string; arn: string }> {
  const out: Array<{ where: string; account: string; region: string; arn: string }> = [];
  for (const t of model.templates) {
    for (const [id, r] of Object.entries<any>(t.resources)) {
      const source =
        r.Type === 'AWS::Lambda::Function'
          ? r.Properties?.Code
          : r.Type === 'AWS::Lambda::LayerVersion'
            ? r.Properties?.Content
            : undefined;
      if (!source?.S3Bucket) continue;
      const code = model.resolve(t, source) as { S3Bucket: string; S3Key: string };
      out.push({
        where: `${t.key} ${id}`,
        account: t.account,
        region: t.region,
        arn: `arn:aws:s3:::${code.S3Bucket}/${code.S3Key}`,
      });
    }
  }
  return out;
}

describe('the bootstrap asset bucket is written only by the publishing roles (PublishOnlyThroughTheBootstrap)', () => {
  test('no admin can write or delete the object any estate function or layer (gates and their config included) deploys from; the publishing role of its account and region can; without the statement the admin could', async () => {
    const objects = assetObjects();
    expect(objects.filter((o) => /Gate/.test(o.where)).length).toBeGreaterThan(3);
    expect(new Set(objects.map((o) => o.account)).size).toBeGreaterThanOrEqual(3);
    const writable: string[] = [];
    const withoutIt = scpsWithout(scps, 'PublishOnlyThroughTheBootstrap');
    for (const o of objects) {
      expect(o.arn).toMatch(/^arn:aws:s3:::cdk-hnb659fds-assets-\d{12}-[a-z0-9-]+\/[0-9a-f]{64}\.zip$/);
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
        const q = { action, resource: o.arn, resourceAccount: o.account, region: o.region };
        const a = await ask({ scps, principal: admin(o.account), ...q });
        if (a.decision !== 'denied' || !statements(a).includes('PublishOnlyThroughTheBootstrap'))
          writable.push(`${o.where} ${action}: ${a.decision}`);
        if (action === 's3:PutObject') {
          expect([
            o.where,
            (await ask({ scps, principal: admin(o.account, publishingRole('file', o.account, o.region)), ...q }))
              .decision,
          ]).toEqual([o.where, 'allowed']);
          expect([o.where, (await ask({ scps: withoutIt, principal: admin(o.account), ...q })).decision]).toEqual([
            o.where,
            'allowed',
          ]);
        }
      }
    }
    expect(writable).toEqual([]);
  });

  test.each([
    's3:PutBucketPolicy',
    's3:DeleteBucketPolicy',
    's3:PutBucketVersioning',
    's3:PutLifecycleConfiguration',
    's3:PutBucketAcl',
    's3:DeleteBucket',
  ])(
    'no admin may %s on the asset bucket; break-glass may (re-bootstrap); without the statement the admin could',
    async (action) => {
      const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
      const q = {
        action,
        resource: `arn:aws:s3:::cdk-hnb659fds-assets-${prod.account}-${prod.region}`,
        resourceAccount: prod.account,
        region: prod.region,
      };
      // EgressOnlyByTheDeploy denies bucket policies and ACLs of every environment bucket as well
      // (test/access/scp-egress.test.ts): taken out, so that PublishOnlyThroughTheBootstrap is asked alone.
      const alone = scpsWithout(scps, 'EgressOnlyByTheDeploy');
      const a = await ask({ scps: alone, principal: admin(prod.account), ...q });
      expect([a.decision, statements(a)]).toEqual(['denied', ['PublishOnlyThroughTheBootstrap']]);
      expect(
        (
          await ask({
            scps,
            principal: admin(
              prod.account,
              `arn:aws:iam::${prod.account}:role/${model.synth.config.organization.breakGlassRoleName}`,
            ),
            ...q,
          })
        ).decision,
      ).toBe('allowed');
      expect(
        (
          await ask({
            scps: scpsWithout(alone, 'PublishOnlyThroughTheBootstrap'),
            principal: admin(prod.account),
            ...q,
          })
        ).decision,
      ).toBe('allowed');
    },
  );

  test("a replication an admin configures cannot write into the asset bucket (s3:ReplicateObject by the admin's replication role)", async () => {
    const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
    const mine = admin(prod.account, `arn:aws:iam::${prod.account}:role/my-replication`);
    const a = await ask({
      scps,
      principal: mine,
      action: 's3:ReplicateObject',
      resource: `arn:aws:s3:::cdk-hnb659fds-assets-${prod.account}-${prod.region}/${'0'.repeat(64)}.zip`,
      resourceAccount: prod.account,
      region: prod.region,
    });
    expect([a.decision, statements(a)]).toEqual(['denied', ['PublishOnlyThroughTheBootstrap']]);
  });

  test('the exemption cannot be claimed: no admin can create a role named like a publishing role (ProtectTheDeploymentRoles)', async () => {
    const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
    const a = await ask({
      scps,
      principal: admin(prod.account),
      action: 'iam:CreateRole',
      resource: `arn:aws:iam::${prod.account}:role/cdk-hnb659fds-mine-publishing-role-x`,
      resourceAccount: prod.account,
      region: prod.region,
    });
    expect([a.decision, statements(a)]).toEqual(['denied', ['ProtectTheDeploymentRoles']]);
    // And a publishing role of an account the estate does not bootstrap is not exempt in one it does.
    const other = admin(
      prod.account,
      `arn:aws:iam::${prod.account}:role/cdk-hnb659fds-file-publishing-role-${prod.account}-${prod.region}`,
    );
    expect(
      (
        await ask({
          scps,
          principal: { ...other, account: '555555555555', arn: other.arn.replace(prod.account, '555555555555') },
          action: 's3:PutObject',
          resource: `arn:aws:s3:::cdk-hnb659fds-assets-${prod.account}-${prod.region}/x.zip`,
          resourceAccount: prod.account,
          region: prod.region,
        })
      ).decision,
    ).toBe('denied');
  });
});

describe('the bootstrap image repository is pushed only by the image-publishing roles', () => {
  test.each([
    'ecr:PutImage',
    'ecr:BatchDeleteImage',
    'ecr:PutImageTagMutability',
    'ecr:SetRepositoryPolicy',
    'ecr:DeleteRepository',
  ])(
    'no admin may %s on the container-asset repository; the image-publishing role may push; without the statement the admin could',
    async (action) => {
      const prod = model.synth.config.environments.find((e) => e.name === 'prod')!;
      const q = {
        action,
        resource: `arn:aws:ecr:${prod.region}:${prod.account}:repository/cdk-hnb659fds-container-assets-${prod.account}-${prod.region}`,
        resourceAccount: prod.account,
        region: prod.region,
      };
      const a = await ask({ scps, principal: admin(prod.account), ...q });
      expect([a.decision, statements(a)]).toEqual(['denied', ['PublishOnlyThroughTheBootstrap']]);
      if (action === 'ecr:PutImage')
        expect(
          (
            await ask({
              scps,
              principal: admin(prod.account, publishingRole('image', prod.account, prod.region)),
              ...q,
            })
          ).decision,
        ).toBe('allowed');
      expect(
        (
          await ask({
            scps: scpsWithout(scps, 'PublishOnlyThroughTheBootstrap'),
            principal: admin(prod.account),
            ...q,
          })
        ).decision,
      ).toBe('allowed');
      // Repositories the estate does not publish through stay the admin's.
      expect(
        (
          await ask({
            scps,
            principal: admin(prod.account),
            ...q,
            resource: `arn:aws:ecr:${prod.region}:${prod.account}:repository/team-images`,
          })
        ).decision,
      ).toBe('allowed');
    },
  );
});

describe('the pipeline still publishes', () => {
  test("the pipeline's asset role in the tooling account assumes each account's file-publishing role (trust: its account and the tooling account)", async () => {
    const tooling = model.synth.config.delivery!.account;
    const assets = model.roles.find((r) => r.key === 'Delivery' && /Assets\/FileRole/.test(r.path));
    expect(assets).toBeDefined();
    for (const e of model.synth.config.environments) {
      const role = publishingRole('file', e.account, e.region);
      const trust = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: [`arn:aws:iam::${e.account}:root`, `arn:aws:iam::${tooling}:root`] },
            Action: 'sts:AssumeRole',
          },
        ],
      };
      const a = await ask({
        scps,
        principal: { arn: assets!.arn, account: tooling, identityPolicies: assets!.identityPolicies },
        action: 'sts:AssumeRole',
        resource: role,
        resourceAccount: e.account,
        region: e.region,
        resourcePolicy: trust,
      });
      expect([role, a.decision]).toEqual([role, 'allowed']);
    }
  });
});
