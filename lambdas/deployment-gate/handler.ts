/**
 * Deployment gate: called before a package is promoted to prod (by the
 * delivery pipeline). Reads the package and the champion (which must be
 * another Approved version of the same group), checks that the staging
 * endpoint is in service with a config that serves the package and that it
 * served traffic during the bake period, reads the staging alarms and both
 * evaluations, and decides with `decideDeployment`.
 *
 * Every call decides afresh from what it reads: a recorded answer is returned
 * only while its inputs are unchanged (same package states, alarms, serving
 * config, traffic verdict, report versions and policy); otherwise a new
 * version of the answer is recorded. So a retry of a pipeline stage (which
 * keeps its execution id) sees a rejection or an alarm that came since, and a
 * failure clears once its cause has.
 */
import { createHash } from 'node:crypto';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  ContainerDefinition,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageCommandOutput,
  ListModelPackagesCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PinRecord } from '../model-pinner/handler';
import { pinnedKey } from '../model-pinner/approved-tag';
import { artifactChecks } from '../shared/artifacts';
import type { FetchedReport } from '../shared/decision';
import { GateConfig, loadGateConfig } from '../shared/gate-config';
import { errorText, listKeys, parseS3Uri, readRecord, writeRecordOnce } from '../shared/s3-objects';
import { approvedEvaluation } from './approved-evidence';
import { approvalOf } from './restorations';
import { shadowTrafficOf } from './shadow-traffic';
import { AlarmView, decideDeployment, DeploymentDecision, DeploymentInputs, describeWatched } from './policy';

export const GATE_NAME = 'deployment-gate';
const PACKAGE_ARN =
  /^arn:(aws[a-z-]{0,10}):sagemaker:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):model-package\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,8})$/;
const ANSWER_KEY = /\/answer-(\d{1,6})\.json$/;
/** Answer numbers tried when concurrent calls with other inputs record first (reservedConcurrency is 2). */
const MAX_ANSWER_ATTEMPTS = 4;

export interface DeploymentRequest {
  /**
   * Identifies the promotion attempt (e.g. the pipeline execution); a repeat with unchanged inputs returns the recorded
   * decision.
   */
  readonly requestId?: string;
  readonly modelPackageArn?: string;
  readonly stagingEndpointName?: string;
  readonly championModelPackageArn?: string;
}

export interface DeploymentGateDeps {
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
  readonly cloudwatch: CloudWatchClient;
  /**
   * CloudTrail's event history: the evidence that no person's call crossed a gate-written Approved (restorations.ts).
   */
  readonly cloudtrail?: CloudTrailClient;
  /** The approval gate's role name: its calls in CloudTrail's history are the gate's own. */
  readonly approvalGateRoleName?: string;
  readonly config: GateConfig;
  readonly home: { readonly partition: string; readonly region: string; readonly account: string };
  readonly recordBucket: string;
  readonly artifactBucket: string;
  /** The Object Lock bucket the model pinner copies approved model data into. */
  readonly approvedBucket: string;
  /**
   * The environment's capture bucket, where the monitoring job reports a shadow variant's captured traffic
   * (shadow-traffic.ts).
   */
  readonly captureBucket?: string;
  readonly policyDigest: string;
  readonly now?: () => Date;
}

export interface DeploymentRecord extends DeploymentDecision {
  readonly schema: 'deployment-decision/2';
  readonly gate: { readonly name: string; readonly policyDigest: string };
  readonly environment: string;
  readonly request: DeploymentRequest;
  /** Answer number for this request: one more whenever the inputs changed since the last. */
  readonly answer: number;
  /** Digest of everything the decision was made from; an answer is reused only while it is unchanged. */
  readonly inputsDigest: string;
  readonly inputs: Record<string, unknown>;
  readonly decidedAt: string;
}

export type DeploymentResult = DeploymentDecision & {
  readonly record?: string;
  readonly replayed?: boolean;
  readonly answer?: number;
};

