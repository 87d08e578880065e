import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/errors.js';
import { startRegistry, type PushedImage, type TestRegistry } from '../support/registry.js';

// Credential sources end to end, against the htpasswd (Basic) registry: pull secrets, the docker
// config and the containers auth file, in that order.

const auths = (host: string, username: string, password: string) => ({
  [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') },
});

describe('RegistryClient credential sources against a basic-auth registry', () => {
  let registry: TestRegistry;
  let image: PushedImage;
  let root: string;
  let right: Record<string, unknown>;
  let wrong: Record<string, unknown>;
  const resolve = async (options: Omit<RegistryClientOptions, 'retry'>): Promise<string> => {
    const client = new RegistryClient({ ...options, retry: { attempts: 1 } });
    try {
      return await client.resolveDigest({ registry: registry.host, repository: image.repository, reference: 'v1' });
    } finally {
      await client.close();
    }
  };
  /** Writes `content` as `name` in a fresh directory and returns the directory. */
  const file = async (dir: string, name: string, content: unknown): Promise<string> => {
    const path = join(root, dir);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, name), JSON.stringify(content));
    return path;
  };

  before(async () => {
    registry = await startRegistry({ mode: 'basic' });
    image = await registry.push('sources/app', 'v1', 'oci-manifest');
    root = await mkdtemp(join(tmpdir(), 'digester-sources-'));
    right = auths(registry.host, registry.username ?? '', registry.password ?? '');
    wrong = auths(registry.host, registry.username ?? '', 'not-the-password');
  });
  after(async () => {
    await registry?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('uses a .dockerconfigjson pull secret over a docker config with a wrong password', async () => {
    const docker = await file('docker-wrong', 'config.json', { auths: wrong });
    assert.equal(await resolve({ env: { DOCKER_CONFIG: docker }, pullSecrets: [JSON.stringify({ auths: right })] }), image.digest);
  });

  it('reads a legacy .dockercfg pull secret', async () => {
    assert.equal(await resolve({ env: {}, pullSecrets: [JSON.stringify(right)] }), image.digest);
  });

  it('reads the containers auth file named by REGISTRY_AUTH_FILE', async () => {
    const dir = await file('podman', 'auth.json', { auths: right });
    assert.equal(await resolve({ env: { REGISTRY_AUTH_FILE: join(dir, 'auth.json') } }), image.digest);
  });

  it('reads $XDG_RUNTIME_DIR/containers/auth.json', async () => {
    await file('run/containers', 'auth.json', { auths: right });
    assert.equal(await resolve({ env: { XDG_RUNTIME_DIR: join(root, 'run') } }), image.digest);
  });

  it('asks the docker config before the containers auth file', async () => {
    const docker = await file('docker-wrong-2', 'config.json', { auths: wrong });
    const podman = await file('podman-right', 'auth.json', { auths: right });
    await assert.rejects(resolve({ env: { DOCKER_CONFIG: docker, REGISTRY_AUTH_FILE: join(podman, 'auth.json') } }), { code: 'ERR_REGISTRY_AUTH' });
  });

  it('reports a malformed pull secret by index and host, never its content', async () => {
    const secret = JSON.stringify({ auths: { [registry.host]: { auth: 'c2VjcmV0LXdpdGhvdXQtY29sb24=' } } });
    await assert.rejects(resolve({ env: {}, pullSecrets: [JSON.stringify({ auths: right }).replace(registry.host, 'other.test'), secret] }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'ERR_REGISTRY_AUTH');
      assert.equal(error.message, `invalid pull secret [1]: auths["${registry.host}"].auth: expected base64 of "username:password"`);
      assert.doesNotMatch(error.message, /c2VjcmV0|secret-without-colon/);
      return true;
    });
  });
});
