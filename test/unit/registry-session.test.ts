import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { MANIFEST_ACCEPT } from '../../src/registry/constants.js';
import type { Endpoint } from '../../src/registry/endpoint.js';
import { RegistryError } from '../../src/registry/errors.js';
import { resolveManifestDigest } from '../../src/registry/manifests.js';
import { ping } from '../../src/registry/ping.js';
import { RegistrySession } from '../../src/registry/session.js';
import { fetchToken, TokenCache } from '../../src/registry/token.js';
import { Transport } from '../../src/registry/transport.js';

// A scripted registry on loopback, for behaviour the real registry cannot be made to show on demand:
// revoked tokens, missing or malformed digest headers, oversized manifests, 429s and stalls.
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

interface Fake {
  readonly host: string;
  readonly seen: string[];
  handle: Handler;
  close(): Promise<void>;
}

async function startFake(): Promise<Fake> {
  const fake: Fake = {
    host: '',
    seen: [],
    handle: (_req, res) => res.writeHead(500).end(),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.seen.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
    fake.handle(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const OTHER = `sha256:${'a'.repeat(64)}`;

describe('RegistryClient against a scripted registry', () => {
  let fake: Fake;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const clients: RegistryClient[] = [];
  // Retries wait at most a few ms here; their policy has its own tests.
  const client = (options: { timeoutMs?: number; log?: (l: string) => void; attempts?: number } = {}) => {
    const retry = { attempts: options.attempts ?? 4, baseDelayMs: 1, maxDelayMs: 5 };
    const c = new RegistryClient({ env, retry, timeoutMs: options.timeoutMs ?? 5_000, ...(options.log ? { log: options.log } : {}) });
    clients.push(c);
    return c;
  };
  const target = (reference = 'v1') => ({ registry: fake.host, repository: 'team/app', reference });

  before(async () => {
    fake = await startFake();
    dir = await mkdtemp(join(tmpdir(), 'digester-session-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [fake.host]: { username: 'u', password: 'pw' } } }));
    env = { DOCKER_CONFIG: dir };
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Bearer registry whose token endpoint issues tok-N and whose manifest endpoint applies `accept`. */
  function bearerRegistry(accept: (token: string | undefined) => boolean, challenge?: string): { tokens: () => number; tokenAuth: string[] } {
    let issued = 0;
    const tokenAuth: string[] = [];
    fake.handle = (req, res, url) => {
      const realm = `http://${fake.host}/token`;
      const header = challenge ?? `Bearer realm="${realm}",service="fake"`;
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': header }).end();
      if (url.pathname === '/token') {
        tokenAuth.push(req.headers.authorization ?? '');
        issued += 1;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok-${issued}` }));
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!accept(token)) {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake",error="invalid_token"` }).end();
      }
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    };
    return { tokens: () => issued, tokenAuth };
  }

  it('prefers Bearer over Basic and sends the password only to the realm', async () => {
    const state = bearerRegistry((t) => t === 'tok-1', `Basic realm="basic", Bearer realm="http://${fake.host}/token",service="fake"`);
    assert.equal(await client().resolveDigest(target()), DIGEST);
    assert.deepEqual(state.tokenAuth, [`Basic ${Buffer.from('u:pw').toString('base64')}`]);
  });

  it('refreshes a cached token once when the registry calls it invalid_token', async () => {
    let revoked = '';
    const state = bearerRegistry((t) => t !== undefined && t !== revoked);
    const c = client();
    assert.equal(await c.resolveDigest(target()), DIGEST);
    revoked = 'tok-1';
    assert.equal(await c.resolveDigest(target()), DIGEST);
    assert.equal(state.tokens(), 2);
  });

  it('does not loop when the fresh token is rejected too', async () => {
    const state = bearerRegistry(() => false);
    await assert.rejects(client().resolveDigest(target()), { code: 'ERR_REGISTRY_AUTH' });
    assert.equal(state.tokens(), 1);
  });

  it('asks again for one scope when a batch token lacks it', async () => {
    const asked: string[][] = [];
    fake.handle = (req, res, url) => {
      const realm = `http://${fake.host}/token`;
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake"` }).end();
      if (url.pathname === '/token') {
        asked.push(url.searchParams.getAll('scope'));
        return void res.writeHead(200).end(JSON.stringify({ token: `tok-${asked.length}` }));
      }
      // A server that granted the batch only in part: the batch token does not cover this repository.
      if (req.headers.authorization !== 'Bearer tok-2') {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake",error="insufficient_scope"` }).end();
      }
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    };
    const c = client();
    c.expect([target(), { ...target(), repository: 'team/other' }]);
    assert.equal(await c.resolveDigest(target()), DIGEST);
    assert.deepEqual(asked, [['repository:team/app:pull', 'repository:team/other:pull'], ['repository:team/app:pull']]);
  });

  it('adopts a challenge from a manifest 401 after an anonymous ping', async () => {
    fake.handle = (req, res, url) => {
      if (url.pathname === '/v2/') return void res.writeHead(200).end();
      if (req.headers.authorization === `Basic ${Buffer.from('u:pw').toString('base64')}`) {
        return void res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="repo"' }).end();
    };
    assert.equal(await client().resolveDigest(target()), DIGEST);
  });

  /** Anonymous registry whose manifest responses come from `respond`. */
  function manifestRegistry(respond: (req: IncomingMessage, res: ServerResponse) => void): void {
    fake.handle = (req, res, url) => (url.pathname === '/v2/' ? void res.writeHead(200).end() : respond(req, res));
  }

  it('sends all four manifest media types and the digester User-Agent', async () => {
    let accept = '';
    let agent = '';
    manifestRegistry((req, res) => {
      accept = req.headers.accept ?? '';
      agent = req.headers['user-agent'] ?? '';
      res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    });
    await client().resolveDigest(target());
    assert.deepEqual(accept.split(', '), [...MANIFEST_ACCEPT]);
    assert.match(agent, /^digester\/\d+\.\d+\.\d+/);
  });

  for (const [name, header] of [['missing', undefined], ['malformed', 'sha256:XYZ']] as const) {
    it(`falls back to GET and hashes the body when Docker-Content-Digest is ${name}`, async () => {
      manifestRegistry((req, res) => {
        res.writeHead(200, header === undefined ? {} : { 'docker-content-digest': header });
        res.end(req.method === 'GET' ? MANIFEST : undefined);
      });
      const before = fake.seen.length;
      assert.equal(await client().resolveDigest(target()), DIGEST);
      assert.deepEqual(fake.seen.slice(before).filter((l) => l.includes('manifests')), ['HEAD /v2/team/app/manifests/v1', 'GET /v2/team/app/manifests/v1']);
    });
  }

  it('refuses a manifest body over 4 MiB', async () => {
    manifestRegistry((req, res) => res.writeHead(200).end(req.method === 'GET' ? Buffer.alloc(4 * 1024 * 1024 + 1, 0x20) : undefined));
    await assert.rejects(client().resolveDigest(target()), {
      code: 'ERR_REGISTRY_RESPONSE',
      message: `manifest larger than 4194304 bytes (GET 200 from ${fake.host})`,
    });
  });

  it('checks the hashed body against a digest reference', async () => {
    manifestRegistry((req, res) => res.writeHead(200).end(req.method === 'GET' ? MANIFEST : undefined));
    await assert.rejects(client().resolveDigest(target(OTHER)), { code: 'ERR_DIGEST_MISMATCH', message: new RegExp(`^manifest content has digest ${DIGEST}`) });
  });

  it('reports 429 as a temporary ERR_REGISTRY_UNAVAILABLE after 4 attempts', async () => {
    manifestRegistry((_req, res) => res.writeHead(429).end());
    const before = fake.seen.length;
    await assert.rejects(client().resolveDigest(target()), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.message, `TOOMANYREQUESTS: too many requests (HEAD 429 from ${fake.host})`);
      assert.equal(error.temporary, true);
      return true;
    });
    assert.deepEqual(fake.seen.slice(before).filter((l) => l.includes('manifests')), Array(4).fill('HEAD /v2/team/app/manifests/v1'));
  });

  it('pings once for concurrent resolves', async () => {
    manifestRegistry((_req, res) => res.writeHead(200, { 'docker-content-digest': DIGEST }).end());
    const before = fake.seen.length;
    const c = client();
    await Promise.all(['a', 'b', 'c', 'd'].map((tag) => c.resolveDigest(target(tag))));
    assert.equal(fake.seen.slice(before).filter((l) => l === 'GET /v2/').length, 1);
  });

  it('reports a ping 503 as ERR_REGISTRY_UNAVAILABLE', async () => {
    fake.handle = (_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}');
    await assert.rejects(client().resolveDigest(target()), { code: 'ERR_REGISTRY_UNAVAILABLE', message: `UNAVAILABLE: maintenance (GET 503 from ${fake.host})` });
  });

  it('gives up on a stalled registry after the deadline', async () => {
    manifestRegistry(() => undefined);
    await assert.rejects(client({ timeoutMs: 300, attempts: 1 }).resolveDigest(target()), {
      code: 'ERR_REGISTRY_UNAVAILABLE',
      message: `timed out after 0.3s (HEAD http://${fake.host}/v2/team/app/manifests/v1)`,
    });
  });

  it('never logs the Authorization value', async () => {
    bearerRegistry((t) => t !== undefined);
    const lines: string[] = [];
    await client({ log: (l) => lines.push(l) }).resolveDigest(target());
    assert.ok(lines.includes(`HEAD http://${fake.host}/v2/team/app/manifests/v1 -> 200`), lines.join('\n'));
    for (const line of lines) assert.doesNotMatch(line, /tok-\d|pw|Basic |Bearer /);
  });

  it('refuses a plain-http token realm for a registry that is not loopback or insecure', async () => {
    let asked = false;
    bearerRegistry(() => true);
    const realmHandle = fake.handle;
    fake.handle = (req, res, url) => {
      if (url.pathname === '/token') asked = true;
      realmHandle(req, res, url);
    };
    // Loopback is always insecure, so the session is built by hand with an endpoint that claims otherwise.
    const transport = new Transport({ env: {}, timeoutMs: 5_000, log: () => undefined, userAgent: 'test' });
    const endpoint: Endpoint = { registry: 'registry.example', host: fake.host, schemes: ['http'], insecure: false };
    const session = new RegistrySession({
      transport,
      endpoint,
      tokens: new TokenCache((request) => fetchToken(transport, request)),
      ping: () => ping(transport, endpoint),
      credentials: async () => ({ kind: 'basic', username: 'u', password: 'pw' }),
      log: () => undefined,
    });
    await assert.rejects(resolveManifestDigest(session, 'team/app', 'v1'), {
      code: 'ERR_REGISTRY_AUTH',
      message: `refusing token realm http://${fake.host}/token from ${fake.host}: only https is allowed for a registry that is not loopback or insecure`,
    });
    assert.equal(asked, false);
    await transport.close();
  });
});