export function deploymentGate(deps: DeploymentGateDeps) {
  const now = deps.now ?? (() => new Date());

  return (request: DeploymentRequest): Promise<DeploymentResult> => handle(request, 1);

  async function handle(request: DeploymentRequest, attempt: number): Promise<DeploymentResult> {
    const arnMatch = typeof request?.modelPackageArn === 'string' ? PACKAGE_ARN.exec(request.modelPackageArn) : null;
    const championMatch =
      typeof request?.championModelPackageArn === 'string' ? PACKAGE_ARN.exec(request.championModelPackageArn) : null;
    const requestId =
      typeof request?.requestId === 'string' && /^[\w.-]{1,128}$/.test(request.requestId)
        ? request.requestId
        : undefined;
    const endpoint =
      typeof request?.stagingEndpointName === 'string' &&
      /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(request.stagingEndpointName)
        ? request.stagingEndpointName
        : undefined;
    const home = (m: RegExpExecArray | null) =>
      !!m && m[1] === deps.home.partition && m[2] === deps.home.region && m[3] === deps.home.account;
    const championGiven = request?.championModelPackageArn !== undefined;
    if (!home(arnMatch) || !requestId || !endpoint || (championGiven && !home(championMatch))) {
      return {
        pass: false,
        checks: [],
        reasons: [
          ...(arnMatch
            ? home(arnMatch)
              ? []
              : ['modelPackageArn is a package of another partition, region or account']
            : ['modelPackageArn is not a model package ARN']),
          ...(requestId ? [] : ['requestId must be 1-128 letters, digits, dots, dashes or underscores']),
          ...(endpoint ? [] : ['stagingEndpointName is not an endpoint name']),
          ...(championGiven && !home(championMatch)
            ? ['championModelPackageArn is not a model package ARN of this registry']
            : []),
        ],
      };
    }
    const [, , , , group, version] = arnMatch!;
    const base = `deployment/${group}/${version}/${requestId}/`;
    const model = deps.config.models.find((m) => m.packageGroupName === group);

    // A named champion that cannot be a partner is refused before it is read (a package of another group is not
    // the gate's to describe). The gate finds the champions itself: the request may name one, never remove one.
    const pairingProblems: string[] = [];
    let named: number | undefined;
    if (championMatch) {
      if (championMatch[4] !== group)
        pairingProblems.push(
          `the champion ${request.championModelPackageArn} is a version of ${championMatch[4]}, not of ${group}`,
        );
      else if (championMatch[5] === version)
        pairingProblems.push('the champion and the challenger are the same version');
      else named = Number(championMatch[5]);
    }
    const challenger: Described = model
      ? await describe(request.modelPackageArn!)
      : { error: `${group} is not a governed package group` };
    const found = model ? await championsOf(group, Number(version), named) : { champions: [] };
    if ('error' in found) pairingProblems.push(found.error);
    const champions: Array<{ arn: string; label: string; described: Described; evaluation: FetchedReport }> = [];
    const retired: string[] = [];
    for (const c of 'error' in found ? [] : found.champions) {
      const arn = packageArn(group, c.version);
      const described = await describe(arn);
      if ('error' in described) pairingProblems.push(`the champion ${c.label} could not be read: ${described.error}`);
      else if (described.ModelApprovalStatus !== 'Approved') {
        // A version promoted before and since withdrawn by a person (Rejected) is no longer a bar to clear: replacing
        // it is what the withdrawal asks for. Every other champion must still be Approved.
        if (c.promotedOnly) {
          retired.push(`${c.label} is ${described.ModelApprovalStatus}: not compared`);
          continue;
        }
        pairingProblems.push(`the champion ${c.label} is ${described.ModelApprovalStatus}, not Approved`);
      }
      champions.push({
        arn,
        label: c.label,
        described,
        evaluation: await evaluationOf(described, arn, String(c.version)),
      });
    }
    const serving = await servingVariant(endpoint, request.modelPackageArn!);
    const windowEnd = now();
    const windowStart = new Date(windowEnd.getTime() - deps.config.deployment.stagingBakeMinutes * 60_000);
    // Invocations are keyed by endpoint and variant name only (no config or model dimension), so only those since
    // the current config went live are the package's; the bake itself must have started after it went live.
    const countFrom =
      serving.ok && serving.liveSince.getTime() > windowStart.getTime() ? serving.liveSince : windowStart;
    const approval = 'error' in challenger ? undefined : await approvalOf(deps, group, version, challenger, now());
    const inputs: DeploymentInputs = {
      model,
      approvalStatus: approval?.status,
      alarms: await alarmsOf(endpoint),
      challengerEvaluation: await evaluationOf(challenger, request.modelPackageArn!, version),
      champions: champions.map((c) => ({ label: c.label, evaluation: c.evaluation })),
      pairingProblems,
      // Approved by a person or by the gate, what reaches prod must still come from the estate.
      artifacts:
        'error' in challenger
          ? []
          : artifactChecks(challenger.InferenceSpecification?.Containers, deps.config.artifacts, {
              bucket: deps.artifactBucket,
              prefix: `training/${group}/`,
              prefixMeaning: `model data of a ${group} training run`,
            }),
      serving: serving.ok ? serving : { ok: false, reason: serving.reason },
      pin: 'error' in challenger ? { ok: false, reason: challenger.error } : await pinOf(group, version, challenger),
      // A config live for less than one minute, SageMaker's metric period, has no whole period of traffic yet (and its
      // bake fails anyway).
      invocations:
        !serving.ok || windowEnd.getTime() - countFrom.getTime() < 60_000
          ? { count: 0 }
          : await invocationsOf(endpoint, serving.variant, countFrom, windowEnd),
      errors5xx:
        !serving.ok || windowEnd.getTime() - countFrom.getTime() < 60_000
          ? { count: 0 }
          : await invocationsOf(endpoint, serving.variant, countFrom, windowEnd, 'Invocation5XXErrors'),
      stagingEndpoint: endpoint,
      shadowTraffic:
        serving.ok && serving.shadow && model?.segmentation
          ? await shadowTrafficOf(
              { s3: deps.s3, captureBucket: deps.captureBucket },
              endpoint,
              serving.variant,
              serving.productionVariant,
              serving.liveSince,
              windowEnd,
            )
          : undefined,
      now: windowEnd,
    };
    const decision = decideDeployment(deps.config.deployment, inputs);
    const seen = {
      challenger: stateOf(challenger),
      // The race evidence the Approved counted on: the gate write, its window, the gate's own event and settled calls.
      ...(approval?.evidence ? { approval: approval.evidence } : {}),
      champions: champions.map((c) => ({ arn: c.arn, label: c.label, ...stateOf(c.described) })),
      ...(retired.length > 0 ? { retired } : {}),
      alarms:
        'error' in inputs.alarms
          ? inputs.alarms
          : inputs.alarms.map((a) => ({
              name: a.name,
              state: a.state,
              since: a.stateUpdated?.toISOString(),
              watches: describeWatched(a.watches),
              evaluates: evaluationOfAlarm(a.watches),
            })),
      serving: inputs.serving.ok
        ? { ...inputs.serving, liveSince: inputs.serving.liveSince.toISOString() }
        : inputs.serving,
      artifacts: inputs.artifacts.map((c) => [c.name, c.passed]),
      errors5xx: inputs.errors5xx,
      pin: inputs.pin,
      ...(inputs.shadowTraffic
        ? {
            shadowTraffic: inputs.shadowTraffic.ok
              ? { windows: inputs.shadowTraffic.windows, detail: inputs.shadowTraffic.detail }
              : inputs.shadowTraffic,
          }
        : {}),
      reports: {
        challenger: reportState(inputs.challengerEvaluation),
        champions: champions.map((c) => reportState(c.evaluation)),
      },
    };
    // The digest covers the inputs and the verdict each check drew from them (the bake clock and traffic included).
    const inputsDigest = digest(
      JSON.stringify({
        policy: deps.policyDigest,
        seen,
        verdict: decision.checks.map((c) => [c.name, c.passed, c.detail.replace(/\d+ invocations/, 'n invocations')]),
      }),
    );

    const answers = (await listKeys(deps.s3, deps.recordBucket, base))
      .map((k) => ANSWER_KEY.exec(k))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const last = answers[answers.length - 1];
    if (last !== undefined) {
      const key = `${base}answer-${last}.json`;
      const previous = await readRecord<DeploymentRecord>(deps.s3, { bucket: deps.recordBucket, key });
      if (previous && previous.inputsDigest === inputsDigest)
        return {
          pass: previous.pass,
          reasons: previous.reasons,
          checks: previous.checks,
          record: key,
          replayed: true,
          answer: last,
        };
    }
    const recordOf = (answer: number): DeploymentRecord => ({
      schema: 'deployment-decision/2',
      gate: { name: GATE_NAME, policyDigest: deps.policyDigest },
      environment: deps.config.environment,
      request: {
        requestId,
        modelPackageArn: request.modelPackageArn,
        stagingEndpointName: endpoint,
        championModelPackageArn: request.championModelPackageArn,
      },
      answer,
      inputsDigest,
      inputs: {
        ...seen,
        invocations: inputs.invocations,
        bakeWindow: { from: windowStart.toISOString(), to: windowEnd.toISOString() },
        countedFrom: countFrom.toISOString(),
      },
      ...decision,
      decidedAt: windowEnd.toISOString(),
    });
    // A concurrent call may record the same answer number first. Its record is returned only when it was decided from
    // the same inputs. Otherwise the two calls saw different inputs (an alarm that fired between their reads, say):
    // this call decides again from fresh reads, and either finds the winner's inputs (and returns its answer) or
    // records its own as the next answer. What the pipeline acts on is always what is recorded, and never an answer
    // drawn from other inputs than the ones this call last read.
    const answer = (last ?? 0) + 1;
    const key = `${base}answer-${answer}.json`;
    if (await writeRecordOnce(deps.s3, { bucket: deps.recordBucket, key }, recordOf(answer)))
      return { ...decision, record: key, replayed: false, answer };
    const winner = await readRecord<DeploymentRecord>(deps.s3, { bucket: deps.recordBucket, key });
    if (!winner) throw new Error(`deployment record ${key} exists but cannot be read`);
    if (winner.inputsDigest === inputsDigest)
      return { pass: winner.pass, reasons: winner.reasons, checks: winner.checks, record: key, replayed: true, answer };
    if (attempt >= MAX_ANSWER_ATTEMPTS)
      throw new Error(
        `${MAX_ANSWER_ATTEMPTS} times a concurrent call recorded an answer from other inputs first; the promotion is decided on the next call`,
      );
    return handle(request, attempt + 1);
  }

  /** The evaluation the package was approved on, read at its recorded version and SHA-256 (approved-evidence.ts). */
  async function evaluationOf(d: Described, arn: string, v: string): Promise<FetchedReport> {
    if ('error' in d) return { status: 'unavailable', reason: d.error };
    const [, , , , g] = PACKAGE_ARN.exec(arn)!;
    return approvedEvaluation(deps, arn, g, v, d.ModelMetrics?.ModelQuality?.Statistics?.S3Uri);
  }

  function packageArn(group: string, v: number): string {
    return `arn:${deps.home.partition}:sagemaker:${deps.home.region}:${deps.home.account}:model-package/${group}/${v}`;
  }

  /**
   * The champions a challenger of `group` is judged against, found by the gate:
   * - what prod serves now: every version this gate passed as a prod champion (a request naming no champion, the
   *   variant with the most weight) whose last answer to that request was a pass. Prod's stacks change only through the
   *   delivery pipeline, and its prod stage runs only after this gate passed every version prod will serve, so the
   *   version prod serves now is among them (a superset: a pass whose deployment then failed is compared too);
   * - the version the delivered commit has prod serve (the config's prodChampions): the target, an extra champion only,
   *   since the staging stage that carries this config deploys before the gate is asked;
   * - the latest Approved version registered before the challenger (ListModelPackages, newest first);
   * - the one the request names.
   * The challenger itself is none. A promoted version a person has since Rejected is skipped (promotedOnly).
   */
  async function championsOf(
    group: string,
    challenger: number,
    named: number | undefined,
  ): Promise<{ champions: Array<{ version: number; label: string; promotedOnly: boolean }> } | { error: string }> {
    const why = new Map<number, string[]>();
    const promoted = new Set<number>();
    const add = (v: number, reason: string) => v !== challenger && why.set(v, [...(why.get(v) ?? []), reason]);
    try {
      for (const v of await promotedVersions(group)) {
        promoted.add(v);
        add(v, 'served by prod: promoted by this gate');
      }
    } catch (e) {
      return {
        error: `the versions of ${group} promoted to prod could not be read, so what prod serves is unknown: ${errorText(e)}`,
      };
    }
    for (const v of deps.config.prodChampions?.[group] ?? []) add(v, "prod's target in the delivered commit");
    try {
      let token: string | undefined;
      let latest: number | undefined;
      do {
        const page = await deps.sagemaker.send(
          new ListModelPackagesCommand({
            ModelPackageGroupName: group,
            ModelApprovalStatus: 'Approved',
            SortBy: 'CreationTime',
            SortOrder: 'Descending',
            MaxResults: 100,
            NextToken: token,
          }),
        );
        for (const p of page.ModelPackageSummaryList ?? []) {
          const m = PACKAGE_ARN.exec(p.ModelPackageArn ?? '');
          const v = m && m[4] === group ? Number(m[5]) : undefined;
          if (v !== undefined && v < challenger && (latest === undefined || v > latest)) latest = v;
        }
        // Newest first: once a page has an older Approved version, no later page holds a newer one before the
        // challenger.
        token = latest === undefined ? page.NextToken : undefined;
      } while (token);
      if (latest !== undefined) add(latest, 'the latest Approved version before it');
    } catch (e) {
      return {
        error: `the Approved versions of ${group} could not be listed, so the champion is unknown: ${errorText(e)}`,
      };
    }
    if (named !== undefined) add(named, 'named by the request');
    return {
      champions: [...why.entries()]
        .sort(([a], [b]) => a - b)
        .map(([version, reasons]) => ({
          version,
          label: `version ${version} (${reasons.join(', ')})`,
          promotedOnly: promoted.has(version) && reasons.length === 1,
        })),
    };
  }

  /**
   * The versions of `group` whose prod-champion request (no champion named) this gate last answered with a pass, read
   * from its own records (deployment/<group>/<version>/<request>/answer-<n>.json; only this gate writes them). One
   * record is read per request until a version is known promoted.
   */
  async function promotedVersions(group: string): Promise<number[]> {
    const lastAnswer = new Map<string, { version: number; answer: number; key: string }>();
    for (const key of await listKeys(deps.s3, deps.recordBucket, `deployment/${group}/`)) {
      const m = /^deployment\/[^/]+\/([1-9]\d{0,8})\/([^/]+)\/answer-(\d{1,6})\.json$/.exec(key);
      if (!m) continue;
      const id = `${m[1]}/${m[2]}`;
      const answer = Number(m[3]);
      if ((lastAnswer.get(id)?.answer ?? 0) < answer) lastAnswer.set(id, { version: Number(m[1]), answer, key });
    }
    const versions = new Set<number>();
    for (const { version: v, key } of lastAnswer.values()) {
      if (versions.has(v)) continue;
      const rec = await readRecord<DeploymentRecord>(deps.s3, { bucket: deps.recordBucket, key });
      if (!rec) throw new Error(`deployment record ${key} is listed but cannot be read`);
      if (rec.pass === true && rec.request?.championModelPackageArn === undefined) versions.add(v);
    }
    return [...versions];
  }

  /**
   * Whether the package's model data is pinned (lambdas/model-pinner): the pin record exists, names the model data the
   * package names, the locked copy still has the recorded version, SHA-256 and COMPLIANCE lock, and the source key's
   * current version is still the approved one (serving reads the source key; a later write there is not approved).
   */
  async function pinOf(
    group: string,
    v: string,
    d: DescribeModelPackageCommandOutput,
  ): Promise<{ ok: true; detail: string } | { ok: false; reason: string }> {
    const base = `pins/${group}/${v}/`;
    try {
      const keys = await listKeys(deps.s3, deps.recordBucket, base);
      if (!keys.includes(`${base}pin.json`)) {
        const refused = keys
          .filter((k) => /\/refused-[^/]+\.json$/.test(k))
          .sort()
          .pop();
        const why = refused
          ? (await readRecord<{ reason?: string }>(deps.s3, { bucket: deps.recordBucket, key: refused }))?.reason
          : undefined;
        return {
          ok: false,
          reason: why
            ? `the model data could not be pinned: ${why}`
            : 'the model data is not pinned yet (the pinning step copies it into the Object Lock bucket once the package is Approved)',
        };
      }
      const pin = await readRecord<PinRecord>(deps.s3, { bucket: deps.recordBucket, key: `${base}pin.json` });
      const containers = d.InferenceSpecification?.Containers ?? [];
      if (!pin || pin.containers.length !== containers.length)
        return {
          ok: false,
          reason: `the pin record covers ${pin?.containers.length ?? 0} container(s), the package has ${containers.length}`,
        };
      // Prod runs the pinned copy with the image its model names (prodImages): the package must be that image, one
      // container.
      const served = deps.config.prodImages?.[group];
      if (served !== undefined && (containers.length !== 1 || containers[0].Image !== served)) {
        return {
          ok: false,
          reason: `prod runs ${served} with the pinned model data of container 0, but the package has ${containers.length} container(s) with image(s) ${containers.map((c) => c.Image).join(', ')}`,
        };
      }
      for (const [i, c] of containers.entries()) {
        const uri = c.ModelDataUrl ?? c.ModelDataSource?.S3DataSource?.S3Uri;
        const p = pin.containers[i];
        if (uri !== p.source.uri)
          return { ok: false, reason: `container ${i} serves ${uri}, but ${p.source.uri} was pinned` };
        if (p.image !== undefined && c.Image !== p.image)
          return { ok: false, reason: `container ${i} runs ${c.Image}, but ${p.image} was pinned with its model data` };
        const copy = parseS3Uri(p.pinned.uri);
        const source = parseS3Uri(p.source.uri);
        if (!copy || copy.bucket !== deps.approvedBucket || !source)
          return {
            ok: false,
            reason: `container ${i}: the pinned copy ${p.pinned.uri} is not in the approved-model bucket`,
          };
        if (copy.key !== pinnedKey(group, v, i))
          return {
            ok: false,
            reason: `container ${i}: the pinned copy ${p.pinned.uri} is not at the key prod reads (${pinnedKey(group, v, i)})`,
          };
        const locked = await deps.s3.send(
          new HeadObjectCommand({
            Bucket: copy.bucket,
            Key: copy.key,
            VersionId: p.pinned.versionId,
            ChecksumMode: 'ENABLED',
          }),
        );
        const recorded = p.pinned.s3Checksum ?? p.pinned.sha256;
        if (locked.ChecksumSHA256 !== recorded)
          return {
            ok: false,
            reason: `container ${i}: the pinned copy has SHA-256 ${locked.ChecksumSHA256}, not the recorded ${recorded}`,
          };
        // Prod reads the key, not a version: the key must hold no other version than the pinned one.
        const served = await deps.s3.send(new HeadObjectCommand({ Bucket: copy.bucket, Key: copy.key }));
        if (served.VersionId !== p.pinned.versionId)
          return {
            ok: false,
            reason: `container ${i}: ${p.pinned.uri} now holds version ${served.VersionId}, not the pinned version ${p.pinned.versionId}`,
          };
        if (locked.ObjectLockMode !== 'COMPLIANCE')
          return {
            ok: false,
            reason: `container ${i}: the pinned copy is not locked in COMPLIANCE mode (${locked.ObjectLockMode ?? 'no lock'})`,
          };
        const current = await deps.s3.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }));
        if (current.VersionId !== p.source.versionId) {
          return {
            ok: false,
            reason: `container ${i}: ${p.source.uri} now holds version ${current.VersionId}, not the approved version ${p.source.versionId}: the model data was overwritten since approval`,
          };
        }
      }
      return {
        ok: true,
        detail: `the model data is pinned (${pin.containers.map((c) => `${c.pinned.uri} version ${c.pinned.versionId}, SHA-256 ${c.pinned.sha256}`).join('; ')}) and unchanged since approval`,
      };
    } catch (e) {
      return { ok: false, reason: `the pinned model data could not be checked: ${errorText(e)}` };
    }
  }

  async function describe(arn: string): Promise<Described> {
    try {
      return await deps.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    } catch (e) {
      return { error: errorText(e) };
    }
  }

  /**
   * The variant of the staging endpoint's current config whose model serves the package, with the time that config
   * went live (the endpoint's LastModifiedTime: UpdateEndpoint moves it) and the variant's current weight, which must
   * be above 0 for it to receive any request (for a shadow variant, the share of requests copied to it).
   */
  async function servingVariant(
    endpoint: string,
    packageArn: string,
  ): Promise<Serving | { ok: false; reason: string }> {
    try {
      const ep = await deps.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
      if (ep.EndpointStatus !== 'InService')
        return { ok: false, reason: `the staging endpoint ${endpoint} is ${ep.EndpointStatus}, not InService` };
      const config = await deps.sagemaker.send(
        new DescribeEndpointConfigCommand({ EndpointConfigName: ep.EndpointConfigName }),
      );
      const variants = [
        ...(config.ProductionVariants ?? []).map((v) => ({ v, shadow: false })),
        ...(config.ShadowProductionVariants ?? []).map((v) => ({ v, shadow: true })),
      ];
      const notAsProd: string[] = [];
      for (const { v: variant, shadow } of variants) {
        if (!variant.ModelName) continue;
        const m = await deps.sagemaker.send(new DescribeModelCommand({ ModelName: variant.ModelName }));
        // A container definition with no field at all names nothing to run (SageMaker returns PrimaryContainer or
        // Containers).
        const containers = [...(m.PrimaryContainer ? [m.PrimaryContainer] : []), ...(m.Containers ?? [])].filter(
          (c) => Object.keys(c).length > 0,
        );
        if (!containers.some((c) => c.ModelPackageName === packageArn)) continue;
        const kind = shadow ? 'shadow variant' : 'variant';
        const unlike = unlikeProd(containers, m.InferenceExecutionConfig?.Mode);
        if (unlike) {
          notAsProd.push(`${kind} ${variant.VariantName} (model ${variant.ModelName}) ${unlike}`);
          continue;
        }
        const live = [...(shadow ? (ep.ShadowProductionVariants ?? []) : (ep.ProductionVariants ?? []))].find(
          (x) => x.VariantName === variant.VariantName,
        );
        const weight = live?.CurrentWeight;
        if (typeof weight !== 'number' || !(weight > 0)) {
          return {
            ok: false,
            reason: `${endpoint} serves the package in ${kind} ${variant.VariantName}, whose current weight is ${weight ?? 'not reported'}: it receives no requests, so nothing of it has been shown`,
          };
        }
        if (!ep.LastModifiedTime)
          return {
            ok: false,
            reason: `${endpoint} reports no LastModifiedTime, so when its current config went live is unknown`,
          };
        const liveSince = new Date(ep.LastModifiedTime);
        // The production variant a shadow copies: the one with the most current weight (callers' answers come from it).
        const productionVariant = [...(ep.ProductionVariants ?? [])]
          .filter((x) => (x.CurrentWeight ?? 0) > 0)
          .sort((a, b) => (b.CurrentWeight ?? 0) - (a.CurrentWeight ?? 0))[0]?.VariantName;
        return {
          ok: true,
          variant: variant.VariantName!,
          weight,
          shadow,
          liveSince,
          productionVariant,
          detail: `${endpoint} (config ${ep.EndpointConfigName}, live since ${liveSince.toISOString()}) serves the package in ${kind} ${variant.VariantName} with weight ${weight}`,
        };
      }
      if (notAsProd.length > 0) {
        return {
          ok: false,
          reason: `the staging endpoint ${endpoint}'s current config ${ep.EndpointConfigName} does not serve ${packageArn} as prod runs it (the package alone, nothing of staging's own): ${notAsProd.join('; ')}`,
        };
      }
      return {
        ok: false,
        reason: `the staging endpoint ${endpoint}'s current config ${ep.EndpointConfigName} does not serve ${packageArn}`,
      };
    } catch (e) {
      const text = errorText(e);
      return {
        ok: false,
        reason: /could not find|not found|does not exist/i.test(text)
          ? `the staging endpoint ${endpoint} does not exist: ${text}`
          : `the staging endpoint could not be read: ${text}`,
      };
    }
  }

  /** Sum of an AWS/SageMaker metric of the variant (Invocations, or Invocation5XXErrors) over the bake window. */
  async function invocationsOf(
    endpoint: string,
    variant: string,
    from: Date,
    to: Date,
    metricName = 'Invocations',
  ): Promise<{ count: number } | { error: string }> {
    try {
      const stats = await deps.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/SageMaker',
          MetricName: metricName,
          Dimensions: [
            { Name: 'EndpointName', Value: endpoint },
            { Name: 'VariantName', Value: variant },
          ],
          StartTime: from,
          EndTime: to,
          Period: Math.max(60, Math.ceil((to.getTime() - from.getTime()) / 1000 / 1440 / 60) * 60),
          Statistics: ['Sum'],
        }),
      );
      return { count: (stats.Datapoints ?? []).reduce((sum, d) => sum + (d.Sum ?? 0), 0) };
    } catch (e) {
      return { error: errorText(e) };
    }
  }

  /**
   * Alarms named `<endpoint>-...`, the convention of the estate's endpoint monitoring, with the metric each watches.
   * DescribeAlarms without AlarmTypes returns metric alarms only (CloudWatch API Reference, DescribeAlarms): a
   * composite alarm is never counted, and the serving variant's own alarms must be metric alarms.
   */
  async function alarmsOf(endpoint: string): Promise<AlarmView[] | { error: string }> {
    try {
      const alarms: MetricAlarm[] = [];
      let next: string | undefined;
      do {
        const page = await deps.cloudwatch.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: `${endpoint}-`, NextToken: next }),
        );
        alarms.push(...(page.MetricAlarms ?? []));
        next = page.NextToken;
      } while (next);
      // The prefix is a name convention only: `fraud-` also lists the alarms of an endpoint named `fraud-score`. An
      // alarm whose metric (or any metric of its math) names another endpoint is not this endpoint's.
      const endpoints = (a: MetricAlarm) =>
        [...(a.Dimensions ?? []), ...(a.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? [])]
          .filter((d) => d.Name === 'EndpointName')
          .map((d) => d.Value);
      return alarms
        .filter((a) => endpoints(a).every((e) => e === endpoint))
        .map((a) => ({
          name: a.AlarmName ?? '?',
          state: a.StateValue,
          stateUpdated: a.StateUpdatedTimestamp,
          watches: {
            namespace: a.Namespace,
            metricName: a.MetricName,
            dimensions: (a.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
            math: (a.Metrics ?? []).length > 0,
            comparison: a.ComparisonOperator,
            statistic: a.Statistic,
            extendedStatistic: a.ExtendedStatistic,
            unit: a.Unit,
            threshold: a.Threshold,
            period: a.Period,
            evaluationPeriods: a.EvaluationPeriods,
            datapointsToAlarm: a.DatapointsToAlarm,
            treatMissingData: a.TreatMissingData,
          },
        }));
    } catch (e) {
      return { error: errorText(e) };
    }
  }
}

