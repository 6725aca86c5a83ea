/**
 * The approval gate's cost: bundle size (as deployed, and with the SDK
 * bundled for comparison), module init time in a fresh Node.js process, and
 * decision latency against moto's server on loopback.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { buildSync } from 'esbuild';
import { approvalGate } from '../../lambdas/model-approval-gate/handler';
import { gateWorld, startMoto } from '../support/moto';
import { bias, evaluation, explainability, GATE_CONFIG, statistics } from '../gates/fixtures';
import { median, round } from './measure';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'lambdas', 'model-approval-gate', 'handler.ts');
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 40);
const TARGETS = { maxBundleKb: 300, maxInitMs: 150, maxDecisionP50Ms: 150 };

function bundle(outfile: string, external: string[]): number {
  buildSync({ entryPoints: [ENTRY], bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', external, outfile, logLevel: 'silent' });
  return fs.statSync(outfile).size;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

export async function benchGates(): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.bench-gate-'));
  const deployed = path.join(work, 'deployed.js');
  const deployedBytes = bundle(deployed, ['@aws-sdk/*']);
  const withSdkBytes = bundle(path.join(work, 'with-sdk.js'), []);

  // Init: load the bundle in a fresh process, the SDK resolved from node_modules as the runtime resolves its own.
  const initMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const run = spawnSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(deployed)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`], { cwd: ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    initMs.push(Number(run.stdout));
  }

  const moto = await startMoto();
  const latencies: number[] = [];
  try {
    const { s3, sagemaker, sns, topicArn: TopicArn } = await gateWorld(moto, { artifacts: 'bench-artifacts', records: 'bench-records', topic: 'bench', groups: ['fraud-score'] });
    const reports = { evaluation: evaluation(), bias: bias(), explainability: explainability(), statistics: statistics(), baseline: statistics() };
    for (const [name, body] of Object.entries(reports)) {
      await s3.send(new PutObjectCommand({ Bucket: 'bench-artifacts', Key: `${name}.json`, Body: JSON.stringify(body) }));
    }
    const uri = (name: string) => ({ ContentType: 'application/json', S3Uri: `s3://bench-artifacts/${name}.json` });
    const gate = approvalGate({ sagemaker, s3, sns, config: GATE_CONFIG, recordBucket: 'bench-records', allowedBuckets: ['bench-artifacts'], topicArn: TopicArn!, policyDigest: 'bench' });
    for (let i = 0; i < DECISIONS + 3; i++) {
      const { ModelPackageArn } = await sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: 'fraud-score',
          ModelApprovalStatus: 'PendingManualApproval',
          InferenceSpecification: { Containers: [{ Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
          ModelMetrics: { ModelQuality: { Statistics: uri('evaluation') }, Bias: { PostTrainingReport: uri('bias') }, Explainability: { Report: uri('explainability') }, ModelDataQuality: { Statistics: uri('statistics') } },
          DriftCheckBaselines: { ModelDataQuality: { Statistics: uri('baseline') } },
        }),
      );
      const start = process.hrtime.bigint();
      const result = await gate({ id: `bench-${i}`, detail: { ModelPackageArn, ModelApprovalStatus: 'PendingManualApproval' } });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.outcome !== 'approve') throw new Error(`bench decision ${i} was ${result.outcome}`);
      if (i >= 3) latencies.push(ms); // the first few warm up connections and JIT
    }
  } finally {
    await moto.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  const result = {
    benchmark: 'approval-gate',
    bundle: { deployedKb: round(deployedBytes / 1024, 1), sdk: 'runtime-provided (external)', withSdkBundledKb: round(withSdkBytes / 1024, 1) },
    initMs: { median: round(median(initMs), 1), runs: initMs.map((x) => round(x, 1)) },
    decisionMs: { decisions: latencies.length, p50: round(percentile(latencies, 50), 1), p95: round(percentile(latencies, 95), 1), against: 'moto_server on 127.0.0.1' },
    targets: TARGETS,
  };
  return {
    ...result,
    met: {
      bundle: result.bundle.deployedKb < TARGETS.maxBundleKb,
      init: result.initMs.median < TARGETS.maxInitMs,
      decisionP50: result.decisionMs.p50 < TARGETS.maxDecisionP50Ms,
    },
  };
}
