/**
 * A round the gate applied is settled before the next one opens: when the
 * gate's update landed but the invocation stopped before recording it, and a
 * person sent the package back before the retry, the retry records that the
 * earlier decision took effect (late) and sends its notice, then decides the
 * new round. Asserts the final status, each round's records and reasons.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { approvalWorld, ApprovalWorld, stateChange } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('settle');
}, 60_000);
afterAll(async () => w?.stop());

/** An S3 client whose put of `failKey` times out once. */
function failingOnce(failKey: RegExp) {
  let failed = false;
  const real = w.s3.send.bind(w.s3) as (c: unknown) => Promise<unknown>;
  return new Proxy(w.s3, {
    get: (t, p) =>
      p === 'send'
        ? (c: { constructor: { name: string }; input: { Key?: string } }) => {
            if (!failed && c.constructor.name === 'PutObjectCommand' && failKey.test(c.input.Key ?? '')) {
              failed = true;
              return Promise.reject(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));
            }
            return real(c);
          }
        : Reflect.get(t, p),
  });
}

test("an applied approval whose record was lost, then a person's send-back: round 1 is recorded late and announced, round 2 is decided", async () => {
  const arn = await w.register('fraud-score');
  const [group, version] = arn.split('/').slice(-2);
  const base = `approval/${group}/${version}/`;
  const published: string[] = [];
  const sns = new Proxy(w.sns, {
    get: (t, p) =>
      p === 'send'
        ? (c: PublishCommand) => (
            published.push(String(c.input.Message)),
            (w.sns.send as (x: unknown) => Promise<unknown>).call(w.sns, c)
          )
        : Reflect.get(t, p),
  });
  // The update lands; writing round-1.applied.json times out, so the invocation fails.
  await expect(
    approvalGate({ ...w.deps, sns, s3: failingOnce(/round-1\.applied\.json$/) })(stateChange(arn)),
  ).rejects.toThrow(/socket timed out/);
  expect(await w.status(arn)).toBe('Approved');
  expect(await w.keys(base)).toEqual([`${base}round-1.json`]);
  // Before the retry, the approver sends it back for review.
  await w.person(arn, 'PendingManualApproval', 'sent back: check the new data');
  const retry = await approvalGate({ ...w.deps, sns })(stateChange(arn));
  expect(retry).toMatchObject({ outcome: 'approve', round: 2 });
  expect(await w.status(arn)).toBe('Approved');
  expect(await w.keys(base)).toEqual([
    `${base}round-1.applied.json`,
    `${base}round-1.json`,
    `${base}round-1.notified.json`,
    `${base}round-2.applied.json`,
    `${base}round-2.json`,
    `${base}round-2.notified.json`,
  ]);
  const late = await w.json(`${base}round-1.applied.json`);
  expect(late).toMatchObject({
    applied: true,
    reason: 'set Approved (recorded late; the package has since been changed to PendingManualApproval)',
    package: { status: 'Approved' },
  });
  // Round 1's notice went out (it was live), then round 2's.
  expect(published.filter((m) => /review round 1/.test(m))).toHaveLength(1);
  expect(published.filter((m) => /review round 2/.test(m))).toHaveLength(1);
  // A redelivery now changes nothing and sends nothing.
  expect(await approvalGate({ ...w.deps, sns })(stateChange(arn))).toMatchObject({ outcome: 'skipped', round: 2 });
  expect(published).toHaveLength(2);
});

test('a decision recorded but never applied (no update landed), then a send-back: nothing is claimed for round 1', async () => {
  const arn = await w.register('fraud-score');
  const [group, version] = arn.split('/').slice(-2);
  const base = `approval/${group}/${version}/`;
  const real = w.sagemaker.send.bind(w.sagemaker) as (c: unknown) => Promise<unknown>;
  let failed = false;
  const noUpdate = new Proxy(w.sagemaker, {
    get: (t, p) =>
      p === 'send'
        ? (c: { constructor: { name: string } }) => {
            if (!failed && c.constructor.name === 'UpdateModelPackageCommand') {
              failed = true;
              return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
            }
            return real(c);
          }
        : Reflect.get(t, p),
  });
  await expect(approvalGate({ ...w.deps, sagemaker: noUpdate })(stateChange(arn))).rejects.toThrow(/Rate exceeded/);
  await w.person(arn, 'Rejected', 'rejected while the gate was retrying');
  await w.person(arn, 'PendingManualApproval', 'reopened');
  const retry = await approvalGate(w.deps)(stateChange(arn));
  expect(retry).toMatchObject({ round: 2 });
  const keys = await w.keys(base);
  expect(keys).not.toContain(`${base}round-1.applied.json`);
  expect(keys).not.toContain(`${base}round-1.notified.json`);
});
