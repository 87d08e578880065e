import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  credentialsFromEntry,
  loadDockerConfig,
  lookupCredentials,
  normalizeConfigKey,
  parseDockerConfig,
  type Credentials,
  type DockerConfig,
} from '../../src/registry/docker-config.js';
import { RegistryError } from '../../src/registry/errors.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const loaded = (config: DockerConfig) => ({ path: '/test/config.json', config });

// A credential helper as docker-credential-helpers behave: server URL on stdin, JSON on stdout,
// "credentials not found" with exit 1 for unknown servers. It records each call for assertions.
const HELPER_SCRIPT = `#!/bin/sh
read -r server
echo "$1 $server" >> "$HELPER_LOG"
case "$server" in
  registry.example.com) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server" ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"helper-refresh"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-secret"}' "$server" ;;
  broken.example.com) echo "keychain is locked" >&2; exit 3 ;;
  garbled.example.com) echo "helper-secret in plain text" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

describe('credentialsFromEntry', () => {
  const table: ReadonlyArray<readonly [string, Parameters<typeof credentialsFromEntry>[0], Credentials | undefined]> = [
    ['auth base64', { auth: b64('alice:s3cret') }, { kind: 'basic', username: 'alice', password: 's3cret' }],
    ['auth with a colon in the password', { auth: b64('alice:a:b') }, { kind: 'basic', username: 'alice', password: 'a:b' }],
    ['username/password', { username: 'bob', password: 'pw' }, { kind: 'basic', username: 'bob', password: 'pw' }],
    ['identitytoken', { identitytoken: 'refresh-1' }, { kind: 'identity-token', token: 'refresh-1' }],
    ['identitytoken wins over auth', { auth: b64('alice:pw'), identitytoken: 'refresh-2' }, { kind: 'identity-token', token: 'refresh-2' }],
    ['auth wins over username/password', { auth: b64('alice:a'), username: 'bob', password: 'b' }, { kind: 'basic', username: 'alice', password: 'a' }],
    ['empty entry (docker desktop)', {}, undefined],
    ['empty auth', { auth: '' }, undefined],
    ['username without password', { username: 'bob' }, undefined],
  ];
  for (const [name, entry, expected] of table) {
    it(`reads ${name}`, () => assert.deepEqual(credentialsFromEntry(entry), expected));
  }
});

describe('normalizeConfigKey', () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['registry.example.com/v2/', 'registry.example.com'],
    ['https://Registry.Example.com:8443/v2/', 'registry.example.com:8443'],
    ['[::1]:5000', '[::1]:5000'],
    ['ghcr.io', 'ghcr.io'],
  ];
  for (const [key, host] of table) {
    it(`normalizes ${key} to ${host}`, () => assert.equal(normalizeConfigKey(key), host));
  }
});

describe('lookupCredentials from auths', () => {
  const options = { env: {}, timeoutMs: 5_000 };
  const config: DockerConfig = {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hub:hubpw') },
      'http://127.0.0.1:5000': { username: 'local', password: 'localpw' },
      'registry.example.com/v2/': { identitytoken: 'idt' },
      'mirror.local:5000': { auth: b64('mirror:mirrorpw') },
    },
  };
  const table: ReadonlyArray<readonly [string, readonly string[], Credentials | undefined]> = [
    ['docker hub by its api host', ['registry-1.docker.io', 'docker.io'], { kind: 'basic', username: 'hub', password: 'hubpw' }],
    ['a key with a scheme', ['127.0.0.1:5000'], { kind: 'basic', username: 'local', password: 'localpw' }],
    ['a key with a path', ['registry.example.com'], { kind: 'identity-token', token: 'idt' }],
    ['the endpoint host before the registry', ['mirror.local:5000', 'docker.io'], { kind: 'basic', username: 'mirror', password: 'mirrorpw' }],
    ['the registry when the endpoint has none', ['other-mirror:5000', 'docker.io'], { kind: 'basic', username: 'hub', password: 'hubpw' }],
    ['nothing for an unknown host', ['ghcr.io'], undefined],
  ];
  for (const [name, hosts, expected] of table) {
    it(`finds ${name}`, async () => assert.deepEqual(await lookupCredentials(loaded(config), hosts, options), expected));
  }

  it('prefers an exact key over one that only normalizes to the host', async () => {
    const both: DockerConfig = { auths: { 'https://ghcr.io': { auth: b64('a:1') }, 'ghcr.io': { auth: b64('b:2') } } };
    assert.deepEqual(await lookupCredentials(loaded(both), ['ghcr.io'], options), { kind: 'basic', username: 'b', password: '2' });
  });

  it('is anonymous without a config', async () => {
    assert.equal(await lookupCredentials(undefined, ['ghcr.io'], options), undefined);
  });
});

describe('lookupCredentials through credential helpers', () => {
  let dir: string;
  let logFile: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'digester-helper-'));
    logFile = join(dir, 'calls.log');
    for (const name of ['docker-credential-fake', 'docker-credential-store']) {
      await writeFile(join(dir, name), HELPER_SCRIPT);
      await chmod(join(dir, name), 0o755);
    }
    env = { PATH: `${dir}:/usr/bin:/bin`, HELPER_LOG: logFile };
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const lookup = (config: DockerConfig, hosts: readonly string[]) => lookupCredentials(loaded(config), hosts, { env, timeoutMs: 5_000 });
  const lastCall = async () => (await readFile(logFile, 'utf8')).trim().split('\n').at(-1);

  it('asks credHelpers[host] with "get" and the server url on stdin', async () => {
    const found = await lookup({ credHelpers: { 'registry.example.com': 'fake' } }, ['registry.example.com']);
    assert.deepEqual(found, { kind: 'basic', username: 'helper-user', password: 'helper-secret' });
    assert.equal(await lastCall(), 'get registry.example.com');
  });

  it('reads Username "<token>" as an identity token', async () => {
    const found = await lookup({ credHelpers: { 'token.example.com': 'fake' } }, ['token.example.com']);
    assert.deepEqual(found, { kind: 'identity-token', token: 'helper-refresh' });
  });

  it('falls back to credsStore and passes docker hub as https://index.docker.io/v1/', async () => {
    const found = await lookup({ credsStore: 'store', credHelpers: { 'ghcr.io': 'fake' } }, ['registry-1.docker.io', 'docker.io']);
    assert.deepEqual(found, { kind: 'basic', username: 'hub-user', password: 'hub-secret' });
    assert.equal(await lastCall(), 'get https://index.docker.io/v1/');
  });

  it('treats "credentials not found" as anonymous', async () => {
    assert.equal(await lookup({ credsStore: 'store' }, ['unknown.example.com']), undefined);
  });

  it('uses an inline auths entry when the helper has nothing', async () => {
    const config: DockerConfig = { credsStore: 'store', auths: { 'unknown.example.com': { auth: b64('inline:pw') } } };
    assert.deepEqual(await lookup(config, ['unknown.example.com']), { kind: 'basic', username: 'inline', password: 'pw' });
  });

  it('reports a failing helper by name and exit status', async () => {
    await assert.rejects(lookup({ credHelpers: { 'broken.example.com': 'fake' } }, ['broken.example.com']), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'ERR_REGISTRY_AUTH');
      assert.equal(error.message, 'credential helper docker-credential-fake failed (exit 3): keychain is locked');
      return true;
    });
  });

  it('does not repeat unparseable helper output, which may hold the secret', async () => {
    await assert.rejects(lookup({ credHelpers: { 'garbled.example.com': 'fake' } }, ['garbled.example.com']), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /^credential helper docker-credential-fake returned output that is not/);
      assert.doesNotMatch(error.message, /helper-secret/);
      return true;
    });
  });

  it('reports a helper missing from PATH', async () => {
    await assert.rejects(lookup({ credsStore: 'missing' }, ['ghcr.io']), {
      code: 'ERR_REGISTRY_AUTH',
      message: 'credential helper docker-credential-missing not found on PATH',
    });
  });

  it('refuses a helper name that is a path', async () => {
    await assert.rejects(lookup({ credsStore: '../../bin/sh' }, ['ghcr.io']), /invalid credential helper name "..\/..\/bin\/sh"/);
  });
});

describe('loadDockerConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'digester-config-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function configDir(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'config.json'), text);
    return path;
  }

  it('reads $DOCKER_CONFIG/config.json', async () => {
    const path = await configDir('env', JSON.stringify({ auths: { 'ghcr.io': { auth: b64('a:b') } } }));
    const result = await loadDockerConfig({ DOCKER_CONFIG: path, HOME: '/nonexistent' });
    assert.equal(result?.path, join(path, 'config.json'));
    assert.deepEqual(result?.config.auths?.['ghcr.io'], { auth: b64('a:b') });
  });

  it('falls back to $HOME/.docker/config.json', async () => {
    await configDir('home/.docker', JSON.stringify({ credsStore: 'desktop' }));
    const result = await loadDockerConfig({ HOME: join(dir, 'home') });
    assert.equal(result?.config.credsStore, 'desktop');
  });

  it('keeps fields it does not know (docker writes many)', async () => {
    const path = await configDir('extra', JSON.stringify({ auths: {}, HttpHeaders: { 'X-Meta': '1' }, currentContext: 'default' }));
    assert.ok(await loadDockerConfig({ DOCKER_CONFIG: path }));
  });

  it('is undefined when there is no config file', async () => {
    assert.equal(await loadDockerConfig({ DOCKER_CONFIG: join(dir, 'absent') }), undefined);
    assert.equal(await loadDockerConfig({}), undefined);
  });

  const malformed: ReadonlyArray<readonly [string, string, string]> = [
    ['invalid json', '{"auths": {"x": {"auth": "c2VjcmV0OnB3"}', 'not valid json'],
    ['an auth that is not a string', '{"auths": {"ghcr.io": {"auth": 42}}}', 'auths["ghcr.io"].auth: invalid input: expected string, received number'],
    ['auths that is a list', '{"auths": []}', 'auths: invalid input: expected record, received array'],
    ['a credHelpers value that is not a string', '{"credHelpers": {"gcr.io": true}}', 'credHelpers["gcr.io"]: invalid input: expected string, received boolean'],
    ['an auth without a colon', `{"auths": {"ghcr.io": {"auth": "${b64('nocolon')}"}}}`, 'auths["ghcr.io"].auth: expected base64 of "username:password"'],
    ['an auth that is not base64', '{"auths": {"ghcr.io": {"auth": "not base64!"}}}', 'auths["ghcr.io"].auth: expected base64 of "username:password"'],
  ];
  for (const [name, text, detail] of malformed) {
    it(`names the file and field for ${name}`, () => {
      assert.throws(() => parseDockerConfig(text, '/cfg/config.json'), (error: unknown) => {
        assert.ok(error instanceof RegistryError);
        assert.equal(error.code, 'ERR_REGISTRY_AUTH');
        assert.equal(error.message, `invalid docker config /cfg/config.json: ${detail}`);
        assert.doesNotMatch(error.message, /c2VjcmV0OnB3|secret/);
        return true;
      });
    });
  }

  it('reports a malformed file found through DOCKER_CONFIG', async () => {
    const path = await configDir('bad', '{"auths": 1}');
    await assert.rejects(loadDockerConfig({ DOCKER_CONFIG: path }), {
      message: `invalid docker config ${join(path, 'config.json')}: auths: invalid input: expected record, received number`,
    });
  });
});
