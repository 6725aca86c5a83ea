/**
 * Model approval gate: runs on "SageMaker Model Package State Change" for a
 * package in PendingManualApproval. Reads the package, checks where its
 * evidence comes from, reads its reports, decides with `decideApproval`,
 * writes the decision record of this review round (once, to an Object Lock
 * bucket), re-reads the package, and only if nobody has touched it since it
 * was read sets the status, then notifies.
 *
 * Review rounds: round 1 starts at registration; a person who sends a decided
 * package back to PendingManualApproval starts the next round, which is
 * decided afresh under the policy (and risk tier) of the day. The gate's own
 * update is recognised by the package's LastModifiedTime and description,
 * kept in `round-<n>.applied.json`; a redelivered event of a round already
 * applied only completes what is missing (the notice).
 *
 * A hold sends no update at all (the package is already pending): only the
 * record and the notice, so no hold can land on a person's decision.
 *
 * The race SageMaker leaves: UpdateModelPackage has no condition (no
 * expected status or version), so a person's decision that lands between the
 * gate's re-read and its Approved or Rejected update is overwritten. The
 * window is one API round trip (the bench measures it). It is made harmless:
 * the gate also runs on CloudTrail's record of every UpdateModelPackage
 * (`personUpdate`) and sets back a person's status that its own update
 * overwrote inside the window; the deployment gate does not promote meanwhile
 * (lambdas/deployment-gate/restorations.ts).
 */
import { createHash } from 'node:crypto';
import {
  DescribeModelPackageCommand,
  DescribeModelPackageCommandOutput,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  PipelineExecutionStep,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { artifactChecks as sharedArtifactChecks } from '../shared/artifacts';
import type { Check } from '../shared/decision';
import { GateConfig, GovernedModel, loadGateConfig } from '../shared/gate-config';
import {
  errorText,
  fetchReport,
  listKeys,
  parseS3Uri,
  readRecord,
  S3Location,
  writeRecordOnce,
} from '../shared/s3-objects';
import { visible } from '../shared/strict-json';
import { BASELINE_FILES, BaselineFile } from '../model-pinner/approved-tag';
import { EVIDENCE_PREFIX } from './evidence';
import {
  ROUND_IN_FLIGHT_MS,
  SWEEP_EVENT,
  SWEPT_PREFIX,
  WAITING_MARGIN_MS,
  WAITING_METRIC,
  WAITING_PREFIX,
} from './sweep-contract';
import { ApprovalDecision, decideApproval, FetchedReport, Outcome, Provenance } from './policy';

export const GATE_NAME = 'model-approval-gate';
export { EVIDENCE_PREFIX } from './evidence';
/** SNS's largest message (256 KiB, message and attributes); notices are cut below it, with a pointer to the record. */
export const SNS_MAX_BYTES = 256 * 1024;

/** Where the gate runs: packages and executions of another partition, region or account are not its own. */
export interface HomeAccount {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export interface ApprovalGateDeps {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly config: GateConfig;
  readonly home: HomeAccount;
  /** Object Lock bucket for decision records. */
  readonly recordBucket: string;
  /** The environment's artifact bucket: reports and model data. */
  readonly artifactBucket: string;
  readonly topicArn: string;
  /** Digest of the policy the function was built with, recorded with each decision. */
  readonly policyDigest: string;
  readonly now?: () => Date;
  /**
   * While the claimed execution is still running and none of its steps names
   * the package yet, how long to wait before listing its steps again (the
   * state change event can arrive before the RegisterModel step records the
   * package it registered). Three listings at most; then the package is held.
   */
  readonly registerStepWaitMs?: number;
  /** The gate's own IAM role name: its own updates, seen again through CloudTrail, are not a person's. */
  readonly roleName?: string;
  /**
   * Where the sweep publishes how many person calls wait too long (`WAITING_METRIC`); without it, nothing is published.
   */
  readonly cloudwatch?: CloudWatchClient;
}

/** An "AWS API Call via CloudTrail" event (EventBridge) for SageMaker's UpdateModelPackage. */
export interface ApiCallEvent {
  readonly id?: string;
  readonly time?: string;
  readonly 'detail-type'?: string;
  readonly source?: string;
  readonly detail?: {
    readonly eventSource?: string;
    readonly eventName?: string;
    /** Whole seconds (CloudTrail record contents: eventTime is an ISO 8601 time in UTC, to the second). */
    readonly eventTime?: string;
    readonly eventID?: string;
    readonly errorCode?: string;
    readonly userIdentity?: {
      readonly type?: string;
      readonly arn?: string;
      readonly principalId?: string;
      readonly sessionContext?: { readonly sessionIssuer?: { readonly arn?: string; readonly userName?: string } };
    };
    readonly requestParameters?: Readonly<Record<string, unknown>> | null;
  };
}

export interface PackageStateChangeEvent {
  readonly id?: string;
  readonly time?: string;
  readonly 'detail-type'?: string;
  readonly source?: string;
  readonly detail?: {
    readonly ModelPackageArn?: string;
    readonly ModelPackageGroupName?: string;
    readonly ModelPackageVersion?: number;
    readonly ModelApprovalStatus?: string;
  };
}

/** What the gate saw of the package: enough to tell whether anyone changed it since. */
export interface PackageState {
  readonly status?: string;
  readonly lastModified?: string;
  readonly description?: string;
  /** The package's `gate-decision` metadata as read: a value set before the gate decided is not the gate's mark. */
  readonly gateDecision?: string;
}

export interface RecordedInput {
  readonly status: string;
  readonly uri?: string;
  readonly versionId?: string;
  readonly sha256?: string;
  readonly reason?: string;
}

export interface ApprovalRecord {
  readonly schema: 'model-approval-decision/2';
  readonly gate: { readonly name: string; readonly policyDigest: string };
  readonly environment: string;
  readonly event: { readonly id?: string; readonly time?: string };
  readonly modelPackage: { readonly arn: string; readonly group: string; readonly version: number };
  /** Review round: 1 from registration, one more each time a person sends the package back to pending. */
  readonly round: number;
  /** The package as it was when the gate decided; the decision is applied only if it is still so. */
  readonly package: PackageState;
  readonly model?: {
    readonly id: string;
    readonly owner: string;
    readonly riskTier: string;
    readonly problemType: string;
  };
  readonly trainingData?: Readonly<Record<string, string>>;
  readonly provenance: Provenance;
  readonly inputs: Readonly<Record<string, RecordedInput>>;
  /**
   * Each container's model data as it was when the gate decided (S3 version id and size): what the
   * pinning step copies into the Object Lock bucket once the package is Approved (lambdas/model-pinner).
   */
  readonly modelData?: readonly RecordedModelData[];
  /**
   * Every drift baseline file the pinner copies (BASELINE_FILES), as the gate read it from the run's reports beside
   * the drift-check statistics: S3 version id and SHA-256 of the bytes read (`ok`), or why it has none (`missing`,
   * `invalid`, `unavailable`, `not-read`). The pinner copies exactly these versions and no other (absent from records
   * written before baselines were recorded per file).
   */
  readonly baselineFiles?: Readonly<Partial<Record<BaselineFile, RecordedInput>>>;
  readonly outcome: Outcome;
  readonly approvalStatus: string;
  readonly reasons: string[];
  readonly checks: ApprovalDecision['checks'];
  readonly thresholds?: ApprovalDecision['thresholds'];
  readonly decidedAt: string;
}

export interface RecordedModelData {
  readonly uri?: string;
  readonly status: 'ok' | 'not-read' | 'missing' | 'unavailable';
  readonly versionId?: string;
  readonly bytes?: number;
  readonly reason?: string;
}

/** Whether the round's decision took effect: written once, after the update (or after finding it superseded). */
export interface AppliedRecord {
  readonly schema: 'model-approval-applied/1';
  readonly record: string;
  readonly applied: boolean;
  /** The package after the gate's update (applied) or as found instead (superseded). */
  readonly package: PackageState;
  readonly reason: string;
  /** Set when the decision could not be applied to an unchanged package (a person decides; redeliveries replay it). */
  readonly blocked?: boolean;
  readonly at: string;
}

/** That the round's notice went out: written once, after SNS accepted it. */
export interface NotifiedRecord {
  readonly schema: 'model-approval-notified/1';
  readonly record: string;
  readonly messageId?: string;
  readonly bytes: number;
  readonly cut: boolean;
  readonly at: string;
}

/**
 * What the gate made of a person's UpdateModelPackage seen through CloudTrail:
 * - `restore`: the package's current status is the gate's own update, sent after a re-read that did not precede the
 *   person's call (inside the window, or too close to tell): the person's status is set back;
 * - `stands`: the package's current status is not the gate's last update (a hold, a person's later change, or a
 *   package the gate never wrote): nothing to restore;
 * - `older`: the person's call is older than the re-read of the gate's last update by more than the clocks' precision:
 *   the gate saw it, and a later decision (a person's re-opening, then a new round) replaced it;
 * - `concurs`: the current status is the person's (the gate's own update or its restoration, seen again);
 * - `wait`: the gate's update may still be landing or is not recorded yet: judged again on redelivery, and by the
 *   sweep (`sweepWaiting`) until it settles;
 * - `redecide`: the person's Approved was overwritten by the gate's (or a restoration's) status, but the package was
 *   changed since (LastModifiedTime moved, status unchanged): a later person's Rejected whose CloudTrail event has not
 *   arrived cannot be ruled out, so Approved is not set back; the package is left as it is (not Approved, so not
 *   promotable) and the person is told to decide again.
 */
export type PersonVerdict = 'restore' | 'stands' | 'older' | 'concurs' | 'wait' | 'redecide';

/**
 * A person's status update as CloudTrail recorded it, and what the gate made of it: written once, before any
 * restoration.
 */
export interface PersonUpdateRecord {
  readonly schema: 'model-approval-person-update/1';
  readonly modelPackage: { readonly arn: string; readonly group: string; readonly version: number };
  readonly person: {
    readonly eventId: string;
    readonly eventTime: string;
    readonly identity: string;
    readonly status: string;
    readonly description?: string;
  };
  readonly verdict: PersonVerdict;
  readonly reason: string;
  /**
   * The gate's update the person's was overwritten by (for `restore`): its record, the status it set, when its re-read
   * was sent.
   */
  readonly overwrittenBy?: {
    readonly record: string;
    readonly status: string;
    readonly readAt: string;
    readonly package?: PackageState;
  };
  /** The package when the gate judged the person's update. */
  readonly package: PackageState;
  readonly at: string;
}

/**
 * That a person's status was set back (written after the restoring update), or that a waiting judgement settled
 * otherwise.
 */
export interface RestoredRecord {
  readonly schema: 'model-approval-restored/1';
  readonly record: string;
  readonly restored: boolean;
  readonly status?: string;
  /** The verdict the judgement settled on (a `wait` or `restore` judged again may end as another verdict). */
  readonly verdict?: PersonVerdict;
  /** The package after the restoring update (what a later restoration compares with). */
  readonly package: PackageState;
  readonly reason: string;
  readonly at: string;
}

/**
 * Where a judged person call stands, one rule for the sweep and the replay path, so that a call the sweep keeps pending
 * is one a replay completes. `final`: a `.restored.json` settlement exists, or the record's own verdict is final (not
 * `restore`, not `wait`). `notice`: what the final judgement owes the person (a restoration's notice, a `redecide`'s).
 * `settled`: final, and no notice owed or it is recorded as sent.
 */
export function settlementOf(
  record: PersonUpdateRecord,
  settlement: RestoredRecord | undefined,
  noticeSent: boolean,
): { readonly final: boolean; readonly notice?: 'restored' | 'redecide'; readonly settled: boolean } {
  const final = settlement !== undefined || (record.verdict !== 'restore' && record.verdict !== 'wait');
  const verdict = settlement ? settlement.verdict : record.verdict;
  const notice = !final
    ? undefined
    : settlement?.restored
      ? 'restored'
      : verdict === 'redecide'
        ? 'redecide'
        : undefined;
  return { final, notice, settled: final && (notice === undefined || noticeSent) };
}

/** CloudTrail's eventTime is whole seconds: a call recorded at t landed in [t, t + 1 s). */
export const EVENT_TIME_PRECISION_MS = 1000;
/**
 * Allowance for the difference between the Lambda's clock and CloudTrail's (both synchronised by AWS; one second is
 * generous).
 */
export const CLOCK_SKEW_MS = 1000;
/** The metadata mark each gate update carries: `<re-read sent at, ISO> <record URI>`. */
export const GATE_WRITE_KEY = 'gate-write';
const GATE_WRITE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (s3:\/\/\S+)$/;

export interface ApprovalResult {
  readonly outcome: Outcome | 'skipped' | 'superseded' | 'unapplied' | PersonVerdict | 'swept';
  readonly approvalStatus?: string;
  readonly round?: number;
  readonly record?: string;
  readonly replayed?: boolean;
  readonly notified?: boolean;
  readonly reason?: string;
  /** The sweep's account of the person calls it found waiting (outcome `swept`). */
  readonly swept?: SweepReport;
}

/**
 * Why a sweep exists. A `wait` is thrown so that the call is judged again, but once Lambda has accepted an
 * asynchronous invoke only Lambda's own retries apply: "If the function returns an error, by default Lambda attempts
 * to run it two more times, with a one-minute wait between the first two attempts, and two minutes between the second
 * and third attempts" (AWS Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
 * invocation"; at most 2, "Configuring error handling settings for Lambda asynchronous invocations"). The rule
 * target's retries and event age are EventBridge's retries to deliver to Lambda, not to run the function again. A
 * `wait` can last up to ROUND_IN_FLIGHT_MS, so the gate keeps an index of pending person calls (`WAITING_PREFIX`) and a
 * scheduled rule (constructs/approval-wait-sweep.ts) invokes it with `SWEEP_EVENT` every few minutes to judge them
 * again; one still pending past ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS is counted in `WAITING_METRIC`, which alarms.
 */
export {
  ROUND_IN_FLIGHT_MS,
  SWEEP_EVENT,
  SWEPT_PREFIX,
  WAITING_MARGIN_MS,
  WAITING_METRIC,
  WAITING_PREFIX,
} from './sweep-contract';

export interface WaitingEntry {
  readonly schema: 'model-approval-waiting/1';
  readonly record: string;
  /** When the call was first judged (its person record's `at`): how long it has been pending. */
  readonly since: string;
}

export interface SweepReport {
  readonly listed: number;
  readonly settled: number;
  readonly judged: number;
  readonly pending: number;
  /** Pending past ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS, or not readable: what the alarm counts. */
  readonly tooLong: readonly { readonly key: string; readonly reason: string }[];
}

/** EventBridge's detail type for CloudTrail's record of an API call. */
export const API_CALL = 'AWS API Call via CloudTrail';
const STATUS: Record<Outcome, string> = { approve: 'Approved', reject: 'Rejected', hold: 'PendingManualApproval' };
const PENDING = 'PendingManualApproval';
const PACKAGE_ARN =
  /^arn:(aws[a-z-]{0,10}):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):model-package\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,8})$/;
