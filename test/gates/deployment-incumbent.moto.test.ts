/**
 * What prod serves now is a champion, whatever the delivered commit says.
 *
 * The delivery pipeline deploys staging (which carries the deployment gate's config) from the new commit before it asks
 * the gate, so the config's prodChampions is prod's target, not its incumbent. The gate finds the incumbent in its own
 * records: every version it last passed as a prod champion. Each case asserts pass or fail, the record and the reason.
 */
import { UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  deploymentGate,
  DeploymentGateDeps,
  DeploymentRecord,
  DeploymentRequest,
} from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, servedChallenger } from './staging';
import { approvalWorld, ApprovalWorld } from './world';

let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

beforeAll(async () => {
  w = await approvalWorld('incumbent');
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

const versionOf = (arn: string) => Number(arn.split('/').pop());
const record = async (key: string) =>
  JSON.parse(
    await (await w.s3.send(new GetObjectCommand({ Bucket: w.records, Key: key }))).Body!.transformToString(),
  ) as DeploymentRecord;
async function judge(request: DeploymentRequest, patch: Partial<DeploymentGateDeps> = {}) {
  const result = await deploymentGate({ ...deps, ...patch })(request);
  const rec = await record(result.record!);
  expect({ pass: rec.pass, reasons: rec.reasons }).toEqual({ pass: result.pass, reasons: result.reasons });
  return {
    result,
    rec,
    reasons: result.reasons.join('\n'),
    champions: (rec.inputs.champions as Array<{ label: string }>).map((c) => c.label),
  };
}

describe('the incumbent is what prod serves now, not what the delivered commit says', () => {
  test('prod serves a strong version; a commit moving prod to a weak one after an even weaker approval is compared with the strong one and fails', async () => {
    const incumbent = await version(w, 'fraud-score', { auc: 0.95 });
    await servedChallenger(w, 'inc-strong', incumbent);
    // The incumbent reached prod the governed way: the gate passed it as prod's champion.
    expect(
      (
        await judge({
          requestId: 'exec-1.fraud-score.AllTraffic',
          modelPackageArn: incumbent,
          stagingEndpointName: 'inc-strong',
        })
      ).result.pass,
    ).toBe(true);
    await version(w, 'fraud-score', { auc: 0.8 });
    const next = await version(w, 'fraud-score', { auc: 0.81 });
    await servedChallenger(w, 'inc-weak', next);
    // The staging stage already carries the new commit's config: its prod target is the challenger itself.
    const config = { ...GATE_CONFIG, prodChampions: { 'fraud-score': [versionOf(next)] } };
    const { result, reasons, champions } = await judge(
      { requestId: 'exec-2.fraud-score.AllTraffic', modelPackageArn: next, stagingEndpointName: 'inc-weak' },
      { config },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      new RegExp(
        `challenger AUC 0.81 is worse than the champion's 0.95 \\(version ${versionOf(incumbent)} \\(served by prod: promoted by this gate\\)\\)`,
      ),
    );
    expect(champions).toContain(`version ${versionOf(incumbent)} (served by prod: promoted by this gate)`);
  });

  test('a version whose last answer was a fail (an alarm came after its pass) is not taken for the incumbent', async () => {
    const once = await version(w, 'credit-default', { auc: 0.95 });
    await servedChallenger(w, 'inc-flip', once);
    expect(
      (await judge({ requestId: 'flip', modelPackageArn: once, stagingEndpointName: 'inc-flip' })).result.pass,
    ).toBe(true);
    await endpointAlarm(w.cloudwatch, 'inc-flip', 'ALARM');
    const second = await judge({ requestId: 'flip', modelPackageArn: once, stagingEndpointName: 'inc-flip' });
    expect(second.result).toMatchObject({ pass: false, answer: 2 });
    // A later, weaker version is not compared with it (the latest Approved version before it is, and is the same one).
    const weaker = await version(w, 'credit-default', { auc: 0.9 });
    await servedChallenger(w, 'inc-flip-next', weaker);
    const { rec } = await judge({
      requestId: 'flip-next',
      modelPackageArn: weaker,
      stagingEndpointName: 'inc-flip-next',
    });
    expect((rec.inputs.champions as Array<{ label: string }>).map((c) => c.label)).toEqual([
      `version ${versionOf(once)} (the latest Approved version before it)`,
    ]);
  });

  test('a promoted version a person has since rejected is not a bar to clear: it is recorded as not compared', async () => {
    const bad = await version(w, 'deposit-forecast', { auc: 0.8 });
    await servedChallenger(w, 'inc-rejected', bad);
    const first = await judge({ requestId: 'rej-1', modelPackageArn: bad, stagingEndpointName: 'inc-rejected' });
    expect(first.result.pass).toBe(true);
    await w.sagemaker.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: bad,
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'withdrawn: wrong in production',
      }),
    );
    const next = await version(w, 'deposit-forecast', { auc: 0.8 });
    await servedChallenger(w, 'inc-rejected-next', next);
    const { result, rec, champions } = await judge({
      requestId: 'rej-2',
      modelPackageArn: next,
      stagingEndpointName: 'inc-rejected-next',
    });
    expect(result.pass).toBe(true);
    expect(champions).toEqual([]);
    expect(rec.inputs.retired).toEqual([
      `version ${versionOf(bad)} (served by prod: promoted by this gate) is Rejected: not compared`,
    ]);
  });

  test('a pass for a non-champion variant (the request named a champion) does not make that version the incumbent', async () => {
    const champion = await version(w, 'fraud-score', { auc: 0.9 });
    const canary = await version(w, 'fraud-score', { auc: 0.97 });
    await servedChallenger(w, 'inc-canary', canary);
    expect(
      (
        await judge({
          requestId: 'canary',
          modelPackageArn: canary,
          stagingEndpointName: 'inc-canary',
          championModelPackageArn: champion,
        })
      ).result.pass,
    ).toBe(true);
    const later = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'inc-canary-later', later);
    const { champions } = await judge({
      requestId: 'canary-later',
      modelPackageArn: later,
      stagingEndpointName: 'inc-canary-later',
    });
    expect(champions.some((c) => c.startsWith(`version ${versionOf(canary)} (served by prod`))).toBe(false);
  });

  test("when the gate's records cannot be listed, what prod serves is unknown and the promotion fails", async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await servedChallenger(w, 'inc-unlisted', challenger);
    const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
    const broken = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? (c: { constructor: { name: string }; input: { Prefix?: string } }) =>
              c.constructor.name === 'ListObjectsV2Command' && c.input.Prefix === 'deployment/fraud-score/'
                ? Promise.reject(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }))
                : real(c)
          : Reflect.get(t, p),
    });
    const { result, reasons } = await judge(
      { requestId: 'unlisted', modelPackageArn: challenger, stagingEndpointName: 'inc-unlisted' },
      { s3: broken },
    );
    expect(result.pass).toBe(false);
    expect(reasons).toMatch(
      /the versions of fraud-score promoted to prod could not be read, so what prod serves is unknown: SlowDown/,
    );
  });
});
