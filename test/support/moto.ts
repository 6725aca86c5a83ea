/**
 * moto's server (a real implementation of the AWS APIs) on 127.0.0.1 and a
 * free port, for handler tests. Started once per jest worker and emptied for
 * each test file that asks for it (startMoto).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { BucketLocationConstraint, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { alive, readOr } from './process-files';

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

/** A moto server this process started: where it listens, its pid, where its stderr goes. */
interface Server {
  /** Digest of the environment it was started with (moto reads settings such as S3_UPLOAD_PART_MIN_SIZE from it). */
  readonly env: string;
  readonly port: number;
  readonly pid: number;
  readonly stepsDir: string;
  readonly log: string;
}

async function spawnServer(): Promise<Server> {
  const port = await freePort();
  const stepsDir = mkdtempSync(path.join(os.tmpdir(), 'moto-steps-'));
  const log = path.join(stepsDir, '..', `${path.basename(stepsDir)}.stderr`);
  const err = openSync(log, 'w');
  // stderr to a file, not a pipe: the server may outlive the test file that started it (see startMoto).
  const child = spawn('python3', [path.join(__dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', err],
    env: { ...process.env, MOTO_PIPELINE_STEPS_DIR: stepsDir, MOTO_PARENT_PID: String(process.pid) },
  });
  closeSync(err);
  let spawnError = '';
  child.on('error', (e) => (spawnError += `\n${e.message}`));
  try {
    await waitForPort(port, child, 60000);
  } catch (e) {
    child.kill('SIGKILL');
    const stderr = `${readOr(log)}${spawnError}`;
    rmSync(stepsDir, { recursive: true, force: true });
    rmSync(log, { force: true });
    throw new Error(`${(e as Error).message}\n${stderr.slice(-2000)}\n(is moto installed? pip install "moto[server]")`);
  }
  child.unref();
  return { env: envDigest(), port, pid: child.pid!, stepsDir, log };
}

/** The environment a server started now would get, as a digest (the worker id aside). */
function envDigest(): string {
  const env = Object.entries(process.env)
    .filter(([k]) => k !== 'JEST_WORKER_ID')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(env)).digest('hex');
}

async function stopServer(server: Server): Promise<void> {
  try {
    process.kill(server.pid, 'SIGTERM');
  } catch {
    // Gone already.
  }
  const deadline = Date.now() + 10000;
  while (alive(server.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  rmSync(server.stepsDir, { recursive: true, force: true });
  rmSync(server.log, { force: true });
}

/**
 * Empties a server as if it had just started: every service's state (moto's reset API) and the recorded pipeline steps.
 */
async function resetServer(server: Server): Promise<boolean> {
  const ok = await new Promise<boolean>((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port: server.port, method: 'POST', path: '/moto-api/reset', timeout: 30000 },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode === 200));
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
  if (!ok) return false;
  for (const f of readdirSync(server.stepsDir)) rmSync(path.join(server.stepsDir, f), { recursive: true, force: true });
  return true;
}

/**
 * This worker's moto server, shared by the test files the worker runs one after
 * another (jest runs one file at a time in a worker): recorded under the run's
 * temp directory by the worker's pid, with the file that holds it. Each file
 * gets it emptied (see resetServer), so a file sees a fresh server as before,
 * without paying for a start (seconds of Python imports each time). A second
 * server in use at once in one file, or outside a jest run, is a private one.
 */
let inUse = false;

function workerRecord(): string | undefined {
  const dir = process.env.ESTATE_TEST_TMPDIR;
  return dir && process.env.JEST_WORKER_ID ? path.join(dir, `moto-worker-${process.pid}.json`) : undefined;
}

async function leaseServer(): Promise<{ server: Server; release: () => Promise<void> }> {
  const record = workerRecord();
  if (!record || inUse) {
    const server = await spawnServer();
    return { server, release: () => stopServer(server) };
  }
  inUse = true;
  try {
    let server: Server | undefined;
    const known = readOr(record);
    if (known) {
      const held = JSON.parse(known) as Server;
      // A file that set moto's settings in its environment gets a server started with them (and the next file one
      // without).
      if (held.env === envDigest() && alive(held.pid) && (await resetServer(held))) server = held;
      else await stopServer(held);
    }
    if (!server) {
      server = await spawnServer();
      writeFileSync(record, JSON.stringify(server));
    }
    return {
      server,
      release: async () => {
        inUse = false;
      },
    };
  } catch (e) {
    inUse = false;
    throw e;
  }
}

/**
 * moto's server for this file, empty (no bucket, topic, package group...). Stop it
 * in afterAll: the worker's server is kept for its next file (global-teardown.js
 * stops it, and it exits by itself when the worker does), a private one stopped.
 */
export async function startMoto(region = 'eu-west-1'): Promise<Moto> {
  const { server, release } = await leaseServer();
  const { port, stepsDir } = server;
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    endpoint,
    clientConfig: {
      endpoint,
      region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    },
    setPipelineSteps: (executionArn, steps) =>
      writeFileSync(
        path.join(stepsDir, `${createHash('sha256').update(executionArn).digest('hex')}.json`),
        JSON.stringify(steps),
      ),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await release();
    },
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
  const where = {
    CreateBucketConfiguration: { LocationConstraint: moto.clientConfig.region as BucketLocationConstraint },
  };
  for (const bucket of [opts.artifacts, ...(opts.otherBuckets ?? [])])
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ...where }));
  await s3.send(new CreateBucketCommand({ Bucket: opts.records, ObjectLockEnabledForBucket: true, ...where }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: opts.topic }));
  for (const group of opts.groups)
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
  return { s3, sagemaker, sns, cloudwatch, topicArn: TopicArn! };
}
