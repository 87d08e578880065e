import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RegistryMapping } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startRegistry, type PushedImage, type TestRegistry } from '../support/registry.js';

// Per-registry trust against the TLS-mode registry, whose certificate is signed by a throwaway CA.

describe('RegistryClient trust settings per registry', () => {
  let registry: TestRegistry;
  let image: PushedImage;
  const resolve = async (registries: readonly RegistryMapping[], name = registry.host): Promise<string> => {
    const client = new RegistryClient({ env: {}, retry: { baseDelayMs: 1, maxDelayMs: 5 }, registries });
    try {
      return await client.resolveDigest({ registry: name, repository: image.repository, reference: 'v1' });
    } finally {
      await client.close();
    }
  };

  before(async () => {
    registry = await startRegistry({ mode: 'tls' });
    image = await registry.push('trust/app', 'v1', 'oci-index');
  });
  after(async () => {
    await registry?.stop();
  });

  it('trusts the caFile of the registry, with no SSL_CERT_FILE', async () => {
    assert.equal(await resolve([{ host: registry.host, caFile: registry.caFile ?? '' }]), image.digest);
  });

  it('trusts the caFile for the endpoints of a mapped name', async () => {
    assert.equal(await resolve([{ host: 'private.test', endpoint: `https://${registry.host}`, caFile: registry.caFile ?? '' }], 'private.test'), image.digest);
  });

  it('does not lend a caFile to another registry', async () => {
    const other = [{ host: 'elsewhere.test', endpoint: 'https://127.0.0.2:1', caFile: registry.caFile ?? '' }];
    await assert.rejects(resolve(other), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /certificate/);
      return true;
    });
  });

  it('skips certificate verification for an insecure registry', async () => {
    assert.equal(await resolve([{ host: registry.host, insecure: true }]), image.digest);
  });

  it('skips verification for an insecure registry reached over an explicit https endpoint', async () => {
    assert.equal(await resolve([{ host: 'lab.test', endpoint: `https://${registry.host}`, insecure: true }], 'lab.test'), image.digest);
  });

  it('reports a caFile that cannot be read', async () => {
    await assert.rejects(resolve([{ host: registry.host, caFile: '/nonexistent/ca.pem' }]), {
      code: 'ERR_REGISTRY_UNAVAILABLE',
      message: /^cannot read caFile \/nonexistent\/ca\.pem: ENOENT/,
    });
  });
});
