import { join } from 'node:path';
import type { HelperOptions } from './credential-helper.js';
import {
  loadAuthFile,
  loadDockerConfig,
  lookupCredentials,
  validateDockerConfig,
  type Credentials,
  type DockerConfig,
  type LoadedDockerConfig,
} from './docker-config.js';
import { canonicalRegistry } from './endpoint.js';
import { RegistryError } from './errors.js';

/** What the store needs: the environment (files, helper PATH), the helper timeout, and pull secret texts. */
export interface CredentialStoreOptions extends HelperOptions {
  /** Raw `.dockerconfigjson` or legacy `.dockercfg` documents, from Kubernetes Secrets. */
  readonly pullSecrets?: readonly string[] | undefined;
}

/** Credentials and the source they came from (`pull secret [0]`, `docker config /…/config.json`), for the debug log. */
export interface FoundCredentials {
  readonly credentials: Credentials;
  readonly source: string;
}

/**
 * Every place credentials come from, asked in this order for each host (the endpoint's, then the
 * registry's):
 *   1. pull secrets, in the order given: Secrets the workloads themselves name, so they win;
 *   2. the docker config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), with its
 *      credential helpers;
 *   3. the containers auth file of podman, skopeo and buildah (containers-auth.json(5)):
 *      `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`.
 * (podman itself reads its own file before docker's; digester is a docker-ecosystem tool and keeps
 * docker's file first, so adding podman changes nothing for docker users.)
 * Each source is read when first needed, once.
 */
export class CredentialStore {
  readonly #options: CredentialStoreOptions;
  readonly #sources: Array<() => Promise<LoadedDockerConfig | undefined>>;

  constructor(options: CredentialStoreOptions) {
    this.#options = options;
    const { env } = options;
    this.#sources = [
      ...(options.pullSecrets ?? []).map((text, index) =>
        once(async () => ({ path: `pull secret [${index}]`, config: parsePullSecret(text, index) })),
      ),
      once(() => loadDockerConfig(env)),
      once(() => {
        const path = containersAuthPath(env);
        return path === undefined ? Promise.resolve(undefined) : loadAuthFile(path, 'containers auth file');
      }),
    ];
  }

  /**
   * Starts reading the file sources (pull secrets, docker config, containers auth file), asking no
   * credential helper, so the lookup that follows a registry's challenge finds them parsed. A broken
   * file is reported by that lookup, as without this.
   */
  preload(): void {
    for (const source of this.#sources) source().catch(() => undefined);
  }

  /** Credentials for the first of `hosts` any source has; undefined means anonymous. */
  async lookup(hosts: readonly string[]): Promise<FoundCredentials | undefined> {
    for (const host of new Set(hosts.map(canonicalRegistry))) {
      for (const source of this.#sources) {
        const loaded = await source();
        const credentials = await lookupCredentials(loaded, [host], this.#options);
        if (credentials !== undefined && loaded !== undefined) return { credentials, source: loaded.path };
      }
    }
    return undefined;
  }
}

/** `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else none. */
export function containersAuthPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env['REGISTRY_AUTH_FILE']) return env['REGISTRY_AUTH_FILE'];
  return env['XDG_RUNTIME_DIR'] ? join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json') : undefined;
}

/**
 * Parses one pull secret: a `.dockerconfigjson` document (`{"auths": {host: entry}}`) or a legacy
 * `.dockercfg` one (the host map itself), kubernetes.io "Secret types". Only `auths` is kept: a
 * Secret in a package must not name credential helpers for digester to run. Errors name the index
 * and the field (`auths["ghcr.io"].auth`), never the content.
 */
export function parsePullSecret(text: string, index: number): DockerConfig {
  const where = `pull secret [${index}]`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RegistryError('ERR_REGISTRY_AUTH', `invalid ${where}: not valid json`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RegistryError('ERR_REGISTRY_AUTH', `invalid ${where}: expected a .dockerconfigjson {"auths": {…}} or .dockercfg {"host": {…}} object`);
  }
  const auths = 'auths' in json ? json.auths : json;
  const config = validateDockerConfig({ auths }, where);
  return { auths: config.auths ?? {} };
}

/** Memoizes an async loader, failures included: a broken file stays broken for the run, reported each time. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= load());
}