const EXECUTION_ARN =
  /^arn:(aws[a-z-]{0,10}):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):pipeline\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,255})\/execution\/([a-z0-9]{1,64})$/;
const ROUND_KEY = /\/round-(\d{1,6})(\.applied|\.notified)?\.json$/;

const stateOf = (d: DescribeModelPackageCommandOutput): PackageState => ({
  status: d.ModelApprovalStatus,
  lastModified: d.LastModifiedTime ? new Date(d.LastModifiedTime).toISOString() : undefined,
  description: d.ApprovalDescription ?? '',
  gateDecision: d.CustomerMetadataProperties?.['gate-decision'],
});
/** SageMaker's limit on a package's CustomerMetadataProperties entries. */
export const MAX_METADATA_ENTRIES = 50;
/**
 * Whether the gate's update of the round landed: the package's metadata names the round's record, and did not
 * already when the gate read it (a key a registrant set in advance is not the gate's mark).
 */
const landed = (record: ApprovalRecord, uri: string, current: DescribeModelPackageCommandOutput) =>
  current.CustomerMetadataProperties?.['gate-decision'] === uri && record.package.gateDecision !== uri;
/** A hold whose cause was an error reading its inputs (provenance or a report), not a finding about the package. */
const transientHold = (r: ApprovalRecord) =>
  r.outcome === 'hold' &&
  (r.provenance?.kind === 'unavailable' || Object.values(r.inputs ?? {}).some((i) => i?.status === 'unavailable'));
const sameState = (a: PackageState, b: PackageState) =>
  a.status === b.status && a.lastModified === b.lastModified && (a.description ?? '') === (b.description ?? '');

interface Round {
  readonly round: number;
  readonly record: S3Location;
  readonly applied?: S3Location;
  readonly notified?: S3Location;
}

