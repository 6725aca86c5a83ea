/**
 * Prod runs an approved version as its model's image with the pinned copy of
 * its model data (constructs/model-endpoint/models.ts): the deployment gate promotes
 * a version only when the package is that image, in one container, and the
 * pinned key holds exactly the recorded version. Against moto, with the real
 * pinner and deployment gate; each case asserts the answer and its reason.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { deploymentGate } from '../../lambdas/deployment-gate/handler';
import { pinnedKey, PinRecord } from '../../lambdas/model-pinner/handler';
import { GATE_CONFIG } from './fixtures';
import { deploymentDeps, version } from './promotion';
import { endpointAlarm, stagingEndpoint, traffic } from './staging';
import { approvalWorld, ApprovalWorld, IMAGE } from './world';

let w: ApprovalWorld;
beforeAll(async () => {
  w = await approvalWorld('pin-serving');
}, 60_000);
afterAll(async () => w?.stop());

const afterBake = () => new Date(Date.now() + (GATE_CONFIG.deployment.stagingBakeMinutes + 1) * 60_000);
const gate = (prodImages: Record<string, string>) =>
  deploymentGate(deploymentDeps(w, { now: afterBake, config: { ...w.deps.config, prodImages } }));
async function served(endpoint: string, arn: string) {
  await endpointAlarm(w.cloudwatch, endpoint);
  await stagingEndpoint(w.sagemaker, endpoint, { challenger: arn });
  await traffic(w.cloudwatch, endpoint, 'challenger', 500, -30);
  return { requestId: `serve-${endpoint}`, modelPackageArn: arn, stagingEndpointName: endpoint };
}

describe('the version prod would run is the one pinned', () => {
  test('the package is the image prod runs: promoted, the pinned key named in the answer is the one prod reads', async () => {
    const arn = await version(w, 'deposit-forecast', { auc: 0.95 });
    const result = await gate({ 'deposit-forecast': IMAGE })(await served('serve-same', arn));
    expect(result).toMatchObject({ pass: true });
    const pin = (await w.json(`pins/${arn.split('/').slice(-2).join('/')}/pin.json`)) as unknown as PinRecord;
    expect(pin.containers[0].pinned.uri).toBe(
      `s3://${w.approved}/${pinnedKey('deposit-forecast', Number(arn.split('/').pop()), 0)}`,
    );
  });

  test('the package runs another image than prod would: not promoted, both images named', async () => {
    const other = IMAGE.replace(/@sha256:[0-9a-f]+$/, `@sha256:${'cd'.repeat(32)}`);
    const arn = await version(w, 'deposit-forecast', { auc: 0.96 });
    const result = await gate({ 'deposit-forecast': other })(await served('serve-other', arn));
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      `prod runs ${other} with the pinned model data of container 0, but the package has 1 container(s) with image(s) ${IMAGE}`,
    ]);
  });

  test('a second version at the pinned key (a write the bucket policy refuses in AWS; moto does not enforce it): not promoted, both versions named', async () => {
    const arn = await version(w, 'deposit-forecast', { auc: 0.97 });
    const request = await served('serve-second', arn);
    expect((await gate({ 'deposit-forecast': IMAGE })(request)).pass).toBe(true);
    const pin = (await w.json(`pins/${arn.split('/').slice(-2).join('/')}/pin.json`)) as unknown as PinRecord;
    const key = pinnedKey('deposit-forecast', Number(arn.split('/').pop()), 0);
    const { VersionId } = await w.s3.send(
      new PutObjectCommand({ Bucket: w.approved, Key: key, Body: 'other weights under the key prod reads' }),
    );
    const after = await gate({ 'deposit-forecast': IMAGE })(request);
    expect(after).toMatchObject({ pass: false, answer: 2 });
    expect(after.reasons).toEqual([
      `container 0: s3://${w.approved}/${key} now holds version ${VersionId}, not the pinned version ${pin.containers[0].pinned.versionId}`,
    ]);
  });

  test('a pin record whose copy is not at the key prod reads: not promoted', async () => {
    const arn = await version(w, 'deposit-forecast', { pin: false, auc: 0.98 });
    const where = arn.split('/').slice(-2).join('/');
    const record = (await w.record(`approval/${where}/round-1.json`)) as unknown as {
      modelData: Array<{ uri: string; versionId: string }>;
    };
    const elsewhere = `models/${where}/0/other.tar.gz`;
    const copy = await w.s3.send(
      new PutObjectCommand({ Bucket: w.approved, Key: elsewhere, Body: 'weights', ChecksumAlgorithm: 'SHA256' }),
    );
    const forged: PinRecord = {
      schema: 'model-pin/1',
      modelPackage: { arn, group: 'deposit-forecast', version: Number(arn.split('/').pop()) },
      approvalRecord: `approval/${where}/round-1.json`,
      containers: [
        {
          source: { uri: record.modelData[0].uri, versionId: record.modelData[0].versionId },
          image: IMAGE,
          pinned: {
            uri: `s3://${w.approved}/${elsewhere}`,
            versionId: copy.VersionId!,
            sha256: copy.ChecksumSHA256!,
            retainUntil: '2030-01-01T00:00:00.000Z',
          },
        },
      ],
      at: new Date().toISOString(),
    };
    await w.s3.send(
      new PutObjectCommand({ Bucket: w.records, Key: `pins/${where}/pin.json`, Body: JSON.stringify(forged) }),
    );
    const result = await gate({ 'deposit-forecast': IMAGE })(await served('serve-elsewhere', arn));
    expect(result.pass).toBe(false);
    expect(result.reasons).toEqual([
      `container 0: the pinned copy s3://${w.approved}/${elsewhere} is not at the key prod reads (${pinnedKey('deposit-forecast', Number(arn.split('/').pop()), 0)})`,
    ]);
  });
});
