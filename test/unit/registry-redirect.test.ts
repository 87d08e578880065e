import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import { HttpResponse } from '../../src/registry/http-response.js';
import { followRedirects, type Send } from '../../src/registry/redirect.js';
import { Transport } from '../../src/registry/transport.js';
import { startScriptedRegistry, type ScriptedRegistry } from '../support/scripted-registry.js';

type Body = Dispatcher.ResponseData['body'];
const EMPTY = { dump: async () => undefined, async *[Symbol.asyncIterator]() {} } as unknown as Body;

/** A Send that answers from a table of URL → [status, location] and records what it was asked. */
function scriptedSend(routes: Readonly<Record<string, readonly [number, string?]>>) {
  const calls: Array<{ method: string; url: string; authorization: string | undefined }> = [];
  const send: Send = async (method, url, init) => {
    calls.push({ method, url: url.href, authorization: init.headers?.['authorization'] });
    const [status, location] = routes[url.href] ?? [200];
    return new HttpResponse(method, url, status, location === undefined ? {} : { location }, EMPTY, 1_000);
  };
  return { send, calls };
}

const AUTH = { headers: { authorization: 'Bearer secret' } };

describe('followRedirects', () => {
  it('resolves a relative Location against the URL that sent it, keeping Authorization on the origin', async () => {
    const { send, calls } = scriptedSend({ 'https://reg.test/v2/a/manifests/v1': [307, '../../b/manifests/v1?x=1'] });
    const response = await followRedirects(send, 'HEAD', new URL('https://reg.test/v2/a/manifests/v1'), AUTH);
    assert.equal(response.url.href, 'https://reg.test/v2/b/manifests/v1?x=1');
    assert.deepEqual(calls.map((c) => [c.method, c.authorization]), [['HEAD', 'Bearer secret'], ['HEAD', 'Bearer secret']]);
  });

  for (const [name, location] of [
    ['another host', 'https://cdn.test/blob'],
    ['another port', 'https://reg.test:8443/blob'],
    ['another scheme', 'http://127.0.0.1/blob'],
  ] as const) {
    it(`drops Authorization for good once a redirect reaches ${name}`, async () => {
      const back = 'https://reg.test/v2/again';
      const { send, calls } = scriptedSend({ 'https://reg.test/v2/x': [302, location], [new URL(location).href]: [307, back] });
      await followRedirects(send, 'GET', new URL('https://reg.test/v2/x'), AUTH);
      assert.deepEqual(calls.map((c) => c.authorization), ['Bearer secret', undefined, undefined]);
    });
  }

  it('keeps a HEAD a HEAD after a 303', async () => {
    const { send, calls } = scriptedSend({ 'https://reg.test/a': [303, '/b'] });
    await followRedirects(send, 'HEAD', new URL('https://reg.test/a'), {});
    assert.deepEqual(calls.map((c) => c.method), ['HEAD', 'HEAD']);
  });

  it('gives up after 5 redirects', async () => {
    const routes = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`https://reg.test/${i}`, [301, `/${i + 1}`] as const]));
    const { send, calls } = scriptedSend(routes);
    await assert.rejects(followRedirects(send, 'GET', new URL('https://reg.test/0'), {}), {
      code: 'ERR_REGISTRY_RESPONSE',
      message: 'more than 5 redirects, starting at https://reg.test/0 (GET 301 from reg.test)',
    });
    assert.equal(calls.length, 6);
  });

  for (const [name, location, message] of [
    ['a downgrade to plain http', 'http://cdn.test/x', 'refusing redirect from https to http://cdn.test (GET 302 from reg.test)'],
    ['another protocol', 'file:///etc/passwd', 'refusing redirect to a file: url (GET 302 from reg.test)'],
    ['an invalid location', 'http://[bad', 'redirect to an invalid location (GET 302 from reg.test)'],
  ] as const) {
    it(`refuses ${name}`, async () => {
      const { send } = scriptedSend({ 'https://reg.test/x': [302, location] });
      await assert.rejects(followRedirects(send, 'GET', new URL('https://reg.test/x'), {}), { code: 'ERR_REGISTRY_RESPONSE', message });
    });
  }

  it('does not follow a POST or a 3xx without Location', async () => {
    const { send, calls } = scriptedSend({ 'https://auth.test/token': [302, 'https://elsewhere.test/'], 'https://reg.test/x': [302] });
    assert.equal((await followRedirects(send, 'POST', new URL('https://auth.test/token'), {})).status, 302);
    assert.equal((await followRedirects(send, 'GET', new URL('https://reg.test/x'), {})).status, 302);
    assert.equal(calls.length, 2);
  });
});

describe('Transport redirects between two loopback origins', () => {
  let a: ScriptedRegistry;
  let b: ScriptedRegistry;
  const auth: Array<string | undefined> = [];

  before(async () => {
    [a, b] = await Promise.all([startScriptedRegistry(), startScriptedRegistry()]);
    a.handle = (req, res) => {
      auth.push(req.headers.authorization);
      res.writeHead(308, { location: `http://${b.host}/moved?X-Amz-Signature=s3cr3t` }).end();
    };
    b.handle = (req, res) => {
      auth.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('here');
    };
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('arrives without Authorization, reports the final URL and logs no signed query', async () => {
    const logged: string[] = [];
    const transport = new Transport({ env: {}, timeoutMs: 5_000, log: (line) => logged.push(line), userAgent: 'test' });
    try {
      const response = await transport.request('GET', new URL(`http://${a.host}/v2/x`), { headers: { authorization: 'Basic c2VjcmV0' } });
      assert.equal(response.status, 200);
      assert.equal(response.url.href, `http://${b.host}/moved?X-Amz-Signature=s3cr3t`);
      assert.equal((await response.read(100)).data.toString(), 'here');
      assert.deepEqual(auth, ['Basic c2VjcmV0', undefined]);
      assert.deepEqual(logged, [`GET http://${a.host}/v2/x -> 308`, `GET http://${b.host}/moved?… -> 200`]);
    } finally {
      await transport.close();
    }
  });
});
