import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { Agent, buildConnector, EnvHttpProxyAgent } from './undici.js';
import { abortError } from './abort.js';
import { loadCaCertificates } from './ca-certificates.js';
import { HEADER_USER_AGENT } from './constants.js';
import { isLoopbackHost } from './endpoint.js';
import { networkError, RegistryError } from './errors.js';
import { HttpResponse } from './http-response.js';
import { bypassesProxy } from './no-proxy.js';
import { Preconnector } from './preconnect.js';
import { followRedirects } from './redirect.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';

export { HttpResponse } from './http-response.js';

/** Settings shared by every request of one client. */
export interface TransportOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
  readonly userAgent: string;
  /** Default: 4 attempts, 0.5 s backoff base, 10 s cap. */
  readonly retry?: RetryPolicy;
  /** Connections kept per origin; a request that finds them all busy waits for one. Default: no limit. */
  readonly maxConnectionsPerOrigin?: number;
}

/** Headers, body and cancellation of one outgoing request. */
export interface RequestInit {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The caller's deadline: aborting it ends the request, its retries and its backoff waits at once. */
  readonly signal?: AbortSignal | undefined;
}

/** What a registry host's TLS connections trust beyond the defaults. */
export interface HostTrust {
  /** PEM files of extra CAs for this host. */
  readonly caFile?: string | undefined;
  /** An `insecure` registry: https without certificate verification, as docker does for insecure registries. */
  readonly skipVerify?: boolean | undefined;
}

interface Dispatchers {
  readonly proxied: Dispatcher;
  readonly direct: Dispatcher;
  /** Every direct connection of both dispatchers is made through it. */
  readonly preconnector: Preconnector;
}

interface TrustProfile {
  readonly caFiles: readonly string[];
  readonly skipVerify: boolean;
}

const DEFAULT_PROFILE: TrustProfile = { caFiles: [], skipVerify: false };

