import * as z from 'zod/mini';
import './schema.js';
import {
  AUTHORIZATION_BASIC,
  DEFAULT_TOKEN_TTL_SECONDS,
  GRANT_TYPE_REFRESH_TOKEN,
  HEADER_AUTHORIZATION,
  HEADER_CONTENT_TYPE,
  MAX_SMALL_BODY_BYTES,
  MEDIA_TYPE_FORM,
  OAUTH_CLIENT_ID,
  TOKEN_EXPIRY_MARGIN_SECONDS,
} from './constants.js';
import type { Credentials } from './docker-config.js';
import { RegistryError, responseError } from './errors.js';
import type { Transport } from './transport.js';

/** A token request: where to ask, for what, and with which credentials (undefined: anonymous). */
export interface TokenRequest {
  readonly realm: URL;
  readonly service?: string | undefined;
  /** Several scopes may share one token (docker token spec: `scope` may repeat). */
  readonly scopes: readonly string[];
  readonly credentials?: Credentials | undefined;
}

/** A bearer token and when to stop using it (epoch ms, margin already subtracted). */
export interface Token {
  readonly value: string;
  readonly expiresAt: number;
}

/** Token endpoint response (docker token spec `token.md` "Token Response Fields"; OAuth2 uses access_token). */
export const TokenResponse = z.object({
  token: z.optional(z.string()),
  access_token: z.optional(z.string()),
  expires_in: z.optional(z.number()),
});
/** Parsed token response. */
export type TokenResponse = z.infer<typeof TokenResponse>;

