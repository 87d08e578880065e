import { DEFAULT_TIMEOUT_MS } from './constants.js';
import { loadDockerConfig, lookupCredentials, type Credentials, type LoadedDockerConfig } from './docker-config.js';
import { canonicalRegistry, parseEndpointUrl, resolveEndpoint, type Endpoint, type RegistryMapping } from './endpoint.js';
import { resolveManifestDigest } from './manifests.js';
import { ping, type PingResult } from './ping.js';
import { RegistrySession } from './session.js';
import { fetchToken, TokenCache } from './token.js';
import { defaultUserAgent, Transport } from './transport.js';

export type { RegistryMapping } from './endpoint.js';

/** Options of a RegistryClient; every field is optional. */
export interface RegistryClientOptions {
  /** host → endpoint URL (mirrors, air-gapped registries) and the insecure flag. */
  readonly registries?: readonly RegistryMapping[];
  /** Deadline per request in ms, default 30000. */
  readonly timeoutMs?: number;
  /** Default process.env: DOCKER_CONFIG, HOME, SSL_CERT_FILE, SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, proxies, helper PATH. */
  readonly env?: NodeJS.ProcessEnv;
  /** Debug log sink; default stderr when env.DEBUG=1. Never receives credentials or tokens. */
  readonly log?: (message: string) => void;
  /** User-Agent header; default `digester/<version>`. */
  readonly userAgent?: string;
}

/** The manifest to resolve, already parsed: registry `docker.io` | `127.0.0.1:5000` | `[::1]:5000`; reference a tag or digest. */
export interface ManifestTarget {
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
}

/**
 * OCI distribution client that resolves tags to manifest digests.
 *
 * The layers, bottom up (as in go-containerregistry's transport package):
 *   Transport        pooled connections, proxies, CAs, deadline, User-Agent, debug log
 *   ping             scheme choice (HTTPS, HTTP fallback for loopback/insecure) and the challenge, once per endpoint
 *   credentials      docker config and credential helpers, looked up only when challenged
 *   TokenCache       bearer tokens per registry, realm, service and scope, single-flight
 *   RegistrySession  Basic or Bearer authorization and the one retry after a 401
 *   manifests        HEAD with the full Accept list, GET-and-hash fallback
 */
export class RegistryClient {
  readonly #mappings: readonly RegistryMapping[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #transport: Transport;
  readonly #tokens: TokenCache;
  readonly #pings = new Map<string, Promise<PingResult>>();
  readonly #sessions = new Map<string, RegistrySession>();
  #dockerConfig: Promise<LoadedDockerConfig | undefined> | undefined;

  constructor(options: RegistryClientOptions = {}) {
    this.#mappings = options.registries ?? [];
    // Validate mappings now: a typo in an endpoint is a configuration error, not a per-image one.
    for (const mapping of this.#mappings) if (mapping.endpoint !== undefined) parseEndpointUrl(mapping.endpoint);
    this.#env = options.env ?? process.env;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#log = options.log ?? (this.#env['DEBUG'] === '1' ? (message) => process.stderr.write(`${message}\n`) : () => undefined);
    this.#transport = new Transport({
      env: this.#env,
      timeoutMs: this.#timeoutMs,
      log: this.#log,
      userAgent: options.userAgent ?? defaultUserAgent(),
    });
    this.#tokens = new TokenCache((request) => fetchToken(this.#transport, request));
  }

  /** Resolves target to the digest of the manifest the registry serves for it ("sha256:…"). */
  async resolveDigest(target: ManifestTarget): Promise<string> {
    return resolveManifestDigest(this.#session(target.registry), target.repository, target.reference);
  }

  /** Closes pooled connections; the client must not be used afterwards. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  #session(registry: string): RegistrySession {
    const key = canonicalRegistry(registry);
    let session = this.#sessions.get(key);
    if (session === undefined) {
      const endpoint = resolveEndpoint(registry, this.#mappings);
      session = new RegistrySession({
        transport: this.#transport,
        endpoint,
        tokens: this.#tokens,
        ping: () => this.#ping(endpoint),
        credentials: singleFlight(() => this.#credentials(endpoint)),
        log: this.#log,
      });
      this.#sessions.set(key, session);
    }
    return session;
  }

  /** One ping per endpoint, shared by concurrent resolves; a failed ping is forgotten so a later resolve retries. */
  #ping(endpoint: Endpoint): Promise<PingResult> {
    const key = `${endpoint.schemes.join('+')}://${endpoint.host}`;
    let pending = this.#pings.get(key);
    if (pending === undefined) {
      pending = ping(this.#transport, endpoint);
      this.#pings.set(key, pending);
      pending.catch(() => this.#pings.delete(key));
    }
    return pending;
  }

  async #credentials(endpoint: Endpoint): Promise<Credentials | undefined> {
    this.#dockerConfig ??= loadDockerConfig(this.#env);
    const credentials = await lookupCredentials(await this.#dockerConfig, [endpoint.host, endpoint.registry], {
      env: this.#env,
      timeoutMs: this.#timeoutMs,
    });
    // Say which kind was used, never the values.
    this.#log(`${endpoint.host}: ${credentials === undefined ? 'anonymous' : `${credentials.kind} credentials`}`);
    return credentials;
  }
}

/** Memoizes an async function; a rejection is not memoized, so a later call tries again. */
function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (pending === undefined) {
      const started = run();
      pending = started;
      started.catch(() => {
        if (pending === started) pending = undefined;
      });
    }
    return pending;
  };
}
