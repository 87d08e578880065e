// Scenario 1 (and 5, its repeat): digester as a process pins every image of a large package,
// through the latency proxy, and the proxies count what it sent.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGESTER_BIN } from '../../support/run-digester.js';
import { imageReference, networkResourceList, type ImageSpec, type WorkloadSpec } from '../generators.js';
import { expectQuietSuccess, expectSuccess, measureProcess } from '../measure.js';
import type { ProxiedRequest } from '../latency-proxy.js';
import { countRounds, summarize, type Summary } from '../stats.js';
import { PARSE_BASELINE } from './local.js';
import { IMAGE_HOSTS, type NetworkRig, type RequestCounts } from './network-rig.js';

/** digester's default `concurrency`; the functionConfig leaves it unset. */
export const DIGESTER_CONCURRENCY = 16;

/** One measured run of the network scenario. */
export interface NetworkSample {
  readonly wallMs: number;
  readonly requests: RequestCounts;
  readonly byRegistry: Readonly<Record<string, RequestCounts>>;
  /** Token requests in series (requests less than one RTT apart share a round). */
  readonly tokenRounds: number;
  readonly requestsPerImage: number;
  /** `(pings + token rounds + ceil(unique / concurrency)) × RTT`. */
  readonly limitMs: number;
  readonly wallOverLimit: number;
  readonly timeline: Timeline;
}

/** Where the wall time went, from the proxies' clocks (ms since spawn unless noted). */
export interface Timeline {
  /** Start-up, reading and parsing the input, until the first request reached a proxy. */
  readonly firstRequestMs: number;
  readonly lastRequestMs: number;
  /** The last response's first byte reached the client (after the delay). */
  readonly lastResponseMs: number;
  /** From then to the process's exit: writing the output, closing. */
  readonly afterLastResponseMs: number;
  /** Median time the registries and token server took to start answering, RTT excluded. */
  readonly medianUpstreamMs: number;
  /** Connections opened to the proxies: one per request slot and registry when keep-alive works. */
  readonly connections: number;
}

/** The input of the network scenarios, written once. */
export interface NetworkInput {
  readonly file: string;
  readonly uniqueImages: number;
  readonly containers: number;
  readonly workloads: number;
  readonly bytes: number;
}

/** Writes the ResourceList for `workloads`, routed through the rig's proxies. */
export async function writeNetworkInput(rig: NetworkRig, workloads: readonly WorkloadSpec[]): Promise<NetworkInput> {
  const text = networkResourceList(workloads, rig.images, IMAGE_HOSTS, rig.routes);
  const file = join(rig.workdir, 'network-input.yaml');
  await writeFile(file, text);
  const containers = workloads.reduce((n, w) => n + w.containers.length + w.initContainers.length, 0);
  return { file, uniqueImages: rig.images.length, containers, workloads: workloads.length, bytes: Buffer.byteLength(text) };
}

/** The protocol's own cost: runs 2 and later of {@link WARM_CLIENT_RUNS} in one warm process. */
export interface WarmClientSample {
  /** Every run, the first (cold) included. */
  readonly runsMs: readonly number[];
  /** The runs after the first. */
  readonly warmMs: Summary;
  /** Within the runs after the first: the protocol alone, no parsing, scanning or splicing. */
  readonly protocolMs: Summary;
}

/** How many times the warm client resolves the input; the first run only warms it up. */
export const WARM_CLIENT_RUNS = 4;
const WARM_CLIENT = fileURLToPath(new URL('../warm-client.js', import.meta.url));

/** Resolves the input {@link WARM_CLIENT_RUNS} times in one process (test/bench/warm-client.ts). */
export async function runWarmClient(rig: NetworkRig, input: NetworkInput): Promise<WarmClientSample> {
  const run = await measureProcess({ file: process.execPath, args: [WARM_CLIENT], stdinFile: input.file, env: rig.env, keepStdout: true });
  expectQuietSuccess(run, 'warm client (network scenario)');
  const { runsMs, protocolMs } = JSON.parse(run.stdout.toString('utf8')) as { runsMs: number[]; protocolMs: number[] };
  return { runsMs, warmMs: summarize(runsMs.slice(1)), protocolMs: summarize(protocolMs.slice(1)) };
}

