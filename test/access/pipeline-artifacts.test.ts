/**
 * The pipeline's artifacts (the source, the synthesized cloud assembly) are
 * written only by the pipeline's own roles: an assembly replaced between the
 * Synth action and a deploy stage would be deployed as the estate's own, and
 * prod's manual approval does not review the bucket's bytes. Asked of the
 * synthesized SCPs, the Delivery templates' bucket policies and roles, with a
 * tooling-account admin (AdministratorAccess, no boundary) as the attacker.
 */
import { synthesizeEstate } from '../support/estate';
import { PIPELINE_ROLE_PATH } from '../../lib/delivery/names';
import { ADMINISTRATOR_ACCESS, EstateModel, RoleModel } from './estate-model';
import { Answer, ask, Principal, without } from './simulate';

let model: EstateModel;
let scps: Array<{ name: string; policy: any }>;

beforeAll(() => {
  model = new EstateModel(synthesizeEstate());
  scps = model.scps();
});

const tooling = () => model.synth.config.delivery!.account;
const admin = (
  arn = `arn:aws:iam::${tooling()}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
): Principal => ({
  arn,
  account: tooling(),
  identityPolicies: [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }],
  person: true,
});
const asRole = (r: RoleModel): Principal => ({
  arn: r.arn,
  account: r.account,
  identityPolicies: r.identityPolicies,
  boundary: r.boundary,
  tags: r.tags,
});
const statements = (a: Answer) => a.by.map((b) => b.statement);

/** The artifact buckets of the Delivery stacks, with their names, regions and bucket policies. */
function artifactBuckets(): Array<{ key: string; name: string; region: string; policy: any }> {
  const out: Array<{ key: string; name: string; region: string; policy: any }> = [];
  for (const t of model.templates.filter((x) => x.key === 'Delivery' || x.key.startsWith('DeliverySupport'))) {
    const id = model.resourceId(t.key, 'AWS::S3::Bucket', '/Artifacts/');
    const standIn = model.bucketName(t, id);
    // CloudFormation names the home store after the stack's name (`<org>-delivery`), which the model's stand-in
    // (`delivery-...`) is not.
    const name =
      t.key === 'Delivery'
        ? `${model.synth.config.organization.name}-delivery-${id}-1a2b3c4d5e6f`.toLowerCase()
        : standIn;
    const policy = JSON.parse(
      JSON.stringify(model.policyOf(t.key, 'AWS::S3::BucketPolicy', '/Artifacts/Policy'))
        .split(standIn)
        .join(name),
    );
    out.push({ key: t.key, name, region: t.region, policy });
  }
  return out;
}

describe("the pipeline's artifact buckets are written only by the pipeline's roles (WrittenOnlyByThePipeline)", () => {
  test('a tooling admin cannot write, delete or restore an artifact in any of them; without the bucket statement it could', async () => {
    const buckets = artifactBuckets();
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    for (const b of buckets) {
      for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
        const q = {
          principal: admin(),
          action,
          resource: `arn:aws:s3:::${b.name}/examplebank-estate/Synth_Outp/abc123`,
          resourceAccount: tooling(),
          region: b.region,
        };
        const a = await ask({ scps, ...q, resourcePolicy: b.policy });
        expect([b.key, action, a.decision, statements(a)]).toEqual([
          b.key,
          action,
          'denied',
          ['WrittenOnlyByThePipeline'],
        ]);
        expect([
          b.key,
          action,
          (await ask({ scps, ...q, resourcePolicy: without(b.policy, 'WrittenOnlyByThePipeline') })).decision,
        ]).toEqual([b.key, action, 'allowed']);
      }
    }
  });

  test("every Delivery role whose own grants write artifacts is under the pipeline's path and still writes them", async () => {
    const [named] = artifactBuckets();
    const t = model.template('Delivery');
    // The roles' grants name the model's stand-in for the bucket; so does the policy asked here.
    const home = {
      ...named,
      name: model.bucketName(t, model.resourceId('Delivery', 'AWS::S3::Bucket', '/Artifacts/')),
      policy: model.policyOf('Delivery', 'AWS::S3::BucketPolicy', '/Artifacts/Policy'),
    };
    const object = `arn:aws:s3:::${home.name}/examplebank-estate/Synth_Outp/abc123`;
    let writers = 0;
    for (const r of model.roles.filter((x) => x.key === 'Delivery')) {
      const q = {
        principal: asRole(r),
        action: 's3:PutObject',
        resource: object,
        resourceAccount: tooling(),
        region: home.region,
      };
      // Every role granted object writes on the bucket (the pipeline's, the source action's, the synth project's) is
      // under the path.
      const granted = r.identityPolicies.some((p) =>
        [p.policy.Statement]
          .flat()
          .some(
            (st: any) =>
              st.Effect === 'Allow' &&
              [st.Action].flat().includes('s3:PutObject') &&
              [st.Resource].flat().includes(`arn:aws:s3:::${home.name}/*`),
          ),
      );
      if (granted) expect([r.path, r.arn.includes(`:role${PIPELINE_ROLE_PATH}`)]).toEqual([r.path, true]);
      if ((await ask({ scps: [], ...q })).decision !== 'allowed') continue;
      writers++;
      expect([r.path, r.arn.includes(`:role${PIPELINE_ROLE_PATH}`)]).toEqual([r.path, true]);
      expect([r.path, (await ask({ scps, ...q, resourcePolicy: home.policy })).decision]).toEqual([r.path, 'allowed']);
    }
    expect(writers).toBeGreaterThanOrEqual(1);
  });

  test('a tooling admin cannot rewrite or delete the bucket policies (NoBorrowingTrustedRoles names every artifact bucket); the execution role can', async () => {
    for (const b of artifactBuckets()) {
      for (const action of ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy']) {
        const q = { action, resource: `arn:aws:s3:::${b.name}`, resourceAccount: tooling(), region: b.region };
        const a = await ask({ scps, principal: admin(), ...q });
        expect([b.name, action, a.decision, statements(a)]).toEqual([
          b.name,
          action,
          'denied',
          ['NoBorrowingTrustedRoles'],
        ]);
        const exec = admin(`arn:aws:iam::${tooling()}:role/cdk-hnb659fds-cfn-exec-role-${tooling()}-${b.region}`);
        expect([b.name, action, (await ask({ scps, principal: exec, ...q })).decision]).toEqual([
          b.name,
          action,
          'allowed',
        ]);
      }
    }
  });
});
