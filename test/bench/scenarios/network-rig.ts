// The network scenarios' world: two real registries (anonymous, and token auth), a latency
// proxy in front of each and one in front of the token realm, the images pushed, and a
// DOCKER_CONFIG holding the token registry's credentials.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../../support/registry.js';
import type { ImageSpec, RegistryRole, RegistryRoute } from '../generators.js';
import { startLatencyProxy, type LatencyProxy, type ProxiedRequest } from '../latency-proxy.js';

/** Host names the manifests use; the functionConfig routes them to the proxies. */
export const IMAGE_HOSTS: Readonly<Record<RegistryRole, string>> = {
  anonymous: 'registry.bench.test',
  token: 'private.bench.test',
};

const ROLES: readonly RegistryRole[] = ['anonymous', 'token'];
const PUSH_CONCURRENCY = 8;

/** Requests counted at the proxies, by kind. */
export interface RequestCounts {
  /** `GET /v2/` to a registry. */
  readonly pings: number;
  /** Any request to the token realm. */
  readonly tokens: number;
  /** HEAD or GET of `/v2/<name>/manifests/<reference>`. */
  readonly manifests: number;
  /** Anything else sent to a registry. */
  readonly other: number;
  /** Connections that carried no HTTP/1.x (TLS probes of the plain ports). */
  readonly opaqueConnections: number;
  readonly connections: number;
  readonly total: number;
}

/** What the proxies saw since the last reset. */
export interface RigTraffic {
  readonly all: RequestCounts;
  readonly byRole: Readonly<Record<RegistryRole, RequestCounts>>;
  /** Send times of token requests (performance.now()), for counting token rounds. */
  readonly tokenTimes: readonly number[];
  /** Every request, realm included, in the order seen. */
  readonly requests: readonly ProxiedRequest[];
}

/** A running rig; {@link NetworkRig.close} stops everything. */
export interface NetworkRig {
  readonly rttMs: number;
  readonly images: readonly ImageSpec[];
  /** Pushed digest of each image, by index. */
  readonly digests: readonly string[];
  readonly registries: Readonly<Record<RegistryRole, TestRegistry>>;
  readonly proxies: Readonly<Record<RegistryRole, LatencyProxy>>;
  /** The functionConfig routes: image host → `http://` proxy endpoint. */
  readonly routes: readonly RegistryRoute[];
  /** Environment for digester: an isolated HOME and a DOCKER_CONFIG with the token registry's credentials. */
  readonly env: NodeJS.ProcessEnv;
  /** A scratch directory removed by close(). */
  readonly workdir: string;
  resetTraffic(): void;
  traffic(): RigTraffic;
  close(): Promise<void>;
}

/** Starts registries and proxies, pushes `images`, and writes the credentials. */
export async function startNetworkRig(rttMs: number, images: readonly ImageSpec[]): Promise<NetworkRig> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async (): Promise<void> => {
    // Last started, first stopped; every closer runs even when one fails.
    for (const closer of closers.reverse().splice(0)) await closer().catch(() => undefined);
  };
  try {
    const workdir = await mkdtemp(join(tmpdir(), 'digester-bench-'));
    closers.push(() => rm(workdir, { recursive: true, force: true }));
    const realm = await startLatencyProxy({ label: 'realm', rttMs });
    closers.push(() => realm.close());
    const anonymous = await startRegistry({ mode: 'anonymous' });
    closers.push(() => anonymous.stop());
    // The registry advertises the realm proxy; the proxy forwards to the real token server.
    const token = await startRegistry({
      mode: 'token',
      advertisedRealm: (real) => {
        const url = new URL(real);
        realm.setUpstream(url.host);
        return `${realm.url}${url.pathname}`;
      },
    });
    closers.push(() => token.stop());
    const registries = { anonymous, token };
    const proxies = {
      anonymous: await startLatencyProxy({ label: 'anonymous', rttMs, upstream: anonymous.host }),
      token: await startLatencyProxy({ label: 'token', rttMs, upstream: token.host }),
    };
    closers.push(() => proxies.anonymous.close(), () => proxies.token.close());
    const digests = await pushAll(registries, images);
    const env = await writeCredentials(workdir, token);
    const all = [realm, proxies.anonymous, proxies.token];
    return {
      rttMs,
      images,
      digests,
      registries,
      proxies,
      routes: ROLES.map((role) => ({ host: IMAGE_HOSTS[role], endpoint: proxies[role].url })),
      env,
      workdir,
      resetTraffic: () => all.forEach((proxy) => proxy.reset()),
      traffic: () => collectTraffic(realm, proxies),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function pushAll(registries: Readonly<Record<RegistryRole, TestRegistry>>, images: readonly ImageSpec[]): Promise<string[]> {
  const digests = new Array<string>(images.length).fill('');
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < images.length; i = next++) {
      const image = images[i] as ImageSpec;
      digests[i] = (await registries[image.role].push(image.repository, image.tag, image.kind)).digest;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUSH_CONCURRENCY, images.length) }, worker));
  return digests;
}