/** `Authorization: Basic …` for a username and password (RFC 7617 §2). */
export function basicAuthorization(username: string, password: string): string {
  return `${AUTHORIZATION_BASIC} ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Fetches a token from the realm. With a password (or anonymously) this is the docker token GET
 * (`token.md`, "Requesting a Token"); with an identity token it is the OAuth2 refresh-token POST
 * (`oauth.md`), since an identity token is a refresh token and must not be sent as a password.
 */
export async function fetchToken(transport: Transport, request: TokenRequest, now: () => number = Date.now): Promise<Token> {
  const { realm, service, scopes, credentials } = request;
  const started = now();
  let response;
  if (credentials?.kind === 'identity-token') {
    const form = new URLSearchParams({
      grant_type: GRANT_TYPE_REFRESH_TOKEN,
      refresh_token: credentials.token,
      client_id: OAUTH_CLIENT_ID,
    });
    if (service !== undefined) form.set('service', service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    response = await transport.request('POST', realm, { headers: { [HEADER_CONTENT_TYPE]: MEDIA_TYPE_FORM }, body: form.toString() });
  } else {
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> =
      credentials === undefined ? {} : { [HEADER_AUTHORIZATION]: basicAuthorization(credentials.username, credentials.password) };
    response = await transport.request('GET', url, { headers });
  }
  const { data, complete } = await response.read(MAX_SMALL_BODY_BYTES);
  if (response.status !== 200) {
    throw responseError({ method: response.method, status: response.status, host: response.host, body: data, token: true });
  }
  const where = `(${response.method} ${response.status} from ${response.host})`;
  if (!complete) throw new RegistryError('ERR_REGISTRY_RESPONSE', `token response larger than ${MAX_SMALL_BODY_BYTES} bytes ${where}`);
  const parsed = parseTokenResponse(data);
  const value = parsed?.token || parsed?.access_token;
  if (parsed === undefined || !value) {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `token response has no token or access_token ${where}`);
  }
  // token.md: a missing expires_in means 60 s, and clients should assume at least 60 s.
  const ttl = Math.max(parsed.expires_in ?? DEFAULT_TOKEN_TTL_SECONDS, DEFAULT_TOKEN_TTL_SECONDS);
  return { value, expiresAt: started + (ttl - TOKEN_EXPIRY_MARGIN_SECONDS) * 1000 };
}

function parseTokenResponse(data: Buffer): TokenResponse | undefined {
  try {
    const result = TokenResponse.safeParse(JSON.parse(data.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

interface CacheEntry {
  readonly promise: Promise<Token>;
  /** Fetched for more scopes than the caller's own; on failure each caller falls back to its own scope. */
  readonly batched: boolean;
  token?: Token;
}

/** A token handed out by the cache; `reused` says it was fetched by an earlier call or for a batch, and may not do. */
export interface CachedToken {
  readonly value: string;
  readonly reused: boolean;
}

/**
 * Tokens keyed by (partition, realm, service, sorted scopes), kept until they expire. Concurrent
 * callers share one in-flight fetch, so N concurrent resolves of one repository cost one token
 * request. The partition separates credentials (the client uses the registry), so two registries
 * sharing a realm never share a token obtained with the other's password.
 *
 * A caller may name a batch: scopes to ask for in the same request (docker token spec: `scope` may
 * repeat). The token is then cached under each of them, so resolves of the other repositories find
 * it in flight or cached. Should the batch fetch fail for good (a server refusing one of the scopes),
 * each caller asks again for its own scope alone.
 */
export class TokenCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #fetch: (request: TokenRequest) => Promise<Token>;
  readonly #now: () => number;

  constructor(fetch: (request: TokenRequest) => Promise<Token>, now: () => number = Date.now) {
    this.#fetch = fetch;
    this.#now = now;
  }

  /**
   * Returns a valid token for the request's scopes, fetching one when none is cached or in flight;
   * `batch` (each a single scope) is asked for along with them. Entries are registered before this
   * returns, so a caller that starts a batch and then others that look for its scopes share one fetch.
   */
  get(partition: string, request: TokenRequest, batch: readonly string[] = []): Promise<CachedToken> {
    const key = cacheKey(partition, request);
    const existing = this.#entries.get(key);
    if (existing !== undefined && (existing.token === undefined || existing.token.expiresAt > this.#now())) {
      return this.#reuse(existing, key, partition, request);
    }
    return this.#fresh(this.#start(key, partition, request, batch), key, partition, request);
  }

  /**
   * Starts the fetch {@link get} would start (or finds it cached or in flight) and resolves when it
   * settles, success or not. Unlike `get` it never falls back to a fetch of its own scope: that is
   * left to the `get` that follows, so a failing realm costs no extra requests.
   */
  prefetch(partition: string, request: TokenRequest, batch: readonly string[] = []): Promise<void> {
    const key = cacheKey(partition, request);
    const entry = this.#isUsable(key) ? this.#entries.get(key) : this.#start(key, partition, request, batch);
    return (entry?.promise ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  /** True when a valid token for the request is cached or being fetched. */
  has(partition: string, request: TokenRequest): boolean {
    return this.#isUsable(cacheKey(partition, request));
  }

  /** Forgets `value` if it is still the cached token for the request (a registry rejected it). */
  invalidate(partition: string, request: TokenRequest, value: string): void {
    const key = cacheKey(partition, request);
    if (this.#entries.get(key)?.token?.value === value) this.#entries.delete(key);
  }

  async #reuse(entry: CacheEntry, key: string, partition: string, request: TokenRequest): Promise<CachedToken> {
    const token = await this.#settle(entry, key, partition, request);
    if (token.expiresAt > this.#now()) return { value: token.value, reused: true };
    return this.#fresh(this.#start(key, partition, request, []), key, partition, request);
  }

  async #fresh(entry: CacheEntry, key: string, partition: string, request: TokenRequest): Promise<CachedToken> {
    // A batch token may lack this scope (a server can grant part of a request): treat it like a reused one,
    // so a 401 insufficient_scope gets one refresh, which asks for this scope alone.
    return { value: (await this.#settle(entry, key, partition, request)).value, reused: entry.batched };
  }

  async #settle(entry: CacheEntry, key: string, partition: string, request: TokenRequest): Promise<Token> {
    try {
      return await entry.promise;
    } catch (error) {
      if (!entry.batched || (error instanceof RegistryError && error.temporary)) throw error;
      return this.#start(key, partition, request, []).promise;
    }
  }

  #start(key: string, partition: string, request: TokenRequest, batch: readonly string[]): CacheEntry {
    const current = this.#entries.get(key);
    // Another caller may have started a refresh while this one waited: share it.
    if (current !== undefined && current.token === undefined) return current;
    // Batch scopes that already have a token (or a fetch) of their own are not asked for again.
    const extra = batch.filter((scope) => !request.scopes.includes(scope) && !this.#isUsable(scopeKey(partition, request, scope)));
    const keys = [key, ...extra.map((scope) => scopeKey(partition, request, scope))];
    const scopes = [...request.scopes, ...extra];
    const promise = this.#fetch({ ...request, scopes });
    const entry: CacheEntry = { promise, batched: scopes.length > request.scopes.length };
    for (const k of keys) this.#entries.set(k, entry);
    promise.then(
      (token) => {
        entry.token = token;
      },
      () => {
        // A failed fetch is not cached: the next resolve asks again.
        for (const k of keys) if (this.#entries.get(k) === entry) this.#entries.delete(k);
      },
    );
    return entry;
  }

  /** A token is cached and valid, or being fetched, under `key`. */
  #isUsable(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && (entry.token === undefined || entry.token.expiresAt > this.#now());
  }
}

function scopeKey(partition: string, request: TokenRequest, scope: string): string {
  return cacheKey(partition, { ...request, scopes: [scope] });
}

function cacheKey(partition: string, request: TokenRequest): string {
  return JSON.stringify([partition, request.realm.href, request.service ?? null, [...request.scopes].sort()]);
}