/**
 * The bottom layers, composed in {@link Transport.request}: retries (outermost) around redirects around
 * one HTTP exchange. An exchange has pooled keep-alive connections, proxies from the environment, the
 * CAs trusted for its host, a per-request timeout, the User-Agent and a debug log line. It knows nothing
 * of auth; a failure to get any response becomes an ERR_REGISTRY_UNAVAILABLE RegistryError.
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #retry: RetryPolicy;
  readonly #trust = new Map<string, TrustProfile>();
  readonly #dispatchers = new Map<string, Promise<Dispatchers>>();
  // Aborted by close(): shared work (pings, token fetches) has no caller signal, but must not outlive the client.
  readonly #closing = new AbortController();

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** Adds trust for the https connections to `host` (host[:port]); several calls for one host add up. */
  trust(host: string, trust: HostTrust): void {
    const key = trustKey(host);
    const current = this.#trust.get(key) ?? DEFAULT_PROFILE;
    const caFiles = trust.caFile === undefined || current.caFiles.includes(trust.caFile) ? current.caFiles : [...current.caFiles, trust.caFile];
    this.#trust.set(key, { caFiles, skipVerify: current.skipVerify || trust.skipVerify === true });
  }

  /**
   * Sends a request, following redirects and retrying temporary failures; the caller must read or
   * discard the returned body so the socket is reused.
   */
  async request(method: string, url: URL, init: RequestInit = {}): Promise<HttpResponse> {
    const closing = this.#closing.signal;
    const signal = init.signal === undefined ? closing : AbortSignal.any([init.signal, closing]);
    const scoped = { ...init, signal };
    const context = { method, url, signal, log: this.#options.log };
    return withRetries(this.#retry, context, () => followRedirects((m, u, i) => this.#send(m, u, i), method, url, scoped));
  }

  /**
   * Opens connections to `origin` ahead of need, until `count` are open or opening, so requests sent
   * soon do not each wait for a handshake. Only where requests connect directly: through a proxy a
   * connection is a tunnel the proxy opens per request.
   */
  preconnect(origin: URL, count: number): void {
    if (!connectsDirectly(origin, this.#options.env)) return;
    this.#dispatchersFor(origin).then(
      (dispatchers) => dispatchers.preconnector.open(origin, count),
      () => undefined, // the first request reports an unreadable CA file
    );
  }

  /** Aborts whatever is in flight and closes pooled connections; the transport must not be used afterwards. */
  async close(): Promise<void> {
    this.#closing.abort(new RegistryError('ERR_ABORTED', 'registry client closed', { temporary: false }));
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    const settled = await Promise.allSettled(all);
    for (const s of settled) if (s.status === 'fulfilled') s.value.preconnector.close();
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? Promise.all([s.value.proxied.close(), s.value.direct.close()]) : undefined)));
  }

  /** One HTTP exchange. */
  async #send(method: string, url: URL, init: RequestInit): Promise<HttpResponse> {
    const { timeoutMs, log, userAgent } = this.#options;
    const where = `${method} ${url.origin}${url.pathname}${loggableQuery(url)}`;
    const { signal } = init;
    if (signal?.aborted) throw abortError(signal);
    const dispatchers = await this.#dispatchersFor(url);
    // Go's ProxyFromEnvironment never proxies loopback; docker and crane users rely on that for local registries.
    const dispatcher = isLoopbackHost(url.host) ? dispatchers.direct : dispatchers.proxied;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers: { [HEADER_USER_AGENT]: userAgent, ...init.headers },
        body: init.body ?? null,
        // undici closes the connection after every HEAD (in case a server sends a body anyway) unless
        // told not to. Registries are HTTP/1.1-compliant, and Go clients (docker, crane) keep these
        // connections; a new one per HEAD costs a TCP and TLS handshake on every manifest request.
        reset: false,
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
      log(`${where} -> ${response.statusCode}`);
      return new HttpResponse(method, url, response.statusCode, response.headers, response.body, timeoutMs, signal);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      const failure = networkError(method, url, timeout.aborted ? timeout.reason : error, timeoutMs);
      log(failure.message);
      throw failure;
    }
  }

  /** Built on first use per trust profile, because reading CA files is I/O and a client that never connects should not fail. */
  #dispatchersFor(url: URL): Promise<Dispatchers> {
    const profile = url.protocol === 'https:' ? (this.#trust.get(trustKey(url.host)) ?? DEFAULT_PROFILE) : DEFAULT_PROFILE;
    const key = JSON.stringify(profile);
    let dispatchers = this.#dispatchers.get(key);
    if (dispatchers === undefined) {
      dispatchers = this.#createDispatchers(profile);
      this.#dispatchers.set(key, dispatchers);
      // An unreadable CA file is reported to each request, and read again next time (it may have been fixed).
      dispatchers.catch(() => {
        if (this.#dispatchers.get(key) === dispatchers) this.#dispatchers.delete(key);
      });
    }
    return dispatchers;
  }

  async #createDispatchers(profile: TrustProfile): Promise<Dispatchers> {
    const { env, timeoutMs, log, maxConnectionsPerOrigin } = this.#options;
    const ca = await loadCaCertificates(env, log, profile.caFiles);
    const tls = { ...(ca === undefined ? {} : { ca }), ...(profile.skipVerify ? { rejectUnauthorized: false } : {}) };
    // The connector undici would build from these options, wrapped to hand out connections opened ahead.
    const preconnector = new Preconnector(buildConnector({ ...tls, timeout: timeoutMs }));
    // undici frees a connection a tick after its response, so without a cap a caller that sends its
    // next request at once opens another: 45 connections for 16 requests in flight, measured. On a real
    // network each costs a TCP and TLS handshake.
    const common = {
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: maxConnectionsPerOrigin ?? null,
      connect: preconnector.connector,
    };
    // Proxy settings come from options.env, not process.env; '' stops undici from reading process.env itself.
    const proxied = new EnvHttpProxyAgent({
      ...common,
      httpProxy: env['http_proxy'] ?? env['HTTP_PROXY'] ?? '',
      httpsProxy: env['https_proxy'] ?? env['HTTPS_PROXY'] ?? '',
      noProxy: env['no_proxy'] ?? env['NO_PROXY'] ?? '',
      requestTls: tls,
      // The proxy's own certificate is checked against the shared trust, never skipped.
      proxyTls: ca === undefined ? {} : { ca },
    });
    return { proxied, direct: new Agent(common), preconnector };
  }
}

/**
 * Whether requests to `url` connect to it directly, as #send routes them: loopback always; any other
 * host unless a proxy is set for its scheme and NO_PROXY does not exempt the host.
 */
export function connectsDirectly(url: URL, env: NodeJS.ProcessEnv): boolean {
  if (isLoopbackHost(url.host)) return true;
  const proxy = url.protocol === 'https:' ? (env['https_proxy'] ?? env['HTTPS_PROXY']) : (env['http_proxy'] ?? env['HTTP_PROXY']);
  return proxy === undefined || proxy === '' || bypassesProxy(url, env['no_proxy'] ?? env['NO_PROXY'] ?? '');
}

// The token request's query (service, scope) helps debugging; any other query may be a signed redirect
// URL (S3, CDNs), whose signature is a credential and must not reach the log.
const LOGGABLE_PARAMS = new Set(['service', 'scope']);

function loggableQuery(url: URL): string {
  if (url.search === '') return '';
  return [...url.searchParams.keys()].every((name) => LOGGABLE_PARAMS.has(name)) ? url.search : '?…';
}

/** `registry.example:443` and `registry.example` are one https origin. */
function trustKey(host: string): string {
  try {
    return new URL(`https://${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

/** `digester/<version>` from the package's own package.json, found relative to this module. */
export function defaultUserAgent(): string {
  try {
    // Compiled to dist/src/registry/, so the package root is three levels up (as in an installed package).
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
    return typeof version === 'string' ? `digester/${version}` : 'digester';
  } catch {
    return 'digester';
  }
}
