import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The built function's entry point, as kpt and kustomize run it. */
export const DIGESTER_BIN = fileURLToPath(new URL('../../fn/main.js', import.meta.url));

/** What one run of the function printed and returned. */
export interface DigesterRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs the built function as a process, feeding `input` on stdin. */
export function runDigester(input: string, env: NodeJS.ProcessEnv = {}, args: readonly string[] = []): Promise<DigesterRun> {
  return runCaptured(process.execPath, [DIGESTER_BIN, ...args], { input, env });
}

/** How to run a process for a test. */
export interface CaptureOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Fed on stdin; stdin is closed empty when absent. Pieces are written {@link pauseMs} apart. */
  readonly input?: string | readonly Buffer[];
  /** The pause between pieces of `input`, as a slow writer would leave. */
  readonly pauseMs?: number;
  /** How long to leave stdout unread at first, as a slow reader would: the pipe fills meanwhile. */
  readonly readDelayMs?: number;
}

/** Runs an executable with only PATH and HOME from this process's environment, capturing its output and exit code. */
export function runCaptured(file: string, args: readonly string[], options: CaptureOptions): Promise<DigesterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    if (options.readDelayMs !== undefined) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), options.readDelayMs);
    }
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code }),
    );
    const input = options.input ?? '';
    if (typeof input === 'string') child.stdin.end(input);
    else void writeSlowly(child.stdin, input, options.pauseMs ?? 0).catch(reject);
  });
}

async function writeSlowly(stdin: Writable, pieces: readonly Buffer[], pauseMs: number): Promise<void> {
  for (const [index, piece] of pieces.entries()) {
    if (index > 0) await delay(pauseMs);
    stdin.write(piece);
  }
  stdin.end();
}
