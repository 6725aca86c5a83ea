/**
 * Above MAX_EXACT_BASELINE_READERS monitored prod endpoints, staging's
 * approved-model bucket admits a prod account's baseline copiers by the role
 * name suffix (`ArnLike aws:PrincipalArn arn:aws:iam::<prod>:role/*-baseline-copy`,
 * constructs/baseline-copy.ts), so a role an admin creates under that suffix,
 * or an existing one re-trusted to the admin, would read every model's pinned
 * baselines. `OnlyTheDeployMakesBaselineCopiers` (environment-guardrails, at
 * the root) leaves both to the deployment role and break-glass in those
 * accounts. It is in the policy exactly when the bucket admits by suffix (the
 * room at the root is shared): absent from every estate the tests know
 * (test/support/estates.ts, none over the limit), present for a generated
 * estate of 160 monitored prod endpoints, and asked of every estate with its
 * prod accounts admitted by suffix, as each would be with more copiers; the
 * roles the bucket statement's pattern admits are the ones the statement guards.
 */
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { baselineReadStatements, MAX_EXACT_BASELINE_READERS } from '../../constructs/baseline-copy';
import { EstateConfig, validateEstateConfig } from '../../lib/config';
import { baselineCopiesFrom } from '../../lib/delivery/baseline-copies';
import { scpContext } from '../../lib/stacks/organization-stack';
import {
  cdkDeploymentRoleArn,
  policySize,
  SCP_SIZE_LIMIT,
  serviceControlPolicies,
} from '../../policies/scp/service-control-policies';
import { generatedEstate } from '../support/generate-estate';
import { FOUR_ENVIRONMENTS, ONE_ENVIRONMENT, REPOSITORY_ESTATE, THIRTY_MODELS } from '../support/estates';
import { ADMINISTRATOR_ACCESS, memberAdmin } from './estate-model';
import { ask, Principal, scpsWithout } from './simulate';

const ESTATES = [REPOSITORY_ESTATE, ONE_ENVIRONMENT, FOUR_ENVIRONMENTS, THIRTY_MODELS];
const WRITES = ['iam:CreateRole', 'iam:UpdateAssumeRolePolicy'];
const SID = 'OnlyTheDeployMakesBaselineCopiers';

const roleWithAdmin = (arn: string, account: string): Principal => ({
  arn,
  account,
  identityPolicies: [{ name: 'Admin', policy: ADMINISTRATOR_ACCESS }],
});

/** The role pattern staging's bucket admits a prod account's copiers by when they are too many to list. */
function bucketSuffixPattern(account: string): string {
  const stack = new Stack();
  const bucket = s3.Bucket.fromBucketName(stack, 'B', 'approved-models');
  const readers = Array.from({ length: MAX_EXACT_BASELINE_READERS + 1 }, (_, i) => ({
    model: { id: `m${i}` },
    environment: { account },
    roleName: `m${i}-prod-baseline-copy`,
  }));
  const [statement] = baselineReadStatements(bucket, readers, 'aws').map((s) => stack.resolve(s.toStatementJson()));
  return statement.Condition.ArnLike['aws:PrincipalArn'];
}

const statementsOf = (ctx: ReturnType<typeof scpContext>) =>
  serviceControlPolicies(ctx).flatMap((p) => p.document.Statement.map((s) => ({ policy: p.name, sid: s.Sid })));

test('the statement is in the root policy exactly when the bucket admits by suffix: not for the estates the tests know, but for 160 monitored prod endpoints', () => {
  for (const estate of ESTATES) {
    const config = estate.config();
    const copiers = config.environments.flatMap((e) => baselineCopiesFrom(config, e)).length;
    expect([estate.name, copiers <= MAX_EXACT_BASELINE_READERS]).toEqual([estate.name, true]);
    expect([estate.name, statementsOf(scpContext(config)).some((s) => s.sid === SID)]).toEqual([estate.name, false]);
  }
  const large = validateEstateConfig(generatedEstate(MAX_EXACT_BASELINE_READERS + 10) as never, 'generated');
  const prod = large.environments.filter((e) => e.type === 'prod').map((e) => e.account);
  expect(large.environments.flatMap((e) => baselineCopiesFrom(large, e)).length).toBeGreaterThan(
    MAX_EXACT_BASELINE_READERS,
  );
  expect(scpContext(large).baselineCopierAccounts).toEqual(prod);
  expect(statementsOf(scpContext(large)).filter((s) => s.sid === SID)).toEqual([
    { policy: 'environment-guardrails', sid: SID },
  ]);
});

