import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings, parseDuration, splitPrefixes } from '../../src/config.js';

describe('splitPrefixes', () => {
  const cases: ReadonlyArray<readonly [string, string[]]> = [
    ['', []],
    ['gcr.io/a/', ['gcr.io/a/']],
    ['gcr.io/a/,quay.io/b/', ['gcr.io/a/', 'quay.io/b/']],
    ['gcr.io/a/:quay.io/b/', ['gcr.io/a/', 'quay.io/b/']],
    ['localhost:5000/', ['localhost:5000/']],
    ['gcr.io/a/:localhost:5000/x/:registry:5000', ['gcr.io/a/', 'localhost:5000/x/', 'registry:5000']],
    [' a/ , b/ ,', ['a/', 'b/']],
  ];
  for (const [input, expected] of cases) it(JSON.stringify(input), () => assert.deepEqual(splitPrefixes(input), expected));
});

describe('parseDuration', () => {
  for (const [input, ms] of [['30s', 30_000], ['1m30s', 90_000], ['500ms', 500], ['2h', 7_200_000], ['45', 45_000], [10, 10_000]] as const) {
    it(`${input} → ${ms} ms`, () => assert.equal(parseDuration(input, 'timeout'), ms));
  }
  for (const input of ['soon', '10x', '', '0s', '1m 30s']) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseDuration(input, 'timeout'), /functionConfig\.timeout: invalid duration/));
  }
});

describe('loadSettings', () => {
  it('defaults, with SKIP_PREFIXES and DEBUG from the environment', () => {
    const settings = loadSettings(undefined, { SKIP_PREFIXES: 'a/:b/', DEBUG: '1' });
    assert.deepEqual(settings, { skipPrefixes: ['a/', 'b/'], registries: [], concurrency: 16, timeoutMs: 10_000, deadlineMs: 300_000, debug: true, mode: 'resolve' });
  });

  it('reads the kebab-case ConfigMap kpt builds from key=value arguments', () => {
    const settings = loadSettings(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'function-input' }, data: { 'skip-prefixes': 'x/,y/', concurrency: '4', timeout: '10s', 'insecure-registries': 'reg.lan:5000' } },
      { SKIP_PREFIXES: 'env/' },
    );
    assert.deepEqual(settings.skipPrefixes, ['env/', 'x/', 'y/']);
    assert.equal(settings.concurrency, 4);
    assert.equal(settings.timeoutMs, 10_000);
    assert.deepEqual(settings.registries, [{ host: 'reg.lan:5000', insecure: true }]);
  });

  it('reads the typed Digester config', () => {
    const settings = loadSettings(
      {
        apiVersion: 'fn.digester.dev/v1alpha1',
        kind: 'Digester',
        metadata: { name: 'd', annotations: { 'config.kubernetes.io/function': 'exec: {path: ./digester}' } },
        skipPrefixes: ['q/'],
        registries: [{ host: 'docker.io', endpoint: 'http://127.0.0.1:5000' }, { host: 'reg.lan', insecure: true }],
        concurrency: 2,
        timeout: '1m',
      },
      {},
    );
    assert.deepEqual(settings.registries, [{ host: 'docker.io', endpoint: 'http://127.0.0.1:5000' }, { host: 'reg.lan', insecure: true }]);
    assert.equal(settings.timeoutMs, 60_000);
  });

  const invalid: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ['an unknown typed field', { apiVersion: 'fn.digester.dev/v1alpha1', kind: 'Digester', skipPrefix: ['x'] }, /functionConfig: unknown field "skipPrefix"/],
    ['a wrong type', { apiVersion: 'fn.digester.dev/v1alpha1', kind: 'Digester', concurrency: 'many' }, /functionConfig\.concurrency: invalid input: expected number/],
    ['a bad endpoint', { apiVersion: 'fn.digester.dev/v1alpha1', kind: 'Digester', registries: [{ host: 'a', endpoint: 'ftp://x' }] }, /functionConfig\.registries\[0\]\.endpoint: /],
    ['a registry without host', { apiVersion: 'fn.digester.dev/v1alpha1', kind: 'Digester', registries: [{ endpoint: 'http://x' }] }, /functionConfig\.registries\[0\]\.host: /],
    ['a wrong apiVersion', { apiVersion: 'fn.digester.dev/v2', kind: 'Digester' }, /functionConfig\.apiVersion: /],
    ['an unknown ConfigMap key', { apiVersion: 'v1', kind: 'ConfigMap', data: { 'skip-prefix': 'x' } }, /functionConfig\.data: unknown field "skip-prefix"/],
    ['a non-number concurrency', { apiVersion: 'v1', kind: 'ConfigMap', data: { concurrency: 'lots' } }, /functionConfig\.data\.concurrency: expected a whole number/],
    ['an unsupported kind', { apiVersion: 'v1', kind: 'Secret' }, /unsupported kind "Secret"/],
  ];
  for (const [name, config, message] of invalid) {
    it(`rejects ${name} with a message naming the field`, () => {
      assert.throws(() => loadSettings(config, {}), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'ERR_CONFIG');
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
