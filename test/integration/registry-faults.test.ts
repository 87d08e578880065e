import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startFaultProxy, startTcpFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type PushedImage, type TestRegistry } from '../support/registry.js';

// A real registry behind a fault proxy. Every assertion is about outcomes and request counts: waits are
// capped at a few ms, and no test measures how long anything took.

const MANIFESTS = /^\/v2\/.+\/manifests\//;
const HOST = 'faulty.test';

/** Asserts a RegistryError with this code and message, and returns it. */
async function rejectsWith(promise: Promise<unknown>, code: RegistryError['code'], message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RegistryError, `expected a RegistryError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

describe('RegistryClient against an anonymous registry behind a fault proxy', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let image: PushedImage;
  const clients: RegistryClient[] = [];
  const logged: string[] = [];
  const client = (options: Partial<RegistryClientOptions> = {}) => {
    const c = new RegistryClient({
      env: {},
      timeoutMs: 5_000,
      registries: [{ host: HOST, endpoint: proxy.url }],
      log: (line) => logged.push(line),
      ...options,
      retry: { baseDelayMs: 1, maxDelayMs: 20, ...options.retry },
    });
    clients.push(c);
    return c;
  };
  const target = (reference = 'v1') => ({ registry: HOST, repository: image.repository, reference });
  const heads = () => proxy.count('HEAD', MANIFESTS);
  const gets = () => proxy.count('GET', MANIFESTS);

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    proxy = await startFaultProxy(registry.url);
    image = await registry.push('faults/app', 'v1', 'oci-manifest');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.close();
    await registry?.stop();
  });

  const cases: ReadonlyArray<readonly [string, string]> = [
    ['seconds', '1'],
    ['an HTTP-date', new Date(Date.now() + 60_000).toUTCString()],
  ];
  for (const [form, retryAfter] of cases) {
    it(`waits out a 429 whose Retry-After is ${form}, capped, then resolves`, async () => {
      proxy.setRules([{ method: 'HEAD', path: MANIFESTS, times: 2, action: { kind: 'respond', status: 429, headers: { 'retry-after': retryAfter } } }]);
      const before = heads();
      logged.length = 0;
      assert.equal(await client().resolveDigest(target()), image.digest);
      assert.equal(heads() - before, 3);
      // Jitter alone would wait at most 2 ms with a 1 ms base: 20 ms is the Retry-After, capped at maxDelayMs.
      assert.equal(logged.filter((l) => l.includes('retrying in 20 ms')).length, 2, logged.join('\n'));
    });
  }

  it('retries 503 and resolves', async () => {
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, times: 2, action: { kind: 'respond', status: 503 } }]);
    const before = heads();
    assert.equal(await client().resolveDigest(target()), image.digest);
    assert.equal(heads() - before, 3);
  });

  it('gives up after the configured attempts and reports the last 503', async () => {
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status: 503 } }]);
    const before = heads();
    await rejectsWith(client({ retry: { attempts: 3 } }).resolveDigest(target()), 'ERR_REGISTRY_UNAVAILABLE', `service unavailable (HEAD 503 from ${proxy.host})`);
    assert.equal(heads() - before, 3);
  });

  it('retries TOOMANYREQUESTS in the error body of a 400', async () => {
    const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'pull rate limit' }] });
    proxy.setRules([
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status: 405 } },
      { method: 'GET', path: MANIFESTS, times: 1, action: { kind: 'respond', status: 400, headers: { 'content-type': 'application/json' }, body } },
    ]);
    const before = gets();
    assert.equal(await client().resolveDigest(target()), image.digest);
    assert.equal(gets() - before, 2);
  });

  for (const status of [401, 403, 404]) {
    it(`never retries ${status}`, async () => {
      proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status } }]);
      const before = heads();
      await assert.rejects(client().resolveDigest(target()), RegistryError);
      assert.equal(heads() - before, 1);
    });
  }

  it('retries a reset connection', async () => {
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, times: 2, action: { kind: 'reset' } }]);
    const before = heads();
    assert.equal(await client().resolveDigest(target()), image.digest);
    assert.equal(heads() - before, 3);
  });

  it('times out each attempt against a stalled registry and reports the timeout', async () => {
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'stall' } }]);
    const before = heads();
    const stalled = client({ timeoutMs: 200, retry: { attempts: 2 } });
    await rejectsWith(stalled.resolveDigest(target()), 'ERR_REGISTRY_UNAVAILABLE', `timed out after 0.2s (HEAD ${proxy.url}/v2/${image.repository}/manifests/v1)`);
    assert.equal(heads() - before, 2);
  });

  it('ends a stall with attempts left when the deadline passes', async () => {
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'stall' } }]);
    const before = heads();
    const patient = client({ timeoutMs: 200, retry: { attempts: 50 } });
    await rejectsWith(patient.resolveDigest(target(), { signal: AbortSignal.timeout(500) }), 'ERR_TIMEOUT', /^timed out after \d+(\.\d)?s$/);
    assert.ok(heads() - before < 50, `${heads() - before} attempts`);
  });

  it('stops a backoff wait at once when the signal aborts', async () => {
    // Retry-After asks for a minute: only the abort can end this test in time.
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status: 503, headers: { 'retry-after': '60' } } }]);
    const controller = new AbortController();
    const before = heads();
    const waiting = client({
      retry: { maxDelayMs: 60_000 },
      log: (line) => {
        if (line.includes('retrying in')) controller.abort();
      },
    });
    await rejectsWith(waiting.resolveDigest(target(), { signal: controller.signal }), 'ERR_ABORTED', 'aborted');
    assert.equal(heads() - before, 1);
  });

  it('refuses a GET whose Docker-Content-Digest does not match the body, without retrying', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    proxy.setRules([
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'docker-content-digest': undefined } } },
      { method: 'GET', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'docker-content-digest': wrong } } },
    ]);
    const before = gets();
    await rejectsWith(
      client().resolveDigest(target()),
      'ERR_DIGEST_MISMATCH',
      `manifest content has digest ${image.digest} but Docker-Content-Digest says ${wrong} (GET 200 from ${proxy.host})`,
    );
    assert.equal(gets() - before, 1);
  });

  it('refuses a HEAD that says schema 1', async () => {
    const schema1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    proxy.setRules([{ method: 'HEAD', path: MANIFESTS, action: { kind: 'rewrite', headers: { 'content-type': schema1 } } }]);
    await rejectsWith(client().resolveDigest(target()), 'ERR_UNSUPPORTED_MANIFEST', new RegExp(`^registry serves a docker schema 1 manifest \\(${schema1.replace(/[.+]/g, '\\$&')}\\)`));
  });

  it('refuses a manifest over 4 MiB', async () => {
    proxy.setRules([
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status: 405 } },
      { method: 'GET', path: MANIFESTS, action: { kind: 'respond', status: 200, body: Buffer.alloc(5 * 1024 * 1024, 0x20) } },
    ]);
    await rejectsWith(client().resolveDigest(target()), 'ERR_REGISTRY_RESPONSE', `manifest larger than 4194304 bytes (GET 200 from ${proxy.host})`);
  });

  it('reads at most 64 KiB of an error body and reports the status', async () => {
    proxy.setRules([
      { method: 'HEAD', path: MANIFESTS, action: { kind: 'respond', status: 405 } },
      { method: 'GET', path: MANIFESTS, action: { kind: 'respond', status: 400, body: `{"errors":[{"code":"X","message":"${'y'.repeat(1024 * 1024)}"}]}` } },
    ]);
    await rejectsWith(client().resolveDigest(target()), 'ERR_REGISTRY_RESPONSE', `bad request (GET 400 from ${proxy.host})`);
  });

  it('follows a redirect to another origin serving the registry', async () => {
    proxy.setRules([{ path: MANIFESTS, action: { kind: 'redirect', status: 307, location: (path) => `${registry.url}${path}` } }]);
    const before = heads();
    assert.equal(await client().resolveDigest(target()), image.digest);
    assert.equal(heads() - before, 1);
  });
});

describe('RegistryClient against a TLS registry behind a flaky TCP proxy', () => {
  let registry: TestRegistry;

  before(async () => {
    registry = await startRegistry({ mode: 'tls' });
  });
  after(async () => {
    await registry?.stop();
  });

  it('retries TLS handshakes the proxy cuts off, trusting the caFile of the mapping', async () => {
    const image = await registry.push('faults/tls', 'v1', 'docker-schema2');
    const port = Number(registry.host.split(':')[1]);
    const proxy = await startTcpFaultProxy(port, 2);
    const client = new RegistryClient({
      env: {},
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      registries: [{ host: HOST, endpoint: `https://${proxy.host}`, caFile: registry.caFile ?? '' }],
    });
    try {
      assert.equal(await client.resolveDigest({ registry: HOST, repository: image.repository, reference: 'v1' }), image.digest);
      assert.ok(proxy.connections() >= 3, `${proxy.connections()} connections`);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
