import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type PushedImage, type TestRegistry } from '../support/registry.js';

// Mirrors are tried in order. Two fault proxies in front of one real registry play the mirrors.

const MANIFESTS = /^\/v2\/.+\/manifests\//;
const HOST = 'mirrored.test';
const NOT_HERE = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });

describe('RegistryClient with several endpoints for one registry', () => {
  let registry: TestRegistry;
  let first: FaultProxy;
  let second: FaultProxy;
  let image: PushedImage;
  let deadPort: number;
  const clients: RegistryClient[] = [];
  const logged: string[] = [];
  const client = (endpoints: readonly string[]) => {
    const c = new RegistryClient({
      env: {},
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      registries: [{ host: HOST, endpoints }],
      log: (line) => logged.push(line),
    });
    clients.push(c);
    return c;
  };
  const target = () => ({ registry: HOST, repository: image.repository, reference: 'v1' });

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    [first, second] = await Promise.all([startFaultProxy(registry.url), startFaultProxy(registry.url)]);
    image = await registry.push('mirrors/app', 'v1', 'docker-manifest-list');
    deadPort = await closedPort();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([first?.close(), second?.close()]);
    await registry?.stop();
  });

  it('falls through a mirror that answers 503 after retries', async () => {
    first.setRules([{ action: { kind: 'respond', status: 503 } }]);
    second.setRules([]);
    logged.length = 0;
    assert.equal(await client([first.url, second.url]).resolveDigest(target()), image.digest);
    assert.ok(logged.some((l) => l.startsWith(`${first.host}: service unavailable (GET 503 from ${first.host}); trying the next endpoint`)), logged.join('\n'));
  });

  it('falls through a mirror nothing listens on', async () => {
    second.setRules([]);
    assert.equal(await client([`http://127.0.0.1:${deadPort}`, second.url]).resolveDigest(target()), image.digest);
  });

  for (const status of [404, 401]) {
    it(`falls through a partial mirror that answers ${status}`, async () => {
      first.setRules([{ path: MANIFESTS, action: { kind: 'respond', status, headers: { 'content-type': 'application/json' }, body: NOT_HERE } }]);
      second.setRules([]);
      const before = first.count('HEAD', MANIFESTS);
      assert.equal(await client([first.url, second.url]).resolveDigest(target()), image.digest);
      assert.equal(first.count('HEAD', MANIFESTS) - before, 1);
    });
  }

  it('does not fall through a digest mismatch', async () => {
    first.setRules([
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'docker-content-digest': undefined } } },
      { method: 'GET', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'docker-content-digest': `sha256:${'1'.repeat(64)}` } } },
    ]);
    second.setRules([]);
    const before = second.count('HEAD', MANIFESTS);
    await assert.rejects(client([first.url, second.url]).resolveDigest(target()), { code: 'ERR_DIGEST_MISMATCH' });
    assert.equal(second.count('HEAD', MANIFESTS), before);
  });

  it('names every endpoint when all fail, with the most telling code', async () => {
    first.setRules([{ path: MANIFESTS, action: { kind: 'respond', status: 404, headers: { 'content-type': 'application/json' }, body: NOT_HERE } }]);
    const dead = `127.0.0.1:${deadPort}`;
    await assert.rejects(client([`http://${dead}`, first.url]).resolveDigest(target()), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'ERR_MANIFEST_UNKNOWN');
      assert.equal(
        error.message,
        `all 2 endpoints failed: ${dead}: connect ECONNREFUSED ${dead} (GET http://${dead}/v2/); ` +
          `${first.host}: MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${first.host})`,
      );
      return true;
    });
  });

  it('keeps the single-endpoint error as it was', async () => {
    first.setRules([{ path: MANIFESTS, action: { kind: 'respond', status: 404 } }]);
    await assert.rejects(client([first.url]).resolveDigest(target()), {
      code: 'ERR_MANIFEST_UNKNOWN',
      message: `MANIFEST_UNKNOWN: manifest unknown (HEAD 404 from ${first.host})`,
    });
  });
});

/** A port nothing listens on: bound once by the kernel's choice, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}
