import { readFileSync } from 'node:fs';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { loadCaCertificates } from './ca-certificates.js';
import { HEADER_USER_AGENT } from './constants.js';
import { isLoopbackHost } from './endpoint.js';
import { networkError } from './errors.js';

/** Settings shared by every request of one client. */
export interface TransportOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
  readonly userAgent: string;
}

/** Headers and body of one outgoing request. */
export interface RequestInit {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * The bottom layer: pooled keep-alive connections, proxies from the environment, extra CAs,
 * a per-request deadline, the User-Agent and a debug log line per request. It knows nothing of
 * auth; a failure to get any response becomes an ERR_REGISTRY_UNAVAILABLE RegistryError.
 */
export class Transport {
  readonly #options: TransportOptions;
  #dispatchers: Promise<{ proxied: Dispatcher; direct: Dispatcher }> | undefined;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /** Sends one request; the caller must read or discard the returned body so the socket is reused. */
  async request(method: string, url: URL, init: RequestInit = {}): Promise<HttpResponse> {
    const { timeoutMs, log, userAgent } = this.#options;
    const where = `${method} ${url.origin}${url.pathname}${url.search}`;
    const dispatchers = await this.#getDispatchers();
    // Go's ProxyFromEnvironment never proxies loopback; docker and crane users rely on that for local registries.
    const dispatcher = isLoopbackHost(url.host) ? dispatchers.direct : dispatchers.proxied;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(url, {
        dispatcher,
        method: method as Dispatcher.HttpMethod,
        headers: { [HEADER_USER_AGENT]: userAgent, ...init.headers },
        body: init.body ?? null,
        signal,
      });
      log(`${where} -> ${response.statusCode}`);
      return new HttpResponse(method, url, response.statusCode, response.headers, response.body, timeoutMs);
    } catch (error) {
      const failure = networkError(method, url, signal.aborted ? signal.reason : error, timeoutMs);
      log(failure.message);
      throw failure;
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    const dispatchers = this.#dispatchers;
    this.#dispatchers = undefined;
    if (dispatchers === undefined) return;
    const { proxied, direct } = await dispatchers.catch(() => ({ proxied: undefined, direct: undefined }));
    await Promise.all([proxied?.close(), direct?.close()]);
  }

  /** Built on first use, because reading CA files is I/O and a client that never connects should not fail. */
  #getDispatchers(): Promise<{ proxied: Dispatcher; direct: Dispatcher }> {
    this.#dispatchers ??= this.#createDispatchers();
    return this.#dispatchers;
  }

  async #createDispatchers(): Promise<{ proxied: Dispatcher; direct: Dispatcher }> {
    const { env, timeoutMs, log } = this.#options;
    const ca = await loadCaCertificates(env, log);
    const tls = ca === undefined ? {} : { ca };
    const common = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { ...tls, timeout: timeoutMs } };
    // Proxy settings come from options.env, not process.env; '' stops undici from reading process.env itself.
    const proxied = new EnvHttpProxyAgent({
      ...common,
      httpProxy: env['http_proxy'] ?? env['HTTP_PROXY'] ?? '',
      httpsProxy: env['https_proxy'] ?? env['HTTPS_PROXY'] ?? '',
      noProxy: env['no_proxy'] ?? env['NO_PROXY'] ?? '',
      requestTls: tls,
      proxyTls: tls,
    });
    return { proxied, direct: new Agent(common) };
  }
}

type ResponseBody = Dispatcher.ResponseData['body'];

/** A response whose body is read with a bound, or discarded. */
export class HttpResponse {
  readonly #body: ResponseBody;
  readonly #headers: Dispatcher.ResponseData['headers'];
  readonly #timeoutMs: number;

  constructor(
    readonly method: string,
    readonly url: URL,
    readonly status: number,
    headers: Dispatcher.ResponseData['headers'],
    body: ResponseBody,
    timeoutMs: number,
  ) {
    this.#headers = headers;
    this.#body = body;
    this.#timeoutMs = timeoutMs;
  }

  /** The registry host, for messages. */
  get host(): string {
    return this.url.host;
  }

  /** All values of a header (lowercase name), e.g. several `WWW-Authenticate` lines. */
  headerValues(name: string): string[] {
    const value = this.#headers[name];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  /** The first value of a header (lowercase name). */
  header(name: string): string | undefined {
    return this.headerValues(name)[0];
  }

  /** Drains the body so the connection returns to the pool; a body too large to drain closes the socket instead. */
  async discard(): Promise<void> {
    await this.#body.dump().catch(() => undefined);
  }

  /** Reads at most `limit` bytes; `complete` is false when the body was longer (the rest is discarded). */
  async read(limit: number): Promise<{ data: Buffer; complete: boolean }> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.#body) {
        const buffer = chunk as Buffer;
        if (size + buffer.length > limit) {
          chunks.push(buffer.subarray(0, limit - size));
          this.#body.destroy();
          return { data: Buffer.concat(chunks), complete: false };
        }
        chunks.push(buffer);
        size += buffer.length;
      }
    } catch (error) {
      throw networkError(this.method, this.url, error, this.#timeoutMs);
    }
    return { data: Buffer.concat(chunks), complete: true };
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
