import * as s3 from 'aws-cdk-lib/aws-s3';
import { writtenOnlyBy } from '../../constructs/delivery-pipeline';
import { PIPELINE_ROLE_PATH } from './names';

/** The roles that may write pipeline artifacts: the pipeline's own, by their IAM path. */
export function pipelineWriters(account: string, partition: string): string {
  return `arn:${partition}:iam::${account}:role${PIPELINE_ROLE_PATH}*`;
}

/**
 * Artifacts are written only by the pipeline's own roles (its IAM path): a
 * synth output replaced between the Synth action and a deploy stage would be
 * deployed as the estate's own. Reads stay with the grants (the target
 * accounts' deploy roles read templates).
 */
export function writtenOnlyByThePipeline(bucket: s3.IBucket, account: string, partition: string): void {
  writtenOnlyBy(bucket, pipelineWriters(account, partition));
}
