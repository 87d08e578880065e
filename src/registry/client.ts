import { abortError } from './abort.js';
import { DEFAULT_TIMEOUT_MS } from './constants.js';
import { CredentialStore } from './credential-store.js';
import type { Credentials } from './docker-config.js';
import { canonicalRegistry, resolveEndpoints, validateMapping, type Endpoint, type RegistryMapping } from './endpoint.js';
import { isRepository, pullScope, resolveManifestDigest } from './manifests.js';
import { tryEndpoints } from './mirrors.js';
import { ping, type PingResult } from './ping.js';
import { retryPolicy, type RetryPolicy } from './retry.js';
import { RegistrySession } from './session.js';
import { fetchToken, TokenCache } from './token.js';
import { defaultUserAgent, Transport } from './transport.js';

export type { RegistryMapping } from './endpoint.js';

/** Options of a RegistryClient; every field is optional. */
export interface RegistryClientOptions {
  /** host → endpoints (mirrors, air-gapped registries), the insecure flag and extra CAs. */
  readonly registries?: readonly RegistryMapping[];
  /** Deadline per request in ms, default 10000. */
  readonly timeoutMs?: number;
  /** Retries of temporary failures: default 4 attempts in all, backoff base 500 ms, waits capped at 10000 ms. */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * `.dockerconfigjson` (`{"auths": {…}}`) or legacy `.dockercfg` documents, e.g. from a workload's
   * imagePullSecrets; for the hosts they name they win over the docker config.
   */
  readonly pullSecrets?: readonly string[];
  /** Default process.env: DOCKER_CONFIG, HOME, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, SSL_CERT_FILE, SSL_CERT_DIR, NODE_EXTRA_CA_CERTS, proxies, helper PATH. */
  readonly env?: NodeJS.ProcessEnv;
  /** Debug log sink; default stderr when env.DEBUG=1. Never receives credentials or tokens. */
  readonly log?: (message: string) => void;
  /** User-Agent header; default `digester/<version>`. */
  readonly userAgent?: string;
  /**
   * Connections per origin (a registry endpoint, a token realm); default no limit. Set it to the number
   * of resolves run at once: more would only be opened while one is being freed, and each costs a
   * handshake. A request that finds them all busy waits for one, and its timeout runs meanwhile.
   */
  readonly maxConnectionsPerOrigin?: number;
}

/** The manifest to resolve, already parsed: registry `docker.io` | `127.0.0.1:5000` | `[::1]:5000`; reference a tag or digest. */
export interface ManifestTarget {
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
}

/** Per-call options of {@link RegistryClient.resolveDigest}. */
export interface ResolveDigestOptions {
  /**
   * Ends the resolve at once when aborted: its requests and backoff waits stop, and it rejects with
   * ERR_TIMEOUT (`timed out after Ns` for `AbortSignal.timeout`, or the reason's own message when it
   * has one) or ERR_ABORTED for any other reason.
   */
  readonly signal?: AbortSignal;
}

/**
 * OCI distribution client that resolves tags to manifest digests.
 *
 * The layers, bottom up (as in go-containerregistry's transport package):
 *   Transport        retries ∘ redirects ∘ one exchange: pooled connections, proxies, per-host CAs, timeout, User-Agent, log
 *   ping             scheme choice (HTTPS, HTTP fallback for loopback/insecure) and the challenge, once per endpoint
 *   CredentialStore  pull secrets, docker config (+ helpers), containers auth file; looked up only when challenged
 *   TokenCache       bearer tokens per registry, realm, service and scope, single-flight, batched by expect()
 *   RegistrySession  Basic or Bearer authorization and the one retry after a 401
 *   manifests        HEAD with the full Accept list, GET-and-hash fallback, digest and schema checks
 *   mirrors          a registry's endpoints in order, falling through on failure
 */
