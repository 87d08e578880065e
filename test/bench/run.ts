// `npm run bench`: measures digester as built in dist/ and prints one table (plain, then
// Markdown), writing the same figures as JSON. See test/bench/README.md for what each scenario
// measures and why.
//
//   node dist/test/bench/run.js [--rtt MS] [--runs N] [--peer-runs N] [--quick] [--json PATH]
//                               [--only network,peer,cpu,startup,repeat]

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { planImages, planWorkloads, type CpuShape, type NetworkShape } from './generators.js';
import { buildRows, describeMachine, markdownTable, plainTable, type BenchResults } from './report.js';
import { runCpu, runStartup } from './scenarios/local.js';
import { runBareClient, runNodeStart } from './scenarios/bare-floor.js';
import { startNetworkRig, type NetworkRig } from './scenarios/network-rig.js';
import { k8sDigesterRequests, runNetworkOnce, runParseOnly, runWarmClient, WARM_CLIENT_RUNS, writeNetworkInput, type NetworkSample } from './scenarios/network.js';
import { hasSkopeo, runPeerOnce, type PeerSample } from './scenarios/peer.js';
import { summarize } from './stats.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCENARIOS = ['network', 'peer', 'cpu', 'startup', 'repeat'] as const;
type Scenario = (typeof SCENARIOS)[number];

const FULL = {
  network: { workloads: 500, containers: 1500, uniqueImages: 150 } satisfies NetworkShape,
  cpu: { deployments: 10_000, uniqueImages: 300 } satisfies CpuShape,
};
const QUICK = {
  network: { workloads: 20, containers: 60, uniqueImages: 12 } satisfies NetworkShape,
  cpu: { deployments: 200, uniqueImages: 30 } satisfies CpuShape,
};

/** Progress goes to stderr, so stdout holds only the table. */
function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface Options {
  readonly rttMs: number;
  readonly runs: number;
  readonly peerRuns: number;
  readonly quick: boolean;
  readonly jsonPath: string;
  readonly only: ReadonlySet<Scenario>;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rtt: { type: 'string', default: '20' },
      runs: { type: 'string' },
      'peer-runs': { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string', default: join(REPO_ROOT, 'bench-results.json') },
      only: { type: 'string', default: SCENARIOS.join(',') },
    },
  });
  const number = (text: string | undefined, name: string, fallback: number, min: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${String(text)}`);
    return value;
  };
  const only = new Set<Scenario>();
  for (const name of values.only.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name}; expected ${SCENARIOS.join(', ')}`);
    only.add(name as Scenario);
  }
  const runs = Math.floor(number(values.runs, 'runs', values.quick ? 2 : 5, 1));
  return {
    rttMs: number(values.rtt, 'rtt', 20, 0),
    runs,
    peerRuns: Math.floor(number(values['peer-runs'], 'peer-runs', values.quick ? 1 : 2, 1)),
    quick: values.quick,
    jsonPath: resolve(values.json),
    only,
  };
}

/**
 * A start-up run takes about 0.1 s, and the machine's noise is large against it: the startup scenario
 * runs this many times `--runs`, which keeps its ratio steady from one bench to the next for a few seconds.
 */
const STARTUP_RUNS_PER_RUN = 4;

const USAGE = `usage: node dist/test/bench/run.js [--rtt MS] [--runs N] [--peer-runs N] [--quick] [--json PATH] [--only ${SCENARIOS.join(',')}]\n`;

