import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export interface Measurement {
  readonly seconds: number;
  /**
   * CPU time (user and system) of the whole process tree that was waited for (the CLI, the app and
   * their helpers), in seconds: on a shared machine it moves far less with the load than wall time.
   */
  readonly cpuSeconds: number;
  /** Peak of the summed resident memory of the whole process tree (CLI, app, helpers), in MB. */
  readonly peakMb: number;
  /** Peak resident memory of the largest single process of the tree (the app, as a rule), in MB. */
  readonly peakLargestProcessMb: number;
  readonly exitCode: number | null;
  /** The end of the command's stderr, when it failed (and `allowFailure` asked for a measurement anyway). */
  readonly stderr?: string;
}

/** Resident memory of a process and all its descendants, in kB (Linux /proc): the sum and the largest one. */
function treeRssKb(pid: number): { total: number; largest: number } {
  let total = 0;
  let largest = 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    total += own;
    largest = own;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(/\s+/) : []) {
        const sub = treeRssKb(Number(child));
        total += sub.total;
        largest = Math.max(largest, sub.largest);
      }
    }
  } catch {
    // The process ended between two reads: it no longer counts.
  }
  return { total, largest };
}

/** `times` of a POSIX shell: its own and its children's user and system time, last two lines of stderr. */
const TIMES = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/;

/**
 * Runs a command to completion, sampling the memory of its process tree every 25 ms. The command
 * runs under `/bin/sh`, whose `times` reports the CPU time of every descendant it waited for.
 */
export function measure(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/bin/sh', ['-c', '"$@"; status=$?; times >&2; exit $status', 'sh', command, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let peakKb = 0;
    let peakLargestKb = 0;
    const timer = setInterval(() => {
      if (!child.pid) return;
      const rss = treeRssKb(child.pid);
      peakKb = Math.max(peakKb, rss.total);
      peakLargestKb = Math.max(peakLargestKb, rss.largest);
    }, 25);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (exitCode !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${exitCode}:\n${stderr.slice(-2000)}`));
        return;
      }
      const t = TIMES.exec(stderr);
      const cpuSeconds = t ? 60 * Number(t[5]) + Number(t[6]) + 60 * Number(t[7]) + Number(t[8]) : NaN;
      resolve({
        seconds,
        cpuSeconds,
        peakMb: peakKb / 1024,
        peakLargestProcessMb: peakLargestKb / 1024,
        exitCode,
        ...(exitCode !== 0 ? { stderr: stderr.slice(-4000) } : {}),
      });
    });
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
