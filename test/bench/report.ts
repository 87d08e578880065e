// Turns the results into one table (plain text and Markdown), with PASS/MISS against each target.

import type { BareAtConcurrency } from './scenarios/bare-floor.js';
import { DIGESTER_CONCURRENCY, type NetworkSample, type WarmClientSample } from './scenarios/network.js';
import type { PeerSample } from './scenarios/peer.js';
import type { CpuResult, StartupResult } from './scenarios/local.js';
import { summarize, type Summary } from './stats.js';

/** The network scenario over several runs. */
export interface NetworkResult {
  readonly workloads: number;
  readonly containers: number;
  readonly uniqueImages: number;
  readonly bytes: number;
  readonly samples: readonly NetworkSample[];
  readonly wallMs: Summary;
  readonly requestsPerImage: Summary;
  readonly limitMs: Summary;
  readonly wallOverLimit: Summary;
  /** The same input resolved repeatedly in one warm process: the protocol without start-up. */
  readonly warmClient: WarmClientSample;
  /** A cold node parsing the input with js-yaml and nothing else. */
  readonly parseOnlyMs: Summary;
  /** A bare `node -e 0`, run after each of digester's runs. */
  readonly nodeStartMs: Summary;
  /** The protocol alone, with none of digester's code, by concurrency. */
  readonly bare: readonly BareAtConcurrency[];
}

/** The skopeo loop, and what k8s-digester would send. */
export interface PeerResult {
  readonly samples: readonly PeerSample[];
  readonly wallMs: Summary;
  /** Median skopeo loop over median digester network wall. */
  readonly speedup: number;
  readonly k8sDigesterRequests: number;
}

/** Everything one bench run measured; written as JSON. */
export interface BenchResults {
  readonly date: string;
  readonly nproc: number;
  readonly node: string;
  readonly rttMs: number;
  readonly quick: boolean;
  readonly runs: { readonly cpu: number; readonly startup: number; readonly network: number; readonly peer: number };
  /** os.loadavg() at the start and the end: other work on the machine skews every figure. */
  readonly loadAverage: { readonly start: readonly number[]; end?: readonly number[] };
  network?: NetworkResult;
  repeat?: readonly NetworkSample[];
  peer?: PeerResult;
  cpu?: CpuResult;
  startup?: StartupResult;
  readonly errors: Array<{ readonly scenario: string; readonly message: string }>;
}

/** One line of the table. */
export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly value: string;
  readonly range: string;
  readonly target: string;
  readonly status: '' | 'PASS' | 'MISS';
}

/** Targets from the issue; each row that has one shows PASS or MISS. */
export const TARGETS = {
  requestsPerImage: 1.05,
  wallOverLimit: 1.5,
  speedupOverSkopeo: 10,
  cpuOverParse: 2,
  peakRssMiB: 400,
  startupOverNode: 2,
} as const;

