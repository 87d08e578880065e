import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { load } from 'js-yaml';
import type { OutputResult } from '../support/function-run.js';
import { textBeforeResults } from '../support/odd-resource-list.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { runDigester } from '../support/run-digester.js';

// Bad credential sources, through the built binary, against a Basic-auth registry (credentials are
// only looked up when a registry asks for them): a docker config that is not JSON, and credential
// helpers that are missing, fail or print garbage. Each is an error result on the image with the
// exact message, exit 1, one line on stderr, and never a credential anywhere in the output.

describe('bad input: credential sources', () => {
  let registry: TestRegistry;
  let root: string;
  let helpers: string;
  let image: string;
  let digest: string;
  const helperSecret = `helper-secret-${randomBytes(8).toString('hex')}`;
  const basicAuth = (password: string): string => Buffer.from(`${registry.username ?? ''}:${password}`).toString('base64');
  /** Every string that must never reach stdout or stderr. */
  const secrets = (): string[] => [registry.password ?? '', basicAuth(registry.password ?? ''), helperSecret];

  /** Writes `config` as config.json in a fresh DOCKER_CONFIG directory, returns its path. */
  const dockerConfig = async (name: string, config: string): Promise<string> => {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), config);
    return dir;
  };
  const helperConfig = (helper: string): string => JSON.stringify({ credHelpers: { [registry.host]: helper } });
  const input = (): string =>
    `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      image: ${image}   # behind Basic auth\n`;

  before(async () => {
    registry = await startRegistry({ mode: 'basic' });
    digest = (await registry.push('creds/app', 'v1', 'oci-manifest')).digest;
    image = `${registry.host}/creds/app:v1`;
    root = await mkdtemp(join(tmpdir(), 'digester-bad-credentials-'));
    helpers = join(root, 'bin');
    await mkdir(helpers);
    const scripts: Record<string, string> = {
      // docker-credential-helpers' protocol: the server URL on stdin, JSON on stdout.
      good: `printf '{"ServerURL":"%s","Username":"${registry.username ?? ''}","Secret":"${registry.password ?? ''}"}' "$(cat)"`,
      fails: `cat >/dev/null; echo 'error getting credentials - err: exit status 1, out: vault is sealed' >&2; exit 1`,
      garbage: `cat >/dev/null; echo 'Username=${registry.username ?? ''} Secret=${helperSecret}'`,
    };
    for (const [name, body] of Object.entries(scripts)) {
      const file = join(helpers, `docker-credential-${name}`);
      await writeFile(file, `#!/bin/sh\n${body}\n`);
      await chmod(file, 0o755);
    }
  });

  after(async () => {
    await registry?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  const run = async (config: string, name: string, extra: NodeJS.ProcessEnv = {}) =>
    runDigester(input(), { DOCKER_CONFIG: await dockerConfig(name, config), PATH: `${helpers}:${process.env['PATH'] ?? ''}`, ...extra });

  it('control: a helper that answers properly pins the image, exit 0', async () => {
    const result = await run(helperConfig('good'), 'good');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(textBeforeResults(result.stdout), input().replace(image, `${image}@${digest}`));
    for (const secret of secrets()) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
  });

  it('DEBUG=1 logs each request, but no credential, helper output or Authorization value', async () => {
    for (const [name, config] of [['debug-good', helperConfig('good')], ['debug-garbage', helperConfig('garbage')]] as const) {
      const result = await run(config, name, { DEBUG: '1' });
      assert.match(result.stderr, /GET http:\/\/\S+\/v2\/ -> 401/);
      for (const secret of secrets()) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), `${name}: a credential reached the output`);
      assert.doesNotMatch(result.stderr, /Basic [A-Za-z0-9+/=]{8,}/);
    }
  });

  const rows: ReadonlyArray<readonly [name: string, config: () => string, message: (dir: string) => string]> = [
    [
      'a docker config that is not JSON',
      () => `{"auths": {"${registry.host}": {"auth": "${basicAuth(registry.password ?? '')}"`,
      (dir) => `invalid docker config ${join(dir, 'config.json')}: not valid json`,
    ],
    [
      'a docker config whose auth is not base64 of user:password',
      () => JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(registry.password ?? '').toString('base64') } } }),
      (dir) => `invalid docker config ${join(dir, 'config.json')}: auths["${registry.host}"].auth: expected base64 of "username:password"`,
    ],
    [
      'a wrong password',
      () => JSON.stringify({ auths: { [registry.host]: { auth: basicAuth(`not-${registry.password ?? ''}`) } } }),
      () => `UNAUTHORIZED: authentication required (HEAD 401 from ${registry.host})`,
    ],
    ['a credential helper missing from PATH', () => helperConfig('absent'), () => 'credential helper docker-credential-absent not found on PATH'],
    [
      'a credential helper that exits 1',
      () => helperConfig('fails'),
      () => 'credential helper docker-credential-fails failed (exit 1): error getting credentials - err: exit status 1, out: vault is sealed',
    ],
    [
      'a credential helper that prints garbage',
      () => helperConfig('garbage'),
      () => 'credential helper docker-credential-garbage returned output that is not {"ServerURL","Username","Secret"} json',
    ],
    [
      'a credential helper name with a path',
      () => helperConfig('../../bin/sh'),
      () => 'invalid credential helper name "../../bin/sh": expected letters, digits, ".", "_" or "-"',
    ],
  ];

  rows.forEach(([name, config, message], index) => {
    it(`${name}: exit 1, the image's error names the cause, no credential in the output`, async () => {
      const dir = join(root, `row-${index}`);
      const result = await run(config(), `row-${index}`);
      const expected = `could not resolve \`${image}\` (${registry.host}/creds/app): ${message(dir)}`;
      assert.equal(result.code, 1, result.stderr);
      assert.equal(textBeforeResults(result.stdout), input());
      assert.deepEqual((load(result.stdout) as { results: OutputResult[] }).results, [
        { message: expected, severity: 'error', resourceRef: { apiVersion: 'v1', kind: 'Pod', name: 'p' }, field: { path: 'spec.containers[0].image' } },
        { message: 'resolved 0 image(s) (0 unique), skipped 0, failed 1', severity: 'info' },
      ]);
      assert.equal(result.stderr, `digester: Pod/p spec.containers[0].image: ${expected}\n`);
      for (const secret of secrets()) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'a credential reached the output');
    });
  });
});
