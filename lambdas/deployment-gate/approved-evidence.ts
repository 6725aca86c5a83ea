/**
 * The evaluation a package was approved on, as the approval gate read it:
 * the deployment gate reads a package's evaluation only at the S3 version,
 * and with the SHA-256, that the approval decision record keeps. A report
 * rewritten after approval is a new version of the key, so it is never read,
 * and a record that no longer matches the object refuses.
 *
 * A package a person approved by hand (hand-registered, forged or unchecked
 * provenance: its reports were never read, the record says `not-read`) has
 * no such evaluation; a round of any provenance other than `pipeline`, or one
 * that read its evaluation outside its execution's reports prefix, is refused. It is not
 * promoted: neither as challenger (nothing shows how it performs) nor is a
 * comparison made against it as champion (its numbers are the developer's
 * own). It reaches prod once the training pipeline has produced it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { FetchedReport } from '../shared/decision';
import { errorText, fetchPinnedReport, listKeys, readRecord } from '../shared/s3-objects';
import { visible } from '../shared/strict-json';

/** The approval records' evidence prefix: reports a gate may read were written by a training pipeline. */
const EVIDENCE = 'training/';
const ROUND_RECORD = /\/round-(\d{1,6})\.json$/;

interface RecordedEvaluation {
  readonly round?: number;
  readonly provenance?: { readonly kind?: string; readonly execution?: string };
  readonly modelPackage?: { readonly arn?: string };
  readonly inputs?: {
    readonly evaluation?: {
      readonly status?: string;
      readonly uri?: string;
      readonly versionId?: string;
      readonly sha256?: string;
    };
  };
}

export interface ApprovedEvidenceDeps {
  readonly s3: S3Client;
  readonly recordBucket: string;
  readonly artifactBucket: string;
}

/**
 * Reads `packageArn`'s evaluation at the version the latest approval round
 * that read it recorded. `currentUri` is what the package names now; a record
 * of another URI (or of another package) is not this package's evidence.
 */
export async function approvedEvaluation(
  deps: ApprovedEvidenceDeps,
  packageArn: string,
  group: string,
  version: string,
  currentUri: string | undefined,
): Promise<FetchedReport & { round?: number }> {
  const base = `approval/${group}/${version}/`;
  let rounds: number[];
  try {
    rounds = (await listKeys(deps.s3, deps.recordBucket, base))
      .filter((k) => !k.slice(base.length).includes('/'))
      .map((k) => ROUND_RECORD.exec(k))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
  } catch (e) {
    return {
      status: 'unavailable',
      uri: currentUri,
      reason: `the approval records of ${packageArn} could not be listed: ${errorText(e)}`,
    };
  }
  for (const round of rounds) {
    let record: RecordedEvaluation | undefined;
    try {
      record = await readRecord<RecordedEvaluation>(deps.s3, {
        bucket: deps.recordBucket,
        key: `${base}round-${round}.json`,
      });
    } catch (e) {
      return {
        status: 'unavailable',
        uri: currentUri,
        reason: `approval record round ${round} of ${packageArn} could not be read: ${errorText(e)}`,
      };
    }
    const read = record?.inputs?.evaluation;
    if (record?.modelPackage?.arn !== packageArn || read?.status !== 'ok' || !read.versionId || !read.sha256) continue;
    // Only a round that showed the evidence is the model's own pipeline run, and read it from that run's reports, is
    // evidence for a promotion (a round of any other provenance is a person's business, never the gate's evidence).
    if (record.provenance?.kind !== 'pipeline') {
      return {
        status: 'invalid',
        uri: currentUri,
        reason: `approval round ${round} of ${packageArn} was decided on provenance ${visible(String(record.provenance?.kind)).slice(0, 40)}, not on the model's own pipeline run, so its evaluation is not promotion evidence`,
      };
    }
    const execution = /\/execution\/([a-z0-9]{1,64})$/.exec(String(record.provenance.execution))?.[1];
    const reports = `s3://${deps.artifactBucket}/${EVIDENCE}${group}/${execution}/reports/`;
    if (!execution || !String(read.uri).startsWith(reports)) {
      return {
        status: 'invalid',
        uri: currentUri,
        reason: `approval round ${round} of ${packageArn} read ${visible(String(read.uri)).slice(0, 300)}, outside its execution's reports prefix ${reports}`,
      };
    }
    if (read.uri !== currentUri) {
      return {
        status: 'invalid',
        uri: currentUri,
        reason: `the package names ${visible(String(currentUri)).slice(0, 300)}, but approval round ${round} read ${visible(String(read.uri)).slice(0, 300)}`,
      };
    }
    const fetched = await fetchPinnedReport(
      deps.s3,
      currentUri,
      { buckets: [deps.artifactBucket], prefix: EVIDENCE },
      { versionId: read.versionId, sha256: read.sha256 },
    );
    return { ...fetched, round };
  }
  return {
    status: 'missing',
    uri: currentUri,
    reason:
      rounds.length === 0
        ? `no approval decision record of ${packageArn} exists, so there is no evaluation the approval gate read`
        : `no approval round of ${packageArn} read its evaluation (a hand-registered package's reports are not read): a person's approval without pipeline evidence is not promoted`,
  };
}
