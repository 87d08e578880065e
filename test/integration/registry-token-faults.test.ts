import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type ManifestTarget, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

// The token-mode registry behind fault proxies: retries must not cost extra tokens, redirects must not
// carry the bearer token to another origin, and expect() must make one token request serve many repositories.

const MANIFESTS = /^\/v2\/.+\/manifests\//;
const HOST = 'faulty.test';

describe('RegistryClient against a token registry behind a fault proxy', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let other: FaultProxy;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const clients: RegistryClient[] = [];
  const tokenRequests = (): number => registry.tokenRequests?.() ?? Number.NaN;
  const client = (options: Partial<RegistryClientOptions> = {}) => {
    const c = new RegistryClient({ env, retry: { baseDelayMs: 1, maxDelayMs: 5 }, registries: [{ host: HOST, endpoint: proxy.url }], ...options });
    clients.push(c);
    return c;
  };
  /** `count` repositories `<prefix>/app-N`, each with tag v1 pushed, and the targets that name them. */
  const pushApps = async (prefix: string, count: number) => {
    const images = await Promise.all(Array.from({ length: count }, (_, i) => registry.push(`${prefix}/app-${i}`, 'v1', 'oci-manifest')));
    const targets: ManifestTarget[] = images.map((image) => ({ registry: HOST, repository: image.repository, reference: 'v1' }));
    return { images, targets };
  };

  before(async () => {
    registry = await startRegistry({ mode: 'token' });
    proxy = await startFaultProxy(registry.url);
    other = await startFaultProxy(registry.url);
    dir = await mkdtemp(join(tmpdir(), 'digester-token-faults-'));
    // Credentials for the mapped name: the session looks them up for the endpoint, then the registry.
    const auth = Buffer.from(`${registry.username ?? ''}:${registry.password ?? ''}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [HOST]: { auth } } }));
    env = { DOCKER_CONFIG: dir };
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([proxy?.close(), other?.close()]);
    await registry?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('retries a 429 with the token it already has', async () => {
    const image = await registry.push('token/retry', 'v1', 'oci-index');
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, times: 1, action: { kind: 'respond', status: 429 } }]);
    const before = tokenRequests();
    assert.equal(await client().resolveDigest({ registry: HOST, repository: image.repository, reference: 'v1' }), image.digest);
    assert.equal(tokenRequests() - before, 1);
  });

  it('drops Authorization when a redirect crosses origins', async () => {
    const image = await registry.push('token/cross', 'v1', 'oci-manifest');
    proxy.setRules([{ path: MANIFESTS, action: { kind: 'redirect', status: 307, location: (path) => `${other.url}${path}` } }]);
    other.setRules([]);
    const seenHere = proxy.requests.length;
    const seenThere = other.requests.length;
    // Without its token the other origin's registry refuses: that is the point, the token stayed home.
    await assert.rejects(client().resolveDigest({ registry: HOST, repository: image.repository, reference: 'v1' }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'ERR_REGISTRY_AUTH', error.message);
      return true;
    });
    const redirected = proxy.requests.slice(seenHere).filter((r) => MANIFESTS.test(r.path));
    const arrived = other.requests.slice(seenThere).filter((r) => MANIFESTS.test(r.path));
    assert.ok(redirected.length > 0 && redirected.every((r) => r.headers.authorization?.startsWith('Bearer ')));
    assert.ok(arrived.length > 0);
    assert.deepEqual(arrived.map((r) => r.headers.authorization), arrived.map(() => undefined));
  });

  it('keeps Authorization on a redirect within the origin', async () => {
    const image = await registry.push('token/same', 'v1', 'docker-schema2');
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, times: 1, action: { kind: 'redirect', status: 302, location: (path) => `${path}?hop=1` } }]);
    const seen = proxy.requests.length;
    assert.equal(await client().resolveDigest({ registry: HOST, repository: image.repository, reference: 'v1' }), image.digest);
    const hop = proxy.requests.slice(seen).find((r) => r.path.endsWith('?hop=1'));
    assert.match(hop?.headers.authorization ?? '', /^Bearer /);
  });

  it('asks one token for 10 repositories announced with expect()', async () => {
    const { images, targets } = await pushApps('scopes', 10);
    proxy.setRules([]);
    const fresh = client();
    fresh.expect(targets);
    const before = tokenRequests();
    const digests = await Promise.all(targets.map((target) => fresh.resolveDigest(target)));
    assert.deepEqual(digests, images.map((image) => image.digest));
    assert.equal(tokenRequests() - before, 1);
  });

  it('splits more than 50 announced repositories over several token requests', async () => {
    const { images, targets } = await pushApps('many', 60);
    const fresh = client();
    fresh.expect(targets);
    const before = tokenRequests();
    const digests = await Promise.all(targets.map((target) => fresh.resolveDigest(target)));
    assert.deepEqual(digests, images.map((image) => image.digest));
    assert.equal(tokenRequests() - before, 2);
  });

  it('asks for every batch of announced repositories in one round, and prepare() sends no manifest request', async () => {
    const { images, targets } = await pushApps('round', 60);
    proxy.setRules([]);
    const fresh = client();
    fresh.expect(targets);
    const before = tokenRequests();
    const seen = proxy.requests.length;
    // The last target's batch is the second one; preparing it starts the first batch too, without
    // waiting for it (the realm may still be receiving it when prepare returns).
    await fresh.prepare(targets[59] as ManifestTarget);
    for (let wait = 0; tokenRequests() - before < 2 && wait < 200; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(tokenRequests() - before, 2);
    assert.deepEqual(proxy.requests.slice(seen).filter((r) => r.path.includes('/manifests/')), []);
    const digests = await Promise.all(targets.map((target) => fresh.resolveDigest(target)));
    assert.deepEqual(digests, images.map((image) => image.digest));
    assert.equal(tokenRequests() - before, 2);
  });

  it('prepare() returns once the token is in hand, also when another prepare started its fetch', async () => {
    const { targets } = await pushApps('ready', 2);
    proxy.setRules([]);
    const fresh = client();
    fresh.expect(targets);
    const before = tokenRequests();
    // The first prepare starts the batch; the second finds it in flight and must wait for it, or
    // the resolver would hand it a request slot that then waits for the token.
    const first = fresh.prepare(targets[0] as ManifestTarget);
    await fresh.prepare(targets[1] as ManifestTarget);
    assert.equal(tokenRequests() - before, 1);
    await first;
  });

  it('holds the first token request while a plan() is open, then asks for every repository announced meanwhile', async () => {
    const { images, targets } = await pushApps('planned', 10);
    proxy.setRules([]);
    const fresh = client();
    const close = fresh.plan();
    const before = tokenRequests();
    // The first target is announced and resolved before the others are found, as a scan does.
    fresh.expect(targets.slice(0, 1));
    const first = fresh.resolveDigest(targets[0] as ManifestTarget);
    fresh.warm(HOST);
    for (let wait = 0; !proxy.requests.some((r) => r.path === '/v2/') && wait < 200; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    // The ping is answered, yet no token is asked for while targets may still come.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(tokenRequests() - before, 0);
    fresh.expect(targets.slice(1));
    close();
    const digests = await Promise.all([first, ...targets.slice(1).map((target) => fresh.resolveDigest(target))]);
    assert.deepEqual(digests, images.map((image) => image.digest));
    assert.equal(tokenRequests() - before, 1);
    close(); // a second call does nothing
  });

  it('still costs one token per repository without expect()', async () => {
    const { targets } = await pushApps('plain', 3);
    const fresh = client();
    const before = tokenRequests();
    await Promise.all(targets.map((target) => fresh.resolveDigest(target)));
    assert.equal(tokenRequests() - before, 3);
  });
});
