// The network scenario's control: digester's engine resolving the same ResourceList several times
// in one process, each run with a new registry client (its own ping, token and HEADs), so later
// runs have compiled code and nothing left to load. Their median is what the protocol itself costs
// on this machine, registries and latency proxies included, with no start-up, and it shows how much
// of the cold process's wall time the process's own start-up is.
//
// Run by scenarios/network.ts as a child process: ResourceList on stdin, JSON on stdout.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { registrySource } from '../../fn/process-io.js';
import { processResourceList } from '../../src/krm/index.js';
import { WARM_CLIENT_RUNS } from './scenarios/network.js';

const input = readFileSync(0, 'utf8');
const runsMs: number[] = [];
for (let i = 0; i < WARM_CLIENT_RUNS; i++) {
  const started = performance.now();
  const outcome = await processResourceList(input, {
    env: process.env,
    createSource: (settings, credentials) => registrySource(settings, credentials.pullSecrets, undefined),
  });
  runsMs.push(performance.now() - started);
  if (outcome.exitCode !== 0 || outcome.edits === 0) {
    process.stderr.write(`warm client run ${i + 1}: exit code ${outcome.exitCode}, ${outcome.edits} edits\n`);
    process.exit(1);
  }
}
process.stdout.write(`${JSON.stringify({ runsMs })}\n`);