describe.each(ESTATES.map((e) => [e.name, e]))('%s, its prod accounts admitted by suffix', (_name, estate) => {
  const config: EstateConfig = estate.config();
  const base = scpContext(config);
  const ctx = { ...base, baselineCopierAccounts: base.prodAccounts };
  const policies = serviceControlPolicies(ctx);
  const scps = policies.map((p) => ({ name: p.name, policy: p.document as any }));
  const prodEnvs = config.environments.filter((e) => e.type === 'prod');

  test('every policy still fits in 5,120 characters', () => {
    for (const p of policies) expect([p.name, policySize(p) <= SCP_SIZE_LIMIT]).toEqual([p.name, true]);
  });
  // What RolesCarryTheBoundary asks of every role created in an environment account: the workload boundary.
  const boundary = (account: string, env: string) => ({
    'iam:PermissionsBoundary': `arn:aws:iam::${account}:policy/${config.organization.name}-${env}-workload-boundary`,
  });

  test.each(WRITES)(
    '%s of a role the bucket would admit (any name or path under the suffix): denied to the admin of every environment account; the deploy and break-glass may; without the statement the admin may',
    async (action) => {
      for (const e of prodEnvs) {
        const pattern = bucketSuffixPattern(e.account);
        expect(pattern).toBe(`arn:aws:iam::${e.account}:role/*-baseline-copy`);
        for (const resource of [pattern.replace('*', 'fraud-prod'), pattern.replace('*', 'team/anything')]) {
          const q = {
            action,
            resource,
            resourceAccount: e.account,
            region: e.region,
            context: boundary(e.account, e.name),
          };
          const admin = await ask({ ...q, scps, principal: memberAdmin(e.account) });
          expect([e.name, resource, admin.decision, admin.by.map((b) => b.statement)]).toEqual([
            e.name,
            resource,
            'denied',
            [SID],
          ]);
          for (const exempt of [
            cdkDeploymentRoleArn(e.account, e.region).replace('arn:*:', 'arn:aws:'),
            `arn:aws:iam::${e.account}:role/${config.organization.breakGlassRoleName}`,
          ]) {
            const a = await ask({ ...q, scps, principal: roleWithAdmin(exempt, e.account) });
            expect([e.name, exempt, a.decision]).toEqual([e.name, exempt, 'allowed']);
          }
          const open = await ask({ ...q, scps: scpsWithout(scps, SID), principal: memberAdmin(e.account) });
          expect([e.name, resource, open.decision]).toEqual([e.name, resource, 'allowed']);
        }
      }
    },
  );

  test("other names stay the admin's, and so do other accounts' roles of that suffix (the root policy binds only the accounts the bucket admits by suffix)", async () => {
    for (const e of prodEnvs) {
      for (const name of ['reporting', 'x-baseline-copy-old', 'x-BASELINE-COPY']) {
        const a = await ask({
          scps,
          principal: memberAdmin(e.account),
          action: 'iam:CreateRole',
          resource: `arn:aws:iam::${e.account}:role/${name}`,
          resourceAccount: e.account,
          region: e.region,
          context: boundary(e.account, e.name),
        });
        expect([e.name, name, a.decision]).toEqual([e.name, name, 'allowed']);
        // Nor does the bucket admit them: its ArnLike is case-sensitive and anchored at the end, as the SCP's is.
        const admitted = new RegExp(`^${bucketSuffixPattern(e.account).replace('*', '.*')}$`);
        expect([name, admitted.test(`arn:aws:iam::${e.account}:role/${name}`)]).toEqual([name, false]);
      }
    }
    for (const outside of [
      '999988887777',
      ...config.environments.filter((e) => e.type !== 'prod').map((e) => e.account),
    ]) {
      const a = await ask({
        scps,
        principal: memberAdmin(outside),
        action: 'iam:CreateRole',
        resource: `arn:aws:iam::${outside}:role/x-baseline-copy`,
        resourceAccount: outside,
        region: config.environments[0].region,
        context: {
          'iam:PermissionsBoundary': `arn:aws:iam::${outside}:policy/${config.organization.name}-x-workload-boundary`,
        },
      });
      expect([outside, a.by.map((b) => b.statement)]).not.toEqual([outside, expect.arrayContaining([SID])]);
    }
  });
});
