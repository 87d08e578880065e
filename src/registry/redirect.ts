import { HEADER_AUTHORIZATION, HEADER_LOCATION, MAX_REDIRECTS, REDIRECT_STATUSES } from './constants.js';
import { isLoopbackHost } from './endpoint.js';
import { RegistryError } from './errors.js';
import type { HttpResponse } from './http-response.js';
import type { RequestInit } from './transport.js';

/** Sends one request without following anything. */
export type Send = (method: string, url: URL, init: RequestInit) => Promise<HttpResponse>;

// Only reads are followed: a POST to a token realm that redirects is reported, not replayed elsewhere.
const FOLLOWED_METHODS = new Set(['GET', 'HEAD']);

/**
 * Follows up to 5 redirects (301, 302, 303, 307, 308) of a GET or HEAD; registries send them to
 * storage backends and CDNs. The method stays as it is (RFC 9110 §15.4.4: after a 303 a HEAD stays a
 * HEAD, a GET stays a GET). A relative Location resolves against the URL that sent it (RFC 9110 §10.2.2).
 *
 * Authorization is dropped for good once a hop crosses origins (scheme, host and port differ), as
 * sigstore-js and Go's client do: a registry's credentials must not reach the storage it redirects to.
 * A redirect from https to plain http is refused, except to a loopback host.
 */
export async function followRedirects(send: Send, method: string, url: URL, init: RequestInit): Promise<HttpResponse> {
  let current = url;
  let headers = init.headers;
  for (let hops = 0; ; hops++) {
    const response = await send(method, current, headers === undefined ? withoutHeaders(init) : { ...init, headers });
    if (!FOLLOWED_METHODS.has(method) || !REDIRECT_STATUSES.includes(response.status)) return response;
    const location = response.header(HEADER_LOCATION);
    // A 3xx without Location is not a redirect anyone can follow; the caller reports its status.
    if (location === undefined) return response;
    await response.discard();
    const where = `${method} ${response.status} from ${response.host}`;
    if (hops >= MAX_REDIRECTS) {
      throw new RegistryError('ERR_REGISTRY_RESPONSE', `more than ${MAX_REDIRECTS} redirects, starting at ${url.origin}${url.pathname} (${where})`, {
        status: response.status,
      });
    }
    const next = redirectTarget(location, current, where, response.status);
    if (next.origin !== current.origin) headers = withoutAuthorization(headers);
    current = next;
  }
}

function redirectTarget(location: string, current: URL, where: string, status: number): URL {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `redirect to an invalid location (${where})`, { status });
  }
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `refusing redirect to a ${next.protocol} url (${where})`, { status });
  }
  if (current.protocol === 'https:' && next.protocol === 'http:' && !isLoopbackHost(next.host)) {
    throw new RegistryError('ERR_REGISTRY_RESPONSE', `refusing redirect from https to ${next.origin} (${where})`, { status });
  }
  return next;
}

function withoutAuthorization(headers: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== HEADER_AUTHORIZATION));
}

function withoutHeaders(init: RequestInit): RequestInit {
  const { headers: _dropped, ...rest } = init;
  return rest;
}
