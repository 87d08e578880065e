import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetch } from 'undici';
import { MediaType } from '../support/media-types.js';
import { startRegistry, type AuthMode, type ManifestKind, type TestRegistry } from '../support/registry.js';
import { skopeoDigest } from '../support/skopeo.js';

interface TokenClaims {
  readonly aud: string;
  readonly access: readonly { readonly type: string; readonly name: string; readonly actions: readonly string[] }[];
}

const MODES: readonly AuthMode[] = ['anonymous', 'basic', 'token', 'tls'];

const KINDS: readonly { readonly kind: ManifestKind; readonly mediaType: string }[] = [
  { kind: 'oci-manifest', mediaType: MediaType.ociManifest },
  { kind: 'docker-schema2', mediaType: MediaType.dockerManifest },
  { kind: 'oci-index', mediaType: MediaType.ociIndex },
  { kind: 'docker-manifest-list', mediaType: MediaType.dockerManifestList },
];

for (const mode of MODES) {
  describe(`harness registry in ${mode} mode`, () => {
    let registry: TestRegistry;

    before(async () => {
      registry = await startRegistry({ mode });
    });

    after(async () => {
      await registry?.stop();
    });

    for (const { kind, mediaType } of KINDS) {
      it(`pushes a ${kind} whose digest skopeo agrees with`, async () => {
        const pushed = await registry.push('library/nginx', kind, kind);
        assert.equal(pushed.mediaType, mediaType);
        assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);
        assert.equal(await skopeoDigest(registry, 'library/nginx', kind), pushed.digest);
      });
    }

    it('gives every push a distinct digest', async () => {
      const first = await registry.push('team/app', 'one', 'oci-manifest');
      const second = await registry.push('team/app', 'two', 'oci-manifest');
      assert.notEqual(first.digest, second.digest);
    });

    it(`exposes the ${mode} connection details`, () => {
      assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
      assert.equal(registry.url, `${mode === 'tls' ? 'https' : 'http'}://${registry.host}`);
      assert.equal(registry.username !== undefined, mode === 'basic' || mode === 'token');
      assert.equal(registry.caFile !== undefined, mode === 'tls');
      assert.equal(registry.tokenRequests !== undefined, mode === 'token');
    });
  });
}

describe('harness token server', () => {
  let registry: TestRegistry;
  let realm: URL;
  let service: string;

  before(async () => {
    registry = await startRegistry({ mode: 'token' });
    await registry.push('library/nginx', 'latest', 'oci-manifest');
    const challenge = await fetch(`${registry.url}/v2/`);
    await challenge.body?.cancel();
    const header = challenge.headers.get('WWW-Authenticate') ?? '';
    const realmMatch = /realm="([^"]+)"/.exec(header);
    const serviceMatch = /service="([^"]+)"/.exec(header);
    assert.ok(realmMatch?.[1] && serviceMatch?.[1], `registry sent a Bearer challenge with realm and service: ${header}`);
    realm = new URL(realmMatch[1]);
    service = serviceMatch[1];
  });

  after(async () => {
    await registry?.stop();
  });

  function basic(username: string, password: string): string {
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  function claims(token: string): TokenClaims {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
  }

  it('refuses an anonymous HEAD of a manifest with 401', async () => {
    const response = await fetch(`${registry.url}/v2/library/nginx/manifests/latest`, {
      method: 'HEAD',
      headers: { Accept: MediaType.ociManifest },
    });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('WWW-Authenticate') ?? '', /^Bearer realm=/);
  });

  it('grants every scope of a request with valid basic credentials, and the registry accepts the token', async () => {
    const url = new URL(realm);
    url.searchParams.set('service', service);
    url.searchParams.append('scope', 'repository:library/nginx:pull');
    url.searchParams.append('scope', 'repository:team/app:pull,push');
    const response = await fetch(url, { headers: { Authorization: basic(registry.username ?? '', registry.password ?? '') } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    assert.equal(body.token, body.access_token);
    assert.equal(claims(body.token).aud, service);
    assert.deepEqual(claims(body.token).access, [
      { type: 'repository', name: 'library/nginx', actions: ['pull'] },
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    ]);
    const manifest = await fetch(`${registry.url}/v2/library/nginx/manifests/latest`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${body.token}`, Accept: MediaType.ociManifest },
    });
    assert.equal(manifest.status, 200);
  });

  it('answers 401 to wrong credentials', async () => {
    const url = new URL(realm);
    url.searchParams.set('service', service);
    url.searchParams.set('scope', 'repository:library/nginx:pull');
    const response = await fetch(url, { headers: { Authorization: basic(registry.username ?? '', 'wrong') } });
    await response.body?.cancel();
    assert.equal(response.status, 401);
  });

  it('gives an anonymous token no access, which the registry refuses', async () => {
    const url = new URL(realm);
    url.searchParams.set('service', service);
    url.searchParams.set('scope', 'repository:library/nginx:pull');
    const body = (await (await fetch(url)).json()) as { token: string };
    assert.deepEqual(claims(body.token).access, []);
    const manifest = await fetch(`${registry.url}/v2/library/nginx/manifests/latest`, {
      method: 'HEAD',
      headers: { Authorization: `Bearer ${body.token}`, Accept: MediaType.ociManifest },
    });
    assert.equal(manifest.status, 401);
  });

  it('exchanges the refresh token in the OAuth2 POST flow and rejects others', async () => {
    const form = (refreshToken: string): URLSearchParams =>
      new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        service,
        client_id: 'digester-test',
        scope: 'repository:library/nginx:pull repository:team/app:pull',
      });
    const good = await fetch(realm, { method: 'POST', body: form(registry.refreshToken ?? '') });
    assert.equal(good.status, 200);
    const body = (await good.json()) as { access_token: string };
    assert.deepEqual(
      claims(body.access_token).access.map((entry) => entry.name),
      ['library/nginx', 'team/app'],
    );
    const bad = await fetch(realm, { method: 'POST', body: form('not-the-refresh-token') });
    await bad.body?.cancel();
    assert.equal(bad.status, 400);
  });

  it('counts the token requests it received, not the harness pushes', async () => {
    const before = registry.tokenRequests?.() ?? -1;
    await registry.push('team/app', 'counted', 'docker-schema2');
    assert.equal(registry.tokenRequests?.(), before);
    const url = new URL(realm);
    url.searchParams.set('service', service);
    await (await fetch(url)).body?.cancel();
    assert.equal(registry.tokenRequests?.(), before + 1);
  });
});
