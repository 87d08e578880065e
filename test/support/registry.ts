import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetch } from 'undici';
import { prepareMode, type AuthMode, type ModeSetup } from './auth-modes.js';
import type { PushTarget } from './distribution-push.js';
import { pushImage, type ManifestKind, type PushedImage } from './image-push.js';
import { registryConfig } from './registry-config.js';
import { spawnRegistry, type RegistryProcess } from './registry-process.js';

export type { AuthMode } from './auth-modes.js';
export type { ManifestKind, PushedImage } from './image-push.js';

/** A real CNCF distribution registry on loopback, started by {@link startRegistry}. */
export interface TestRegistry {
  readonly mode: AuthMode;
  /** `127.0.0.1:PORT` of the registry itself. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`, or `https://…` in tls mode. */
  readonly url: string;
  /** Set in basic and token modes. */
  readonly username?: string;
  readonly password?: string;
  /** Token mode: the refresh token (docker "identitytoken") the token server accepts in its OAuth2 POST flow. */
  readonly refreshToken?: string;
  /** Tls mode: PEM of the CA that signed the server certificate, alone in its directory. */
  readonly caFile?: string;
  /** Temp dir holding config, storage, keys and `registry.log`. */
  readonly dir: string;
  /** Pushes a fresh, unique image through the distribution API. */
  push(repository: string, tag: string, kind: ManifestKind): Promise<PushedImage>;
  /** Token mode: HTTP requests the token server has received; the harness's own pushes are not counted. */
  tokenRequests?(): number;
  /** Kills the registry, stops the token server and removes `dir` (kept when DIGESTER_KEEP_REGISTRY_DIR=1). */
  stop(): Promise<void>;
}

/** Options of {@link startRegistry}. */
export interface StartOptions {
  readonly mode: AuthMode;
  /**
   * Token mode: maps the token server's realm URL to the one the registry advertises in its
   * challenges, e.g. to send token traffic through a proxy. Default: advertise the realm as is.
   */
  readonly advertisedRealm?: (realm: string) => string;
}

const READY_TIMEOUT_MS = 15_000;
const START_ATTEMPTS = 5;
const LOG_TAIL_CHARS = 4_000;

/** Dirs of registries not stopped yet; removed synchronously if node exits first (a crashed or careless test). */
const unstoppedDirs = new Set<string>();
let exitHookInstalled = false;

/** Starts `docker-registry serve` in a fresh temp dir and resolves once `GET /v2/` answers 200 or 401. */
export async function startRegistry(options: StartOptions): Promise<TestRegistry> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), `digester-registry-${options.mode}-`));
  unstoppedDirs.add(dir);
  let setup: ModeSetup | undefined;
  try {
    setup = await prepareMode(options.mode, dir, options);
    const { child, host } = await launch(options.mode, dir, setup);
    return describeRegistry(options.mode, dir, host, child, setup);
  } catch (error) {
    await setup?.close();
    await removeDir(dir);
    throw error;
  }
}

function describeRegistry(mode: AuthMode, dir: string, host: string, child: RegistryProcess, setup: ModeSetup): TestRegistry {
  const url = `${setup.scheme}://${host}`;
  let stopped: Promise<void> | undefined;
  const tokenServer = setup.tokenServer;
  return {
    mode,
    host,
    url,
    dir,
    ...setup.credentials,
    ...(setup.refreshToken === undefined ? {} : { refreshToken: setup.refreshToken }),
    ...(setup.caFile === undefined ? {} : { caFile: setup.caFile }),
    ...(tokenServer === undefined ? {} : { tokenRequests: () => tokenServer.tokenRequests() }),
    push(repository, tag, kind) {
      const authorization = setup.authorization(repository);
      const target: PushTarget = {
        url,
        dispatcher: setup.dispatcher,
        ...(authorization === undefined ? {} : { authorization }),
      };
      return pushImage(target, repository, tag, kind);
    },
    stop() {
      stopped ??= (async () => {
        await child.stop();
        await setup.close();
        await removeDir(dir);
      })();
      return stopped;
    },
  };
}

/** Retries with a new port when another process grabbed ours between probing and binding. */
async function launch(mode: AuthMode, dir: string, setup: ModeSetup): Promise<{ child: RegistryProcess; host: string }> {
  const storageDir = join(dir, 'storage');
  const configFile = join(dir, 'config.yml');
  const logFile = join(dir, 'registry.log');
  await mkdir(storageDir, { recursive: true });
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    await writeFile(configFile, registryConfig({ port, storageDir, ...setup.config }));
    const logStart = await fileSize(logFile);
    const child = spawnRegistry(configFile, logFile, keepDirs() ? {} : { removeOnDeath: dir });
    const host = `127.0.0.1:${port}`;
    const { outcome, lastProblem } = await waitUntilReady(`${setup.scheme}://${host}`, setup, child);
    if (outcome === 'ready') return { child, host };
    await child.stop();
    const log = await readLogTail(logFile, logStart);
    if (outcome === 'exited' && log.includes('address already in use') && attempt < START_ATTEMPTS) continue;
    const why = outcome === 'exited' ? `exited (${String(await child.exited)})` : `did not answer within ${READY_TIMEOUT_MS} ms`;
    throw new Error(
      `${mode} docker-registry on ${host} ${why} before GET /v2/ answered 200 or 401 (last: ${lastProblem}); its log:\n${log}`,
    );
  }
}

interface Readiness {
  readonly outcome: 'ready' | 'exited' | 'timeout';
  /** What the last probe saw, for the error message. */
  readonly lastProblem: string;
}

async function waitUntilReady(url: string, setup: ModeSetup, child: RegistryProcess): Promise<Readiness> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no probe made';
  while (Date.now() < deadline) {
    if (!child.isRunning()) return { outcome: 'exited', lastProblem };
    try {
      const response = await fetch(`${url}/v2/`, { dispatcher: setup.dispatcher, signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return { outcome: 'ready', lastProblem: '' };
      lastProblem = `status ${response.status}`;
    } catch (error) {
      // Not listening yet (ECONNREFUSED) or still starting; poll again.
      const cause = (error as Error).cause;
      lastProblem = cause instanceof Error ? cause.message : (error as Error).message;
    }
    await sleep(50);
  }
  return { outcome: 'timeout', lastProblem };
}

/** Binds port 0 on loopback, notes the port the kernel chose, and releases it. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the probed port'))));
    });
  });
}

/** The end of what this attempt logged; earlier attempts' lines must not be mistaken for its failure. */
async function readLogTail(logFile: string, from: number): Promise<string> {
  try {
    return (await readFile(logFile)).subarray(from).toString('utf8').slice(-LOG_TAIL_CHARS);
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

function keepDirs(): boolean {
  return process.env['DIGESTER_KEEP_REGISTRY_DIR'] === '1';
}

async function removeDir(dir: string): Promise<void> {
  unstoppedDirs.delete(dir);
  if (!keepDirs()) await rm(dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    if (keepDirs()) return;
    for (const dir of unstoppedDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * `config.json` as `docker login` leaves it for `registry`: one `auths` entry keyed by its host, mode
 * 0600, alone in a fresh temp dir (the caller removes it). Returns the file's path.
 */
export async function writeDockerLogin(registry: TestRegistry): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'digester-image-auth-'));
  const file = join(dir, 'config.json');
  const auth = Buffer.from(`${registry.username ?? ''}:${registry.password ?? ''}`).toString('base64');
  await writeFile(file, JSON.stringify({ auths: { [registry.host]: { auth } } }));
  await chmod(file, 0o600);
  return file;
}
