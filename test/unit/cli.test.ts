import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runDigester } from '../support/run-digester.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('digester command line', () => {
  it('--version prints the package version', async () => {
    const run = await runDigester('', {}, ['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `digester ${pkg.version}\n`);
  });

  it('--help explains usage and exit codes', async () => {
    const run = await runDigester('', {}, ['--help']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: digester/);
    assert.match(run.stdout, /Exit codes/);
  });

  it('an unknown argument is a usage error', async () => {
    const run = await runDigester('', {}, ['--frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown argument "--frobnicate"/);
  });

  for (const [name, input, message] of [
    ['empty stdin', '', /empty input/],
    ['malformed YAML', 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [\n', /malformed YAML at line \d+, column \d+/],
    ['a multi-document stream', 'kind: Pod\n---\nkind: Pod\n', /found 2 YAML documents/],
    ['the wrong kind', 'apiVersion: v1\nkind: List\nitems: []\n', /expected kind ResourceList, got "List"/],
  ] as const) {
    it(`${name}: exit 2, one line on stderr, nothing on stdout`, async () => {
      const run = await runDigester(input);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\bat .*\.js:\d+/);
    });
  }

  it('an empty ResourceList passes through with a summary', async () => {
    const input = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n';
    const run = await runDigester(input);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${input}results:\n- message: resolved 0 image(s) (0 unique), skipped 0, failed 0\n  severity: info\n`);
  });
});
