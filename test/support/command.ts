import { execFile } from 'node:child_process';

/** Options for {@link runCommand}. */
export interface RunOptions {
  readonly timeoutMs?: number;
}

/**
 * Runs a tool to completion and resolves with its exact stdout bytes.
 * The error names the tool and its subcommand (never the full argv, which may hold credentials) and carries stderr.
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<Buffer> {
  const timeout = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'buffer', timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const what = [file, args[0]].filter((part) => part !== undefined).join(' ');
      const why = error.killed ? `killed after ${timeout} ms` : `exit ${String(error.code)}`;
      reject(new Error(`\`${what}\` failed (${why}): ${stderr.toString('utf8').trim()}`, { cause: error }));
    });
  });
}
