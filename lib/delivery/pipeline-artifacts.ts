import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PIPELINE_ROLE_PATH } from './names';

/**
 * Artifacts are written only by the pipeline's own roles (its IAM path): a
 * synth output replaced between the Synth action and a deploy stage would be
 * deployed as the estate's own. Reads stay with the grants (the target
 * accounts' deploy roles read templates).
 */
export function writtenOnlyByThePipeline(bucket: s3.IBucket, account: string, partition: string): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'WrittenOnlyByThePipeline',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:ReplicateObject', 's3:RestoreObject'],
      resources: [bucket.arnForObjects('*')],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': `arn:${partition}:iam::${account}:role${PIPELINE_ROLE_PATH}*` } },
    }),
  );
}

