/**
 * `npm run bench`: prints one JSON document with every benchmark's figures.
 * BENCH_ONLY=synth, profile, gates, scale, guardrails, tests or traces runs one of them.
 */
import { benchGates } from './gate-bench';
import { benchGuardrails } from './guardrails-bench';
import { benchScale } from './scale-bench';
import { benchSynth } from './synth-bench';
import { benchSynthProfile } from './synth-profile';
import { benchTestSuite } from './test-suite-bench';
import { benchTraces } from './traces-bench';

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  const out: Record<string, unknown> = {};
  if (!only || only === 'synth') out.synth = await benchSynth();
  if (!only || only === 'profile') out.synthProfile = await benchSynthProfile();
  if (!only || only === 'gates') out.gates = await benchGates();
  if (!only || only === 'scale') out.scale = await benchScale();
  if (!only || only === 'guardrails') out.guardrails = await benchGuardrails();
  if (!only || only === 'tests') out.testSuite = await benchTestSuite();
  if (!only || only === 'traces') out.traces = await benchTraces();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
