// Scenarios 3 and 4, which need no registry: a large, fully pinned package (CPU and memory),
// and an empty one (startup). Each is measured against a baseline run in the same loop,
// alternating, so both see the same machine state.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIGESTER_BIN } from '../../support/run-digester.js';
import { cpuResourceList, emptyResourceList, type CpuShape } from '../generators.js';
import { expectQuietSuccess, expectSuccess, measureProcess, type ProcessRun, type ProcessSpec } from '../measure.js';
import { summarize, type Summary } from '../stats.js';

/** The least any YAML-preserving tool does with an input (test/bench/parse-baseline.ts). */
export const PARSE_BASELINE = fileURLToPath(new URL('../parse-baseline.js', import.meta.url));

/** Digester against a baseline, both summarized. */
export interface Comparison {
  readonly digesterMs: Summary;
  readonly baselineMs: Summary;
  /**
   * The median of each pair's ratio (digester's wall time over the baseline run right after it):
   * a pair sees the machine in one state, so a drift over the runs cancels out.
   */
  readonly ratio: number;
  readonly ratios: Summary;
  readonly peakRssMiB: Summary;
  readonly baselinePeakRssMiB: Summary;
}

/** The CPU scenario's result. */
export interface CpuResult extends Comparison {
  readonly bytes: number;
  readonly deployments: number;
  readonly images: number;
}

/** Generates the pinned package and compares digester with `parseEvents` on it. */
export async function runCpu(workdir: string, shape: CpuShape, runs: number, env: NodeJS.ProcessEnv): Promise<CpuResult> {
  const text = cpuResourceList(shape);
  const file = join(workdir, 'cpu-input.yaml');
  await writeFile(file, text);
  const pinned = text.split('@sha256:').length - 1;
  const digester: ProcessSpec = { file: process.execPath, args: [DIGESTER_BIN], stdinFile: file, env };
  const baseline: ProcessSpec = { file: process.execPath, args: [PARSE_BASELINE, file], env };
  // The first run's output is checked: everything kept, nothing resolved, the summary appended.
  const first = await measureProcess({ ...digester, keepStdout: true });
  expectQuietSuccess(first, 'digester (cpu scenario)');
  const output = first.stdout.toString('utf8');
  if (!output.startsWith(text.slice(0, text.length - 1)) || output.split('@sha256:').length - 1 !== pinned) {
    throw new Error('digester changed the pinned package (cpu scenario)');
  }
  const comparison = await compare(digester, baseline, runs, 'cpu scenario');
  return { ...comparison, bytes: Buffer.byteLength(text), deployments: shape.deployments, images: shape.uniqueImages };
}

/** The startup scenario's result. */
export type StartupResult = Comparison;

/** Compares digester on an empty ResourceList with `node -e 0`. */
export async function runStartup(workdir: string, runs: number, env: NodeJS.ProcessEnv): Promise<StartupResult> {
  const file = join(workdir, 'empty.yaml');
  await writeFile(file, emptyResourceList());
  const digester: ProcessSpec = { file: process.execPath, args: [DIGESTER_BIN], stdinFile: file, env };
  const baseline: ProcessSpec = { file: process.execPath, args: ['-e', '0'], env };
  return compare(digester, baseline, runs, 'startup scenario');
}

/** One unmeasured warm-up each (file cache, code cache), then `runs` alternating pairs. */
async function compare(digester: ProcessSpec, baseline: ProcessSpec, runs: number, what: string): Promise<Comparison> {
  const ours: ProcessRun[] = [];
  const theirs: ProcessRun[] = [];
  for (let i = -1; i < runs; i++) {
    const a = await measureProcess(digester);
    expectQuietSuccess(a, `digester (${what})`);
    const b = await measureProcess(baseline);
    expectSuccess(b, `baseline (${what})`);
    if (i < 0) continue;
    ours.push(a);
    theirs.push(b);
  }
  const ratios = summarize(ours.map((r, i) => r.wallMs / (theirs[i] as ProcessRun).wallMs));
  return {
    digesterMs: summarize(ours.map((r) => r.wallMs)),
    baselineMs: summarize(theirs.map((r) => r.wallMs)),
    ratio: ratios.median,
    ratios,
    peakRssMiB: summarize(ours.flatMap((r) => (r.peakRssMiB === undefined ? [] : [r.peakRssMiB]))),
    baselinePeakRssMiB: summarize(theirs.flatMap((r) => (r.peakRssMiB === undefined ? [] : [r.peakRssMiB]))),
  };
}