const ms = (value: number): string => (Number.isFinite(value) ? `${value < 100 ? value.toFixed(1) : Math.round(value)} ms` : 'n/a');
const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
const mib = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} MiB` : 'n/a');
const range = (summary: Summary, unit: (v: number) => string): string =>
  summary.samples.length > 1 ? `${unit(summary.min)} – ${unit(summary.max)}` : '';
const status = (ok: boolean): 'PASS' | 'MISS' => (ok ? 'PASS' : 'MISS');

/** Builds the table's rows in scenario order. */
export function buildRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const add = (scenario: string, metric: string, value: string, extra: Partial<Row> = {}): void => {
    rows.push({ scenario, metric, value, range: '', target: '', status: '', ...extra });
  };
  const { network, peer, cpu, startup, repeat } = results;
  if (network !== undefined) {
    const s = network.samples[0] as NetworkSample;
    add('1 network', 'input', `${network.workloads} workloads, ${network.containers} containers, ${network.uniqueImages} unique images`);
    add('1 network', 'wall time', ms(network.wallMs.median), { range: range(network.wallMs, ms) });
    add('1 network', 'requests (run 1)', describeCounts(s));
    for (const [registry, counts] of Object.entries(s.byRegistry)) {
      add('1 network', `  ${registry} registry`, `${counts.pings} ping, ${counts.tokens} token, ${counts.manifests} manifest, ${counts.other} other`);
    }
    add('1 network', 'requests per unique image', network.requestsPerImage.median.toFixed(3), {
      range: range(network.requestsPerImage, (v) => v.toFixed(3)),
      target: `≤ ${TARGETS.requestsPerImage}`,
      status: status(network.requestsPerImage.median <= TARGETS.requestsPerImage),
    });
    add('1 network', 'token rounds (run 1)', String(s.tokenRounds));
    const t = s.timeline;
    add('1 network', 'timeline (run 1): first request', `${ms(t.firstRequestMs)} after spawn (start-up, parse)`);
    add('1 network', 'timeline (run 1): requests', `${ms(t.lastResponseMs - t.firstRequestMs)} from first request to last response`);
    add('1 network', 'timeline (run 1): exit', `${ms(t.afterLastResponseMs)} after the last response`);
    add('1 network', 'registry service time (median, run 1)', `${ms(t.medianUpstreamMs)} per request, RTT excluded; ${t.connections} connections`);
    add('1 network', 'limit (pings+token rounds+⌈unique/16⌉)×RTT', ms(network.limitMs.median), { range: range(network.limitMs, ms) });
    add('1 network', 'wall / limit', times(network.wallOverLimit.median), {
      range: range(network.wallOverLimit, times),
      target: `≤ ${TARGETS.wallOverLimit}×`,
      status: status(network.wallOverLimit.median <= TARGETS.wallOverLimit),
    });
    const warm = network.warmClient.warmMs;
    add('1 network', `control: warm in-process client, runs 2–${network.warmClient.runsMs.length}`, ms(warm.median), { range: range(warm, ms) });
    const warmOverLimit = summarize(warm.samples.map((value) => value / network.limitMs.median));
    add('1 network', 'control / limit', times(warmOverLimit.median), { range: range(warmOverLimit, times) });
    add('1 network', 'control: protocol alone, within those runs', ms(network.warmClient.protocolMs.median), { range: range(network.warmClient.protocolMs, ms) });
    add('1 network', 'control: cold node + js-yaml parse of the input', ms(network.parseOnlyMs.median), { range: range(network.parseOnlyMs, ms) });
    // Parsing must end before the first HEAD can name an image (only pings may leave earlier).
    const floor = network.parseOnlyMs.median + network.warmClient.protocolMs.median;
    add('1 network', 'floor: cold parse, then warm protocol', `${ms(floor)} = ${times(floor / network.limitMs.median)} the limit`);
    add('1 network', 'cold process − floor', `${ms(network.wallMs.median - floor)} (loading, settings, scan, cold client code, splice, exit)`);
    addBareRows(network, results.rttMs, add);
  }
  if (peer !== undefined && network !== undefined) {
    const first = peer.samples[0] as PeerSample;
    add('2 peer', 'skopeo inspect loop, wall', ms(peer.wallMs.median), { range: range(peer.wallMs, ms) });
    add('2 peer', 'skopeo requests (run 1)', `${first.requests.total} (${first.requestsPerImage.toFixed(2)} per image, +${first.requests.opaqueConnections} TLS probes)`);
    add('2 peer', 'speedup of digester over skopeo loop', times(peer.speedup), {
      target: `≥ ${TARGETS.speedupOverSkopeo}×`,
      status: status(peer.speedup >= TARGETS.speedupOverSkopeo),
    });
    const perImage = peer.k8sDigesterRequests / network.uniqueImages;
    add('2 peer', 'k8s-digester requests (computed, not measured)', `${peer.k8sDigesterRequests} (${perImage.toFixed(2)} per unique image)`);
  }
  if (cpu !== undefined) {
    add('3 cpu', 'input', `${cpu.deployments} Deployments, ${(cpu.bytes / 1e6).toFixed(1)} MB, ${cpu.images} images, all pinned`);
    add('3 cpu', 'digester wall', ms(cpu.digesterMs.median), { range: range(cpu.digesterMs, ms) });
    add('3 cpu', 'baseline: node + js-yaml parseEvents', ms(cpu.baselineMs.median), { range: range(cpu.baselineMs, ms) });
    add('3 cpu', 'digester / baseline', times(cpu.ratio), { range: range(cpu.ratios, times), target: `≤ ${TARGETS.cpuOverParse}×`, status: status(cpu.ratio <= TARGETS.cpuOverParse) });
    add('3 cpu', 'digester peak RSS', mib(cpu.peakRssMiB.median), {
      range: range(cpu.peakRssMiB, mib),
      target: `≤ ${TARGETS.peakRssMiB} MiB`,
      status: status(cpu.peakRssMiB.median <= TARGETS.peakRssMiB),
    });
    add('3 cpu', 'baseline peak RSS', mib(cpu.baselinePeakRssMiB.median), { range: range(cpu.baselinePeakRssMiB, mib) });
  }
  if (startup !== undefined) {
    add('4 startup', 'digester, empty ResourceList', ms(startup.digesterMs.median), { range: range(startup.digesterMs, ms) });
    add('4 startup', 'node -e 0', ms(startup.baselineMs.median), { range: range(startup.baselineMs, ms) });
    add('4 startup', 'digester / node -e 0', times(startup.ratio), {
      range: range(startup.ratios, times),
      target: `≤ ${TARGETS.startupOverNode}×`,
      status: status(startup.ratio <= TARGETS.startupOverNode),
    });
  }
  if (repeat !== undefined) {
    repeat.forEach((sample, i) => {
      add('5 repeat', `run ${i + 1} (no on-disk cache)`, `${ms(sample.wallMs)}, ${sample.requests.total} requests, ${times(sample.wallOverLimit)} limit`);
    });
  }
  for (const error of results.errors) add(error.scenario, 'ERROR', error.message.split('\n')[0] ?? '', { status: 'MISS' });
  return rows;
}

/**
 * The physical floor: what the registries and proxies take for the bare protocol, plus a bare node's
 * start-up. No node client can beat it here, however it overlaps parsing with the network. The reading
 * floor adds what a client that reads its input cannot avoid: the cold parse, less the one round trip
 * (the pings) that can overlap it.
 */
function addBareRows(network: NetworkResult, rttMs: number, add: (scenario: string, metric: string, value: string, extra?: Partial<Row>) => void): void {
  for (const bare of network.bare) {
    add('1 network', `bare client (no digester code), concurrency ${bare.concurrency}`, `${ms(bare.wallMs.median)} = ${times(bare.overLimit.median)} its limit of ${ms(bare.limitMs)}`, {
      range: range(bare.overLimit, times),
    });
  }
  const atDefault = network.bare.find((bare) => bare.concurrency === DIGESTER_CONCURRENCY);
  add('1 network', 'bare node -e 0', ms(network.nodeStartMs.median), { range: range(network.nodeStartMs, ms) });
  if (atDefault === undefined) return;
  const floor = network.nodeStartMs.median + atDefault.wallMs.median;
  add('1 network', `physical floor: node -e 0 + bare client at ${DIGESTER_CONCURRENCY}`, `${ms(floor)} = ${times(floor / network.limitMs.median)} the limit`);
  add('1 network', 'digester − physical floor', ms(network.wallMs.median - floor));
  // A client that must read its input pays the cold parse as well (the parse-only control already
  // includes node's start-up); only its pings, one round trip, can overlap the parse.
  const reading = network.parseOnlyMs.median - rttMs + atDefault.wallMs.median;
  add('1 network', 'reading floor: cold parse + bare client − 1 RTT (the pings overlap the parse)', `${ms(reading)} = ${times(reading / network.limitMs.median)} the limit`);
}

function describeCounts(sample: NetworkSample): string {
  const r = sample.requests;
  return `${r.total} = ${r.pings} ping + ${r.tokens} token + ${r.manifests} manifest + ${r.other} other`;
}

const COLUMNS = ['scenario', 'metric', 'value', 'range', 'target', 'status'] as const;

/** The table as aligned plain text. */
export function plainTable(rows: readonly Row[]): string {
  const widths = COLUMNS.map((c) => Math.max(c.length, ...rows.map((row) => [...row[c]].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...cell].length))).join('  ').trimEnd();
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => line(COLUMNS.map((c) => row[c])))].join('\n');
}

/** The same table in Markdown, for the README. */
export function markdownTable(rows: readonly Row[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').trim();
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  return [line(COLUMNS), line(COLUMNS.map(() => '---')), ...rows.map((row) => line(COLUMNS.map((c) => row[c])))].join('\n');
}

/** The header lines: when, where, with what. */
export function describeMachine(results: BenchResults): string {
  const { runs } = results;
  return [
    `date ${results.date}, nproc ${results.nproc}, node ${results.node}, RTT ${results.rttMs} ms${results.quick ? ', QUICK sizes' : ''}`,
    `runs: ${runs.cpu} cpu, ${runs.startup} startup, ${runs.network} network, ${runs.peer} skopeo loop; figures are medians`,
    `load average (1 min): ${load(results.loadAverage.start)} at start, ${load(results.loadAverage.end ?? [])} at end` +
      (busy(results) ? ' (the machine was busy: figures are noisy)' : ''),
  ].join('\n');
}

const load = (values: readonly number[]): string => (values[0] === undefined ? 'n/a' : values[0].toFixed(2));

/**
 * Another job was running: a 1-minute load above three quarters of the cores at the start. The end's
 * load is mostly the bench's own (the registries, the proxies, the skopeo loop), so it only informs.
 */
function busy(results: BenchResults): boolean {
  const start = results.loadAverage.start[0];
  return start !== undefined && start > results.nproc * 0.75;
}
