import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { RegistryClient, type ManifestTarget, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startFaultProxy, startTcpFaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type AuthMode, type ManifestKind, type TestRegistry } from '../support/registry.js';

const KINDS: readonly ManifestKind[] = ['oci-manifest', 'docker-schema2', 'oci-index', 'docker-manifest-list'];

/** A client with a hermetic environment: no HOME, no proxies, only what the test passes. */
function hermeticClient(env: NodeJS.ProcessEnv, options: Omit<RegistryClientOptions, 'env'> = {}): RegistryClient {
  // Retries wait a few ms at most: the fault suite tests them, here they only must not slow things down.
  return new RegistryClient({ retry: { baseDelayMs: 1, maxDelayMs: 10 }, ...options, env: { PATH: process.env['PATH'], ...env }, timeoutMs: 10_000 });
}

/** Writes `config` as config.json in a fresh directory and returns it, for DOCKER_CONFIG. */
async function dockerConfigDir(root: string, name: string, config: unknown): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** Installs `docker-credential-<name>` answering for one server URL, as docker-credential-helpers do. */
async function installHelper(binDir: string, name: string, server: string, username: string, secret: string): Promise<void> {
  const output = JSON.stringify({ ServerURL: server, Username: username, Secret: secret });
  const script = `#!/bin/sh
read -r server
if [ "$1" = get ] && [ "$server" = '${server}' ]; then printf '%s' '${output}'; exit 0; fi
echo "credentials not found in native keychain"; exit 1
`;
  await mkdir(binDir, { recursive: true });
  await writeFile(join(binDir, `docker-credential-${name}`), script);
  await chmod(join(binDir, `docker-credential-${name}`), 0o755);
}

const basicAuth = (username: string, password: string) => Buffer.from(`${username}:${password}`).toString('base64');

