import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from '../../src/registry/errors.js';
import { TokenCache, type Token, type TokenRequest } from '../../src/registry/token.js';

const realm = new URL('https://auth.example/token');
const req = (...scopes: string[]): TokenRequest => ({ realm, service: 'registry.example', scopes });

/** A token fetcher that counts calls and hands out tok-1, tok-2, … valid for `ttlMs` from the fake clock. */
function fakeFetcher(clock: { now: number }, ttlMs = 50_000) {
  let calls = 0;
  const fetch = async (): Promise<Token> => {
    calls += 1;
    await Promise.resolve();
    return { value: `tok-${calls}`, expiresAt: clock.now + ttlMs };
  };
  return { fetch, calls: () => calls };
}

describe('TokenCache', () => {
  it('shares one in-flight fetch among concurrent callers', async () => {
    const clock = { now: 0 };
    const fetcher = fakeFetcher(clock);
    const cache = new TokenCache(fetcher.fetch, () => clock.now);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => cache.get('p', req('repository:a:pull'))));
    assert.equal(fetcher.calls(), 1);
    assert.deepEqual(new Set(tokens.map((t) => t.value)), new Set(['tok-1']));
    assert.equal(tokens.filter((t) => !t.reused).length, 1);
  });

  it('reuses a token until it expires, then fetches a new one', async () => {
    const clock = { now: 0 };
    const fetcher = fakeFetcher(clock);
    const cache = new TokenCache(fetcher.fetch, () => clock.now);
    assert.deepEqual(await cache.get('p', req('repository:a:pull')), { value: 'tok-1', reused: false });
    clock.now = 49_999;
    assert.deepEqual(await cache.get('p', req('repository:a:pull')), { value: 'tok-1', reused: true });
    clock.now = 50_000;
    assert.deepEqual(await cache.get('p', req('repository:a:pull')), { value: 'tok-2', reused: false });
  });

  it('keys by scope set (order-insensitive), service, realm and partition', async () => {
    const clock = { now: 0 };
    const fetcher = fakeFetcher(clock);
    const cache = new TokenCache(fetcher.fetch, () => clock.now);
    await cache.get('p', req('repository:a:pull', 'repository:b:pull'));
    assert.equal((await cache.get('p', req('repository:b:pull', 'repository:a:pull'))).value, 'tok-1');
    assert.equal((await cache.get('p', req('repository:a:pull'))).value, 'tok-2');
    assert.equal((await cache.get('other', req('repository:a:pull'))).value, 'tok-3');
    assert.equal((await cache.get('p', { ...req('repository:a:pull'), service: 'other' })).value, 'tok-4');
    assert.equal((await cache.get('p', { ...req('repository:a:pull'), realm: new URL('https://auth2.example/token') })).value, 'tok-5');
  });

  it('does not cache a failed fetch', async () => {
    let calls = 0;
    const cache = new TokenCache(async () => {
      calls += 1;
      if (calls === 1) throw new RegistryError('ERR_REGISTRY_AUTH', 'UNAUTHORIZED: nope (GET 401 from auth.example)');
      return { value: 'ok', expiresAt: Number.MAX_SAFE_INTEGER };
    });
    const results = await Promise.allSettled([cache.get('p', req('s')), cache.get('p', req('s'))]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(calls, 1);
    assert.equal((await cache.get('p', req('s'))).value, 'ok');
  });

  it('invalidates only the token that was rejected', async () => {
    const clock = { now: 0 };
    const fetcher = fakeFetcher(clock);
    const cache = new TokenCache(fetcher.fetch, () => clock.now);
    await cache.get('p', req('s'));
    cache.invalidate('p', req('s'), 'tok-1');
    assert.equal((await cache.get('p', req('s'))).value, 'tok-2');
    // A second request that also saw tok-1 rejected must not throw away the fresh tok-2.
    cache.invalidate('p', req('s'), 'tok-1');
    assert.deepEqual(await cache.get('p', req('s')), { value: 'tok-2', reused: true });
    assert.equal(fetcher.calls(), 2);
  });

  it('fetches a batch once and caches the token under each of its scopes', async () => {
    const clock = { now: 0 };
    const asked: string[][] = [];
    let calls = 0;
    const cache = new TokenCache(async (request) => {
      asked.push([...request.scopes]);
      calls += 1;
      await Promise.resolve();
      return { value: `tok-${calls}`, expiresAt: clock.now + 50_000 };
    }, () => clock.now);
    const batch = ['repository:a:pull', 'repository:b:pull', 'repository:c:pull'];
    const first = cache.get('p', req('repository:a:pull'), batch);
    // Started before the batch settles: they must find it in flight.
    const others = [cache.get('p', req('repository:b:pull')), cache.get('p', req('repository:c:pull'))];
    const tokens = await Promise.all([first, ...others]);
    assert.deepEqual(tokens.map((t) => t.value), ['tok-1', 'tok-1', 'tok-1']);
    assert.deepEqual(asked, [batch]);
    assert.equal(cache.has('p', req('repository:c:pull')), true);
    assert.equal(cache.has('p', req('repository:d:pull')), false);
  });

  it('leaves out batch scopes that already have a token', async () => {
    const asked: string[][] = [];
    const cache = new TokenCache(async (request) => {
      asked.push([...request.scopes]);
      return { value: `tok-${asked.length}`, expiresAt: Number.MAX_SAFE_INTEGER };
    });
    await cache.get('p', req('repository:b:pull'));
    await cache.get('p', req('repository:a:pull'), ['repository:a:pull', 'repository:b:pull', 'repository:c:pull']);
    assert.deepEqual(asked, [['repository:b:pull'], ['repository:a:pull', 'repository:c:pull']]);
    assert.equal((await cache.get('p', req('repository:b:pull'))).value, 'tok-1');
  });

  it('falls back to one scope per caller when the batch is refused', async () => {
    const asked: string[][] = [];
    const cache = new TokenCache(async (request) => {
      asked.push([...request.scopes]);
      if (request.scopes.length > 1) throw new RegistryError('ERR_REGISTRY_AUTH', 'DENIED: one of them (GET 403 from auth.example)');
      return { value: `tok-${request.scopes[0] ?? ''}`, expiresAt: Number.MAX_SAFE_INTEGER };
    });
    const batch = ['repository:a:pull', 'repository:b:pull'];
    const tokens = await Promise.all([cache.get('p', req('repository:a:pull'), batch), cache.get('p', req('repository:b:pull'))]);
    assert.deepEqual(tokens.map((t) => t.value), ['tok-repository:a:pull', 'tok-repository:b:pull']);
    assert.deepEqual(asked, [batch, ['repository:a:pull'], ['repository:b:pull']]);
  });

  it('does not fall back when the batch failed for a temporary reason', async () => {
    let calls = 0;
    const cache = new TokenCache(async () => {
      calls += 1;
      throw new RegistryError('ERR_REGISTRY_UNAVAILABLE', 'service unavailable (GET 503 from auth.example)', { status: 503 });
    });
    await assert.rejects(cache.get('p', req('repository:a:pull'), ['repository:a:pull', 'repository:b:pull']), { code: 'ERR_REGISTRY_UNAVAILABLE' });
    assert.equal(calls, 1);
  });
});