export function approvalGate(deps: ApprovalGateDeps) {
  const now = deps.now ?? (() => new Date());
  const at = (key: string): S3Location => ({ bucket: deps.recordBucket, key });
  const uriOf = (l: S3Location) => `s3://${l.bucket}/${l.key}`;
  const describe = (arn: string) => deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));

  return async function handle(
    event: PackageStateChangeEvent | ApiCallEvent | typeof SWEEP_EVENT,
  ): Promise<ApprovalResult> {
    if ((event as typeof SWEEP_EVENT)?.sweep === SWEEP_EVENT.sweep) return sweep();
    if ((event as ApiCallEvent)?.['detail-type'] === API_CALL) return personUpdate(event as ApiCallEvent);
    return decide(event as PackageStateChangeEvent);
  };

  async function decide(event: PackageStateChangeEvent): Promise<ApprovalResult> {
    const arn = event?.detail?.ModelPackageArn;
    const match = typeof arn === 'string' ? PACKAGE_ARN.exec(arn) : null;
    if (!match) return unattributable(event, 'the event names no valid model package ARN');
    const [, partition, region, account, group, versionText] = match;
    if (partition !== deps.home.partition || region !== deps.home.region || account !== deps.home.account) {
      return unattributable(
        event,
        `the package is of ${partition}/${region}/${account}, not of this gate's ${deps.home.partition}/${deps.home.region}/${deps.home.account}`,
      );
    }
    if (event.detail?.ModelApprovalStatus !== PENDING) {
      return {
        outcome: 'skipped',
        reason: `status ${visible(String(event.detail?.ModelApprovalStatus)).slice(0, 40)} is not PendingManualApproval`,
      };
    }
    const base = `approval/${group}/${versionText}/`;

    // The package as it is now; without it nothing can be decided (the event is retried, then dead-lettered).
    let current: DescribeModelPackageCommandOutput;
    try {
      current = await describe(arn!);
    } catch (e) {
      await writeRecordOnce(
        deps.s3,
        at(`${base}unread/${now().toISOString()}-${digest(String(event.id)).slice(0, 16)}.json`),
        {
          schema: 'model-approval-unread/1',
          event: { id: event.id, time: event.time },
          reason: `DescribeModelPackage failed: ${errorText(e)}`,
          at: now().toISOString(),
        },
      );
      throw e;
    }
    const rounds = await loadRounds(base);
    const latest = rounds[rounds.length - 1];

    if (current.ModelApprovalStatus !== PENDING) {
      // A decision stands (the gate's or a person's); only a notice still owed is sent.
      const notified = latest ? await completeNotice(latest, current) : false;
      return {
        outcome: 'skipped',
        reason: `the package is ${visible(String(current.ModelApprovalStatus))}; the gate changes only a pending package`,
        round: latest?.round,
        notified,
      };
    }
    if (latest) {
      const record = await readRecord<ApprovalRecord>(deps.s3, latest.record);
      if (!record) throw new Error(`decision record ${latest.record.key} was listed but cannot be read`);
      const applied = latest.applied ? await readRecord<AppliedRecord>(deps.s3, latest.applied) : undefined;
      if (applied?.applied && sameState(stateOf(current), applied.package) && !transientHold(record)) {
        // The round's decision is in effect and nobody has changed the package since: a redelivery.
        const notified = await completeNotice(latest, current);
        return {
          outcome: record.outcome,
          approvalStatus: record.approvalStatus,
          round: record.round,
          record: latest.record.key,
          replayed: true,
          notified,
        };
      }
      if (
        applied?.blocked &&
        sameState(stateOf(current), applied.package) &&
        record.gate.policyDigest === deps.policyDigest
      ) {
        // The round could not be applied and nobody has acted since: a redelivery changes nothing.
        const notified = await completeNotice(latest, current);
        return {
          outcome: 'unapplied',
          approvalStatus: record.approvalStatus,
          round: record.round,
          record: latest.record.key,
          replayed: true,
          notified,
          reason: applied.reason,
        };
      }
      if (!applied && sameState(stateOf(current), record.package) && record.gate.policyDigest === deps.policyDigest) {
        // Recorded, never applied (a crash or a timeout), and nobody has touched the package since: finish this round.
        return apply(record, latest, true);
      }
      // Otherwise a person sent the package back, the policy changed, or the round held only because something could
      // not be read then (a transient error is not a decision to keep): a new round, from fresh reads. Settle this one
      // first: if the gate's update of it went through (its metadata names this round's record) but the invocation
      // stopped before recording that, the record says so now, late, and its notice goes out: the decision was live.
      if (!applied && landed(record, uriOf(latest.record), current)) await completeNotice(latest, current);
    }
    return decideRound((latest?.round ?? 0) + 1, arn!, group, Number(versionText), current, event, base);
  }

  async function decideRound(
    round: number,
    arn: string,
    group: string,
    version: number,
    described: DescribeModelPackageCommandOutput,
    event: PackageStateChangeEvent,
    base: string,
  ): Promise<ApprovalResult> {
    const model = deps.config.models.find((m) => m.packageGroupName === group);
    const evidence = model
      ? await provenanceOf(model, described)
      : { provenance: { kind: 'hand-registered', reason: 'the group is not governed' } as Provenance };
    const metrics = described.ModelMetrics;
    const uris: Record<string, string | undefined> = {
      evaluation: metrics?.ModelQuality?.Statistics?.S3Uri,
      bias: metrics?.Bias?.Report?.S3Uri ?? metrics?.Bias?.PostTrainingReport?.S3Uri,
      explainability: metrics?.Explainability?.Report?.S3Uri,
      statistics: metrics?.ModelDataQuality?.Statistics?.S3Uri,
      baseline: described.DriftCheckBaselines?.ModelDataQuality?.Statistics?.S3Uri,
    };
    const names = Object.keys(uris);
    // Reports are evidence only of the model's own pipeline run, so they are read only when the claimed execution is
    // shown to be it (provenance `pipeline`), and only from that execution's reports prefix. A hand-registered package,
    // a false claim (forged) or a claim that could not be checked (unavailable) is not read: its record says
    // `not-read`, so no borrowed report is ever recorded as this package's evidence (and none is promoted on,
    // approved-evidence.ts).
    const options = { buckets: [deps.artifactBucket], prefix: `${evidence.prefix ?? EVIDENCE_PREFIX}reports/` };
    const notPipeline = evidence.provenance.kind !== 'pipeline' || !evidence.prefix;
    const notRead = (n: string): FetchedReport => ({
      status: 'missing',
      uri: uris[n],
      reason: `not read: the package's provenance is ${evidence.provenance.kind}, and reports are read only as evidence of the model's own pipeline run`,
    });
    const fetched: FetchedReport[] = await Promise.all(
      names.map((n) => (notPipeline ? notRead(n) : fetchReport(deps.s3, uris[n], options))),
    );
    const inputs = Object.fromEntries(names.map((n, i) => [n, fetched[i]])) as unknown as Parameters<
      typeof decideApproval
    >[2];
    const decided = decideApproval(model, deps.config.tiers, inputs, {
      provenance: evidence.provenance,
      artifacts: model ? artifactChecks(model, described, evidence.prefix) : [],
    });
    // The gate's own metadata keys (gate-*) are the gate's to write. Present before its first round, a registrant set
    // them: the gate never approves such a package (it holds, naming them; a rejection stands).
    const preset =
      round === 1 ? Object.keys(described.CustomerMetadataProperties ?? {}).filter((k) => k.startsWith('gate-')) : [];
    const presetCheck = {
      name: 'gate metadata',
      passed: false,
      severity: 'warn' as const,
      detail: `the package was registered with the gate's own metadata keys (${preset.map((k) => visible(k).slice(0, 40)).join(', ')}); only the gate sets them, so a person reviews it`,
    };
    const decision: ApprovalDecision =
      preset.length === 0
        ? decided
        : {
            ...decided,
            checks: [...decided.checks, presetCheck],
            outcome: decided.outcome === 'approve' ? 'hold' : decided.outcome,
            reasons: decided.outcome === 'approve' ? [presetCheck.detail] : [...decided.reasons, presetCheck.detail],
          };
    const modelData = await Promise.all(
      (described.InferenceSpecification?.Containers ?? []).map((c) =>
        modelDataOf(c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri),
      ),
    );
    const baselineFiles = await baselineFilesOf(notPipeline ? undefined : fetched[names.indexOf('baseline')], options);

    const record: ApprovalRecord = {
      schema: 'model-approval-decision/2',
      gate: { name: GATE_NAME, policyDigest: deps.policyDigest },
      environment: deps.config.environment,
      event: {
        id: typeof event.id === 'string' ? event.id.slice(0, 200) : undefined,
        time: typeof event.time === 'string' ? event.time.slice(0, 40) : undefined,
      },
      modelPackage: { arn, group, version },
      round,
      package: stateOf(described),
      model: model && { id: model.id, owner: model.owner, riskTier: model.riskTier, problemType: model.problemType },
      trainingData: described.CustomerMetadataProperties,
      provenance: evidence.provenance,
      modelData,
      baselineFiles,
      inputs: Object.fromEntries(
        names.map((n, i) => {
          const r = fetched[i];
          const { status, uri } = r;
          const kept = 'versionId' in r ? { versionId: r.versionId, sha256: r.sha256 } : {};
          if (notPipeline) return [n, { status: 'not-read', uri, reason: (r as { reason: string }).reason }];
          return [n, r.status === 'ok' ? { status, uri, ...kept } : { status, uri, ...kept, reason: r.reason }];
        }),
      ),
      outcome: decision.outcome,
      approvalStatus: STATUS[decision.outcome],
      reasons: decision.reasons.map((r) => visible(r)),
      checks: decision.checks,
      thresholds: decision.thresholds,
      decidedAt: now().toISOString(),
    };
    const where: Round = {
      round,
      record: at(`${base}round-${round}.json`),
      applied: at(`${base}round-${round}.applied.json`),
      notified: at(`${base}round-${round}.notified.json`),
    };
    // The record is written before the decision takes effect; if another invocation got there first, its record is the
    // round's decision.
    if (!(await writeRecordOnce(deps.s3, where.record, record))) {
      const winner = await readRecord<ApprovalRecord>(deps.s3, where.record);
      if (!winner) throw new Error(`decision record ${where.record.key} exists but cannot be read`);
      return apply(winner, where, true);
    }
    return apply(record, where, false);
  }

  /** Applies a round's decision if the package is still as the gate saw it; records what happened either way. */
  async function apply(record: ApprovalRecord, where: Round, replayed: boolean): Promise<ApprovalResult> {
    const recordUri = uriOf(where.record);
    const appliedAt = where.applied ?? at(where.record.key.replace(/\.json$/, '.applied.json'));
    const result = { approvalStatus: record.approvalStatus, round: record.round, record: where.record.key, replayed };
    // Re-read right before the write: only a package nobody has changed since the gate read it is updated. When the
    // re-read was sent goes with the update (metadata `gate-write`): a person's call CloudTrail records at or after it
    // (less the clocks' precision) may have landed inside the window, and is set back (`personUpdate`).
    const readAt = now().toISOString();
    const before = await describe(record.modelPackage.arn);
    const mine = landed(record, recordUri, before) && before.ModelApprovalStatus === record.approvalStatus;
    if (!mine && !sameState(stateOf(before), record.package)) {
      const reason = `the package changed while the gate decided (now ${visible(String(before.ModelApprovalStatus))}, modified ${stateOf(before).lastModified}); the gate's ${record.outcome} was not applied`;
      await writeRecordOnce(deps.s3, appliedAt, {
        schema: 'model-approval-applied/1',
        record: recordUri,
        applied: false,
        package: stateOf(before),
        reason,
        at: now().toISOString(),
      } satisfies AppliedRecord);
      return { ...result, outcome: 'superseded', reason };
    }
    if (record.outcome === 'hold') {
      // A hold leaves the status alone: the package is already pending, and any UpdateModelPackage could land on a
      // person's decision made after the re-read (SageMaker's update has no condition). The record and the notice
      // carry the reasons; the package state recorded is the one the gate left in place.
      await writeRecordOnce(deps.s3, appliedAt, {
        schema: 'model-approval-applied/1',
        record: recordUri,
        applied: true,
        package: stateOf(before),
        reason: 'held: status left PendingManualApproval for a person; no update sent',
        at: now().toISOString(),
      } satisfies AppliedRecord);
      const notified = await notify(record, { ...where, applied: appliedAt });
      return { ...result, outcome: record.outcome, notified };
    }
    if (!mine) {
      const metadata = {
        ...before.CustomerMetadataProperties,
        'gate-decision': recordUri,
        'gate-outcome': record.outcome,
        'gate-round': String(record.round),
        [GATE_WRITE_KEY]: `${readAt} ${recordUri}`,
      };
      if (Object.keys(metadata).length > MAX_METADATA_ENTRIES) {
        // SageMaker would refuse the update (ValidationException) on every retry until the event is dead-lettered,
        // and nobody would hear of it: the decision is recorded as not applied, and a person is told to decide.
        const reason = `the package carries ${Object.keys(before.CustomerMetadataProperties ?? {}).length} metadata entries, and the gate's marks would exceed SageMaker's ${MAX_METADATA_ENTRIES}: the gate's ${record.outcome} was not applied; a person decides`;
        await writeRecordOnce(deps.s3, appliedAt, {
          schema: 'model-approval-applied/1',
          record: recordUri,
          applied: false,
          package: stateOf(before),
          reason,
          blocked: true,
          at: now().toISOString(),
        } satisfies AppliedRecord);
        const notified = await notify(record, { ...where, applied: appliedAt }, reason);
        return { ...result, outcome: 'unapplied', reason, notified };
      }
      // Every field is sent: an omitted description or metadata could be cleared.
      await deps.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: record.modelPackage.arn,
          ModelApprovalStatus: record.approvalStatus as 'Approved' | 'Rejected' | 'PendingManualApproval',
          ApprovalDescription: approvalDescription(record),
          CustomerMetadataProperties: metadata,
        }),
      );
    }
    const after = await describe(record.modelPackage.arn);
    const fact = {
      schema: 'model-approval-applied/1',
      record: recordUri,
      applied: true,
      package: stateOf(after),
      reason: `set ${record.approvalStatus}`,
      at: now().toISOString(),
    } satisfies AppliedRecord;
    if (!(await writeRecordOnce(deps.s3, appliedAt, fact))) {
      // Another invocation recorded the round first. If it recorded "not applied" (it found the package changed),
      // the record would contradict what happened: the gate's update went through. That is recorded beside it.
      const first = await readRecord<AppliedRecord>(deps.s3, appliedAt);
      if (first && !first.applied) {
        await writeRecordOnce(deps.s3, at(where.record.key.replace(/\.json$/, `.update-${now().toISOString()}.json`)), {
          ...fact,
          reason: `set ${record.approvalStatus} after another invocation had recorded the round as not applied (${first.reason})`,
        });
      }
    }
    const notified = await notify(record, { ...where, applied: appliedAt });
    return { ...result, outcome: record.outcome, notified };
  }

  /** Sends the round's notice if it is owed: the decision took effect and no notice is recorded. */
  async function completeNotice(round: Round, current: DescribeModelPackageCommandOutput): Promise<boolean> {
    if (round.notified) return true;
    const record = await readRecord<ApprovalRecord>(deps.s3, round.record);
    if (!record) return false;
    let applied = round.applied ? await readRecord<AppliedRecord>(deps.s3, round.applied) : undefined;
    const appliedAt = at(round.record.key.replace(/\.json$/, '.applied.json'));
    if (!applied && landed(record, uriOf(round.record), current)) {
      // The update went through but the gate stopped before recording it (the package may have changed since).
      const since =
        current.ModelApprovalStatus === record.approvalStatus
          ? ''
          : `; the package has since been changed to ${visible(String(current.ModelApprovalStatus))}`;
      // The state after the gate's own update is not known once someone changed it since: only its status is kept,
      // so the changed package is never taken for this round's (a redelivery decides it afresh).
      const state = since
        ? { status: record.approvalStatus, description: approvalDescription(record) }
        : stateOf(current);
      applied = {
        schema: 'model-approval-applied/1',
        record: uriOf(round.record),
        applied: true,
        package: state,
        reason: `set ${record.approvalStatus} (recorded late${since})`,
        at: now().toISOString(),
      };
      await writeRecordOnce(deps.s3, appliedAt, applied);
    }
    if (!applied?.applied) return false;
    return notify(record, { ...round, applied: appliedAt });
  }

  async function notify(record: ApprovalRecord, where: Round, notApplied?: string): Promise<boolean> {
    const notifiedAt = at(where.record.key.replace(/\.json$/, '.notified.json'));
    const { message, bytes, cut } = notice(
      notApplied ? { ...record, reasons: [`NOT APPLIED: ${notApplied}`, ...record.reasons] } : record,
      uriOf(where.record),
    );
    const sent = await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: visible(`Model ${record.modelPackage.group} v${record.modelPackage.version}: ${record.outcome}`).slice(
          0,
          100,
        ),
        Message: message,
      }),
    );
    await writeRecordOnce(deps.s3, notifiedAt, {
      schema: 'model-approval-notified/1',
      record: uriOf(where.record),
      messageId: sent.MessageId,
      bytes,
      cut,
      at: now().toISOString(),
    } satisfies NotifiedRecord);
    return true;
  }

  async function loadRounds(base: string): Promise<Round[]> {
    const byRound = new Map<number, { record?: S3Location; applied?: S3Location; notified?: S3Location }>();
    for (const key of await listKeys(deps.s3, deps.recordBucket, base)) {
      const m = ROUND_KEY.exec(key);
      if (!m || !key.startsWith(base) || key.slice(base.length).includes('/')) continue;
      const entry = byRound.get(Number(m[1])) ?? {};
      entry[m[2] === '.applied' ? 'applied' : m[2] === '.notified' ? 'notified' : 'record'] = at(key);
      byRound.set(Number(m[1]), entry);
    }
    return [...byRound.entries()]
      .filter(([, e]) => e.record)
      .sort(([a], [b]) => a - b)
      .map(([round, e]) => ({ round, record: e.record!, applied: e.applied, notified: e.notified }));
  }

  /** The evidence's origin, checked through the SageMaker API, and the prefix its reports must be under. */
  async function provenanceOf(
    model: GovernedModel,
    described: DescribeModelPackageCommandOutput,
  ): Promise<{ provenance: Provenance; prefix?: string }> {
    const claimed = described.CustomerMetadataProperties?.['pipeline-execution'];
    if (!claimed)
      return {
        provenance: {
          kind: 'hand-registered',
          reason: 'the package names no pipeline execution (metadata "pipeline-execution")',
        },
      };
    const shownClaim = visible(claimed).slice(0, 300);
    const m = EXECUTION_ARN.exec(claimed);
    if (!m) return { provenance: { kind: 'forged', reason: `"${shownClaim}" is not a pipeline execution ARN` } };
    const [, partition, region, account, pipeline, executionId] = m;
    if (partition !== deps.home.partition || region !== deps.home.region || account !== deps.home.account) {
      return {
        provenance: { kind: 'forged', reason: `${shownClaim} is an execution of another account, region or partition` },
      };
    }
    if (!model.trainingPipeline)
      return {
        provenance: {
          kind: 'forged',
          reason: `${shownClaim} is named, but ${model.id} has no training pipeline in this environment`,
        },
      };
    if (pipeline.toLowerCase() !== model.trainingPipeline.toLowerCase()) {
      return {
        provenance: {
          kind: 'forged',
          reason: `${shownClaim} is an execution of ${pipeline}, not of ${model.id}'s pipeline ${model.trainingPipeline}`,
        },
      };
    }
    let execution;
    try {
      execution = await deps.sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: claimed }));
    } catch (e) {
      const text = errorText(e);
      if ((e as Error).name === 'ResourceNotFound' || /could not find|does not exist|not found/i.test(text)) {
        return { provenance: { kind: 'forged', reason: `no such pipeline execution: ${shownClaim}` } };
      }
      return { provenance: { kind: 'unavailable', reason: `DescribePipelineExecution failed: ${text}` } };
    }
    const status = execution.PipelineExecutionStatus;
    if (
      !execution.PipelineArn ||
      !execution.PipelineArn.toLowerCase().endsWith(`:pipeline/${model.trainingPipeline.toLowerCase()}`)
    ) {
      return {
        provenance: {
          kind: 'forged',
          reason: `${shownClaim} belongs to ${visible(String(execution.PipelineArn))}, not to ${model.trainingPipeline}`,
        },
      };
    }
    if (status !== 'Executing' && status !== 'Succeeded')
      return {
        provenance: {
          kind: 'forged',
          reason: `pipeline execution ${executionId} is ${visible(String(status))}, so it did not register this package`,
        },
      };
    if (
      execution.CreationTime &&
      described.CreationTime &&
      new Date(execution.CreationTime).getTime() > new Date(described.CreationTime).getTime()
    ) {
      return {
        provenance: {
          kind: 'forged',
          reason: `pipeline execution ${executionId} started after the package was registered`,
        },
      };
    }
    // The execution must have registered THIS package: its RegisterModel step records the ARN of the package it
    // created (Metadata.RegisterModel.Arn, SageMaker API Reference, RegisterModelStepMetadata). Anything else, such as
    // a copy of a real run's metadata registered by hand, is hand-registered, and one execution backs one package.
    const packageArn = described.ModelPackageArn ?? '';
    let registered: string[] = [];
    for (let attempt = 1; ; attempt++) {
      let steps: PipelineExecutionStep[];
      try {
        steps = await executionSteps(claimed);
      } catch (e) {
        return { provenance: { kind: 'unavailable', reason: `ListPipelineExecutionSteps failed: ${errorText(e)}` } };
      }
      const byThis = steps.find(
        (s) =>
          s.Metadata?.RegisterModel?.Arn?.toLowerCase() === packageArn.toLowerCase() &&
          (s.StepStatus === 'Succeeded' || s.StepStatus === 'Executing'),
      );
      if (byThis && packageArn) break;
      registered = steps.map((s) => s.Metadata?.RegisterModel?.Arn).filter((a): a is string => !!a);
      if (status !== 'Executing' || registered.length > 0 || attempt >= 3) {
        const what =
          registered.length > 0
            ? `registered ${registered.map((a) => visible(a).slice(0, 200)).join(', ')}, not this package`
            : 'has no RegisterModel step that registered this package';
        return {
          provenance: {
            kind: 'hand-registered',
            reason: `pipeline execution ${executionId} ${what}; a package that copies a run's metadata is registered by hand`,
          },
        };
      }
      await new Promise((r) => setTimeout(r, deps.registerStepWaitMs ?? 2000));
    }
    return {
      provenance: {
        kind: 'pipeline',
        execution: claimed,
        detail: `evidence of ${model.trainingPipeline} execution ${executionId} (${status})`,
      },
      prefix: `${EVIDENCE_PREFIX}${model.id}/${executionId}/`,
    };
  }

  /**
   * The drift baseline files beside the drift-check statistics (the same run's `reports/`), each read once: its
   * version and the SHA-256 of the bytes read are what the pinner may copy. The statistics are the read the decision
   * used. A file that could not be read says why; none is read for a package whose reports are not read.
   */
  async function baselineFilesOf(
    statistics: FetchedReport | undefined,
    options: { buckets: string[]; prefix: string },
  ): Promise<Partial<Record<BaselineFile, RecordedInput>>> {
    const where = statistics?.uri ? parseS3Uri(statistics.uri) : undefined;
    const dir =
      where && where.bucket === deps.artifactBucket && where.key.endsWith('/reports/baseline-statistics.json')
        ? where.key.slice(0, -'baseline-statistics.json'.length)
        : undefined;
    const recorded = (r: FetchedReport): RecordedInput => {
      const { versionId, sha256 } = r as { versionId?: string; sha256?: string };
      const kept = versionId && sha256 ? { versionId, sha256 } : {};
      return r.status === 'ok'
        ? { status: r.status, uri: r.uri, ...kept }
        : { status: r.status, uri: r.uri, ...kept, reason: r.reason };
    };
    const read = await Promise.all(
      BASELINE_FILES.map(async (file): Promise<RecordedInput> => {
        if (!statistics || !dir)
          return {
            status: 'not-read',
            reason: statistics
              ? `the drift-check statistics ${visible(String(statistics.uri)).slice(0, 300)} are not a run's reports/baseline-statistics.json in the artifact bucket`
              : "the package's reports are not read",
          };
        if (file === 'baseline-statistics.json') return recorded(statistics);
        return recorded(
          await fetchReport(deps.s3, `s3://${where!.bucket}/${dir}${file}`, {
            ...options,
            maxBytes: MAX_BASELINE_READ_BYTES,
          }),
        );
      }),
    );
    return Object.fromEntries(BASELINE_FILES.map((f, i) => [f, read[i]]));
  }

  /**
   * The current version of model data in the evidence prefix (HeadObject, authorized as s3:GetObject); elsewhere not
   * read.
   */
  async function modelDataOf(uri: string | undefined): Promise<RecordedModelData> {
    const where = uri ? parseS3Uri(uri) : undefined;
    if (
      !uri ||
      !where ||
      where.bucket !== deps.artifactBucket ||
      !where.key.startsWith(EVIDENCE_PREFIX) ||
      where.key.split('/').includes('..')
    ) {
      return {
        uri: uri && visible(uri).slice(0, 300),
        status: 'not-read',
        reason: 'outside the evidence prefix of the artifact bucket',
      };
    }
    try {
      const head = await deps.s3.send(new HeadObjectCommand({ Bucket: where.bucket, Key: where.key }));
      return { uri, status: 'ok', versionId: head.VersionId, bytes: head.ContentLength };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
      return {
        uri,
        status: status === 404 || (e as Error).name === 'NotFound' ? 'missing' : 'unavailable',
        reason: errorText(e),
      };
    }
  }

  /** Every step of an execution (all pages). */
  async function executionSteps(executionArn: string): Promise<PipelineExecutionStep[]> {
    const steps: PipelineExecutionStep[] = [];
    let token: string | undefined;
    do {
      const page = await deps.sagemaker.send(
        new ListPipelineExecutionStepsCommand({
          PipelineExecutionArn: executionArn,
          NextToken: token,
          MaxResults: 100,
        }),
      );
      steps.push(...(page.PipelineExecutionSteps ?? []));
      token = page.NextToken;
    } while (token && steps.length < 10_000);
    return steps;
  }

  /** What would be served must come from the estate: its registries (by digest outside dev) and its artifact bucket. */
  function artifactChecks(
    model: GovernedModel,
    described: DescribeModelPackageCommandOutput,
    prefix: string | undefined,
  ): Check[] {
    // A hand-registered package (held for a person at best) needs only the bucket; a pipeline's, its own run.
    return sharedArtifactChecks(described.InferenceSpecification?.Containers, deps.config.artifacts, {
      bucket: deps.artifactBucket,
      prefix,
      prefixMeaning: `an output of ${model.id}'s training run`,
    });
  }

  /**
   * A person's UpdateModelPackage, as CloudTrail recorded it. SageMaker's update has no condition, so a person's
   * Approved or Rejected that lands after the gate's re-read answered and before the gate's update took effect is
   * overwritten by the gate. It cannot be prevented; it is undone here: when the package's current state is still
   * the gate's last update (same status and LastModifiedTime as the gate recorded right after it), and the person's
   * call is not older than that update's re-read (CloudTrail's time is whole seconds; when it cannot be told, the
   * person wins), the person's status is set back, recorded and announced. Anything later stands.
   */
  async function personUpdate(event: ApiCallEvent): Promise<ApprovalResult> {
    const d = event.detail ?? {};
    const params = (d.requestParameters ?? {}) as Record<string, unknown>;
    // CloudTrail writes SageMaker's request members in camel case; the API's own (Pascal) case is read too.
    const param = (name: string) => params[name] ?? params[name[0].toUpperCase() + name.slice(1)];
    if (d.eventSource !== 'sagemaker.amazonaws.com' || d.eventName !== 'UpdateModelPackage') {
      return {
        outcome: 'skipped',
        reason: `the call is ${visible(String(d.eventSource)).slice(0, 60)} ${visible(String(d.eventName)).slice(0, 60)}, not SageMaker's UpdateModelPackage`,
      };
    }
    if (d.errorCode)
      return {
        outcome: 'skipped',
        reason: `the call failed (${visible(String(d.errorCode)).slice(0, 80)}): it changed nothing`,
      };
    const arn = param('modelPackageArn');
    const match = typeof arn === 'string' ? PACKAGE_ARN.exec(arn) : null;
    if (!match) return unattributable(event, 'the call names no valid model package ARN');
    const [, partition, region, account, group, versionText] = match;
    if (partition !== deps.home.partition || region !== deps.home.region || account !== deps.home.account) {
      return unattributable(
        event,
        `the package is of ${partition}/${region}/${account}, not of this gate's ${deps.home.partition}/${deps.home.region}/${deps.home.account}`,
      );
    }
    // The gate decides (and may read) only packages of governed groups; it never wrote to any other.
    if (!deps.config.models.some((m) => m.packageGroupName === group))
      return { outcome: 'skipped', reason: `${group} is not a governed package group: the gate never writes to it` };
    const status = param('modelApprovalStatus');
    // A status-setting call: a decision (Approved, Rejected) or a package sent back for another review
    // (PendingManualApproval). A call that sets no status (a description or metadata edit) decides nothing.
    if (status !== 'Approved' && status !== 'Rejected' && status !== PENDING) {
      return {
        outcome: 'skipped',
        reason: `the call set ${status === undefined ? 'no status' : visible(String(status)).slice(0, 40)}: only a status a person sets is restored`,
      };
    }
    const identity = d.userIdentity?.sessionContext?.sessionIssuer?.arn ?? d.userIdentity?.arn ?? 'unknown';
    if (deps.roleName && /:role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(identity)?.[1] === deps.roleName) {
      return { outcome: 'skipped', reason: "the call is the gate's own update" };
    }
    const eventTime = typeof d.eventTime === 'string' ? Date.parse(d.eventTime) : Number.NaN;
    if (!Number.isFinite(eventTime))
      return unattributable(event, "the call has no event time: it cannot be placed against the gate's updates");
    const eventId = String(d.eventID ?? event.id ?? digest(JSON.stringify(event)))
      .replace(/[^\w-]/g, '_')
      .slice(0, 48);
    const base = `approval/${group}/${versionText}/`;
    const where = at(`${base}person/${eventId}.json`);
    const restoredAt = at(`${base}person/${eventId}.restored.json`);
    const notifiedAt = at(`${base}person/${eventId}.notified.json`);
    const done = new Set(await listKeys(deps.s3, deps.recordBucket, `${base}person/${eventId}.`));
    if (done.has(restoredAt.key)) {
      // Judged and settled before: a redelivery only sends a notice still owed.
      const earlier = await readRecord<PersonUpdateRecord>(deps.s3, where);
      const settled = await readRecord<RestoredRecord>(deps.s3, restoredAt);
      let notified: boolean | undefined;
      if (earlier && settled) {
        const standing = settlementOf(earlier, settled, done.has(notifiedAt.key));
        if (standing.notice)
          notified =
            standing.settled ||
            (standing.notice === 'restored'
              ? await notifyRestored(earlier, settled, uriOf(where), notifiedAt)
              : await notifyRedecide(earlier, settled.reason, uriOf(where), notifiedAt));
      }
      return {
        outcome: settled?.restored ? 'restore' : (settled?.verdict ?? earlier?.verdict ?? 'stands'),
        approvalStatus: settled?.status,
        record: where.key,
        replayed: true,
        notified,
        reason: settled?.reason,
      };
    }
    const person = {
      eventId,
      eventTime: new Date(eventTime).toISOString(),
      identity: visible(identity).slice(0, 300),
      status,
      description:
        typeof param('approvalDescription') === 'string'
          ? visible(String(param('approvalDescription'))).slice(0, 1024)
          : undefined,
    };
    const current = await describe(arn as string);
    // A judgement that cannot be completed (a record of the gate's that cannot be read now) is recorded as a wait, so
    // that the deployment gate refuses the package meanwhile and the sweep judges the call again.
    const judged = await judge(current, base, person.status, eventTime, uriOf(where)).catch((e: unknown) => ({
      verdict: 'wait' as const,
      reason: `the judgement could not be completed (${errorText(e)}): judged again`,
      write: undefined,
    }));
    const first: PersonUpdateRecord = {
      schema: 'model-approval-person-update/1',
      modelPackage: { arn: arn as string, group, version: Number(versionText) },
      person,
      verdict: judged.verdict,
      reason: judged.reason,
      overwrittenBy: judged.write,
      package: stateOf(current),
      at: now().toISOString(),
    };
    // A pending judgement is indexed for the sweep BEFORE its record is written: a record whose index write never
    // succeeded (S3 refusing through Lambda's two retries) would be pending and never swept. An entry whose record then
    // turns out final (another delivery recorded it first) is settled by the sweep.
    if (first.verdict === 'restore' || first.verdict === 'wait') {
      await writeRecordOnce(deps.s3, waitingAt(now(), group, versionText, eventId), {
        schema: 'model-approval-waiting/1',
        record: uriOf(where),
        since: first.at,
      } satisfies WaitingEntry);
    }
    // The judgement is recorded before anything is restored: a restoration that fails is pending, in the record, and
    // is retried on redelivery (the deployment gate refuses the package meanwhile).
    const fresh = await writeRecordOnce(deps.s3, where, first);
    const earlier = fresh ? first : await readRecord<PersonUpdateRecord>(deps.s3, where);
    if (!earlier) throw new Error(`person update record ${where.key} exists but cannot be read`);
    const pending = earlier.verdict === 'restore' || earlier.verdict === 'wait';
    if (earlier.verdict === 'redecide') {
      // Final too; the person is told (once: a redelivery sends only a notice still owed).
      const notified =
        done.has(notifiedAt.key) || (await notifyRedecide(earlier, earlier.reason, uriOf(where), notifiedAt));
      return {
        outcome: 'redecide',
        approvalStatus: current.ModelApprovalStatus,
        record: where.key,
        replayed: !fresh,
        notified,
        reason: earlier.reason,
      };
    }
    // A judgement that restored nothing is final: a redelivery (or a replay hours later) returns it.
    if (!pending)
      return {
        outcome: earlier.verdict,
        approvalStatus: current.ModelApprovalStatus,
        record: where.key,
        replayed: !fresh,
        reason: earlier.reason,
      };
    // Pending (a restoration to make, or a wait): indexed for the sweep before anything can fail, so that it is judged
    // again after Lambda's retries are spent.
    await writeRecordOnce(deps.s3, waitingAt(now(), group, versionText, eventId), {
      schema: 'model-approval-waiting/1',
      record: uriOf(where),
      since: earlier.at,
    } satisfies WaitingEntry);
    const written: PersonUpdateRecord = {
      ...earlier,
      verdict: judged.verdict,
      reason: judged.reason,
      overwrittenBy: judged.write ?? earlier.overwrittenBy,
    };
    // Recorded and indexed: the sweep judges it again every few minutes. Returned, not thrown: a throw would only buy
    // Lambda's two retries and then park the event in the dead-letter queue, whose alarm is for calls nothing recorded.
    if (judged.verdict === 'wait')
      return {
        outcome: 'wait',
        approvalStatus: current.ModelApprovalStatus,
        record: where.key,
        replayed: !fresh,
        reason: `${judged.reason} (${where.key}; judged again by the sweep)`,
      };
    if (judged.verdict !== 'restore') {
      if (!fresh) {
        // An earlier delivery found a restoration to make or waited; now there is none (a person acted since, or the
        // gate's own restoration landed before it was recorded): settled, with the reason.
        const landedRestore =
          judged.verdict === 'concurs' &&
          current.CustomerMetadataProperties?.[GATE_WRITE_KEY]?.endsWith(` ${uriOf(where)}`);
        const settled: RestoredRecord = {
          schema: 'model-approval-restored/1',
          record: uriOf(where),
          restored: !!landedRestore,
          status: landedRestore ? person.status : undefined,
          verdict: landedRestore ? 'restore' : judged.verdict,
          package: stateOf(current),
          reason: landedRestore ? `restored ${person.status} (recorded late)` : judged.reason,
          at: now().toISOString(),
        };
        if (!(await writeRecordOnce(deps.s3, restoredAt, settled))) {
          return {
            outcome: landedRestore ? 'restore' : judged.verdict,
            approvalStatus: current.ModelApprovalStatus,
            record: where.key,
            replayed: true,
            reason: 'settled by another run at the same time',
          };
        }
        const notified = landedRestore
          ? await notifyRestored(written, settled, uriOf(where), notifiedAt)
          : judged.verdict === 'redecide'
            ? await notifyRedecide(written, judged.reason, uriOf(where), notifiedAt)
            : undefined;
        return {
          outcome: landedRestore ? 'restore' : judged.verdict,
          approvalStatus: current.ModelApprovalStatus,
          record: where.key,
          notified,
          reason: settled.reason,
        };
      }
      return {
        outcome: judged.verdict,
        approvalStatus: current.ModelApprovalStatus,
        record: where.key,
        reason: judged.reason,
      };
    }
    // Restore. Every field is sent (an omitted description or metadata could be cleared); the mark names this record,
    // so a person's update overwritten by the restoration itself is set back the same way.
    const readAt = now().toISOString();
    const before = await describe(arn as string);
    if (!sameState(stateOf(before), stateOf(current))) {
      // Someone changed the package since it was judged: a later decision stands. Judged again on the redelivery.
      throw new Error(
        `the package changed while a restoration was prepared (now ${visible(String(before.ModelApprovalStatus))}); ${where.key} is judged again on redelivery`,
      );
    }
    // A sweep and a redelivery may judge the same call at once: one that finds the settlement written does not update.
    if ((await listKeys(deps.s3, deps.recordBucket, `${base}person/${eventId}.`)).includes(restoredAt.key)) {
      return {
        outcome: 'restore',
        approvalStatus: current.ModelApprovalStatus,
        record: where.key,
        replayed: true,
        reason: 'settled by another run while this one prepared the restoration',
      };
    }
    const marks = { ...before.CustomerMetadataProperties, [GATE_WRITE_KEY]: `${readAt} ${uriOf(where)}` };
    await deps.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: arn as string,
        ModelApprovalStatus: person.status as 'Approved' | 'Rejected' | 'PendingManualApproval',
        ApprovalDescription: restoredDescription(written),
        CustomerMetadataProperties:
          Object.keys(marks).length > MAX_METADATA_ENTRIES ? before.CustomerMetadataProperties : marks,
      }),
    );
    const after = await describe(arn as string);
    const settled: RestoredRecord = {
      schema: 'model-approval-restored/1',
      record: uriOf(where),
      restored: true,
      status: person.status,
      verdict: 'restore',
      package: stateOf(after),
      reason: `restored ${person.status} set by ${person.identity} at ${person.eventTime}, overwritten by the gate's ${written.overwrittenBy?.status} (${written.overwrittenBy?.record}) inside the race window`,
      at: now().toISOString(),
    };
    // Written once: a run that lost the race to another's settlement sends no second notice (the other run owes it).
    if (!(await writeRecordOnce(deps.s3, restoredAt, settled))) {
      return {
        outcome: 'restore',
        approvalStatus: person.status,
        record: where.key,
        replayed: true,
        reason: 'settled by another run at the same time',
      };
    }
    const notified = await notifyRestored(written, settled, uriOf(where), notifiedAt);
    return { outcome: 'restore', approvalStatus: person.status, record: where.key, notified, reason: settled.reason };
  }

  /**
   * Whether the package's current status is the gate's last update, and whether the person's call may have landed
   * inside its window. Decided by status-setting calls, not by LastModifiedTime: an UpdateModelPackage that sets no
   * status (a description or metadata edit; ModelApprovalStatus is optional) moves LastModifiedTime but decides
   * nothing. So when the package still has the status the gate wrote, the person's crossing call was overwritten
   * unless a later person call is known (a person record with a later eventTime). Then the outcome fails closed: a
   * status other than Approved is set back; an Approved is set back only while the package is exactly as the gate's
   * update left it (nothing can have landed since), and otherwise the person is told to decide again (`redecide`).
   */
  async function judge(
    current: DescribeModelPackageCommandOutput,
    base: string,
    status: string,
    eventTime: number,
    self: string,
  ): Promise<{ verdict: PersonVerdict; reason: string; write?: PersonUpdateRecord['overwrittenBy'] }> {
    const state = stateOf(current);
    // A round the gate has recorded but not yet recorded as applied may still be landing its update.
    const rounds = await loadRounds(base);
    const latest = rounds[rounds.length - 1];
    if (latest && !latest.applied) {
      const record = await readRecord<ApprovalRecord>(deps.s3, latest.record);
      if (record && record.outcome !== 'hold' && now().getTime() - Date.parse(record.decidedAt) < ROUND_IN_FLIGHT_MS) {
        return {
          verdict: 'wait',
          reason: `round ${record.round}'s ${record.outcome} is recorded but not yet recorded as applied: the gate's update may still be landing`,
        };
      }
      // Older than any run of the gate: if its update landed but was never recorded, it is recorded now (late), so
      // that the judgement below can place the person's call against it instead of waiting for ever.
      if (record && record.outcome !== 'hold') await completeNotice(latest, current);
    }
    // The gate's last update, from its mark; a package without one (a status-less call can remove metadata keys, and a
    // restoration onto a package with no room for the mark carries none) is placed against the gate's own records.
    const marked = GATE_WRITE.exec(current.CustomerMetadataProperties?.[GATE_WRITE_KEY] ?? '');
    const mark = marked ? [marked[1], marked[2]] : await lastGateWrite(base);
    if (!mark)
      return {
        verdict: status === state.status ? 'concurs' : 'stands',
        reason: `the package's current status (${visible(String(state.status))}) was not set by the gate: nothing to restore`,
      };
    const [readAt, uri] = mark;
    const write = await gateWriteOf(uri, base, self);
    if (!write)
      return {
        verdict: status === state.status ? 'concurs' : 'stands',
        reason: `the package's gate-write mark names no update of the gate's for this package: nothing to restore`,
      };
    if (!write.after) {
      return {
        verdict: 'wait',
        reason: `the gate's update (${uri}) is not recorded as applied yet: whether the person's ${status} was overwritten is judged once it is`,
      };
    }
    if (state.status !== write.status) {
      return {
        verdict: status === state.status ? 'concurs' : 'stands',
        reason: `a status was set after the gate's last update (now ${visible(String(state.status))}, modified ${state.lastModified}): a later decision stands`,
      };
    }
    const overwrittenBy = { record: uri, status: write.status, readAt, package: write.after };
    if (status === state.status)
      return {
        verdict: 'concurs',
        reason: `the package is ${status} already: nothing was undone`,
        write: overwrittenBy,
      };
    const when = new Date(eventTime).toISOString();
    if (write.restoredCall) {
      // The last update was a restoration of an earlier person's call: a call older than that one was replaced by it.
      if (eventTime < write.restoredCall.eventTime) {
        return {
          verdict: 'older',
          reason: `the person's call (${when}) is older than ${write.restoredCall.identity}'s (${new Date(write.restoredCall.eventTime).toISOString()}), whose ${write.status} the gate restored: the later decision stands; not applied`,
          write: overwrittenBy,
        };
      }
    } else if (eventTime + EVENT_TIME_PRECISION_MS + CLOCK_SKEW_MS <= Date.parse(readAt)) {
      return {
        verdict: 'older',
        reason: `the person's call (${when}) is older than the re-read before the gate's update (${readAt}) by more than the clocks' precision: the gate saw it, and a later decision replaced it; not applied`,
        write: overwrittenBy,
      };
    }
    // CloudTrail's second [t, t + 1 s) against SageMaker's LastModifiedTime of the gate's update: a call that began
    // more than the skew after that update landed on it, and the status is the gate's again, so a later call set it.
    if (Number.isFinite(write.updatedAt) && eventTime > write.updatedAt + CLOCK_SKEW_MS) {
      return {
        verdict: 'stands',
        reason: `the person's call (${when}) came after the gate's update (${new Date(write.updatedAt).toISOString()}) and the package is ${visible(String(state.status))} again: a later call set it, and that decision stands`,
      };
    }
    // A later person's status call supersedes this one (its own judgement restores it if the gate overwrote it).
    const later = await laterPersonCalls(base, eventTime, self);
    if (later.length > 0) {
      const l = later[later.length - 1];
      return {
        verdict: 'stands',
        reason: `a later person's call is recorded (${l.identity} set ${l.status} at ${l.eventTime}, ${l.record}): the latest decision stands, not this one`,
        write: overwrittenBy,
      };
    }
    const untouched = state.lastModified === write.after.lastModified;
    // Inside the window of the update itself (for a restoration: after its own re-read), not between an update and a
    // restoration's re-read.
    const inWindow = !write.restoredCall || eventTime + EVENT_TIME_PRECISION_MS + CLOCK_SKEW_MS > Date.parse(readAt);
    const what = write.restoredCall
      ? `restoration of ${write.restoredCall.identity}'s ${write.status}`
      : `${write.status}`;
    if (status !== 'Approved' || (untouched && inWindow)) {
      const since = untouched
        ? "the package is still as the gate's update left it"
        : `the package was edited since (modified ${state.lastModified}) but its status is still the gate's, and no later person's status call is recorded`;
      return {
        verdict: 'restore',
        reason: `the person's ${status} (${when}) was not before the re-read of the gate's ${what} (${readAt}), and ${since}: it was overwritten by the gate`,
        write: overwrittenBy,
      };
    }
    const why = untouched
      ? `it landed before the re-read of the gate's ${what} (${readAt}), which took it for an edit (its call had not been delivered then)`
      : `the package was changed after the gate's update (modified ${state.lastModified}; status still ${visible(String(state.status))})`;
    return {
      verdict: 'redecide',
      reason: `the person's Approved (${when}) was overwritten by the gate's ${what}; ${why}, so a later person's Rejected whose CloudTrail event has not arrived cannot be ruled out: Approved is not set back, the package stays ${visible(String(state.status))}, and a person decides again`,
      write: overwrittenBy,
    };
  }

  /**
   * The gate's last update of the package from its records, for a package that carries no `gate-write` mark: the latest
   * applied round (not a hold) or restoration, by the time it landed. The round's decision time stands in for its
   * re-read (earlier, so more calls count as crossed, and an Approved so placed is never restored: the package moved
   * when the mark was removed, so the judgement fails closed); a restoration is placed by its restored call.
   */
  async function lastGateWrite(base: string): Promise<[string, string] | undefined> {
    const candidates: Array<{ uri: string; readAt: string; landed: number }> = [];
    const rounds = await loadRounds(base);
    const latest = rounds[rounds.length - 1];
    if (latest?.applied) {
      const record = await readRecord<ApprovalRecord>(deps.s3, latest.record);
      const applied = await readRecord<AppliedRecord>(deps.s3, latest.applied);
      if (record && record.outcome !== 'hold' && applied?.applied)
        candidates.push({
          uri: uriOf(latest.record),
          readAt: new Date(Date.parse(record.decidedAt)).toISOString(),
          landed: Date.parse(applied.package.lastModified ?? applied.at),
        });
    }
    for (const key of (await listKeys(deps.s3, deps.recordBucket, `${base}person/`)).filter((k) =>
      k.endsWith('.restored.json'),
    )) {
      const restored = await readRecord<RestoredRecord>(deps.s3, at(key));
      const judged = restored?.restored
        ? await readRecord<PersonUpdateRecord>(deps.s3, at(key.replace(/\.restored\.json$/, '.json')))
        : undefined;
      // The judgement was written before the restoration's re-read: its time stands in for that re-read (earlier, so a
      // call the restoration overwrote is not taken for one inside its own window).
      if (restored?.restored && judged)
        candidates.push({
          uri: uriOf(at(key.replace(/\.restored\.json$/, '.json'))),
          readAt: new Date(Date.parse(judged.at)).toISOString(),
          landed: Date.parse(restored.package.lastModified ?? restored.at),
        });
    }
    const last = candidates
      .filter((c) => Number.isFinite(c.landed))
      .sort((a, b) => a.landed - b.landed)
      .pop();
    return last && [last.readAt, last.uri];
  }

  /**
   * Person status calls recorded for this package with an eventTime after `eventTime` (oldest first), other than
   * `self`.
   */
  async function laterPersonCalls(
    base: string,
    eventTime: number,
    self: string,
  ): Promise<Array<{ record: string; identity: string; status: string; eventTime: string }>> {
    const keys = (await listKeys(deps.s3, deps.recordBucket, `${base}person/`)).filter(
      (k) => /^person\/[\w-]{1,48}\.json$/.test(k.slice(base.length)) && uriOf(at(k)) !== self,
    );
    const out: Array<{ record: string; identity: string; status: string; eventTime: string; t: number }> = [];
    for (const key of keys) {
      const record = await readRecord<PersonUpdateRecord>(deps.s3, at(key));
      // Listed but unreadable: nothing can be concluded about the order of decisions; thrown, judged again later.
      if (!record) throw new Error(`person update record ${key} was listed but cannot be read`);
      const t = Date.parse(record.person.eventTime);
      if (t > eventTime)
        out.push({
          record: uriOf(at(key)),
          identity: record.person.identity,
          status: record.person.status,
          eventTime: record.person.eventTime,
          t,
        });
    }
    return out.sort((a, b) => a.t - b.t).map(({ t: _t, ...rest }) => rest);
  }

  /** The status a gate update set and the package right after it, from its records (a round's, or a restoration's). */
  async function gateWriteOf(
    uri: string,
    base: string,
    self: string,
  ): Promise<
    | {
        status: string;
        after?: PackageState;
        updatedAt: number;
        restoredCall?: { eventTime: number; identity: string };
      }
    | undefined
  > {
    const where = parseS3Uri(uri);
    if (!where || where.bucket !== deps.recordBucket || !where.key.startsWith(base)) return undefined;
    const rest = where.key.slice(base.length);
    const keys = new Set(await listKeys(deps.s3, deps.recordBucket, where.key.replace(/\.json$/, '.')));
    // When the update landed: SageMaker's LastModifiedTime after it, or (recorded late, state unknown) when it was
    // recorded, which is later.
    const updatedAt = (after?: PackageState, recordedAt?: string) =>
      Date.parse(after?.lastModified ?? recordedAt ?? '');
    if (ROUND_KEY.test(`/${rest}`) && !rest.includes('/')) {
      const record = await readRecord<ApprovalRecord>(deps.s3, where);
      if (!record || record.outcome === 'hold') return undefined;
      const appliedKey = where.key.replace(/\.json$/, '.applied.json');
      const applied = keys.has(appliedKey) ? await readRecord<AppliedRecord>(deps.s3, at(appliedKey)) : undefined;
      const after = applied?.applied ? applied.package : undefined;
      return { status: record.approvalStatus, after, updatedAt: updatedAt(after, applied?.at) };
    }
    if (/^person\/[\w-]{1,48}\.json$/.test(rest) && uri !== self) {
      const record = await readRecord<PersonUpdateRecord>(deps.s3, where);
      if (!record) return undefined;
      const restoredKey = where.key.replace(/\.json$/, '.restored.json');
      const restored = keys.has(restoredKey) ? await readRecord<RestoredRecord>(deps.s3, at(restoredKey)) : undefined;
      const after = restored?.restored ? restored.package : undefined;
      return {
        status: record.person.status,
        after,
        updatedAt: updatedAt(after, restored?.at),
        restoredCall: { eventTime: Date.parse(record.person.eventTime), identity: record.person.identity },
      };
    }
    return undefined;
  }

  /** Publishes a notice of a person's overwritten call, then records once that it was sent. */
  async function publishOnce(
    record: PersonUpdateRecord,
    outcome: string,
    message: string,
    recordUri: string,
    notifiedAt: S3Location,
  ): Promise<void> {
    const sent = await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: visible(
          `Model ${record.modelPackage.group} v${record.modelPackage.version}: person's ${record.person.status} ${outcome}`,
        ).slice(0, 100),
        Message: message.slice(0, SNS_MAX_BYTES - 4096),
      }),
    );
    await writeRecordOnce(deps.s3, notifiedAt, {
      schema: 'model-approval-notified/1',
      record: recordUri,
      messageId: sent.MessageId,
      bytes: Buffer.byteLength(message),
      cut: false,
      at: now().toISOString(),
    } satisfies NotifiedRecord);
  }

  async function notifyRestored(
    record: PersonUpdateRecord,
    settled: RestoredRecord,
    recordUri: string,
    notifiedAt: S3Location,
  ): Promise<boolean> {
    const message = [
      record.modelPackage.arn,
      `RESTORED: ${record.person.status}, set by ${record.person.identity} at ${record.person.eventTime}, had been overwritten by the gate's ${record.overwrittenBy?.status} inside the race window (SageMaker's UpdateModelPackage has no condition).`,
      `The gate's update: ${record.overwrittenBy?.record} (re-read sent at ${record.overwrittenBy?.readAt}).`,
      `The person's description: ${record.person.description ?? '(none)'}`,
      `Until a person decides again, the deployment gate does not promote this version.`,
      `Record: ${recordUri}`,
    ].join('\n');
    await publishOnce(record, 'restored', message, recordUri, notifiedAt);
    return settled.restored;
  }

  /** The index entry of a pending person call, in the day of `when`. */
  function waitingAt(when: Date, group: string, version: string, eventId: string): S3Location {
    return at(`${WAITING_PREFIX}${when.toISOString().slice(0, 10)}/${group}/${version}/${eventId}.json`);
  }

  /**
   * Judges again every person call the index holds for today or yesterday that is not settled (no `.restored.json`),
   * from its person record (CloudTrail's call as recorded: id, time, who, status); carries one still pending into
   * today; counts those pending too long or unreadable, and publishes the count (0 included) for the alarm. Idempotent:
   * a judgement, a restoration and a notice are each written once, so a sweep that overlaps a delivery changes nothing
   * twice.
   */
  async function sweep(): Promise<ApprovalResult> {
    const t = now();
    const today = t.toISOString().slice(0, 10);
    // Every day of the index that is not closed, not only today's and yesterday's: after an outage of the sweep longer
    // than a day (throttling, a failing function, deliveries dropped), the older entries are still judged. A past day
    // is closed (a write-once marker `<day>/<entries>.json` under SWEPT_PREFIX) once each of its entries was settled or
    // carried into a later day. A closing marker records how many entries the day had; a day with more entries than its
    // marker counts (a write that landed after it was closed, from a clock behind the sweep's) is open again.
    const closed = new Set(
      (await listKeys(deps.s3, deps.recordBucket, SWEPT_PREFIX)).map((key) => key.slice(SWEPT_PREFIX.length)),
    );
    const byDay = new Map<string, Array<{ key: string; group: string; version: string; eventId: string }>>();
    for (const key of await listKeys(deps.s3, deps.recordBucket, WAITING_PREFIX)) {
      const m = /^(\d{4}-\d{2}-\d{2})\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,8})\/([\w-]{1,48})\.json$/.exec(
        key.slice(WAITING_PREFIX.length),
      );
      if (!m) continue;
      const entry = { key, group: m[2], version: m[3], eventId: m[4] };
      const list = byDay.get(m[1]);
      if (list) list.push(entry);
      else byDay.set(m[1], [entry]);
    }
    const entries = new Map<
      string,
      { key: string; group: string; version: string; eventId: string; days: Set<string> }
    >();
    const openDays = new Map<string, number>([[today, 0]]);
    for (const [day, list] of byDay) {
      if (closed.has(`${day}/${list.length}.json`)) continue;
      openDays.set(day, list.length);
      for (const e of list) {
        const id = `${e.group}/${e.version}/${e.eventId}`;
        const seen = entries.get(id);
        if (seen) seen.days.add(day);
        else entries.set(id, { ...e, days: new Set([day]) });
      }
    }
    const unfinished = new Set<string>();
    let settled = 0;
    let judged = 0;
    let pending = 0;
    const tooLong: Array<{ key: string; reason: string }> = [];
    for (const { key, group, version, eventId, days } of entries.values()) {
      const base = `approval/${group}/${version}/`;
      const where = at(`${base}person/${eventId}.json`);
      // Settled as `settlementOf` says: a notice SNS refused is owed, judging the call again sends it (the replay
      // path), and until then the entry stays pending and is counted.
      const isSettled = async (record: PersonUpdateRecord) => {
        const keys = await listKeys(deps.s3, deps.recordBucket, `${base}person/${eventId}.`);
        const settlement = keys.includes(`${base}person/${eventId}.restored.json`)
          ? await readRecord<RestoredRecord>(deps.s3, at(`${base}person/${eventId}.restored.json`))
          : undefined;
        return settlementOf(record, settlement, keys.includes(`${base}person/${eventId}.notified.json`)).settled;
      };
      const unfinish = () => days.forEach((d) => unfinished.add(d));
      try {
        const entry = await readRecord<WaitingEntry>(deps.s3, at(key));
        const record = await readRecord<PersonUpdateRecord>(deps.s3, where);
        if (!record) {
          // Indexed, but its record not written (yet): the entry is written first, so a delivery whose record write
          // failed is retried by Lambda within minutes; past the pending time it is counted (the call then rests in the
          // gate's dead-letter queue), and the day stays open either way.
          unfinish();
          const since = Date.parse(entry?.since ?? '');
          if (Number.isFinite(since) && t.getTime() - since <= ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS) {
            pending++;
            continue;
          }
          tooLong.push({ key, reason: `its person record ${where.key} is missing: the call cannot be judged again` });
          continue;
        }
        if (await isSettled(record)) {
          settled++;
          continue;
        }
        judged++;
        let error = '';
        try {
          await personUpdate(callOf(record));
        } catch (e) {
          error = `: ${errorText(e)}`;
        }
        if (await isSettled(record)) {
          settled++;
          continue;
        }
        pending++;
        const since = Date.parse(entry?.since ?? record.at);
        await writeRecordOnce(deps.s3, waitingAt(t, group, version, eventId), {
          schema: 'model-approval-waiting/1',
          record: uriOf(where),
          since: new Date(since).toISOString(),
        } satisfies WaitingEntry);
        days.add(today);
        if (!(t.getTime() - since <= ROUND_IN_FLIGHT_MS + WAITING_MARGIN_MS))
          tooLong.push({ key, reason: `pending since ${new Date(since).toISOString()}${error}` });
      } catch (e) {
        unfinish();
        tooLong.push({ key, reason: `cannot be read or judged: ${errorText(e)}` });
      }
    }
    // Past days whose every entry is settled or carried into today are closed; today stays open.
    // A closing marker is written once per count: a day reopened by a late entry gets a marker of its own count.
    for (const [day, count] of openDays) {
      if (day < today && !unfinished.has(day))
        await writeRecordOnce(deps.s3, at(`${SWEPT_PREFIX}${day}/${count}.json`), {
          schema: 'model-approval-swept/1',
          day,
          entries: count,
          at: t.toISOString(),
        });
    }
    if (deps.cloudwatch) {
      await deps.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: WAITING_METRIC.namespace,
          MetricData: [
            {
              MetricName: WAITING_METRIC.metricName,
              Dimensions: [{ Name: WAITING_METRIC.dimension, Value: deps.config.environment }],
              Value: tooLong.length,
              Unit: 'Count',
              Timestamp: t,
            },
          ],
        }),
      );
    }
    const report: SweepReport = { listed: entries.size, settled, judged, pending, tooLong };
    return {
      outcome: 'swept',
      swept: report,
      reason: `${entries.size} indexed, ${settled} settled, ${pending} still pending, ${tooLong.length} pending too long or unreadable`,
    };
  }

  /**
   * The person's call as CloudTrail recorded it, rebuilt from its person record (what the gate judged is what it kept).
   */
  function callOf(record: PersonUpdateRecord): ApiCallEvent {
    return {
      id: `sweep-${record.person.eventId}`,
      'detail-type': API_CALL,
      source: 'aws.sagemaker',
      detail: {
        eventSource: 'sagemaker.amazonaws.com',
        eventName: 'UpdateModelPackage',
        eventTime: record.person.eventTime,
        eventID: record.person.eventId,
        userIdentity: { sessionContext: { sessionIssuer: { arn: record.person.identity } } },
        requestParameters: {
          modelPackageArn: record.modelPackage.arn,
          modelApprovalStatus: record.person.status,
          approvalDescription: record.person.description,
        },
      },
    };
  }

  /** The person whose Approved the gate overwrote, and could not safely set back, is told to decide again. */
  async function notifyRedecide(
    record: PersonUpdateRecord,
    reason: string,
    recordUri: string,
    notifiedAt: S3Location,
  ): Promise<boolean> {
    const message = [
      record.modelPackage.arn,
      `DECIDE AGAIN: ${record.person.status}, set by ${record.person.identity} at ${record.person.eventTime}, was overwritten by the gate's ${record.overwrittenBy?.status ?? 'update'} and is NOT restored.`,
      reason,
      `The package is left as it is; it is not promoted until a person sets its status again.`,
      `The person's description: ${record.person.description ?? '(none)'}`,
      `Record: ${recordUri}`,
    ].join('\n');
    await publishOnce(record, 'not restored, decide again', message, recordUri, notifiedAt);
    return true;
  }

  /** An event that names no package of this account is kept, under a bounded key, so that it is not lost. */
  async function unattributable(
    event: PackageStateChangeEvent | ApiCallEvent,
    reason: string,
  ): Promise<ApprovalResult> {
    const id = String(event?.id ?? 'no-id');
    const key = `unattributable/${now().toISOString()}-${id.replace(/[^\w-]/g, '_').slice(0, 64)}-${digest(JSON.stringify(event ?? null)).slice(0, 16)}.json`;
    await writeRecordOnce(deps.s3, at(key), {
      schema: 'unattributable-event/1',
      receivedAt: now().toISOString(),
      reason,
      event,
    });
    return { outcome: 'skipped', reason, record: key };
  }
}

