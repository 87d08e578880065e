import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

const REGISTRY_BINARY = '/usr/bin/docker-registry';
const STOP_GRACE_MS = 5_000;

/** Options of {@link spawnRegistry}. */
export interface SpawnOptions {
  /** A directory the guard removes after killing the registry, should node die without cleaning up. */
  readonly removeOnDeath?: string;
}

/** A `docker-registry serve` child process whose output goes to a log file. */
export interface RegistryProcess {
  readonly pid: number;
  /** Settles with the exit code (or the signal name) once the process has ended, for whatever reason. */
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
  /** Terminates the registry (SIGTERM, then SIGKILL after a grace period) and waits for it to end. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

// Installed on import, hence before registry.ts's own exit hook removes temp dirs: kill first, then delete.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Spawns the registry with stdout and stderr appended to `logFile`.
 * Two safety nets keep a crashed test from leaving it running: an `exit` hook kills it when node exits,
 * and a tiny `sh` guard holding a pipe from us kills it when node dies without running hooks (SIGKILL).
 * Both are unref'd, so a test that forgets `stop()` still lets node exit.
 */
export function spawnRegistry(configFile: string, logFile: string, options: SpawnOptions = {}): RegistryProcess {
  const log = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    // spawn failures (ENOENT) emit 'error' and no 'exit'.
    child.once('error', (error) => resolve(error.message));
  });
  if (child.pid === undefined) {
    return { pid: -1, exited, isRunning: () => false, stop: async () => undefined };
  }
  const pid = child.pid;
  live.add(child);
  const guard = spawnGuard(pid, options.removeOnDeath);
  live.add(guard);
  void exited.then(() => {
    live.delete(child);
    guard.kill('SIGKILL');
  });
  guard.once('exit', () => live.delete(guard));
  child.unref();

  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    exited,
    isRunning,
    async stop() {
      if (!isRunning()) return;
      // An unref'd child does not keep node alive while we wait for it.
      child.ref();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `read` returns at EOF, i.e. when node has died and the pipe's write end is closed.
 * The guard is SIGKILLed as soon as the registry exits, so it never acts on a pid that may have been reused.
 */
function spawnGuard(pid: number, removeOnDeath: string | undefined): ChildProcess {
  const script = 'read _unused; kill -KILL "$1" 2>/dev/null; if [ -n "$2" ]; then sleep 1; rm -rf -- "$2"; fi';
  const guard = spawn('/bin/sh', ['-c', script, 'registry-guard', String(pid), removeOnDeath ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  guard.on('error', () => undefined);
  guard.unref();
  const stdin = guard.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  stdin?.unref?.();
  return guard;
}
