/**
 * How the deployment gate records its answers when calls race or S3 answers a conditional write with a conflict,
 * against moto's server. A recorded answer is returned only to a call that decided from the same inputs; a call that
 * read other inputs records its own answer as the next number. S3's 409 ConditionalRequestConflict is retried once,
 * then settled by reading what is there.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  deploymentGate,
  DeploymentGateDeps,
  DeploymentRecord,
  DeploymentResult,
} from '../../lambdas/deployment-gate/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld } from './world';

let w: ApprovalWorld;
let deps: DeploymentGateDeps;
const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);

beforeAll(async () => {
  w = await approvalWorld('record-writes');
  deps = deploymentDeps(w, { now: afterBake });
}, 60_000);
afterAll(async () => w?.stop());

type Cmd = { constructor: { name: string }; input: { Key?: string } };
async function alarm(endpoint: string, state: 'OK' | 'ALARM') {
  await endpointAlarm(w.cloudwatch, endpoint, state);
}
async function served(endpoint: string, arn: string) {
  await alarm(endpoint, 'OK');
  await stagingEndpoint(w.sagemaker, endpoint, { challenger: arn });
  await traffic(w.cloudwatch, endpoint, 'challenger', 500, -30);
}
const real = () => w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
const answerPut = (c: Cmd, n: number) =>
  c.constructor.name === 'PutObjectCommand' && !!c.input.Key?.endsWith(`/answer-${n}.json`);
const recordAt = (key: string) => w.json(key) as unknown as Promise<DeploymentRecord>;

describe('racing calls: an answer is returned only to a call that decided from the same inputs', () => {
  test('a retry that saw the alarm fire does not return the pass a slower call recorded from a quiet endpoint: it records answer 2, a fail', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await served('rw-race', challenger);
    const request = { requestId: 'stage-retry', modelPackageArn: challenger, stagingEndpointName: 'rw-race' };
    const send = real();
    // Call A read a quiet endpoint and decided pass; it is paused just before writing its answer.
    let reachedWrite!: () => void;
    const aAtWrite = new Promise<void>((r) => (reachedWrite = r));
    let release!: () => void;
    const aReleased = new Promise<void>((r) => (release = r));
    const slow = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: Cmd) => {
              if (answerPut(c, 1)) {
                reachedWrite();
                await aReleased;
              }
              return send(c);
            }
          : Reflect.get(t, p),
    });
    const runA = deploymentGate({ ...deps, s3: slow })(request);
    await aAtWrite;
    await alarm('rw-race', 'ALARM');
    // Call B (the stage's retry) reads the alarm and decides fail; A's write lands just before B's.
    let a: DeploymentResult | undefined;
    const racing = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: Cmd) => {
              if (answerPut(c, 1) && !a) {
                release();
                a = await runA;
              }
              return send(c);
            }
          : Reflect.get(t, p),
    });
    const b = await deploymentGate({ ...deps, s3: racing })(request);
    expect(a).toMatchObject({ pass: true, answer: 1, replayed: false });
    expect(b).toMatchObject({ pass: false, answer: 2, replayed: false });
    expect(b.reasons.join('\n')).toMatch(/rw-race-5xx is ALARM, not OK/);
    const second = await recordAt(b.record!);
    expect(second).toMatchObject({ pass: false, answer: 2 });
    expect(second.inputsDigest).not.toBe((await recordAt(a!.record!)).inputsDigest);
    expect(await w.keys(`deployment/fraud-score/${challenger.split('/').pop()}/stage-retry/`)).toHaveLength(2);
  });
});

describe("S3's 409 ConditionalRequestConflict on a conditional write", () => {
  // PutObject with If-None-Match: "If a conflicting operation occurs during the upload S3 returns a 409
  // ConditionalRequestConflict response. On a 409 failure you should retry the upload" (Amazon S3 API Reference,
  // PutObject). moto does not produce it, so a proxy answers 409 in that shape.
  const conflict = () =>
    Object.assign(new Error('A conflicting conditional operation is currently in progress against this resource.'), {
      name: 'ConditionalRequestConflict',
      $metadata: { httpStatusCode: 409 },
    });

  test('a 409 is retried once: the answer is recorded and returned, not thrown to the pipeline', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await served('rw-409', challenger);
    const send = real();
    let puts = 0;
    const conflicting = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: Cmd) => (answerPut(c, 1) && ++puts === 1 ? Promise.reject(conflict()) : send(c))
          : Reflect.get(t, p),
    });
    const result = await deploymentGate({ ...deps, s3: conflicting })({
      requestId: 'c409',
      modelPackageArn: challenger,
      stagingEndpointName: 'rw-409',
    });
    expect(puts).toBe(2);
    expect(result).toMatchObject({ pass: true, answer: 1, replayed: false });
    expect(await recordAt(result.record!)).toMatchObject({ pass: true, answer: 1 });
  });

  test('409 twice while the conflicting write lands: settled as a lost race, the recorded answer returned', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await served('rw-409-landed', challenger);
    const send = real();
    // The conflicting operation is an identical call: its record lands while this one is answered 409.
    const conflicting = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send'
          ? async (c: Cmd) => {
              if (!answerPut(c, 1)) return send(c);
              await send(new PutObjectCommand({ ...(c.input as object), IfNoneMatch: undefined } as never)).catch(
                () => undefined,
              );
              throw conflict();
            }
          : Reflect.get(t, p),
    });
    const result = await deploymentGate({ ...deps, s3: conflicting })({
      requestId: 'c409-landed',
      modelPackageArn: challenger,
      stagingEndpointName: 'rw-409-landed',
    });
    expect(result).toMatchObject({ pass: true, answer: 1, replayed: true });
    expect(await w.keys(`deployment/fraud-score/${challenger.split('/').pop()}/c409-landed/`)).toHaveLength(1);
  });

  test('409 twice with nothing recorded: thrown (the stage fails closed; nothing is decided without a record)', async () => {
    const challenger = await version(w, 'fraud-score', { auc: 0.99 });
    await served('rw-409-none', challenger);
    const send = real();
    const conflicting = new Proxy(w.s3, {
      get: (t, p) =>
        p === 'send' ? async (c: Cmd) => (answerPut(c, 1) ? Promise.reject(conflict()) : send(c)) : Reflect.get(t, p),
    });
    await expect(
      deploymentGate({ ...deps, s3: conflicting })({
        requestId: 'c409-none',
        modelPackageArn: challenger,
        stagingEndpointName: 'rw-409-none',
      }),
    ).rejects.toThrow(/conflicting conditional operation/);
    expect(await w.keys(`deployment/fraud-score/${challenger.split('/').pop()}/c409-none/`)).toEqual([]);
  });
});
