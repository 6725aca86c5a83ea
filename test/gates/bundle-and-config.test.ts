/**
 * What ships: the bundles carry their SDK, load without the runtime's and expose a handler; the config layer's
 * file is what the gates read.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { bundleHandler } from '../../constructs/gate-bundle';
import { loadGateConfig } from '../../lambdas/shared/gate-config';
import { gateConfigDigest, gateConfigFor } from '../../lib/config/gate-config';
import { defaultEstateConfig, REPO_ROOT } from '../support/estate';

/** The SDK's optional CRT signer (SigV4a, for S3 Multi-Region Access Points), which it requires inside a try. */
const OPTIONAL = '@aws-sdk/signature-v4-crt';

describe.each(['model-approval-gate', 'deployment-gate', 'model-pinner', 'review-reminder', 'baseline-copier'])(
  'the %s bundle',
  (name) => {
    const dir = bundleHandler(path.join(REPO_ROOT, 'lambdas', name, 'handler.ts'));
    const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');

    test('carries its AWS SDK, under 300 KB as deployed (zipped), and exports a handler without the runtime SDK', () => {
      expect(zlib.deflateRawSync(code, { level: 9 }).length).toBeLessThan(300 * 1024);
      const sdkRequires = [...new Set([...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]))];
      expect(sdkRequires.filter((r) => r !== OPTIONAL)).toEqual([]);
      const module = { exports: {} as Record<string, unknown> };
      // Evaluated with a require that has no AWS SDK to give, as a runtime without one would.
      const noSdk = (id: string) => {
        if (id.startsWith('@aws-sdk/')) throw new Error(`Cannot find module '${id}'`);
        return require(id);
      };
      new Function('require', 'module', 'exports', code)(noSdk, module, module.exports);
      expect(typeof module.exports.handler).toBe('function');
    });

    test('is built once per process: the same folder for the same entry', () => {
      expect(bundleHandler(path.join(REPO_ROOT, 'lambdas', name, 'handler.ts'))).toBe(dir);
    });
  },
);

describe('the gate config', () => {
  const estate = defaultEstateConfig();
  const config = gateConfigFor(estate, estate.environments[2]);

  test('carries the tiers, deployment policy and inventory of the estate, one package group per model', () => {
    expect(config).toMatchObject({
      environment: 'prod',
      tiers: estate.modelRisk.tiers,
      deployment: estate.modelRisk.deployment,
    });
    expect(config.models.map((m) => [m.id, m.packageGroupName, m.riskTier])).toEqual(
      estate.models.map((m) => [m.id, m.id, m.riskTier]),
    );
  });

  test('round-trips through the file the layer ships, and a digest pins it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-config-')), 'gate-config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    expect(loadGateConfig(file)).toEqual(config);
    expect(gateConfigDigest(config)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(gateConfigDigest({ ...config, environment: 'dev' })).not.toBe(gateConfigDigest(config));
  });

  test('a file that is not a gate config is refused at start, not used', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gate-config-')), 'gate-config.json');
    fs.writeFileSync(file, JSON.stringify({ models: 'all' }));
    expect(() => loadGateConfig(file)).toThrow(`${file} is not a gate config`);
  });
});
