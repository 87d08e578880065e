// The network scenario's control: digester's engine resolving the same ResourceList several times
// in one process, each run with a new registry client (its own ping, token and HEADs), so later
// runs have compiled code and nothing left to load. Their median is what the protocol itself costs
// on this machine, registries and latency proxies included, with no start-up, and it shows how much
// of the cold process's wall time the process's own start-up is. Each run also times the protocol
// alone: from the resolver announcing its targets to the client's connections being closed, which
// leaves out parsing, scanning and splicing.
//
// Run by scenarios/network.ts as a child process: ResourceList on stdin, JSON on stdout.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { registrySource } from '../../fn/process-io.js';
import { processResourceList } from '../../src/krm/index.js';
import type { DigestSource } from '../../src/resolve/index.js';
import { WARM_CLIENT_RUNS } from './scenarios/network.js';

/**
 * `source`, reporting the time from its first `expect` to the end of its `close`. It passes no warm():
 * the ping would then leave before `expect`, outside the time measured.
 */
function timed(source: DigestSource, done: (ms: number) => void): DigestSource {
  let started: number | undefined;
  return {
    resolveDigest: (target, options) => source.resolveDigest(target, options),
    prepare: (target) => source.prepare?.(target) ?? Promise.resolve(),
    expect(targets) {
      started ??= performance.now();
      source.expect?.(targets);
    },
    async close() {
      await source.close?.();
      if (started !== undefined) done(performance.now() - started);
    },
  };
}

const input = readFileSync(0, 'utf8');
const runsMs: number[] = [];
const protocolMs: number[] = [];
for (let i = 0; i < WARM_CLIENT_RUNS; i++) {
  const started = performance.now();
  const outcome = await processResourceList(input, {
    env: process.env,
    createSource: async (settings, credentials) =>
      timed(await registrySource(settings, credentials.pullSecrets, undefined), (ms) => protocolMs.push(ms)),
  });
  runsMs.push(performance.now() - started);
  if (outcome.exitCode !== 0 || outcome.edits === 0 || protocolMs.length !== i + 1) {
    process.stderr.write(`warm client run ${i + 1}: exit code ${outcome.exitCode}, ${outcome.edits} edits, ${protocolMs.length} timed\n`);
    process.exit(1);
  }
}
process.stdout.write(`${JSON.stringify({ runsMs, protocolMs })}\n`);
