import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startScriptedRegistry, type ScriptedRegistry } from '../support/scripted-registry.js';

// What the client checks in what it is given: digests, media types, realms and body sizes.

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
const SHA256 = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const SHA512 = `sha512:${createHash('sha512').update(MANIFEST).digest('hex')}`;
const OTHER = `sha256:${'c'.repeat(64)}`;

describe('RegistryClient checks what a registry serves', () => {
  let fake: ScriptedRegistry;
  let dir: string;
  const clients: RegistryClient[] = [];
  const client = (options: { timeoutMs?: number } = {}) => {
    const c = new RegistryClient({ env: { DOCKER_CONFIG: dir }, timeoutMs: options.timeoutMs ?? 5_000, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    clients.push(c);
    return c;
  };
  const target = (reference = 'v1') => ({ registry: fake.host, repository: 'team/app', reference });
  const manifests = () => fake.seen.filter((l) => l.includes('/manifests/'));
  /** Anonymous registry whose manifest responses come from `respond`. */
  const serve = (respond: (req: IncomingMessage, res: ServerResponse) => void) => {
    fake.handle = (req, res, url) => (url.pathname === '/v2/' ? void res.writeHead(200).end() : respond(req, res));
  };
  /** HEAD answers with `head` headers; GET with the manifest and `get` headers. */
  const answer = (head: Record<string, string>, get: Record<string, string> = {}) =>
    serve((req, res) => (req.method === 'HEAD' ? res.writeHead(200, head).end() : res.writeHead(200, get).end(MANIFEST)));

  before(async () => {
    fake = await startScriptedRegistry();
    dir = await mkdtemp(join(tmpdir(), 'digester-verify-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [fake.host]: { username: 'u', password: 'pw' } } }));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns a verified Docker-Content-Digest of a GET', async () => {
    answer({}, { 'docker-content-digest': SHA512 });
    assert.equal(await client().resolveDigest(target()), SHA512);
  });

  it('refuses a HEAD that announces another digest than the one asked for', async () => {
    answer({ 'docker-content-digest': OTHER });
    await assert.rejects(client().resolveDigest(target(SHA256)), {
      code: 'ERR_DIGEST_MISMATCH',
      message: `registry announces ${OTHER} for the requested ${SHA256} (HEAD 200 from ${fake.host})`,
    });
  });

  it('checks the body when the HEAD digest is of another algorithm than the one asked for', async () => {
    answer({ 'docker-content-digest': SHA256 });
    const before = manifests().length;
    assert.equal(await client().resolveDigest(target(SHA512)), SHA512);
    assert.deepEqual(manifests().slice(before), [`HEAD /v2/team/app/manifests/${SHA512}`, `GET /v2/team/app/manifests/${SHA512}`]);
  });

  it('accepts a HEAD that announces the digest asked for without a GET', async () => {
    answer({ 'docker-content-digest': SHA256 });
    const before = manifests().length;
    assert.equal(await client().resolveDigest(target(SHA256)), SHA256);
    assert.equal(manifests().length - before, 1);
  });

  for (const contentType of ['application/vnd.docker.distribution.manifest.v1+json', 'Application/VND.docker.distribution.manifest.v1+prettyjws; charset=utf-8']) {
    it(`refuses a GET of schema 1 (${contentType})`, async () => {
      serve((req, res) => (req.method === 'HEAD' ? res.writeHead(405).end() : res.writeHead(200, { 'content-type': contentType }).end(MANIFEST)));
      await assert.rejects(client().resolveDigest(target()), (error: unknown) => {
        assert.ok(error instanceof RegistryError);
        assert.equal(error.code, 'ERR_UNSUPPORTED_MANIFEST');
        assert.match(error.message, /^registry serves a docker schema 1 manifest \(application\/vnd\.docker\.distribution\.manifest\.v1\+(json|prettyjws)\), whose digest does not identify the image users pull; push the image as an OCI or docker schema 2 manifest \(GET 200 from /);
        return true;
      });
    });
  }

  it('refuses a token response over 64 KiB', async () => {
    fake.handle = (_req, res, url) => {
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${fake.host}/token",service="fake"` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'x'.repeat(70 * 1024) }));
    };
    await assert.rejects(client().resolveDigest(target()), { code: 'ERR_REGISTRY_RESPONSE', message: `token response larger than 65536 bytes (GET 200 from ${fake.host})` });
  });

  for (const realm of ['http://169.254.169.254/latest/meta-data/token', 'http://[fe80::1]/token', 'https://169.254.169.254/token']) {
    it(`refuses the link-local token realm ${realm}`, async () => {
      fake.handle = (_req, res, url) => {
        if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="fake"` }).end();
        res.writeHead(500).end();
      };
      const where = new URL(realm);
      await assert.rejects(client().resolveDigest(target()), {
        code: 'ERR_REGISTRY_AUTH',
        message: `refusing token realm ${where.origin}${where.pathname} from ${fake.host}: link-local addresses (169.254.0.0/16, fe80::/10) such as cloud metadata servers are never a token realm`,
      });
    });
  }

  it('aborts what is in flight when the client is closed', async () => {
    serve(() => undefined);
    const c = client({ timeoutMs: 60_000 });
    const pending = c.resolveDigest(target());
    const outcome = assert.rejects(pending, { code: 'ERR_ABORTED', message: 'registry client closed' });
    while (!fake.seen.at(-1)?.startsWith('HEAD ')) await new Promise((resolve) => setImmediate(resolve));
    await c.close();
    await outcome;
  });
});
