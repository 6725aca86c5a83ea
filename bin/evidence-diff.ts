#!/usr/bin/env node
/**
 * `npm run evidence:diff -- <old evidence.json> <new evidence.json> [--json] [--html <file>]`
 *
 * What changed between two syntheses of the estate, as a reviewer approving a
 * change reads it: new and removed findings, new and removed waivers, changed
 * reasons, controls whose status changed, stacks and resources added or
 * removed. `--html` also writes the new evidence's page with a "What changed"
 * section. Exit 0 with the diff, 2 when an input cannot be used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffEvidence, EvidenceFileError, readEvidenceFile, renderDiffText } from '../lib/compliance/evidence/diff';
import { renderHtml } from '../lib/compliance/evidence/html';

const USAGE = 'usage: npm run evidence:diff -- <old evidence.json> <new evidence.json> [--json] [--html <file>]';

function main(argv: string[]): number {
  const files: string[] = [];
  let json = false;
  let html: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--html') {
      html = argv[++i];
      if (!html) {
        process.stderr.write(`--html needs a file name\n${USAGE}\n`);
        return 2;
      }
    } else if (a.startsWith('-')) {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else files.push(a);
  }
  if (files.length !== 2) {
    process.stderr.write(`expected two evidence files, got ${files.length}\n${USAGE}\n`);
    return 2;
  }
  try {
    const before = readEvidenceFile(files[0]);
    const after = readEvidenceFile(files[1]);
    const diff = diffEvidence(before, after);
    process.stdout.write(json ? `${JSON.stringify(diff, null, 2)}\n` : renderDiffText(diff));
    if (html) {
      fs.mkdirSync(path.dirname(path.resolve(html)), { recursive: true });
      fs.writeFileSync(html, renderHtml(after, { diff, previousFile: path.basename(files[0]) }));
    }
    return 0;
  } catch (e) {
    if (e instanceof EvidenceFileError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
