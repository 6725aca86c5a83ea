import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { baselinePrefix } from '../lambdas/model-pinner/approved-tag';

/** A prod copier the approved-model bucket admits: its exact role and the one model whose baselines it copies. */
export interface BaselineReader {
  readonly account: string;
  readonly roleName: string;
  readonly modelId: string;
}

/**
 * Up to this many copiers, each is admitted by its own statement: its exact role ARN, its model's baselines only.
 * S3 caps a bucket policy at 20 KB (Amazon S3 User Guide, bucket policies: "Bucket policies are limited to 20 KB in
 * size"); a statement takes about 330 bytes, so a larger estate's copiers are admitted by one statement per prod
 * account naming every role ARN exactly (about 80 bytes each), each role's own policy keeping it to its model; and
 * where even that list would not fit (over MAX_EXACT_BASELINE_READERS), by the copiers' role-name suffix.
 */
export const MAX_BASELINE_READ_STATEMENTS = 30;
export const MAX_EXACT_BASELINE_READERS = 150;
export const BASELINE_COPIER_SUFFIX = '-baseline-copy';

/**
 * The approved-model bucket's statements that let prod's baseline copiers read `baselines/<model>/*`. The principal is
 * the prod account, narrowed by `aws:PrincipalArn` to the exact role: S3 refuses a bucket policy naming a role that
 * does not exist yet (the prod roles are made after staging's bucket), and a condition on the ARN has no such order.
 */
export function baselineReadStatements(bucket: s3.IBucket, readers: readonly { model: { id: string }; environment: { account: string }; roleName: string }[], partition: string): iam.PolicyStatement[] {
  const arn = (r: (typeof readers)[number]) => `arn:${partition}:iam::${r.environment.account}:role/${r.roleName}`;
  if (readers.length <= MAX_BASELINE_READ_STATEMENTS) {
    return readers.map(
      (r, i) =>
        new iam.PolicyStatement({
          sid: `ProdCopiesBaseline${i}`,
          principals: [new iam.AccountPrincipal(r.environment.account)],
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects(`${baselinePrefix(r.model.id)}*`)],
          conditions: { ArnEquals: { 'aws:PrincipalArn': arn(r) } },
        }),
    );
  }
  const accounts = [...new Set(readers.map((r) => r.environment.account))];
  return accounts.map(
    (account, i) =>
      new iam.PolicyStatement({
        sid: `ProdCopiesBaselines${i}`,
        principals: [new iam.AccountPrincipal(account)],
        actions: ['s3:GetObject'],
        resources: [bucket.arnForObjects('baselines/*')],
        conditions:
          readers.length <= MAX_EXACT_BASELINE_READERS
            ? { ArnEquals: { 'aws:PrincipalArn': readers.filter((r) => r.environment.account === account).map(arn) } }
            : { ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::${account}:role/*${BASELINE_COPIER_SUFFIX}` } },
      }),
  );
}
