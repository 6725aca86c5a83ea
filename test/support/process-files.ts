/**
 * What the jest workers share through files (the moto server's record, the estate assembly's lock) needs two small
 * things: a file's text, or a fallback while it is not written, and whether the process that wrote it still runs.
 */
import { readFileSync } from 'node:fs';

/** The file's text, or `fallback` when it cannot be read (not written yet, or removed meanwhile). */
export function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Whether a process with this id runs (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
