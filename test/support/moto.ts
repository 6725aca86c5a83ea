/**
 * moto's server (a real implementation of the AWS APIs) on 127.0.0.1 and a
 * free port, for handler tests. Started once per test file, stopped after.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { BucketLocationConstraint, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';

export interface Moto {
  readonly endpoint: string;
  /** Client options for any SDK v3 client pointed at this server. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  };
  /**
   * What an execution's steps did, as SageMaker would list them
   * (ListPipelineExecutionSteps, which moto lacks; see moto_server.py).
   */
  setPipelineSteps(executionArn: string, steps: PipelineStep[]): void;
  stop(): Promise<void>;
}

/** A PipelineExecutionStep of the SageMaker API, as much of it as the tests set. */
export interface PipelineStep {
  readonly StepName: string;
  readonly StepStatus: 'Starting' | 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
  readonly Metadata?: Record<string, { Arn?: string }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startMoto(region = 'eu-west-1'): Promise<Moto> {
  const port = await freePort();
  const stepsDir = mkdtempSync(path.join(os.tmpdir(), 'moto-steps-'));
  const child = spawn('python3', [path.join(__dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_PIPELINE_STEPS_DIR: stepsDir },
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.on('error', (e) => (stderr += `\n${e.message}`));
  try {
    await waitForPort(port, child, 60000);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(stepsDir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${stderr.slice(-2000)}\n(is moto installed? pip install "moto[server]")`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientConfig: { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 2 },
    setPipelineSteps: (executionArn, steps) => writeFileSync(path.join(stepsDir, `${createHash('sha256').update(executionArn).digest('hex')}.json`), JSON.stringify(steps)),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(stepsDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

export interface GateWorld {
  readonly s3: S3Client;
  readonly sagemaker: SageMakerClient;
  readonly sns: SNSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly topicArn: string;
}

/**
 * What every gate handler test needs on moto: clients, an artifact bucket (and
 * any others), an Object Lock record bucket, a topic and the package groups.
 */
export async function gateWorld(
  moto: Moto,
  opts: { artifacts: string; records: string; otherBuckets?: string[]; topic: string; groups: string[] },
): Promise<GateWorld> {
  const s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const sagemaker = new SageMakerClient(moto.clientConfig);
  const sns = new SNSClient(moto.clientConfig);
  const cloudwatch = new CloudWatchClient(moto.clientConfig);
  const where = { CreateBucketConfiguration: { LocationConstraint: moto.clientConfig.region as BucketLocationConstraint } };
  for (const bucket of [opts.artifacts, ...(opts.otherBuckets ?? [])]) await s3.send(new CreateBucketCommand({ Bucket: bucket, ...where }));
  await s3.send(new CreateBucketCommand({ Bucket: opts.records, ObjectLockEnabledForBucket: true, ...where }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: opts.topic }));
  for (const group of opts.groups) await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
  return { s3, sagemaker, sns, cloudwatch, topicArn: TopicArn! };
}
