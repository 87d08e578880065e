import { isIPv4, isIPv6 } from 'node:net';
import { DOCKER_HUB_ALIASES, DOCKER_HUB_API_HOST, DOCKER_HUB_REGISTRY } from './constants.js';

/** How one registry host is reached: mirror endpoints, permission to use plain HTTP or unverified TLS, extra CAs. */
export interface RegistryMapping {
  readonly host: string;
  /** One endpoint instead of the host, `[http[s]://]host[:port]`: shorthand for `endpoints: [endpoint]`. */
  readonly endpoint?: string | undefined;
  /**
   * Endpoints tried in order instead of the host. A failing one falls through to the next (see
   * RegistryClient); the host itself is not tried unless listed.
   */
  readonly endpoints?: readonly string[] | undefined;
  /** Plain http allowed, and https without certificate verification (docker's insecure registries). */
  readonly insecure?: boolean | undefined;
  /** PEM file of CAs trusted for this registry's endpoints, besides the defaults and SSL_CERT_FILE/SSL_CERT_DIR. */
  readonly caFile?: string | undefined;
}

/** URL scheme of a registry endpoint. */
export type Scheme = 'https' | 'http';

/** Where the registry API of a logical registry is served. */
export interface Endpoint {
  /** The registry as references name it, e.g. `docker.io`, `[::1]:5000`. */
  readonly registry: string;
  /** host[:port] that serves the API, e.g. `registry-1.docker.io`. */
  readonly host: string;
  /** Schemes to try, in order; two only when plain HTTP is allowed as a fallback. */
  readonly schemes: readonly Scheme[];
  /** Plain HTTP is acceptable for this registry (loopback, mapped insecure or mapped to http://): also for its token realm. */
  readonly insecure: boolean;
  /** Mapped `insecure: true`: https connections skip certificate verification (loopback alone does not). */
  readonly skipTlsVerify?: boolean;
  /** Extra CAs for https connections to `host`, from the mapping. */
  readonly caFile?: string;
}

/** Lowercases a registry host and folds Docker Hub's aliases into `docker.io`. */
export function canonicalRegistry(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.includes(lower) ? DOCKER_HUB_REGISTRY : lower;
}

/**
 * Works out the API endpoint for a registry.
 * Docker Hub's API lives on `registry-1.docker.io`. A mapping may redirect a host to a mirror;
 * an explicit scheme in the mapping is used as is. Otherwise HTTPS, except that loopback and
 * `insecure` hosts may fall back to HTTP, as docker does for its insecure registries.
 */
export function resolveEndpoint(registry: string, mappings: readonly RegistryMapping[] = []): Endpoint {
  const [first] = resolveEndpoints(registry, mappings);
  if (first === undefined) throw new TypeError(`no endpoint for registry "${registry}"`);
  return first;
}

/** Every endpoint of a registry, in the order to try them: the mapping's `endpoints`, its `endpoint`, or the host itself. */
export function resolveEndpoints(registry: string, mappings: readonly RegistryMapping[] = []): Endpoint[] {
  const canonical = canonicalRegistry(registry);
  const mapping = mappings.find((m) => canonicalRegistry(m.host) === canonical);
  const urls = mapping === undefined ? [] : mappingEndpoints(mapping);
  const targets: Array<EndpointUrl | undefined> = urls.length === 0 ? [undefined] : urls.map(parseEndpointUrl);
  return targets.map((target) => {
    const host = target?.host ?? (canonical === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : canonical);
    // An endpoint mapped to http:// already sends everything in clear text: it is insecure by the user's choice.
    const insecure = mapping?.insecure === true || target?.scheme === 'http' || isLoopbackHost(host);
    const schemes: readonly Scheme[] = target?.scheme !== undefined ? [target.scheme] : insecure ? ['https', 'http'] : ['https'];
    return {
      registry,
      host,
      schemes,
      insecure,
      ...(mapping?.insecure === true ? { skipTlsVerify: true } : {}),
      ...(mapping?.caFile === undefined ? {} : { caFile: mapping.caFile }),
    };
  });
}

/**
 * Checks a mapping when the client is built, so a typo is a configuration error rather than a
 * failure of every image: endpoint URLs, `endpoint` and `endpoints` not both, a non-empty caFile.
 */
export function validateMapping(mapping: RegistryMapping): void {
  if (mapping.endpoint !== undefined && mapping.endpoints !== undefined) {
    throw new TypeError(`registry "${mapping.host}": set endpoint or endpoints, not both`);
  }
  if (mapping.endpoints !== undefined && mapping.endpoints.length === 0) {
    throw new TypeError(`registry "${mapping.host}": endpoints is empty; omit it to use the host itself`);
  }
  if (mapping.caFile !== undefined && mapping.caFile.trim() === '') throw new TypeError(`registry "${mapping.host}": caFile is empty`);
  for (const url of mappingEndpoints(mapping)) parseEndpointUrl(url);
}

function mappingEndpoints(mapping: RegistryMapping): readonly string[] {
  return mapping.endpoints ?? (mapping.endpoint === undefined ? [] : [mapping.endpoint]);
}

/** Parsed `registries[].endpoint`: scheme (when given) and host[:port]. */
export interface EndpointUrl {
  readonly scheme?: Scheme;
  readonly host: string;
}

/** Parses a mapping endpoint, `https://mirror:5000` or `mirror:5000`; throws TypeError for paths, credentials or other schemes. */
export function parseEndpointUrl(endpoint: string): EndpointUrl {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  let url: URL;
  try {
    url = new URL(hasScheme ? endpoint : `https://${endpoint}`);
  } catch {
    throw new TypeError(`invalid registry endpoint "${endpoint}": expected [http[s]://]host[:port]`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'https' && scheme !== 'http') {
    throw new TypeError(`invalid registry endpoint "${endpoint}": scheme must be http or https`);
  }
  // The API root is always /v2/ (distribution spec "Endpoints"), so a path prefix cannot be honoured.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`invalid registry endpoint "${endpoint}": expected [http[s]://]host[:port] without path or credentials`);
  }
  return hasScheme ? { scheme, host: url.host } : { host: url.host };
}

/** True for `localhost`, 127.0.0.0/8 and `[::1]`, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (name === 'localhost') return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (isIPv6(name)) return new URL(`http://[${name}]/`).hostname === '[::1]';
  return false;
}

/**
 * True for link-local addresses, 169.254.0.0/16 and fe80::/10 (RFC 3927, RFC 4291 §2.5.6), also
 * IPv4-mapped: cloud metadata servers (169.254.169.254) live there and hand out credentials.
 */
export function isLinkLocalHost(host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (isIPv4(name)) return name.startsWith('169.254.');
  if (!isIPv6(name)) return false;
  const normalized = new URL(`http://[${name}]/`).hostname.slice(1, -1);
  // WHATWG URL prints IPv4-mapped addresses in hex: ::ffff:169.254.x.y becomes ::ffff:a9fe:xxyy.
  return /^fe[89ab][0-9a-f]:/.test(normalized) || /^::ffff:a9fe:/.test(normalized);
}

/** Strips the port and IPv6 brackets: `[::1]:5000` → `::1`, `localhost:5000` → `localhost`. */
function hostname(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = host.lastIndexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon !== -1 && host.indexOf(':') === colon) return host.slice(0, colon);
  return host;
}
