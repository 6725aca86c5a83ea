import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A headless Chromium for the tests that look at the evidence page as a reviewer
 * would, on any machine `npm ci` ran on:
 *
 * 1. `CHROMIUM_PATH`, when set (it must exist);
 * 2. a system Chromium or Chrome on a usual path;
 * 3. the Chromium that `@sparticuz/chromium` ships inside its npm package (a dev
 *    dependency), unpacked once into `node_modules/.cache/estate-chromium/` and
 *    reused by later runs; nothing is written to the system temp directory.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'estate-chromium');
const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** Flags for a closed network: no background connections, no first-run work. */
export const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserExecutable {
  readonly executablePath: string;
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  /** Environment the browser needs (the packaged one brings its own fonts). */
  readonly env: Record<string, string>;
}

function unpackPackagedChromium(): string {
  const binary = path.join(CACHE, 'chromium');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(CACHE), { recursive: true });
  // Unpack into a private directory, then move it into place in one rename, so
  // that two test workers never see a half-written binary.
  const staging = fs.mkdtempSync(`${CACHE}.partial-`);
  try {
    // The package is an ES module that unpacks into os.tmpdir(): run it in a
    // child process whose temp directory is the staging directory.
    execFileSync(process.execPath, ['-e', "import('@sparticuz/chromium').then((m) => m.default.executablePath())"], {
      cwd: REPO_ROOT,
      env: { ...process.env, TMPDIR: staging, TMP: staging, TEMP: staging },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Its fonts.conf names /tmp/fonts; point fontconfig at the unpacked fonts instead.
    fs.writeFileSync(
      path.join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${path.join(CACHE, 'fonts', 'fonts')}</dir>\n  <cachedir>${path.join(CACHE, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      fs.renameSync(staging, CACHE);
    } catch (e) {
      if (!fs.existsSync(binary)) throw e; // another worker won the race
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

export function browserExecutable(): BrowserExecutable {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, which does not exist`);
    return { executablePath: fromEnv, source: 'CHROMIUM_PATH', env: {} };
  }
  const system = SYSTEM_BROWSERS.find((p) => fs.existsSync(p));
  if (system) return { executablePath: system, source: 'system', env: {} };
  let executablePath: string;
  try {
    executablePath = unpackPackagedChromium();
  } catch (e) {
    throw new Error(
      `No Chromium found: set CHROMIUM_PATH, install one (e.g. Debian's chromium), or run 'npm ci' so that the dev dependency @sparticuz/chromium is present (${(e as Error).message.split('\n')[0]})`,
    );
  }
  return { executablePath, source: '@sparticuz/chromium', env: { FONTCONFIG_PATH: path.join(CACHE, 'fonts') } };
}

/** Launches headless Chromium with playwright-core; the caller closes it. */
export async function launchBrowser() {
  const { chromium } = require('playwright-core');
  const exe = browserExecutable();
  return chromium.launch({
    executablePath: exe.executablePath,
    args: BROWSER_ARGS,
    env: { ...process.env, ...exe.env },
  });
}