/**
 * A cold `node` that loads js-yaml and parses the input, once: with the warm client's protocol time,
 * what any tool that must parse before it can ask a registry pays at least. Returns its wall time.
 */
export async function runParseOnly(rig: NetworkRig, input: NetworkInput): Promise<number> {
  // digester's environment: an inherited NODE_EXTRA_CA_CERTS alone would add ~40 ms to node's start.
  const run = await measureProcess({ file: process.execPath, args: [PARSE_BASELINE, input.file], env: rig.env });
  expectSuccess(run, 'parse baseline (network scenario)');
  return run.wallMs;
}

/** Runs digester once on the input and checks that every image came back pinned to its pushed digest. */
export async function runNetworkOnce(rig: NetworkRig, input: NetworkInput): Promise<NetworkSample> {
  rig.resetTraffic();
  const run = await measureProcess({ file: process.execPath, args: [DIGESTER_BIN], stdinFile: input.file, env: rig.env, keepStdout: true });
  expectQuietSuccess(run, 'digester (network scenario)');
  checkPinned(run.stdout.toString('utf8'), rig, input);
  const traffic = rig.traffic();
  const tokenRounds = countRounds(traffic.tokenTimes, rig.rttMs);
  const rounds = traffic.all.pings + tokenRounds + Math.ceil(input.uniqueImages / DIGESTER_CONCURRENCY);
  const limitMs = rounds * rig.rttMs;
  const timeline = describeTimeline(traffic.requests, run.startedAt, run.wallMs, rig.rttMs, traffic.all.connections);
  return {
    wallMs: run.wallMs,
    requests: traffic.all,
    byRegistry: { ...traffic.byRole },
    tokenRounds,
    requestsPerImage: traffic.all.total / input.uniqueImages,
    limitMs,
    wallOverLimit: run.wallMs / limitMs,
    timeline,
  };
}

function describeTimeline(requests: readonly ProxiedRequest[], startedAt: number, wallMs: number, rttMs: number, connections: number): Timeline {
  const since = (t: number): number => t - startedAt;
  const first = requests[0]?.at ?? Number.NaN;
  const last = requests[requests.length - 1]?.at ?? Number.NaN;
  const responded = requests.flatMap((r) => (r.respondedAt === undefined ? [] : [r.respondedAt]));
  const lastResponse = Math.max(...responded) + rttMs / 2;
  const upstream = requests.flatMap((r) => (r.respondedAt === undefined ? [] : [r.respondedAt - r.at - rttMs / 2]));
  return {
    firstRequestMs: since(first),
    lastRequestMs: since(last),
    lastResponseMs: since(lastResponse),
    afterLastResponseMs: wallMs - since(lastResponse),
    medianUpstreamMs: summarize(upstream).median,
    connections,
  };
}

function checkPinned(output: string, rig: NetworkRig, input: NetworkInput): void {
  const pinned = output.split('@sha256:').length - 1;
  if (pinned !== input.containers) {
    throw new Error(`digester pinned ${pinned} of ${input.containers} images`);
  }
  rig.images.forEach((image: ImageSpec, i) => {
    const expected = `${imageReference(image, IMAGE_HOSTS)}@${rig.digests[i] ?? ''}`;
    if (!output.includes(expected)) throw new Error(`digester did not write ${expected}`);
  });
}

/**
 * Requests k8s-digester's algorithm needs on this input (computed, not measured): it resolves
 * each container on its own, with a ping, a token request (token registries only) and a HEAD.
 */
export function k8sDigesterRequests(workloads: readonly WorkloadSpec[], images: readonly ImageSpec[]): number {
  let requests = 0;
  for (const workload of workloads) {
    for (const index of [...workload.initContainers, ...workload.containers]) {
      requests += (images[index] as ImageSpec).role === 'token' ? 3 : 2;
    }
  }
  return requests;
}
