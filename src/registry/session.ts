import { raceAbort } from './abort.js';
import { parseChallenges, selectChallenge, type Challenge } from './challenge.js';
import {
  AUTHORIZATION_BEARER,
  BEARER_RETRY_ERRORS,
  HEADER_AUTHORIZATION,
  HEADER_WWW_AUTHENTICATE,
  MAX_SCOPES_PER_TOKEN,
  SCHEME_BASIC,
  SCHEME_BEARER,
} from './constants.js';
import type { Credentials } from './docker-config.js';
import { canonicalRegistry, type Endpoint } from './endpoint.js';
import type { HttpResponse } from './http-response.js';
import type { PingResult } from './ping.js';
import { checkRealm } from './realm.js';
import { basicAuthorization, type TokenCache, type TokenRequest } from './token.js';
import type { RequestInit, Transport } from './transport.js';

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
  /** Scopes the client expects to need for this registry (RegistryClient.expect); the first token asks for them all. */
  readonly expectedScopes?: () => ReadonlySet<string>;
  /** Settles once every expected scope is announced (RegistryClient.plan), undefined if they are; token requests wait for it. */
  readonly planned?: () => Promise<void> | undefined;
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
  // Expected scopes already asked for in a batch: a later token for them is asked for alone.
  readonly #batched = new Set<string>();
  // How many expected scopes #prefetchExpected has seen: the set only grows, so it looks again only when it did.
  #prefetched = 0;
  #challenge: Challenge | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#partition = `${options.endpoint.host} ${canonicalRegistry(options.endpoint.registry)}`;
  }

  /** The endpoint this session talks to. */
  get endpoint(): Endpoint {
    return this.#options.endpoint;
  }

  /**
   * Does the work every request to this registry shares, without sending one: the ping and, for a
   * Bearer challenge, the token batch holding `scope` (with the other expected scopes' batches in the
   * same round). Never rejects: a failure is met again, and reported, by the request that follows.
   * The resolver waits for this outside its concurrency limit, so requests waiting for a token do not
   * hold slots that requests to a ready registry could use.
   */
  async prepare(scope: string, signal?: AbortSignal): Promise<void> {
    try {
      const { challenge } = await raceAbort(this.#options.ping(), signal);
      this.#challenge ??= challenge;
      const request = await this.#tokenRequest(scope, signal);
      if (request === undefined) return;
      // As #authorize: a token cached or in flight is waited for, else the batch holding `scope` is started.
      const own = this.#options.tokens.prefetch(this.#partition, request, this.#batchFor(request, scope));
      this.#prefetchExpected(request);
      await raceAbort(own, signal);
    } catch {
      // The request that follows meets the same failure and reports it.
    }
  }

  /**
   * Sends `method path` with authorization; the caller reads or discards the response. The ping,
   * credentials and tokens are shared with other requests, so `request.signal` stops this request
   * waiting for them rather than aborting them.
   */
  async send(method: string, path: string, request: SessionRequest): Promise<HttpResponse> {
    const { signal } = request;
    const { origin, challenge } = await raceAbort(this.#options.ping(), signal);
    this.#challenge ??= challenge;
    const url = new URL(path, origin);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.#authorize(request.scope, signal);
      const headers = { ...request.headers };
      if (authorization.header !== undefined) headers[HEADER_AUTHORIZATION] = authorization.header;
      const init = { headers, signal, ...(request.body === undefined ? {} : { body: request.body }) };
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

  async #authorize(scope: string, signal: AbortSignal | undefined): Promise<Authorization> {
    const challenge = this.#challenge;
    if (challenge === undefined) return {};
    if (challenge.scheme === SCHEME_BASIC) {
      const credentials = await raceAbort(this.#options.credentials(), signal);
      if (credentials?.kind === 'basic') return { header: basicAuthorization(credentials.username, credentials.password) };
      if (credentials !== undefined) this.#options.log(`${this.endpoint.host}: basic auth cannot use an identity token; going anonymous`);
      return {};
    }
    const tokenRequest = await this.#tokenRequest(scope, signal);
    if (tokenRequest === undefined) return {};
    // No await between choosing the batch and registering it in the cache: concurrent resolves of the
    // batch's other repositories must find its fetch in flight.
    const pending = this.#options.tokens.get(this.#partition, tokenRequest, this.#batchFor(tokenRequest, scope));
    this.#prefetchExpected(tokenRequest);
    const token = await raceAbort(pending, signal);
    const header = `${AUTHORIZATION_BEARER} ${token.value}`;
    return token.reused ? { header, reused: { request: tokenRequest, value: token.value } } : { header };
  }

  /** The token request for `scope` under a Bearer challenge; undefined under any other. */
  async #tokenRequest(scope: string, signal: AbortSignal | undefined): Promise<TokenRequest | undefined> {
    const challenge = this.#challenge;
    if (challenge?.scheme !== SCHEME_BEARER) return undefined;
    const realm = checkRealm(challenge, this.endpoint);
    const credentials = await raceAbort(this.#options.credentials(), signal);
    // A caller still announcing targets: the first token request waits to ask for all their scopes.
    const planned = this.#options.planned?.();
    if (planned !== undefined) await raceAbort(planned, signal);
    return { realm, service: challenge.params['service'], scopes: [scope], credentials };
  }

  /**
   * Starts a token fetch for every expected scope not yet asked for, 50 to a request, so a registry
   * with more repositories than one request may name still costs one round trip of token requests.
   */
  #prefetchExpected(like: TokenRequest): void {
    const expected = this.#options.expectedScopes?.();
    if (expected === undefined || expected.size === this.#prefetched) return;
    this.#prefetched = expected.size;
    for (const scope of expected) {
      if (this.#batched.has(scope)) continue;
      const request = { ...like, scopes: [scope] };
      if (this.#options.tokens.has(this.#partition, request)) continue;
      const batch = this.#takeBatch(scope);
      this.#batched.add(scope);
      void this.#options.tokens.prefetch(this.#partition, request, batch);
    }
  }

  /** The scopes to fetch along with `request`'s: none when its token is cached or in flight already. */
  #batchFor(request: TokenRequest, scope: string): string[] {
    return this.#options.tokens.has(this.#partition, request) ? [] : this.#takeBatch(scope);
  }

  /**
   * The expected scopes to ask for along with `scope` in its first token request, at most 50 in all;
   * none when `scope` was already part of a batch (its refresh asks for it alone).
   */
  #takeBatch(scope: string): string[] {
    if (this.#batched.has(scope) || this.#options.expectedScopes === undefined) return [];
    const batch = [scope];
    for (const expected of this.#options.expectedScopes()) {
      if (batch.length >= MAX_SCOPES_PER_TOKEN) break;
      if (!this.#batched.has(expected) && expected !== scope) batch.push(expected);
    }
    if (batch.length === 1) return [];
    for (const s of batch) this.#batched.add(s);
    return batch;
  }
}