type Described = DescribeModelPackageCommandOutput | { error: string };

/**
 * The environment prod's model sets on its container (constructs/model-endpoint/models.ts, where prod serves the pinned
 * copy: the log level only; a test holds the two equal). A staging model may set the same, nothing else.
 */
export const PROD_CONTAINER_ENVIRONMENT: Readonly<Record<string, string>> = { SAGEMAKER_CONTAINER_LOG_LEVEL: '20' };

/**
 * Why a staging model that names the package is not the package as prod runs it (undefined: it is). Prod's model of a
 * package version (constructs/model-endpoint/models.ts) is one container: the package (ModelPackageName), or where prod
 * serves the pinned copy, the package's image with the locked copy of its model data and the log level (the deployment
 * gate's pin check holds those to the package). Staging's model names the package. So the variant's model must be: one
 * container (a second one, Direct or Serial, may answer every request or rewrite it before the package sees it:
 * SageMaker Developer Guide, "Multi-container endpoints"), naming the package, in single-model mode, with no image,
 * model data (ModelDataUrl, ModelDataSource, AdditionalModelDataSources), environment beyond prod's
 * (PROD_CONTAINER_ENVIRONMENT), inference specification choice or multi-model config of staging's own (an Environment
 * such as SAGEMAKER_PROGRAM or SAGEMAKER_SUBMIT_DIRECTORY swaps the code the package's image runs). ContainerHostname
 * only names the one container and is allowed.
 */
