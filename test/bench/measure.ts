// Runs a process the way a user's shell would and measures it: wall time from spawn to exit,
// and peak RSS from GNU time (`%M`, the kernel's ru_maxrss of the child).

import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** What to run. */
export interface ProcessSpec {
  readonly file: string;
  readonly args: readonly string[];
  /** A file fed on stdin; stdin is empty when unset. */
  readonly stdinFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the process after this long (the bench must end). */
  readonly timeoutMs?: number;
  /** Keep stdout (for checking the output); otherwise it is read and dropped. */
  readonly keepStdout?: boolean;
}

/** How one run went. */
export interface ProcessRun {
  /** performance.now() just before the spawn. */
  readonly startedAt: number;
  readonly wallMs: number;
  /** Peak resident set size in MiB; undefined without GNU time. */
  readonly peakRssMiB: number | undefined;
  readonly code: number | null;
  /** Exact stdout bytes when `keepStdout` was set, else empty. */
  readonly stdout: Buffer;
  readonly stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const DEFAULT_TIMEOUT_MS = 120_000;
const STDERR_KEEP_CHARS = 8_000;

/** True when peak RSS can be measured. */
export function canMeasureRss(): boolean {
  return existsSync(GNU_TIME);
}

/** Runs `spec` once; every process of the bench goes through here, so all pay the same wrapper cost. */
export async function measureProcess(spec: ProcessSpec): Promise<ProcessRun> {
  const timeFile = join(await scratchDir(), `time-${++runCount}`);
  const stdin = spec.stdinFile === undefined ? undefined : await open(spec.stdinFile, 'r');
  try {
    const wrapped = canMeasureRss();
    const file = wrapped ? GNU_TIME : spec.file;
    const args = wrapped ? ['-f', '%e %M', '-o', timeFile, spec.file, ...spec.args] : [...spec.args];
    const started = performance.now();
    const child = spawn(file, args, {
      env: spec.env ?? process.env,
      stdio: [stdin === undefined ? 'ignore' : stdin.fd, 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    // Both are pipes (stdio above), so never null.
    child.stdout?.on('data', (chunk: Buffer) => {
      if (spec.keepStdout === true) stdout.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP_CHARS) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    }).finally(() => clearTimeout(timer));
    const wallMs = performance.now() - started;
    const peakRssMiB = wrapped ? await readPeakRss(timeFile) : undefined;
    return { startedAt: started, wallMs, peakRssMiB, code, stdout: Buffer.concat(stdout), stderr };
  } finally {
    await stdin?.close();
    await rm(timeFile, { force: true });
  }
}

let scratch: Promise<string> | undefined;
let runCount = 0;

/** One directory for GNU time's output files, removed when node exits, however it exits. */
function scratchDir(): Promise<string> {
  scratch ??= mkdtemp(join(tmpdir(), 'digester-bench-time-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return scratch;
}

async function readPeakRss(timeFile: string): Promise<number | undefined> {
  try {
    // GNU time prints "Command exited with non-zero status N" first when the command failed.
    const lines = (await readFile(timeFile, 'utf8')).trim().split('\n');
    const kib = Number((lines[lines.length - 1] ?? '').split(' ')[1]);
    return Number.isFinite(kib) ? kib / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Fails loudly when a measured run did not do its job: a fast failure is not a result. */
export function expectSuccess(run: ProcessRun, what: string): void {
  if (run.code === 0) return;
  throw new Error(`${what} exited ${String(run.code)}: ${run.stderr.trim().slice(0, 2_000)}`);
}

/**
 * As {@link expectSuccess}, and nothing on stderr: kpt shows a function's stderr to the user, so a
 * warning in a clean run (Node's MaxListenersExceededWarning once went unseen here) is a defect.
 */
export function expectQuietSuccess(run: ProcessRun, what: string): void {
  expectSuccess(run, what);
  if (run.stderr !== '') throw new Error(`${what} succeeded but wrote to stderr: ${run.stderr.trim().slice(0, 2_000)}`);
}