export class RegistryClient {
  readonly #mappings: readonly RegistryMapping[];
  readonly #log: (message: string) => void;
  readonly #transport: Transport;
  readonly #tokens: TokenCache;
  readonly #credentials: CredentialStore;
  readonly #pings = new Map<string, Promise<PingResult>>();
  readonly #sessions = new Map<string, readonly RegistrySession[]>();
  // Canonical registry → scopes announced by expect(), in the order announced.
  readonly #expected = new Map<string, Set<string>>();
  // Canonical registry → targets announced by expect(), for the connections opened ahead.
  readonly #expectedTargets = new Map<string, number>();
  // Callers still announcing targets (plan()), and what token requests wait on meanwhile.
  #openPlans = 0;
  #planned: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  readonly #maxConnections: number | undefined;

  constructor(options: RegistryClientOptions = {}) {
    this.#mappings = options.registries ?? [];
    this.#maxConnections = options.maxConnectionsPerOrigin;
    // Validate now: a typo in an endpoint or a retry option is a configuration error, not a per-image one.
    for (const mapping of this.#mappings) validateMapping(mapping);
    const retry = retryPolicy(options.retry);
    const env = options.env ?? process.env;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#log = options.log ?? (env['DEBUG'] === '1' ? (message) => process.stderr.write(`${message}\n`) : () => undefined);
    this.#transport = new Transport({
      env,
      timeoutMs,
      log: this.#log,
      userAgent: options.userAgent ?? defaultUserAgent(),
      retry,
      ...(options.maxConnectionsPerOrigin !== undefined && { maxConnectionsPerOrigin: options.maxConnectionsPerOrigin }),
    });
    this.#tokens = new TokenCache((request) => fetchToken(this.#transport, request));
    this.#credentials = new CredentialStore({ env, timeoutMs, pullSecrets: options.pullSecrets });
  }

  /**
   * A hint, before resolving: every target that is about to be resolved. The first token request of
   * each registry then asks for all its repositories at once (up to 50 scopes per request), so a run
   * costs one token round trip per registry rather than one per repository. With a connection cap,
   * the connections each registry's requests will run on are opened now, while its ping is in flight.
   */
  expect(targets: readonly ManifestTarget[]): void {
    const touched = new Set<string>();
    for (const { registry, repository } of targets) {
      if (!isRepository(repository)) continue;
      const key = canonicalRegistry(registry);
      let scopes = this.#expected.get(key);
      if (scopes === undefined) this.#expected.set(key, (scopes = new Set()));
      scopes.add(pullScope(repository));
      this.#expectedTargets.set(key, (this.#expectedTargets.get(key) ?? 0) + 1);
      touched.add(key);
    }
    for (const registry of touched) this.#connectAhead(registry, this.#expectedTargets.get(registry) ?? 0);
  }

  /**
   * A hint that the caller will announce its targets a few at a time (expect() as it finds them) and
   * may resolve the first ones meanwhile. Until the returned function is called, token registries
   * hold their first token request, so it still asks for every expected repository at once; the ping,
   * and requests to registries that need no token, go ahead. Call the function when all targets are
   * announced, or the run ends; calling it again does nothing.
   */
  plan(): () => void {
    this.#openPlans++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      if (--this.#openPlans > 0) return;
      this.#planned?.resolve();
      this.#planned = undefined;
    };
  }

  /**
   * A hint, as soon as the caller finds a first image on `registry`: pings its first endpoint now, so
   * the connection is open and the challenge known by the time resolving starts. Never throws: a
   * failed ping is kept, and reported by the resolves that meet it.
   */
  warm(registry: string): void {
    try {
      const [session] = this.#sessionsFor(registry);
      if (session !== undefined) this.#ping(session.endpoint).catch(() => undefined);
      // Should the ping come back with a challenge, the credentials are then read and parsed already.
      this.#credentials.preload();
    } catch {
      // A registry without usable endpoints fails each of its resolves, which say why.
    }
  }

  /**
   * Waits for what every request to the target's registry shares: the ping and, on a token registry,
   * the token for the target's repository (fetched in batches with every expected repository). Never
   * rejects: resolveDigest meets any failure again and reports it. A caller that limits concurrent
   * resolves waits for this first, so resolves stuck behind a token do not hold its slots.
   */
  async prepare(target: ManifestTarget, options: ResolveDigestOptions = {}): Promise<void> {
    if (!isRepository(target.repository)) return;
    const [session] = this.#sessionsFor(target.registry);
    await session?.prepare(pullScope(target.repository), options.signal);
  }

  /** Resolves target to the digest of the manifest the registry serves for it ("sha256:…"). */
  async resolveDigest(target: ManifestTarget, options: ResolveDigestOptions = {}): Promise<string> {
    const { signal } = options;
    const started = Date.now();
    if (signal?.aborted) throw abortError(signal, started);
    try {
      const attempts = this.#sessionsFor(target.registry).map((session) => ({
        host: session.endpoint.host,
        run: () => resolveManifestDigest(session, target.repository, target.reference, { signal }),
      }));
      return await tryEndpoints(attempts, this.#log);
    } catch (error) {
      // Whatever the abort interrupted, the answer is the abort.
      if (signal?.aborted) throw abortError(signal, started);
      throw error;
    }
  }

  /** Aborts requests in flight and closes pooled connections; the client must not be used afterwards. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  /**
   * Opens the connections `count` requests to `registry` will run on (all its targets announced so
   * far): as many as may run at once, the ping's own included. Without a cap undici opens one per request in flight, and how many that is
   * only the caller knows. Only where the scheme is known before the ping: a loopback or insecure
   * endpoint may yet fall back from https to http.
   */
  #connectAhead(registry: string, count: number): void {
    if (this.#maxConnections === undefined) return;
    try {
      const [session] = this.#sessionsFor(registry);
      const [scheme, ...others] = session?.endpoint.schemes ?? [];
      if (session === undefined || scheme === undefined || others.length > 0) return;
      this.#transport.preconnect(new URL(`${scheme}://${session.endpoint.host}`), Math.min(count, this.#maxConnections));
    } catch {
      // A registry without usable endpoints fails each of its resolves, which say why.
    }
  }

  #sessionsFor(registry: string): readonly RegistrySession[] {
    const key = canonicalRegistry(registry);
    let sessions = this.#sessions.get(key);
    if (sessions === undefined) {
      sessions = resolveEndpoints(registry, this.#mappings).map((endpoint) => this.#createSession(key, endpoint));
      this.#sessions.set(key, sessions);
    }
    return sessions;
  }

  #createSession(key: string, endpoint: Endpoint): RegistrySession {
    if (endpoint.caFile !== undefined || endpoint.skipTlsVerify === true) {
      this.#transport.trust(endpoint.host, { caFile: endpoint.caFile, skipVerify: endpoint.skipTlsVerify });
    }
    return new RegistrySession({
      transport: this.#transport,
      endpoint,
      tokens: this.#tokens,
      ping: () => this.#ping(endpoint),
      credentials: singleFlight(() => this.#lookupCredentials(endpoint)),
      log: this.#log,
      expectedScopes: () => this.#expected.get(key) ?? NO_SCOPES,
      planned: () => this.#whenPlanned(),
    });
  }

  /** Settles once no caller is announcing targets (see plan()); undefined when none is. */
  #whenPlanned(): Promise<void> | undefined {
    if (this.#openPlans === 0) return undefined;
    if (this.#planned === undefined) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#planned = { promise, resolve };
    }
    return this.#planned.promise;
  }

  /**
   * One ping per endpoint, shared by every resolve. A ping that failed has
   * already been retried, so its failure is kept for the run: 150 images on
   * an unreachable registry cost one failed ping, not 150 rounds of retries.
   */
  #ping(endpoint: Endpoint): Promise<PingResult> {
    const key = `${endpoint.schemes.join('+')}://${endpoint.host}`;
    let pending = this.#pings.get(key);
    if (pending === undefined) {
      pending = ping(this.#transport, endpoint);
      this.#pings.set(key, pending);
    }
    return pending;
  }

  async #lookupCredentials(endpoint: Endpoint): Promise<Credentials | undefined> {
    const found = await this.#credentials.lookup([endpoint.host, endpoint.registry]);
    // Say which kind was used and where from, never the values.
    this.#log(`${endpoint.host}: ${found === undefined ? 'anonymous' : `${found.credentials.kind} credentials from ${found.source}`}`);
    return found?.credentials;
  }
}

const NO_SCOPES: ReadonlySet<string> = new Set();

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