export function unlikeProd(containers: readonly ContainerDefinition[], mode?: string): string | undefined {
  if (containers.length !== 1) {
    return `runs ${containers.length} containers${mode ? ` (${mode} mode)` : ''} (${containers.map((c) => c.ModelPackageName ?? c.Image ?? c.ContainerHostname ?? '?').join(', ')}): prod runs the package alone, so the bake's requests, errors and latency need not be the package's`;
  }
  const [c] = containers;
  const own: string[] = [];
  if (c.Image !== undefined) own.push(`Image ${c.Image}`);
  if (c.ModelDataUrl !== undefined) own.push(`ModelDataUrl ${c.ModelDataUrl}`);
  if (c.ModelDataSource !== undefined) own.push('ModelDataSource');
  if ((c.AdditionalModelDataSources ?? []).length > 0) own.push('AdditionalModelDataSources');
  const env = Object.entries(c.Environment ?? {}).filter(([k, v]) => PROD_CONTAINER_ENVIRONMENT[k] !== v);
  if (env.length > 0)
    own.push(
      `Environment ${env
        .map(([k]) => k)
        .sort()
        .join(', ')}`,
    );
  if (c.InferenceSpecificationName !== undefined)
    own.push(`InferenceSpecificationName ${c.InferenceSpecificationName}`);
  if (c.Mode !== undefined && c.Mode !== 'SingleModel') own.push(`Mode ${c.Mode}`);
  if (c.MultiModelConfig !== undefined) own.push('MultiModelConfig');
  if (c.ImageConfig !== undefined) own.push('ImageConfig');
  return own.length > 0
    ? `sets ${own.join(', ')} on the package's container: prod's model names the package and nothing else, so the bake showed another model`
    : undefined;
}

