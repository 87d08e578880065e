import { spawn } from 'node:child_process';
import type { ToolRun } from '../support/example-tools.js';

/** Options of {@link runProcess}. */
export interface ProcessOptions {
  /** Written to stdin, which is then closed; default: stdin closed at once. */
  readonly input?: string;
  readonly cwd?: string;
  /** The whole environment; default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs a program to completion with `input` on stdin (which `runTool` cannot feed) and resolves
 * with its exit code and output, whatever the exit code. Spawn failures (a missing program) reject.
 */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions = {}): Promise<ToolRun> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      ...(options.env !== undefined && { env: options.env }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${file}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const killed = timedOut ? `\n(killed after ${timeoutMs} ms)` : '';
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') + killed });
    });
    // A program that exits without reading all of stdin makes the write fail with EPIPE; its exit
    // code and output tell the story, so that error is not the test's.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
