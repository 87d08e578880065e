import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DIGESTER_BIN, runCaptured, type DigesterRun } from './run-digester.js';
import { readTree } from './example-workspace.js';

// `digester resolve` and `digester check` run as CI runs them: the built
// binary, in a working directory, with files on disk.

/** How to run the CLI. */
export interface CliRunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Fed on stdin; stdin is closed empty when absent. */
  readonly input?: string;
}

/** Runs `digester <args>` in `cwd`, with only PATH and HOME from this process's environment. */
export function runCli(args: readonly string[], options: CliRunOptions): Promise<DigesterRun> {
  return runCaptured(process.execPath, [DIGESTER_BIN, ...args], options);
}

/** Runs an executable (a script from examples/, say) the same way, capturing its output and exit code. */
export { runCaptured } from './run-digester.js';

/** A file's identity and mode: a rewritten file gets a new inode (temp file + rename). */
export interface FileIdentity {
  readonly ino: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** Every file under `dir` (hidden ones included) with its text and identity. */
export async function snapshotTree(dir: string): Promise<Map<string, { text: string; identity: FileIdentity }>> {
  const snapshot = new Map<string, { text: string; identity: FileIdentity }>();
  for (const [path, text] of await readTree(dir)) {
    const info = await stat(join(dir, path));
    snapshot.set(path, { text, identity: { ino: info.ino, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs } });
  }
  return snapshot;
}

/** The text of one file under `dir`. */
export function readText(dir: string, path: string): Promise<string> {
  return readFile(join(dir, path), 'utf8');
}

/** Lines that differ between two texts with the same number of lines, as `line → [before, after]` (1-based). */
export function changedLines(before: string, after: string): Map<number, [string, string]> {
  const old = before.split('\n');
  const now = after.split('\n');
  if (old.length !== now.length) throw new Error(`the number of lines changed from ${old.length} to ${now.length}`);
  const changed = new Map<number, [string, string]>();
  old.forEach((line, index) => {
    const other = now[index] ?? '';
    if (line !== other) changed.set(index + 1, [line, other]);
  });
  return changed;
}