async function expectRegistryError(promise: Promise<unknown>, code: RegistryError['code'], message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

for (const mode of ['anonymous', 'basic', 'token', 'tls'] as const satisfies readonly AuthMode[]) {
  describe(`RegistryClient against a ${mode} registry`, () => {
    let registry: TestRegistry;
    let root: string;
    let env: NodeJS.ProcessEnv;
    let client: RegistryClient;
    const logged: string[] = [];
    const at = (repository: string, reference = 'v1') => ({ registry: registry.host, repository, reference });

    before(async () => {
      registry = await startRegistry({ mode });
      root = await mkdtemp(join(tmpdir(), `digester-client-${mode}-`));
      const auths = registry.username === undefined ? {} : { [registry.host]: { auth: basicAuth(registry.username, registry.password ?? '') } };
      env = { DOCKER_CONFIG: await dockerConfigDir(root, 'docker', { auths }) };
      if (registry.caFile !== undefined) env['SSL_CERT_FILE'] = registry.caFile;
      client = hermeticClient(env, { log: (line) => logged.push(line) });
    });

    after(async () => {
      await client?.close();
      await registry?.stop();
      if (root !== undefined) await rm(root, { recursive: true, force: true });
    });

    for (const kind of KINDS) {
      it(`resolves a ${kind} tag and its digest to the pushed digest`, async () => {
        const pushed = await registry.push(`kinds/${kind}`, 'v1', kind);
        const target = { registry: registry.host, repository: pushed.repository };
        assert.equal(await client.resolveDigest({ ...target, reference: 'v1' }), pushed.digest);
        assert.equal(await client.resolveDigest({ ...target, reference: pushed.digest }), pushed.digest);
      });
    }

    it('reports an unknown tag as MANIFEST_UNKNOWN', async () => {
      await registry.push('team/app', 'v1', 'oci-manifest');
      const target = { registry: registry.host, repository: 'team/app', reference: 'no-such-tag' };
      await expectRegistryError(
        client.resolveDigest(target),
        'ERR_MANIFEST_UNKNOWN',
        `MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${registry.host})`,
      );
    });

    it('logs each request without credentials or tokens', () => {
      const scheme = mode === 'tls' ? 'https' : 'http';
      assert.ok(logged.includes(`HEAD ${scheme}://${registry.host}/v2/team/app/manifests/no-such-tag -> 404`), logged.join('\n'));
      const secrets = [registry.password, registry.refreshToken, 'Bearer ', 'Basic '].filter((s): s is string => s !== undefined);
      for (const line of logged) for (const secret of secrets) assert.ok(!line.includes(secret), `log line leaks a secret: ${line}`);
    });

    // undici closes the connection after every HEAD unless told otherwise; on a real network each
    // new connection costs a TCP (and TLS) handshake, so a run of HEADs must reuse one connection.
    // (undici may open a second one: it reuses a socket only a tick after its last response.)
    it('sends the ping and a run of HEADs over keep-alive connections', async () => {
      const pushed = await Promise.all(['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map((tag) => registry.push('team/keepalive', tag, 'oci-manifest')));
      const proxy = await startTcpFaultProxy(Number(registry.host.split(':')[1]), 0);
      const scheme = mode === 'tls' ? 'https' : 'http';
      const proxied = hermeticClient(env, { registries: [{ host: registry.host, endpoint: `${scheme}://${proxy.host}` }] });
      try {
        for (const image of pushed) assert.equal(await proxied.resolveDigest(at(image.repository, image.tag)), image.digest);
        assert.ok(proxy.connections() <= 2, `${proxy.connections()} connections for a ping and 6 HEADs`);
      } finally {
        await proxied.close();
        await proxy.close();
      }
    });

    // Resolves sent as soon as the one before answers would each open a connection (undici frees a
    // socket a tick after its response): the cap makes them wait for one instead.
    it('keeps to maxConnectionsPerOrigin connections when resolves run side by side', async () => {
      const tags = Array.from({ length: 12 }, (_, i) => `c${i}`);
      const pushed = await Promise.all(tags.map((tag) => registry.push('team/capped', tag, 'oci-manifest')));
      const proxy = await startTcpFaultProxy(Number(registry.host.split(':')[1]), 0);
      const scheme = mode === 'tls' ? 'https' : 'http';
      const capped = hermeticClient(env, { registries: [{ host: registry.host, endpoint: `${scheme}://${proxy.host}` }], maxConnectionsPerOrigin: 3 });
      try {
        // Three chains of four resolves, each sent the moment the one before it is answered.
        const chains = [0, 1, 2].map(async (chain) => {
          for (const image of pushed.filter((_, i) => i % 3 === chain)) {
            assert.equal(await capped.resolveDigest(at(image.repository, image.tag)), image.digest);
          }
        });
        await Promise.all(chains);
        assert.ok(proxy.connections() <= 3, `${proxy.connections()} connections with maxConnectionsPerOrigin 3`);
      } finally {
        await capped.close();
        await proxy.close();
      }
    });

    // The first round of requests must not wait for handshakes: expect() opens their connections
    // while the ping is in flight, up to the cap, and the resolves run on those.
    it('opens ahead the connections the expected resolves will run on, and no more', async () => {
      const tags = ['p1', 'p2', 'p3', 'p4', 'p5'];
      const pushed = await Promise.all(tags.map((tag) => registry.push('team/preconnect', tag, 'oci-manifest')));
      const proxy = await startTcpFaultProxy(Number(registry.host.split(':')[1]), 0);
      const scheme = mode === 'tls' ? 'https' : 'http';
      const ahead = hermeticClient(env, { registries: [{ host: registry.host, endpoint: `${scheme}://${proxy.host}` }], maxConnectionsPerOrigin: 4 });
      const targets = pushed.map((image) => at(image.repository, image.tag));
      try {
        ahead.warm(registry.host);
        ahead.expect(targets);
        for (let waited = 0; proxy.connections() < 4 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(proxy.connections(), 4, 'the ping and 3 more, before any resolve: 5 expected, 4 at a time');
        const digests = await Promise.all(targets.map((target) => ahead.resolveDigest(target)));
        assert.deepEqual(digests, pushed.map((image) => image.digest));
        assert.equal(proxy.connections(), 4, 'the resolves ran on the connections opened ahead');
      } finally {
        await ahead.close();
        await proxy.close();
      }
    });

    // Without a cap only the caller knows how many requests will run at once; and a loopback
    // endpoint named without a scheme may yet fall back from https to http.
    for (const [why, withScheme, cap] of [
      ['without a connection cap', true, undefined],
      ['before the ping has chosen between https and http', false, 4],
    ] as const) {
      it(`opens no connection ahead ${why}`, async () => {
        const pushed = await Promise.all(['q1', 'q2', 'q3'].map((tag) => registry.push('team/no-preconnect', tag, 'oci-manifest')));
        const proxy = await startTcpFaultProxy(Number(registry.host.split(':')[1]), 0);
        const scheme = mode === 'tls' ? 'https' : 'http';
        const endpoint = withScheme ? `${scheme}://${proxy.host}` : proxy.host;
        const client = hermeticClient(env, { registries: [{ host: registry.host, endpoint }], ...(cap === undefined ? {} : { maxConnectionsPerOrigin: cap }) });
        const targets = pushed.map((image) => at(image.repository, image.tag));
        try {
          await client.prepare(targets[0] as ManifestTarget);
          const afterPing = proxy.connections();
          client.expect(targets);
          await new Promise((resolve) => setTimeout(resolve, 100));
          assert.equal(proxy.connections(), afterPing);
          const digests = await Promise.all(targets.map((target) => client.resolveDigest(target)));
          assert.deepEqual(digests, pushed.map((image) => image.digest));
        } finally {
          await client.close();
          await proxy.close();
        }
      });
    }

    if (mode === 'basic') {
      it('reports a wrong password as ERR_REGISTRY_AUTH', async () => {
        const config = await dockerConfigDir(root, 'wrong', { auths: { [registry.host]: { auth: basicAuth('tester', 'wrong-password') } } });
        const wrong = hermeticClient({ DOCKER_CONFIG: config });
        const target = at('team/app');
        await expectRegistryError(
          wrong.resolveDigest(target),
          'ERR_REGISTRY_AUTH',
          `UNAUTHORIZED: authentication required (HEAD 401 from ${registry.host})`,
        );
        await wrong.close();
      });

      it('reports missing credentials as ERR_REGISTRY_AUTH', async () => {
        const anonymous = hermeticClient({});
        const target = at('team/app');
        await expectRegistryError(
          anonymous.resolveDigest(target),
          'ERR_REGISTRY_AUTH',
          /^UNAUTHORIZED: authentication required \(HEAD 401/,
        );
        await anonymous.close();
      });
    }

    if (mode === 'token') {
      it('costs one token request for 5 concurrent tags of one repository, and none for a repeat', async () => {
        const tags = ['t1', 't2', 't3', 't4', 't5'];
        const pushed = await Promise.all(tags.map((tag) => registry.push('team/many', tag, 'docker-schema2')));
        const fresh = hermeticClient(env);
        const before = registry.tokenRequests?.() ?? Number.NaN;
        const digests = await Promise.all(tags.map((reference) => fresh.resolveDigest(at('team/many', reference))));
        assert.deepEqual(digests, pushed.map((p) => p.digest));
        assert.equal((registry.tokenRequests?.() ?? Number.NaN) - before, 1);
        await fresh.resolveDigest({ registry: registry.host, repository: 'team/many', reference: 't1' });
        assert.equal((registry.tokenRequests?.() ?? Number.NaN) - before, 1);
        await fresh.close();
      });

      it('trades an identitytoken for a token with the OAuth2 refresh-token grant', async () => {
        const pushed = await registry.push('team/oauth', 'v1', 'oci-index');
        const config = await dockerConfigDir(root, 'identity', { auths: { [`http://${registry.host}`]: { identitytoken: registry.refreshToken } } });
        const oauth = hermeticClient({ DOCKER_CONFIG: config });
        assert.equal(await oauth.resolveDigest(at('team/oauth')), pushed.digest);
        await oauth.close();
      });

      it('reports a wrong identitytoken as ERR_REGISTRY_AUTH', async () => {
        const config = await dockerConfigDir(root, 'bad-identity', { auths: { [registry.host]: { identitytoken: 'not-the-token' } } });
        const oauth = hermeticClient({ DOCKER_CONFIG: config });
        await expectRegistryError(
          oauth.resolveDigest(at('team/app')),
          'ERR_REGISTRY_AUTH',
          /^invalid_grant: invalid grant \(POST 400 from 127\.0\.0\.1:\d+\)$/,
        );
        await oauth.close();
      });

      it('reports a wrong password at the token endpoint as ERR_REGISTRY_AUTH', async () => {
        const config = await dockerConfigDir(root, 'wrong', { auths: { [registry.host]: { username: 'tester', password: 'wrong-password' } } });
        const wrong = hermeticClient({ DOCKER_CONFIG: config });
        await expectRegistryError(
          wrong.resolveDigest(at('team/app')),
          'ERR_REGISTRY_AUTH',
          /^UNAUTHORIZED: incorrect username or password \(GET 401 from 127\.0\.0\.1:\d+\)$/,
        );
        await wrong.close();
      });

      it('reports an anonymous token without access as ERR_REGISTRY_AUTH', async () => {
        const anonymous = hermeticClient({});
        await expectRegistryError(
          anonymous.resolveDigest(at('team/app')),
          'ERR_REGISTRY_AUTH',
          /^UNAUTHORIZED: authentication required \(HEAD 401/,
        );
        await anonymous.close();
      });

      it('gets credentials from credHelpers[host]', async () => {
        const pushed = await registry.push('team/helper', 'v1', 'oci-manifest');
        const bin = join(root, 'bin-helpers');
        await installHelper(bin, 'digester-test', registry.host, registry.username ?? '', registry.password ?? '');
        const config = await dockerConfigDir(root, 'helpers', { credHelpers: { [registry.host]: 'digester-test' } });
        const helped = hermeticClient({ DOCKER_CONFIG: config, PATH: `${bin}:${process.env['PATH'] ?? ''}` });
        assert.equal(await helped.resolveDigest(at('team/helper')), pushed.digest);
        await helped.close();
      });

      it('gets an identity token from credsStore (Username "<token>")', async () => {
        const pushed = await registry.push('team/store', 'v1', 'docker-manifest-list');
        const bin = join(root, 'bin-store');
        await installHelper(bin, 'digester-store', registry.host, '<token>', registry.refreshToken ?? '');
        const config = await dockerConfigDir(root, 'store', { credsStore: 'digester-store', auths: { [registry.host]: {} } });
        const stored = hermeticClient({ DOCKER_CONFIG: config, PATH: `${bin}:${process.env['PATH'] ?? ''}` });
        assert.equal(await stored.resolveDigest(at('team/store')), pushed.digest);
        await stored.close();
      });
    }

    if (mode === 'tls') {
      it('trusts a CA from SSL_CERT_DIR', async () => {
        const pushed = await registry.push('team/dir', 'v1', 'oci-manifest');
        const viaDir = hermeticClient({ SSL_CERT_DIR: dirname(registry.caFile ?? '') });
        assert.equal(await viaDir.resolveDigest(at('team/dir')), pushed.digest);
        await viaDir.close();
      });

      it('reports the certificate error, not the plain-http fallback, without the CA', async () => {
        const untrusting = hermeticClient({});
        await expectRegistryError(
          untrusting.resolveDigest(at('team/dir')),
          'ERR_REGISTRY_UNAVAILABLE',
          new RegExp(`certificate.* \\(GET https://${registry.host}/v2/\\)$`),
        );
        await untrusting.close();
      });
    }

    if (mode === 'anonymous') {
      it('names the host and cause when nothing listens', async () => {
        const port = await closedPort();
        await expectRegistryError(
          client.resolveDigest({ registry: `127.0.0.1:${port}`, repository: 'team/app', reference: 'v1' }),
          'ERR_REGISTRY_UNAVAILABLE',
          `connect ECONNREFUSED 127.0.0.1:${port} (GET http://127.0.0.1:${port}/v2/)`,
        );
      });

      // The function warms a registry as soon as the scan finds its first image: the ping then runs
      // while the rest of the list is scanned, and the resolves must not ping again.
      it('warm() pings the registry at once, and the resolves that follow reuse that ping', async () => {
        const pushed = await registry.push('team/warm', 'v1', 'oci-manifest');
        const proxy = await startFaultProxy(registry.url);
        const warmed = hermeticClient({}, { registries: [{ host: 'warm.test', endpoint: `http://${proxy.host}` }] });
        const pings = () => proxy.count('GET', /^\/v2\/$/);
        try {
          warmed.warm('warm.test');
          warmed.warm('warm.test');
          warmed.warm('not a registry');
          for (let waited = 0; pings() === 0 && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
          assert.equal(pings(), 1, 'one ping before any resolve');
          assert.equal(proxy.requests.length, 1, proxy.requests.map((r) => `${r.method} ${r.path}`).join('\n'));
          assert.equal(await warmed.resolveDigest({ registry: 'warm.test', repository: 'team/warm', reference: 'v1' }), pushed.digest);
          assert.equal(pings(), 1, 'the resolve reused the ping');
        } finally {
          await warmed.close();
          await proxy.close();
        }
      });

      it('hashes the manifest itself when a mirror omits Docker-Content-Digest', async () => {
        const pushed = await registry.push('team/mirror', 'v1', 'oci-index');
        const proxy = await startDigestStrippingProxy(registry.url);
        const mirrorLog: string[] = [];
        const mirrored = hermeticClient({}, { registries: [{ host: 'mirror.test', endpoint: `http://${proxy.host}` }], log: (l) => mirrorLog.push(l) });
        try {
          assert.equal(await mirrored.resolveDigest({ registry: 'mirror.test', repository: 'team/mirror', reference: 'v1' }), pushed.digest);
          assert.ok(mirrorLog.includes(`GET http://${proxy.host}/v2/team/mirror/manifests/v1 -> 200`), mirrorLog.join('\n'));
        } finally {
          await mirrored.close();
          await proxy.close();
        }
      });
    }
  });
}

/** A port nothing listens on: bound once by the kernel's choice, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fault proxy in front of the registry that drops Docker-Content-Digest, as some mirrors do. */
async function startDigestStrippingProxy(upstream: string): Promise<{ host: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const forward = async () => {
      const response = await request(new URL(req.url ?? '/', upstream), {
        method: req.method === 'HEAD' ? 'HEAD' : 'GET',
        headers: req.headers.accept === undefined ? {} : { accept: req.headers.accept },
      });
      const { 'docker-content-digest': _dropped, 'transfer-encoding': _te, connection: _c, 'keep-alive': _k, ...headers } = response.headers;
      res.writeHead(response.statusCode, headers);
      for await (const chunk of response.body) res.write(chunk);
      res.end();
    };
    forward().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
