import { isIPv4, isIPv6 } from 'node:net';
import { DOCKER_HUB_ALIASES, DOCKER_HUB_API_HOST, DOCKER_HUB_REGISTRY } from './constants.js';

/** How one registry host is reached: a mirror endpoint and/or permission to use plain HTTP. */
export interface RegistryMapping {
  readonly host: string;
  readonly endpoint?: string | undefined;
  readonly insecure?: boolean | undefined;
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
  const canonical = canonicalRegistry(registry);
  const mapping = mappings.find((m) => canonicalRegistry(m.host) === canonical);
  const target = mapping?.endpoint === undefined ? undefined : parseEndpointUrl(mapping.endpoint);
  const host = target?.host ?? (canonical === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : canonical);
  // An endpoint mapped to http:// already sends everything in clear text: it is insecure by the user's choice.
  const insecure = mapping?.insecure === true || target?.scheme === 'http' || isLoopbackHost(host);
  const schemes: readonly Scheme[] = target?.scheme !== undefined ? [target.scheme] : insecure ? ['https', 'http'] : ['https'];
  return { registry, host, schemes, insecure };
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

/** Strips the port and IPv6 brackets: `[::1]:5000` → `::1`, `localhost:5000` → `localhost`. */
function hostname(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = host.lastIndexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon !== -1 && host.indexOf(':') === colon) return host.slice(0, colon);
  return host;
}
