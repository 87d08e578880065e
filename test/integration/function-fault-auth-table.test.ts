import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { couldNotResolve, literal, runOddList } from '../support/function-run.js';
import { closedPort, startConnectProxy, startFixedTokenRealm, type ConnectProxy, type FixedTokenRealm } from '../support/loopback-servers.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

// Issue 3, function level, continued: faults of authentication, redirects and proxies. As in
// function-fault-table.test.ts, one image comes straight from a healthy registry and the others
// through the fault under test; each row checks the exit code, the error results and that the
// output is the input byte for byte but for the pinned images.

const MANIFESTS = /^\/v2\/.+\/manifests\//;
const PING = /^\/v2\/$/;
/** A host name nothing resolves: only the CONNECT proxy knows where it lives. */
const PROXIED_HOST = 'registry.test:5000';

describe('digester, as a process: faults of token servers, redirects and proxies', () => {
  let anonymous: TestRegistry;
  let token: TestRegistry;
  let tls: TestRegistry;
  let tokenProxy: FaultProxy;
  let origin: FaultProxy;
  let elsewhere: FaultProxy;
  let dockerConfig: string;
  let challenge: string;
  const digests = { healthy: '', bystander: '', faulty: '', edge: '' };
  const redirectPassword = `redirect-${randomBytes(8).toString('hex')}`;
  const direct = (repository: string): string => `${anonymous.host}/${repository}:v1`;
  /** The token registry's own challenge, pointing at another realm. */
  const challengeWithRealm = (realm: string): string => challenge.replace(/realm="[^"]*"/, `realm="${realm}"`);
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ DOCKER_CONFIG: dockerConfig, ...extra });
  const secrets = (): string[] => [token.password ?? '', redirectPassword];

  before(async () => {
    [anonymous, token, tls] = (await Promise.all((['anonymous', 'token', 'tls'] as const).map((mode) => startRegistry({ mode })))) as [
      TestRegistry,
      TestRegistry,
      TestRegistry,
    ];
    const pushed = await Promise.all([
      anonymous.push('team/healthy', 'v1', 'oci-manifest'),
      anonymous.push('team/bystander', 'v1', 'docker-manifest-list'),
      anonymous.push('team/faulty', 'v1', 'docker-schema2'),
      tls.push('team/edge', 'v1', 'oci-manifest'),
      token.push('secure/app', 'v1', 'oci-manifest'),
      token.push('secure/app', 'v2', 'oci-index'),
    ]);
    [digests.healthy, digests.bystander, digests.faulty, digests.edge] = pushed.map((image) => image.digest) as [string, string, string, string];
    [tokenProxy, origin, elsewhere] = await Promise.all([startFaultProxy(token.url), startFaultProxy(anonymous.url), startFaultProxy(anonymous.url)]);
    const ping = await fetch(`${token.url}/v2/`);
    await ping.body?.cancel();
    challenge = ping.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="[^"]+"/);

    dockerConfig = await mkdtemp(join(tmpdir(), 'digester-fault-auth-'));
    const basic = (username: string, password: string) => ({ auth: Buffer.from(`${username}:${password}`).toString('base64') });
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: {
          [tokenProxy.host]: basic(token.username ?? '', token.password ?? ''),
          [origin.host]: basic('redirect-user', redirectPassword),
        },
      }),
    );
  });

  after(async () => {
    await Promise.all([tokenProxy?.close(), origin?.close(), elsewhere?.close()]);
    await Promise.all([anonymous?.stop(), token?.stop(), tls?.stop()]);
    if (dockerConfig !== undefined) await rm(dockerConfig, { recursive: true, force: true });
  });

  it('the token server is down: a clear error naming the realm, exit 1', { timeout: 60_000 }, async () => {
    const port = await closedPort();
    const realm = `http://127.0.0.1:${port}/token`;
    tokenProxy.setRules([{ method: 'GET', path: PING, action: { kind: 'rewrite', headers: { 'www-authenticate': challengeWithRealm(realm) } } }]);
    const images = { healthy: direct('team/healthy'), faulty: `${tokenProxy.host}/secure/app:v1`, bystander: direct('team/bystander') };
    const tokensBefore = token.tokenRequests?.();
    await runOddList({
      images,
      env: env(),
      pins: { healthy: digests.healthy, bystander: digests.bystander },
      errors: { faulty: couldNotResolve(images.faulty, `connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(GET ${literal(realm)}\\)`) },
      secrets: secrets(),
    });
    assert.equal(token.tokenRequests?.(), tokensBefore);
  });

  describe('a token server whose tokens the registry calls invalid_token', () => {
    let realm: FixedTokenRealm;
    before(async () => {
      realm = await startFixedTokenRealm({ token: 'garbage.not-a.jwt', expires_in: 1 });
    });
    after(() => realm?.close());

    it('one refresh at most, then UNAUTHORIZED for each image: exit 1, no loop', { timeout: 60_000 }, async () => {
      tokenProxy.setRules([{ method: 'GET', path: PING, action: { kind: 'rewrite', headers: { 'www-authenticate': challengeWithRealm(realm.realm) } } }]);
      // Two tags of one repository share one token: the second resolve reuses it, so its 401 earns one refresh.
      const images = { healthy: direct('team/healthy'), faulty: `${tokenProxy.host}/secure/app:v1`, bystander: `${tokenProxy.host}/secure/app:v2` };
      const start = tokenProxy.requests.length;
      const unauthorized = `UNAUTHORIZED: authentication required \\(HEAD 401 from ${literal(tokenProxy.host)}\\)`;
      await runOddList({
        images,
        env: env(),
        pins: { healthy: digests.healthy },
        errors: { faulty: couldNotResolve(images.faulty, unauthorized), bystander: couldNotResolve(images.bystander, unauthorized) },
        secrets: secrets(),
      });
      // One token per image, plus one refresh for the reused one: bounded, whatever the interleaving.
      assert.ok(realm.requests() >= 1 && realm.requests() <= 3, `${realm.requests()} token requests`);
      const heads = tokenProxy.requests.slice(start).filter((r) => r.method === 'HEAD' && MANIFESTS.test(r.path)).length;
      assert.ok(heads >= 2 && heads <= 4, `${heads} HEADs`);
    });
  });

  it('a cross-origin redirect of the manifest GET: resolves, and the other origin never sees Authorization', { timeout: 60_000 }, async () => {
    // The origin asks for Basic auth (its registry ignores it), so every request to it carries Authorization.
    origin.setRules([
      { method: 'GET', path: PING, action: { kind: 'respond', status: 401, headers: { 'www-authenticate': 'Basic realm="origin"' } } },
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'docker-content-digest': undefined } } },
      { method: 'GET', path: MANIFESTS, action: { kind: 'redirect', status: 307, location: (path) => `${elsewhere.url}${path}` } },
    ]);
    elsewhere.setRules([]);
    const images = { healthy: direct('team/healthy'), faulty: `${origin.host}/team/faulty:v1`, bystander: direct('team/bystander') };
    const [here, there] = [origin.requests.length, elsewhere.requests.length];
    await runOddList({
      images,
      env: env(),
      pins: { healthy: digests.healthy, faulty: digests.faulty, bystander: digests.bystander },
      errors: {},
      secrets: secrets(),
    });
    const sent = origin.requests.slice(here).filter((r) => MANIFESTS.test(r.path));
    const arrived = elsewhere.requests.slice(there);
    assert.deepEqual(sent.map((r) => r.method).sort(), ['GET', 'HEAD']);
    assert.ok(sent.every((r) => r.headers.authorization?.startsWith('Basic ')), 'the origin got Authorization');
    assert.deepEqual(arrived.map((r) => `${r.method} ${r.path}`), ['GET /v2/team/faulty/manifests/v1']);
    assert.deepEqual(arrived.map((r) => r.headers.authorization), [undefined]);
  });

  describe('HTTPS_PROXY and HTTP_PROXY', () => {
    let proxy: ConnectProxy;
    before(async () => {
      proxy = await startConnectProxy({ [PROXIED_HOST]: tls.host });
    });
    after(() => proxy?.close());

    it('a registry only the proxy can reach resolves through it; loopback registries bypass it', { timeout: 60_000 }, async () => {
      const images = { healthy: direct('team/healthy'), faulty: `${PROXIED_HOST}/team/edge:v1`, bystander: direct('team/bystander') };
      await runOddList({
        images,
        // insecure: the TLS registry's certificate names 127.0.0.1, not registry.test.
        config: [`registries: [{host: '${PROXIED_HOST}', insecure: true}]`],
        env: env({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url }),
        pins: { healthy: digests.healthy, faulty: digests.edge, bystander: digests.bystander },
        errors: {},
      });
      assert.ok(proxy.seen.length > 0 && proxy.seen.every((entry) => entry === PROXIED_HOST), proxy.seen.join(', '));
    });
  });
});