/** A baseline file the gate reads for the pinner (segment statistics of a wide model run to several MB). */
const MAX_BASELINE_READ_BYTES = 64 * 1024 ** 2;
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The restored status's description: who set it, when, that it was restored, and the person's own words (at most 1,024
 * characters).
 */
export function restoredDescription(record: PersonUpdateRecord): string {
  const text =
    `${GATE_NAME}: restored ${record.person.status} set by ${record.person.identity} at ${record.person.eventTime} (overwritten inside the race window by the gate's ${record.overwrittenBy?.status}). ${record.person.description ?? ''}`.trim();
  return text.length <= 1024 ? text : `${text.slice(0, 1000)}... (see the record)`;
}

/** At most 1,024 characters, the API's limit; the full reasons are in the record. */
export function approvalDescription(record: Pick<ApprovalRecord, 'outcome' | 'reasons' | 'gate'>): string {
  const head = `${GATE_NAME}: ${record.outcome}. `;
  const text = head + record.reasons.join('; ');
  return text.length <= 1024 ? text : `${text.slice(0, 1000)}... (see the decision record)`;
}

/** The notice, cut below SNS's limit with a pointer to the full record. */
export function notice(
  record: ApprovalRecord,
  recordUri: string,
  limit = SNS_MAX_BYTES - 4096,
): { message: string; bytes: number; cut: boolean } {
  const full = [
    record.modelPackage.arn,
    `Outcome: ${record.outcome} (${record.approvalStatus}), review round ${record.round}, risk tier ${record.model?.riskTier ?? 'unknown'}, owner ${record.model?.owner ?? 'unknown'}`,
    ...record.reasons.map((r) => `- ${r}`),
    `Decision record: ${recordUri}`,
  ].join('\n');
  const bytes = Buffer.byteLength(full);
  if (bytes <= limit) return { message: full, bytes, cut: false };
  const tail = `\n... (cut at ${limit} bytes; the full decision is in the record: ${recordUri})`;
  let head = Buffer.from(full)
    .subarray(0, limit - Buffer.byteLength(tail))
    .toString('utf8');
  head = head.replace(/\uFFFD+$/, '');
  const message = head + tail;
  return { message, bytes: Buffer.byteLength(message), cut: true };
}

let bound:
  ((event: PackageStateChangeEvent | ApiCallEvent | typeof SWEEP_EVENT) => Promise<ApprovalResult>) | undefined;

/** Lambda entry point: clients and config are built once per execution environment. */
export async function handler(
  event: PackageStateChangeEvent | ApiCallEvent | typeof SWEEP_EVENT,
): Promise<ApprovalResult> {
  if (!bound) {
    const retry = { maxAttempts: 4 };
    bound = approvalGate({
      sagemaker: new SageMakerClient(retry),
      s3: new S3Client(retry),
      sns: new SNSClient(retry),
      cloudwatch: new CloudWatchClient(retry),
      config: loadGateConfig(),
      home: { partition: requireEnv('PARTITION'), region: requireEnv('AWS_REGION'), account: requireEnv('ACCOUNT_ID') },
      recordBucket: requireEnv('RECORD_BUCKET'),
      artifactBucket: requireEnv('ARTIFACT_BUCKET'),
      topicArn: requireEnv('TOPIC_ARN'),
      policyDigest: requireEnv('POLICY_DIGEST'),
      roleName: process.env.GATE_ROLE_NAME,
    });
  }
  return bound(event);
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