async function writeCredentials(workdir: string, token: TestRegistry): Promise<NodeJS.ProcessEnv> {
  const dockerConfig = join(workdir, 'docker');
  const home = join(workdir, 'home');
  await mkdir(dockerConfig, { recursive: true });
  await mkdir(home, { recursive: true });
  const auth = Buffer.from(`${token.username ?? ''}:${token.password ?? ''}`).toString('base64');
  // Keyed by the registry name the manifests use, as `docker login private.bench.test` would write it.
  await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [IMAGE_HOSTS.token]: { auth } } }));
  return {
    PATH: process.env['PATH'],
    HOME: home,
    DOCKER_CONFIG: dockerConfig,
    XDG_RUNTIME_DIR: home,
    REGISTRY_AUTH_FILE: join(home, 'no-auth.json'),
  };
}

function collectTraffic(realm: LatencyProxy, proxies: Readonly<Record<RegistryRole, LatencyProxy>>): RigTraffic {
  const realmTraffic = realm.traffic();
  const byRole = {} as Record<RegistryRole, RequestCounts>;
  for (const role of ROLES) {
    const traffic = proxies[role].traffic();
    // Only the token registry's challenges name the realm, so all realm traffic is its.
    const tokens = role === 'token' ? realmTraffic.requests.length : 0;
    byRole[role] = countRequests(traffic.requests, tokens, traffic.opaqueConnections, traffic.connections);
  }
  const sum = (key: keyof RequestCounts): number => byRole.anonymous[key] + byRole.token[key];
  const all: RequestCounts = {
    pings: sum('pings'),
    tokens: sum('tokens'),
    manifests: sum('manifests'),
    other: sum('other'),
    opaqueConnections: sum('opaqueConnections') + realmTraffic.opaqueConnections,
    connections: sum('connections') + realmTraffic.connections,
    total: sum('total'),
  };
  const requests = [...realmTraffic.requests, ...ROLES.flatMap((role) => proxies[role].traffic().requests)].sort((a, b) => a.at - b.at);
  return { all, byRole, tokenTimes: realmTraffic.requests.map((r) => r.at), requests };
}

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/?]+(\?.*)?$/;

/** Classifies a registry's requests; `tokens` are the realm requests made on its behalf. */
export function countRequests(requests: readonly ProxiedRequest[], tokens: number, opaque: number, connections: number): RequestCounts {
  let pings = 0;
  let manifests = 0;
  let other = 0;
  for (const { method, target } of requests) {
    if (method === 'GET' && (target === '/v2/' || target === '/v2')) pings += 1;
    else if ((method === 'HEAD' || method === 'GET') && MANIFEST_PATH.test(target)) manifests += 1;
    else other += 1;
  }
  return { pings, tokens, manifests, other, opaqueConnections: opaque, connections, total: pings + tokens + manifests + other };
}
