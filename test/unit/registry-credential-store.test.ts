import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containersAuthPath, CredentialStore, parsePullSecret } from '../../src/registry/credential-store.js';
import { RegistryError } from '../../src/registry/errors.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const entry = (user: string) => ({ auth: b64(`${user}:pw-${user}`) });

describe('parsePullSecret', () => {
  const good: ReadonlyArray<readonly [string, unknown, string[]]> = [
    ['a .dockerconfigjson', { auths: { 'ghcr.io': entry('a') } }, ['ghcr.io']],
    ['a legacy .dockercfg', { 'https://index.docker.io/v1/': { ...entry('b'), email: 'b@example.com' } }, ['https://index.docker.io/v1/']],
    ['an empty auths map', { auths: {} }, []],
  ];
  for (const [name, document, hosts] of good) {
    it(`reads ${name}`, () => assert.deepEqual(Object.keys(parsePullSecret(JSON.stringify(document), 0).auths ?? {}), hosts));
  }

  it('keeps only auths: a Secret never names helpers to run', () => {
    const config = parsePullSecret(JSON.stringify({ auths: {}, credsStore: 'evil', credHelpers: { 'ghcr.io': 'evil' } }), 0);
    assert.deepEqual(config, { auths: {} });
  });

  const secret = 'hunter2-do-not-print';
  const bad: ReadonlyArray<readonly [string, string, string]> = [
    ['text that is not json', `{"auths": ${secret}`, 'invalid pull secret [3]: not valid json'],
    ['an array', JSON.stringify([secret]), 'invalid pull secret [3]: expected a .dockerconfigjson {"auths": {…}} or .dockercfg {"host": {…}} object'],
    ['an entry that is not an object', JSON.stringify({ auths: { 'ghcr.io': secret } }), 'invalid pull secret [3]: auths["ghcr.io"]: invalid input: expected object, received string'],
    ['a password that is a number', JSON.stringify({ 'quay.io': { username: 'u', password: 12345 } }), 'invalid pull secret [3]: auths["quay.io"].password: invalid input: expected string, received number'],
    ['auth without a colon', JSON.stringify({ auths: { 'ghcr.io': { auth: b64(secret) } } }), 'invalid pull secret [3]: auths["ghcr.io"].auth: expected base64 of "username:password"'],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name} without echoing it`, () => {
      assert.throws(() => parsePullSecret(text, 3), (error: unknown) => {
        assert.ok(error instanceof RegistryError);
        assert.equal(error.code, 'ERR_REGISTRY_AUTH');
        assert.equal(error.message, message);
        assert.ok(!error.message.includes(secret) && !error.message.includes(b64(secret)));
        return true;
      });
    });
  }
});

describe('containersAuthPath', () => {
  const table: ReadonlyArray<readonly [string, NodeJS.ProcessEnv, string | undefined]> = [
    ['REGISTRY_AUTH_FILE first', { REGISTRY_AUTH_FILE: '/etc/auth.json', XDG_RUNTIME_DIR: '/run/user/1' }, '/etc/auth.json'],
    ['then XDG_RUNTIME_DIR', { XDG_RUNTIME_DIR: '/run/user/1' }, '/run/user/1/containers/auth.json'],
    ['else none', { HOME: '/home/u' }, undefined],
    ['an empty REGISTRY_AUTH_FILE is unset', { REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '/run/user/1' }, '/run/user/1/containers/auth.json'],
  ];
  for (const [name, env, expected] of table) {
    it(name, () => assert.equal(containersAuthPath(env), expected));
  }
});

describe('CredentialStore', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'digester-store-'));
    await mkdir(join(root, 'docker'));
    await mkdir(join(root, 'run', 'containers'), { recursive: true });
    await writeFile(join(root, 'docker', 'config.json'), JSON.stringify({ auths: { 'shared.test': entry('docker'), 'docker-only.test': entry('docker') } }));
    await writeFile(
      join(root, 'run', 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'shared.test': entry('podman'), 'podman-only.test': entry('podman'), 'mirror.test': entry('podman') } }),
    );
    env = { DOCKER_CONFIG: join(root, 'docker'), XDG_RUNTIME_DIR: join(root, 'run') };
  });
  after(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  const store = (pullSecrets: readonly string[] = []) => new CredentialStore({ env, timeoutMs: 5_000, pullSecrets });
  const userOf = async (s: CredentialStore, hosts: readonly string[]) => {
    const found = await s.lookup(hosts);
    return found === undefined ? undefined : { user: found.credentials.kind === 'basic' ? found.credentials.username : '?', source: found.source };
  };

  it('asks pull secrets, then the docker config, then the containers auth file', async () => {
    const secrets = [JSON.stringify({ auths: { 'secret.test': entry('secret-0') } }), JSON.stringify({ 'secret.test': entry('secret-1'), 'shared.test': entry('secret-1') })];
    const s = store(secrets);
    assert.deepEqual(await userOf(s, ['secret.test']), { user: 'secret-0', source: 'pull secret [0]' });
    assert.deepEqual(await userOf(s, ['shared.test']), { user: 'secret-1', source: 'pull secret [1]' });
    assert.deepEqual(await userOf(s, ['docker-only.test']), { user: 'docker', source: join(root, 'docker', 'config.json') });
    assert.deepEqual(await userOf(s, ['podman-only.test']), { user: 'podman', source: join(root, 'run', 'containers', 'auth.json') });
    assert.equal(await userOf(s, ['nowhere.test']), undefined);
  });

  it('prefers the docker config over the containers auth file for the same host', async () => {
    assert.deepEqual((await userOf(store(), ['shared.test']))?.user, 'docker');
  });

  it('asks every source for the endpoint host before any for the registry', async () => {
    // mirror.test is only in the containers auth file, shared.test is in all: the endpoint's own entry wins.
    assert.deepEqual((await userOf(store(), ['mirror.test', 'shared.test']))?.user, 'podman');
  });

  // The registry client preloads when it pings, so a challenge finds the files parsed already.
  it('preload() reads the files before any lookup, and a broken one is still reported by the lookup', async () => {
    const dir = join(root, 'preloaded');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'early.test': entry('early') } }));
    await writeFile(join(root, 'broken-preloaded.json'), '{"auths": ');
    const s = new CredentialStore({ env: { DOCKER_CONFIG: dir, REGISTRY_AUTH_FILE: join(root, 'broken-preloaded.json') }, timeoutMs: 5_000 });
    s.preload();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await rm(dir, { recursive: true });
    assert.deepEqual(await userOf(s, ['early.test']), { user: 'early', source: join(dir, 'config.json') });
    await assert.rejects(s.lookup(['other.test']), { code: 'ERR_REGISTRY_AUTH', message: `invalid containers auth file ${join(root, 'broken-preloaded.json')}: not valid json` });
  });

  it('reports a malformed containers auth file by path', async () => {
    await writeFile(join(root, 'broken.json'), '{"auths": ');
    const s = new CredentialStore({ env: { REGISTRY_AUTH_FILE: join(root, 'broken.json') }, timeoutMs: 5_000 });
    await assert.rejects(s.lookup(['any.test']), { code: 'ERR_REGISTRY_AUTH', message: `invalid containers auth file ${join(root, 'broken.json')}: not valid json` });
  });
});
