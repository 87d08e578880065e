import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('transport settings from options.env', () => {
  let registry: Server;
  let proxy: Server;
  let registryPort = 0;
  let proxyPort = 0;
  const tunnels: string[] = [];
  const clients: RegistryClient[] = [];
  const client = (options: RegistryClientOptions) => {
    const c = new RegistryClient({ timeoutMs: 5_000, ...options });
    clients.push(c);
    return c;
  };

  before(async () => {
    registry = createServer((req, res) => {
      if (req.url === '/v2/') return void res.writeHead(200).end();
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    });
    registryPort = await listen(registry);
    // A CONNECT proxy that records the tunnel target and always tunnels to the scripted registry,
    // so names like registry.proxied.test need no DNS.
    proxy = createServer();
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url ?? '');
      const upstream = connect(registryPort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    proxyPort = await listen(proxy);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([shut(registry), shut(proxy)]);
  });

  const proxied = (env: NodeJS.ProcessEnv) =>
    client({ env, registries: [{ host: 'registry.proxied.test', endpoint: `http://registry.proxied.test:${registryPort}` }] });
  const target = { registry: 'registry.proxied.test', repository: 'team/app', reference: 'v1' };

  it('tunnels through HTTP_PROXY taken from options.env', async () => {
    const before = tunnels.length;
    assert.equal(await proxied({ HTTP_PROXY: `http://127.0.0.1:${proxyPort}` }).resolveDigest(target), DIGEST);
    assert.ok(tunnels.slice(before).every((t) => t === `registry.proxied.test:${registryPort}`));
    assert.ok(tunnels.length > before);
  });

  it('honours lowercase http_proxy too', async () => {
    const before = tunnels.length;
    assert.equal(await proxied({ http_proxy: `http://127.0.0.1:${proxyPort}` }).resolveDigest(target), DIGEST);
    assert.ok(tunnels.length > before);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const before = tunnels.length;
    // Direct means a DNS lookup of the made-up name, which fails; the point is that the proxy saw nothing.
    await assert.rejects(proxied({ HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: 'proxied.test' }).resolveDigest(target), {
      code: 'ERR_REGISTRY_UNAVAILABLE',
      message: /registry\.proxied\.test/,
    });
    assert.equal(tunnels.length, before);
  });

  it('never proxies loopback registries, like Go clients', async () => {
    const before = tunnels.length;
    const direct = client({ env: { HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` } });
    assert.equal(await direct.resolveDigest({ ...target, registry: `127.0.0.1:${registryPort}` }), DIGEST);
    assert.equal(tunnels.length, before);
  });

  it('ignores proxies in process.env when options.env has none', async () => {
    const saved = process.env['HTTP_PROXY'];
    process.env['HTTP_PROXY'] = `http://127.0.0.1:${proxyPort}`;
    try {
      const before = tunnels.length;
      await assert.rejects(proxied({}).resolveDigest(target), { code: 'ERR_REGISTRY_UNAVAILABLE' });
      assert.equal(tunnels.length, before);
    } finally {
      if (saved === undefined) delete process.env['HTTP_PROXY'];
      else process.env['HTTP_PROXY'] = saved;
    }
  });

  it('reports an unreadable SSL_CERT_FILE instead of ignoring it', async () => {
    await assert.rejects(client({ env: { SSL_CERT_FILE: '/nonexistent/ca.pem' } }).resolveDigest({ ...target, registry: `127.0.0.1:${registryPort}` }), {
      code: 'ERR_REGISTRY_UNAVAILABLE',
      message: /^cannot read SSL_CERT_FILE \/nonexistent\/ca\.pem: ENOENT/,
    });
  });

  it('rejects an endpoint with a path when the client is built', () => {
    assert.throws(() => new RegistryClient({ registries: [{ host: 'x.test', endpoint: 'https://mirror.test/v2/' }] }), TypeError);
  });
});
