// The network scenario's physical floor (test/bench/bare-client.ts): the protocol alone, sent by
// a client with none of digester's code that knows the images up front, at several concurrencies.
// With a bare `node -e 0` for the start-up that any node process pays, it says what no client
// written for node can beat on this machine, registries and latency proxies as they are.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectQuietSuccess, expectSuccess, measureProcess } from '../measure.js';
import { summarize, type Summary } from '../stats.js';
import type { BarePlan, BareResult } from '../bare-client.js';
import { IMAGE_HOSTS, type NetworkRig } from './network-rig.js';

/** Concurrencies the bare client is run at: digester's default and its neighbours. */
export const BARE_CONCURRENCIES: readonly number[] = [4, 8, 16, 32];

/** The bare client at one concurrency. */
export interface BareAtConcurrency {
  readonly concurrency: number;
  readonly wallMs: Summary;
  /** `(pings + token rounds + ceil(unique / concurrency)) × RTT`, as for digester. */
  readonly limitMs: number;
  readonly overLimit: Summary;
}

const BARE_CLIENT = fileURLToPath(new URL('../bare-client.js', import.meta.url));

/**
 * Runs the bare client (one unmeasured pass, then `runs` passes at each concurrency, interleaved)
 * and checks at the proxies that it sent exactly the requests the limit counts.
 */
export async function runBareClient(rig: NetworkRig, runs: number, concurrencies = BARE_CONCURRENCIES): Promise<BareAtConcurrency[]> {
  const plan: BarePlan = {
    endpoints: { anonymous: rig.proxies.anonymous.url, token: rig.proxies.token.url },
    credentials: { username: rig.registries.token.username ?? '', password: rig.registries.token.password ?? '' },
    images: rig.images.map((image, i) => ({ registry: image.role, repository: image.repository, tag: image.tag, digest: rig.digests[i] ?? '' })),
    concurrencies,
    runs,
  };
  const planFile = join(rig.workdir, 'bare-plan.json');
  await writeFile(planFile, JSON.stringify(plan));
  rig.resetTraffic();
  const run = await measureProcess({ file: process.execPath, args: [BARE_CLIENT], stdinFile: planFile, env: rig.env, keepStdout: true });
  expectQuietSuccess(run, 'bare client (network scenario)');
  const passes = 1 + runs * concurrencies.length;
  const { all } = rig.traffic();
  const tokenRequests = Math.ceil(new Set(rig.images.filter((i) => i.role === 'token').map((i) => i.repository)).size / 50);
  const expected = { pings: 2 * passes, tokens: tokenRequests * passes, manifests: rig.images.length * passes };
  if (all.pings !== expected.pings || all.tokens !== expected.tokens || all.manifests !== expected.manifests || all.other !== 0) {
    throw new Error(`bare client sent ${JSON.stringify(all)}, expected ${JSON.stringify(expected)} and nothing else`);
  }
  const result = JSON.parse(run.stdout.toString('utf8')) as BareResult;
  // Two pings in parallel count as two rounds and the token requests as one, as digester's limit counts them.
  const fixedRounds = Object.keys(IMAGE_HOSTS).length + (tokenRequests > 0 ? 1 : 0);
  return concurrencies.map((concurrency) => {
    const wallMs = summarize(result[String(concurrency)] ?? []);
    const limitMs = (fixedRounds + Math.ceil(rig.images.length / concurrency)) * rig.rttMs;
    return { concurrency, wallMs, limitMs, overLimit: summarize(wallMs.samples.map((ms) => ms / limitMs)) };
  });
}

/** A bare `node -e 0` in digester's environment: the start-up any node process pays. Its wall time. */
export async function runNodeStart(rig: NetworkRig): Promise<number> {
  const run = await measureProcess({ file: process.execPath, args: ['-e', '0'], env: rig.env });
  expectSuccess(run, 'node -e 0 (network scenario)');
  return run.wallMs;
}