/** How an alarm evaluates, for the record (and so for the digest: a threshold raised since is a changed input). */
const evaluationOfAlarm = (m: AlarmView['watches']) =>
  m && {
    statistic: m.extendedStatistic ?? m.statistic,
    unit: m.unit,
    threshold: m.threshold,
    period: m.period,
    evaluationPeriods: m.evaluationPeriods,
    datapointsToAlarm: m.datapointsToAlarm,
    treatMissingData: m.treatMissingData,
  };
type Serving = {
  ok: true;
  variant: string;
  detail: string;
  weight: number;
  shadow: boolean;
  liveSince: Date;
  productionVariant?: string;
};

const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const stateOf = (d: Described) =>
  'error' in d
    ? { error: d.error }
    : {
        status: d.ModelApprovalStatus,
        lastModified: d.LastModifiedTime ? new Date(d.LastModifiedTime).toISOString() : undefined,
      };
const reportState = (r: FetchedReport) => ({
  status: r.status,
  uri: r.uri,
  versionId: 'versionId' in r ? r.versionId : undefined,
  sha256: 'sha256' in r ? r.sha256 : undefined,
});

let bound: ((request: DeploymentRequest) => Promise<DeploymentResult>) | undefined;

export async function handler(request: DeploymentRequest): Promise<DeploymentResult> {
  if (!bound) {
    const retry = { maxAttempts: 4 };
    const env = (name: string) => {
      const value = process.env[name];
      if (!value) throw new Error(`environment variable ${name} is not set`);
      return value;
    };
    bound = deploymentGate({
      sagemaker: new SageMakerClient(retry),
      s3: new S3Client(retry),
      cloudwatch: new CloudWatchClient(retry),
      cloudtrail: new CloudTrailClient(retry),
      approvalGateRoleName: env('APPROVAL_GATE_ROLE_NAME'),
      config: loadGateConfig(),
      home: { partition: env('PARTITION'), region: env('AWS_REGION'), account: env('ACCOUNT_ID') },
      recordBucket: env('RECORD_BUCKET'),
      artifactBucket: env('ARTIFACT_BUCKET'),
      approvedBucket: env('APPROVED_BUCKET'),
      captureBucket: env('CAPTURE_BUCKET'),
      policyDigest: env('POLICY_DIGEST'),
    });
  }
  return bound(request);
}
