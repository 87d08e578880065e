import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import './schema.js';
import { DOCKER_HUB_CONFIG_KEY, DOCKER_HUB_REGISTRY } from './constants.js';
import { getHelperCredentials, type HelperOptions } from './credential-helper.js';
import { canonicalRegistry } from './endpoint.js';
import { RegistryError } from './errors.js';

/** Credentials for one registry: a password pair, or an OAuth2 refresh token from `docker login` against an identity provider. */
export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'identity-token'; readonly token: string };

/** One `auths` entry of config.json (docker/cli `types.AuthConfig`). */
export const AuthConfig = z.looseObject({
  auth: z.optional(z.string()),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  identitytoken: z.optional(z.string()),
});
/** Parsed `auths` entry. */
export type AuthConfig = z.infer<typeof AuthConfig>;

/** The parts of `~/.docker/config.json` that hold credentials (docker/cli `configfile.ConfigFile`). */
export const DockerConfig = z.looseObject({
  auths: z.optional(z.record(z.string(), AuthConfig)),
  credHelpers: z.optional(z.record(z.string(), z.string())),
  credsStore: z.optional(z.string()),
});
/** Parsed docker config. */
export type DockerConfig = z.infer<typeof DockerConfig>;

/** A docker config together with the file it came from, for error messages. */
export interface LoadedDockerConfig {
  readonly path: string;
  readonly config: DockerConfig;
}

/**
 * Reads `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
 * A missing file means anonymous (undefined); an unreadable or malformed one is an error naming
 * the file and the field, because silently pulling anonymously would hide the user's mistake.
 */
export async function loadDockerConfig(env: NodeJS.ProcessEnv): Promise<LoadedDockerConfig | undefined> {
  const dir = env['DOCKER_CONFIG'] || (env['HOME'] ? join(env['HOME'], '.docker') : undefined);
  if (dir === undefined) return undefined;
  return loadAuthFile(join(dir, 'config.json'), 'docker config');
}

/** Reads a file in docker's config.json format; undefined when it does not exist. `label` names it in errors. */
export async function loadAuthFile(path: string, label: string): Promise<LoadedDockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegistryError('ERR_REGISTRY_AUTH', `cannot read ${label} ${path}: ${(error as Error).message}`, { cause: error });
  }
  return { path, config: parseDockerConfig(text, path, label) };
}

/** Parses and validates config.json text; `path` and `label` only name the document in errors. */
export function parseDockerConfig(text: string, path: string, label = 'docker config'): DockerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the surrounding text, which may be a password, so it is not repeated.
    throw new RegistryError('ERR_REGISTRY_AUTH', `invalid ${label} ${path}: not valid json`);
  }
  return validateDockerConfig(json, `${label} ${path}`);
}

/**
 * Validates parsed config.json content. Messages name `where` and the field (`auths["ghcr.io"].auth`),
 * never a value, since values are secrets.
 */
export function validateDockerConfig(json: unknown, where: string): DockerConfig {
  const result = DockerConfig.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined ? '' : `${formatPath(issue.path)}: `;
    throw new RegistryError('ERR_REGISTRY_AUTH', `invalid ${where}: ${field}${issue?.message.toLowerCase() ?? 'invalid'}`);
  }
  for (const [key, entry] of Object.entries(result.data.auths ?? {})) {
    if (entry.auth && decodeAuth(entry.auth) === undefined) {
      throw new RegistryError('ERR_REGISTRY_AUTH', `invalid ${where}: ${formatPath(['auths', key, 'auth'])}: expected base64 of "username:password"`);
    }
  }
  return result.data;
}

/** `auths["ghcr.io"].auth`: identifiers dotted, other keys (hosts, URLs) quoted in brackets. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      const name = String(part);
      return /^[A-Za-z_]\w*$/.test(name) ? `${i === 0 ? '' : '.'}${name}` : `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth.trim())) return undefined;
  const decoded = Buffer.from(auth.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Normalizes a config key to the registry it names: `https://index.docker.io/v1/` → `docker.io`,
 * `http://127.0.0.1:5000` → `127.0.0.1:5000`, `registry.example.com/v2/` → `registry.example.com`.
 */
export function normalizeConfigKey(key: string): string {
  const withoutScheme = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  return canonicalRegistry(slash === -1 ? withoutScheme : withoutScheme.slice(0, slash));
}

/** The server URL docker uses for a registry in helper calls and config keys. */
export function serverUrlFor(registry: string): string {
  const canonical = canonicalRegistry(registry);
  return canonical === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CONFIG_KEY : canonical;
}

/**
 * Finds credentials for the first of `hosts` that has any (callers pass the endpoint host, then the
 * logical registry). Per host, docker's order: `credHelpers[host]`, else `credsStore`; when the
 * helper holds nothing, an inline `auths` entry still counts (docker would ignore it, but using it
 * is what the user evidently meant). Undefined means anonymous.
 */
export async function lookupCredentials(
  loaded: LoadedDockerConfig | undefined,
  hosts: readonly string[],
  options: HelperOptions,
): Promise<Credentials | undefined> {
  if (loaded === undefined) return undefined;
  const { config } = loaded;
  for (const host of new Set(hosts.map(canonicalRegistry))) {
    const helper = findEntry(config.credHelpers, host) ?? (config.credsStore || undefined);
    if (helper !== undefined) {
      const fromHelper = await getHelperCredentials(helper, serverUrlFor(host), options);
      if (fromHelper !== undefined) return fromHelper;
    }
    const entry = findEntry(config.auths, host);
    const inline = entry === undefined ? undefined : credentialsFromEntry(entry);
    if (inline !== undefined) return inline;
  }
  return undefined;
}

/** Credentials an `auths` entry holds; an identity token wins, as in docker's registry auth. */
export function credentialsFromEntry(entry: AuthConfig): Credentials | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken };
  const decoded = entry.auth ? decodeAuth(entry.auth) : undefined;
  if (decoded !== undefined) return { kind: 'basic', ...decoded };
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: entry.password };
  return undefined;
}

/** A key that equals `host` exactly wins over one that only normalizes to it. */
function findEntry<T>(record: Readonly<Record<string, T>> | undefined, host: string): T | undefined {
  if (record === undefined) return undefined;
  const exact = Object.hasOwn(record, host) ? record[host] : undefined;
  if (exact !== undefined) return exact;
  if (host === DOCKER_HUB_REGISTRY && Object.hasOwn(record, DOCKER_HUB_CONFIG_KEY)) return record[DOCKER_HUB_CONFIG_KEY];
  const key = Object.keys(record).find((k) => normalizeConfigKey(k) === host);
  return key === undefined ? undefined : record[key];
}
