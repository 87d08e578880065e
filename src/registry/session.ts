import { parseChallenges, selectChallenge, type Challenge } from './challenge.js';
import {
  AUTHORIZATION_BEARER,
  BEARER_RETRY_ERRORS,
  HEADER_AUTHORIZATION,
  HEADER_WWW_AUTHENTICATE,
  SCHEME_BASIC,
  SCHEME_BEARER,
} from './constants.js';
import type { Credentials } from './docker-config.js';
import { canonicalRegistry, type Endpoint } from './endpoint.js';
import { RegistryError } from './errors.js';
import type { PingResult } from './ping.js';
import { basicAuthorization, type TokenCache, type TokenRequest } from './token.js';
import type { HttpResponse, RequestInit, Transport } from './transport.js';

/** What a session needs from the client: shared layers, passed in so sessions hold no global state. */
export interface SessionOptions {
  readonly transport: Transport;
  readonly endpoint: Endpoint;
  readonly tokens: TokenCache;
  /** Single-flight ping of the endpoint. */
  readonly ping: () => Promise<PingResult>;
  /** Credentials for the endpoint; called only when a challenge asks for them. */
  readonly credentials: () => Promise<Credentials | undefined>;
  readonly log: (message: string) => void;
}

/** A request to send with authorization for one scope. */
export interface SessionRequest extends RequestInit {
  /** Token scope, e.g. `repository:library/nginx:pull` (docker token spec `scope.md`). */
  readonly scope: string;
}

interface Authorization {
  readonly header?: string;
  /** Set when a bearer token came from the cache, so a rejection may be answered by one refresh. */
  readonly reused?: { readonly request: TokenRequest; readonly value: string };
}

/**
 * Authenticated requests to one registry: the auth layer over the transport.
 * The ping decides the scheme and the challenge: Basic sends credentials on each request, Bearer
 * trades them for a scoped token at the realm. A 401 is answered at most once: by adopting the
 * challenge when the ping had none, or by refreshing a cached token the registry calls
 * `invalid_token`/`insufficient_scope` (RFC 6750 §3.1). Other 401s go back to the caller.
 */
export class RegistrySession {
  readonly #options: SessionOptions;
  // Tokens are shared only between requests that would use the same credentials.
  readonly #partition: string;
  #challenge: Challenge | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#partition = `${options.endpoint.host} ${canonicalRegistry(options.endpoint.registry)}`;
  }

  /** The endpoint this session talks to. */
  get endpoint(): Endpoint {
    return this.#options.endpoint;
  }

  /** Sends `method path` with authorization; the caller reads or discards the response. */
  async send(method: string, path: string, request: SessionRequest): Promise<HttpResponse> {
    const { origin, challenge } = await this.#options.ping();
    this.#challenge ??= challenge;
    const url = new URL(path, origin);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.#authorize(request.scope);
      const headers = { ...request.headers };
      if (authorization.header !== undefined) headers[HEADER_AUTHORIZATION] = authorization.header;
      const init = request.body === undefined ? { headers } : { headers, body: request.body };
      const response = await this.#options.transport.request(method, url, init);
      if (response.status !== 401 || attempt > 0) return response;

      const offered = selectChallenge(parseChallenges(response.headerValues(HEADER_WWW_AUTHENTICATE).join(', ')));
      if (this.#challenge === undefined && offered !== undefined) {
        // Anonymous ping, but this repository wants auth (some registries only challenge per repository).
        this.#challenge = offered;
      } else if (authorization.reused !== undefined && BEARER_RETRY_ERRORS.includes(offered?.params['error'] ?? '')) {
        // The next attempt's #authorize then fetches a fresh token.
        this.#options.tokens.invalidate(this.#partition, authorization.reused.request, authorization.reused.value);
      } else {
        return response;
      }
      await response.discard();
    }
  }

  async #authorize(scope: string): Promise<Authorization> {
    const challenge = this.#challenge;
    if (challenge === undefined) return {};
    if (challenge.scheme === SCHEME_BASIC) {
      const credentials = await this.#options.credentials();
      if (credentials?.kind === 'basic') return { header: basicAuthorization(credentials.username, credentials.password) };
      if (credentials !== undefined) this.#options.log(`${this.endpoint.host}: basic auth cannot use an identity token; going anonymous`);
      return {};
    }
    if (challenge.scheme !== SCHEME_BEARER) return {};
    const tokenRequest: TokenRequest = {
      realm: this.#realm(challenge),
      service: challenge.params['service'],
      scopes: [scope],
      credentials: await this.#options.credentials(),
    };
    const token = await this.#options.tokens.get(this.#partition, tokenRequest);
    const header = `${AUTHORIZATION_BEARER} ${token.value}`;
    return token.reused ? { header, reused: { request: tokenRequest, value: token.value } } : { header };
  }

  /** The token realm, which must be HTTPS unless plain HTTP is allowed for this registry anyway. */
  #realm(challenge: Challenge): URL {
    const realm = challenge.params['realm'];
    const host = this.endpoint.host;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryError('ERR_REGISTRY_AUTH', `bearer challenge from ${host} has no valid realm: ${JSON.stringify(realm ?? '')}`);
    }
    if (url.protocol === 'https:' || (url.protocol === 'http:' && this.endpoint.insecure)) return url;
    // Credentials sent to a plain-HTTP realm would cross the network in clear text.
    throw new RegistryError(
      'ERR_REGISTRY_AUTH',
      `refusing token realm ${url.origin}${url.pathname} from ${host}: only https is allowed for a registry that is not loopback or insecure`,
    );
  }
}
