import { parseChallenges, selectChallenge, type Challenge } from './challenge.js';
import { API_ROOT, HEADER_WWW_AUTHENTICATE, MAX_SMALL_BODY_BYTES } from './constants.js';
import type { Endpoint } from './endpoint.js';
import { isCertificateError, isNetworkError, RegistryError, responseError } from './errors.js';
import type { Transport } from './transport.js';

/** What `GET /v2/` taught about an endpoint: the scheme that works and how it wants to be authenticated. */
export interface PingResult {
  /** Origin of the API, e.g. `https://registry-1.docker.io`. */
  readonly origin: string;
  /** The challenge to answer; undefined when the registry allows anonymous access. */
  readonly challenge: Challenge | undefined;
}

/**
 * Pings the API root (distribution spec "Determining support", `GET /v2/`): 200 means anonymous,
 * 401 carries the `WWW-Authenticate` challenge.
 *
 * For loopback and insecure registries this does what docker does: try HTTPS, and when the TLS
 * handshake fails (or the peer speaks plain HTTP) try HTTP. An HTTPS server that answers plain HTTP
 * with 400 is not a registry, so only 200 and 401 count as success. When both fail, the HTTPS error
 * is reported if it was a certificate problem (the likely fix), else the HTTP one.
 */
export async function ping(transport: Transport, endpoint: Endpoint): Promise<PingResult> {
  let httpsFailure: RegistryError | undefined;
  let lastFailure: RegistryError | undefined;
  for (const scheme of endpoint.schemes) {
    const origin = `${scheme}://${endpoint.host}`;
    try {
      return await pingOrigin(transport, origin);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      // A response over HTTPS proves the peer speaks TLS: falling back to HTTP would not help. Nor would
      // it when no connection was even tried (an unreadable CA file is a configuration error to report).
      if (scheme === 'https' && (error.status !== undefined || !isNetworkError(error))) throw error;
      if (scheme === 'https') httpsFailure = error;
      lastFailure = error;
    }
  }
  if (httpsFailure !== undefined && isCertificateError(httpsFailure.cause)) throw httpsFailure;
  throw lastFailure ?? new RegistryError('ERR_REGISTRY_UNAVAILABLE', `no scheme to reach ${endpoint.host}`);
}

async function pingOrigin(transport: Transport, origin: string): Promise<PingResult> {
  const response = await transport.request('GET', new URL(API_ROOT, origin));
  if (response.status === 200) {
    await response.discard();
    return { origin, challenge: undefined };
  }
  if (response.status === 401) {
    await response.discard();
    // Several WWW-Authenticate lines are equivalent to one comma-joined line (RFC 7230 §3.2.2).
    const header = response.headerValues(HEADER_WWW_AUTHENTICATE).join(', ');
    return { origin, challenge: selectChallenge(parseChallenges(header)) };
  }
  const { data } = await response.read(MAX_SMALL_BODY_BYTES);
  throw responseError({ method: 'GET', status: response.status, host: response.host, body: data });
}