/** What `nproc` prints: the CPUs this process may use. */
function countCpus(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || availableParallelism();
  } catch {
    return availableParallelism();
  }
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const sizes = options.quick ? QUICK : FULL;
  // As many as the local scenarios: with the registries sharing 2 cores, a median of 3 moved by 10 ms.
  const networkRuns = options.runs;
  const results: BenchResults = {
    date: new Date().toISOString(),
    nproc: countCpus(),
    node: process.version,
    rttMs: options.rttMs,
    quick: options.quick,
    runs: { cpu: options.runs, startup: options.runs * STARTUP_RUNS_PER_RUN, network: networkRuns, peer: options.peerRuns },
    loadAverage: { start: loadavg() },
    errors: [],
  };
  const attempt = async (scenario: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      progress(`${scenario} failed: ${(error as Error).message}`);
      results.errors.push({ scenario, message: (error as Error).message });
    }
  };
  const workdir = await mkdtemp(join(tmpdir(), 'digester-bench-local-'));
  const env = { PATH: process.env['PATH'], HOME: workdir, DOCKER_CONFIG: workdir, XDG_RUNTIME_DIR: workdir };
  let rig: NetworkRig | undefined;
  const stop = async (): Promise<void> => {
    await rig?.close();
    rig = undefined;
    await rm(workdir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  try {
    // Local scenarios first, while no registry shares the CPU.
    if (options.only.has('startup')) {
      await attempt('4 startup', async () => {
        progress(`startup: ${results.runs.startup} runs`);
        results.startup = await runStartup(workdir, results.runs.startup, env);
      });
    }
    if (options.only.has('cpu')) {
      await attempt('3 cpu', async () => {
        progress(`cpu: ${sizes.cpu.deployments} Deployments, ${options.runs} runs`);
        results.cpu = await runCpu(workdir, sizes.cpu, options.runs, env);
      });
    }
    if (['network', 'peer', 'repeat'].some((s) => options.only.has(s as Scenario))) {
      await attempt('1 network', () => runNetworkScenarios(options, sizes.network, networkRuns, results, attempt, (r) => (rig = r)));
    }
  } finally {
    await stop();
  }
  results.loadAverage.end = loadavg();
  const rows = buildRows(results);
  // Three decimals are plenty for milliseconds and ratios.
  const round = (_key: string, value: unknown): unknown => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value);
  await writeFile(options.jsonPath, `${JSON.stringify({ ...results, rows }, round, 2)}\n`);
  process.stdout.write(`${describeMachine(results)}\n\n${plainTable(rows)}\n\n${markdownTable(rows)}\n\nJSON: ${options.jsonPath}\n`);
  return results.errors.length === 0 ? 0 : 1;
}

async function runNetworkScenarios(
  options: Options,
  shape: NetworkShape,
  runs: number,
  results: BenchResults,
  attempt: (scenario: string, work: () => Promise<void>) => Promise<void>,
  keep: (rig: NetworkRig) => void,
): Promise<void> {
  const images = planImages(shape.uniqueImages);
  const workloads = planWorkloads(shape);
  progress(`network: starting registries and pushing ${images.length} images`);
  const rig = await startNetworkRig(options.rttMs, images);
  keep(rig);
  const input = await writeNetworkInput(rig, workloads);
  if (options.only.has('network') || options.only.has('peer')) {
    await attempt('1 network', async () => {
      // One unmeasured run first, as the local scenarios do: right after 150 pushes the registries
      // and the page cache are still settling, and the first run pays for it.
      progress('network: warm-up run');
      await runNetworkOnce(rig, input);
      // Each digester run is followed by a run of the parse alone, so a machine that slows down or
      // speeds up during the scenario moves both, and the floor stays comparable.
      const samples: NetworkSample[] = [];
      const parseOnly: number[] = [];
      const nodeStart: number[] = [];
      for (let i = 0; i < runs; i++) {
        progress(`network: run ${i + 1}/${runs}, then node + js-yaml parsing the input alone, then node -e 0`);
        samples.push(await runNetworkOnce(rig, input));
        parseOnly.push(await runParseOnly(rig, input));
        nodeStart.push(await runNodeStart(rig));
      }
      const parseOnlyMs = summarize(parseOnly);
      progress(`network: warm client, ${WARM_CLIENT_RUNS} runs in one process`);
      const warmClient = await runWarmClient(rig, input);
      progress(`network: bare client, ${runs} passes at each concurrency in one process`);
      const bare = await runBareClient(rig, runs);
      results.network = {
        warmClient,
        parseOnlyMs,
        nodeStartMs: summarize(nodeStart),
        bare,
        workloads: input.workloads,
        containers: input.containers,
        uniqueImages: input.uniqueImages,
        bytes: input.bytes,
        samples,
        wallMs: summarize(samples.map((s) => s.wallMs)),
        requestsPerImage: summarize(samples.map((s) => s.requestsPerImage)),
        limitMs: summarize(samples.map((s) => s.limitMs)),
        wallOverLimit: summarize(samples.map((s) => s.wallOverLimit)),
      };
    });
  }
  if (options.only.has('repeat')) {
    await attempt('5 repeat', async () => {
      progress('repeat: two back-to-back runs');
      results.repeat = [await runNetworkOnce(rig, input), await runNetworkOnce(rig, input)];
    });
  }
  const network = results.network;
  if (!options.only.has('peer') || network === undefined) return;
  await attempt('2 peer', async () => {
    if (!hasSkopeo()) throw new Error('skopeo is not installed (bash .ci/install)');
    const samples: PeerSample[] = [];
    for (let i = 0; i < options.peerRuns; i++) {
      progress(`peer: skopeo loop ${i + 1}/${options.peerRuns} over ${images.length} images`);
      samples.push(await runPeerOnce(rig));
    }
    const wallMs = summarize(samples.map((s) => s.wallMs));
    results.peer = {
      samples,
      wallMs,
      speedup: wallMs.median / network.wallMs.median,
      k8sDigesterRequests: k8sDigesterRequests(workloads, images),
    };
  });
}

process.exitCode = await main();
