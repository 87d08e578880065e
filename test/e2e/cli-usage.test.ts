import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI_TREE, EXPECTED_PINS, lineOf, writeCliTree } from '../support/cli-tree.js';
import { runCli, snapshotTree } from '../support/run-cli.js';

// The parts of `digester resolve` and `check` that need no registry: usage
// errors, help, and check's promise to make no network request at all.

describe('digester resolve and check: usage and offline checks', () => {
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'digester-cli-usage-'));
    await writeCliTree(dir);
    await writeFile(join(dir, 'unknown-field.yaml'), 'apiVersion: fn.digester.dev/v1alpha1\nkind: Digester\nskipPrefix: [x]\n');
    await writeFile(join(dir, 'malformed.yml'), 'apiVersion: fn.digester.dev/v1alpha1\nkind: [Digester\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, args, message, input] of [
    ['an unknown flag', ['resolve', '--frobnicate', 'deploy'], /^digester resolve: unknown option --frobnicate; see digester resolve --help$/],
    ['--dry-run on check', ['check', '--dry-run', 'deploy'], /^digester check: unknown option --dry-run/],
    ['no PATH', ['resolve'], /^digester resolve: no PATH given/],
    ['a PATH that does not exist', ['check', 'deploy', 'missing.yaml'], /^digester check: missing\.yaml: no such file or directory$/],
    ['--output yaml', ['resolve', '--output', 'yaml', 'deploy'], /^digester resolve: --output "yaml": use text or json$/],
    ['--output json with resolve -', ['resolve', '--output', 'json', '-'], /--output json cannot be used with - /],
    ['stdin twice', ['check', '-', '-'], /- \(stdin\) can be given only once/],
    ['--config without a value', ['resolve', '--config'], /^digester resolve: --config needs a value/],
    ['a missing --config file', ['resolve', '--config', 'nope.yaml', 'deploy'], /^digester resolve: --config nope\.yaml: no such file or directory$/],
    ['a config with an unknown field', ['resolve', '--config', 'unknown-field.yaml', 'deploy'], /--config unknown-field\.yaml: .*functionConfig: unknown field "skipPrefix"/],
    ['a malformed config', ['check', '--config', 'malformed.yml', 'deploy'], /--config malformed\.yml: malformed YAML at line 3, column 1: /],
    ['stdin that is not YAML', ['resolve', '-'], /^digester resolve: <stdin>: malformed YAML at line \d+, column \d+/, 'kind: [Pod\n'],
  ] as const) {
    test(`${name}: exit 2, one line on stderr, nothing on stdout or disk`, async () => {
      const before = await snapshotTree(dir);
      const run = await runCli(args, { cwd: dir, ...(input !== undefined && { input }) });
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr.trimEnd(), message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\bat .*\.js:\d+/, 'no stack trace');
      assert.deepEqual(await snapshotTree(dir), before);
    });
  }

  for (const command of ['resolve', 'check'] as const) {
    test(`digester ${command} --help explains the subcommand and exit codes`, async () => {
      const run = await runCli([command, '--help'], { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: digester ${command} \\[options\\] PATH\\.\\.\\.`));
      assert.match(run.stdout, /--skip-prefix PREFIX/);
      assert.match(run.stdout, /Exit codes: 0 ok; 1 /);
    });
  }

  test('check makes no network request, even with a registry configured', async () => {
    const connections: number[] = [];
    const server: Server = createServer((socket) => {
      connections.push(1);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const config = join(dir, 'registry-config.yaml');
    await writeFile(
      config,
      `apiVersion: fn.digester.dev/v1alpha1\nkind: Digester\nregistries:\n- host: docker.io\n  endpoint: http://127.0.0.1:${port}\n- host: ghcr.io\n  endpoint: http://127.0.0.1:${port}\n`,
    );
    try {
      const run = await runCli(['check', '--config', config, '.'], { cwd: dir, env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout.trim().split('\n').length, EXPECTED_PINS.length, run.stdout);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(config, { force: true });
    }
    assert.equal(connections.length, 0, 'check connected to the registry');
  });

  test('--skip-prefix and SKIP_PREFIXES add up; --quiet keeps the problems and the summary', async () => {
    const run = await runCli(['check', '--quiet', '--skip-prefix', 'ghcr.io/', '--skip-prefix=docker.io/library/nginx', 'deploy', 'nested'], {
      cwd: dir,
      env: { SKIP_PREFIXES: 'redis:' },
    });
    assert.equal(run.code, 1, run.stderr);
    const busybox = lineOf('deploy/web.yaml', 'image: "busybox:1.36"');
    assert.equal(
      run.stdout,
      `deploy/web.yaml:${busybox}: Deployment/web spec.template.spec.initContainers[0].image: image \`busybox:1.36\` is not pinned to a digest\n`,
    );
    assert.equal(run.stderr, 'digester: checked 6 image(s) in 4 file(s): 1 not pinned, 0 pinned, 5 skipped, 0 invalid\n');
  });

  test('check --output json reports unpinned images with their line and message', async () => {
    const run = await runCli(['check', '--output', 'json', 'nested'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [
      {
        file: 'nested/deeper/pod.yaml',
        line: 8,
        resource: { apiVersion: 'v1', kind: 'Pod', name: 'debug' },
        field: 'spec.containers[0].image',
        before: 'nginx:1.27',
        after: 'nginx:1.27',
        status: 'unpinned',
        message: 'image `nginx:1.27` is not pinned to a digest',
      },
    ]);
  });

  test('a symlinked file is read once; a file that is not UTF-8 is left alone with a warning', async () => {
    const extra = await mkdtemp(join(tmpdir(), 'digester-cli-links-'));
    try {
      await writeCliTree(extra, { 'deploy/web.yaml': CLI_TREE['deploy/web.yaml'] ?? '', 'deploy/worker.yml': CLI_TREE['deploy/worker.yml'] ?? '' });
      await symlink(join(extra, 'deploy/web.yaml'), join(extra, 'link.yaml'));
      await writeFile(join(extra, 'latin1.yaml'), Buffer.from('apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9}\n', 'latin1'));
      const run = await runCli(['check', '.', 'link.yaml'], { cwd: extra });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout.trim().split('\n').length, 4, run.stdout);
      assert.doesNotMatch(run.stdout, /^link\.yaml/m);
      assert.match(run.stderr, /^digester: warning: latin1\.yaml: not UTF-8 text; left alone$/m);
    } finally {
      await rm(extra, { recursive: true, force: true });
    }
  });
});
