import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCommand } from '../support/command.js';
import {
  ALREADY_PINNED_COUNT,
  CLI_TREE,
  EXPECTED_PINS,
  lineOf,
  PRIVATE_FILE,
  TEMPLATE_FILE,
  writeCliTree,
} from '../support/cli-tree.js';
import { digesterConfig, pinned, pushExampleImages, type PinnedDigests } from '../support/example-images.js';
import { startTcpFaultProxy } from '../support/fault-proxy.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { changedLines, readText, runCli, snapshotTree } from '../support/run-cli.js';

// `digester resolve` and `digester check` on a temp copy of a CI repository
// (test/support/cli-tree.ts), against a real registry that Docker Hub and
// ghcr.io are routed to with --config.

describe('digester resolve and check on files', () => {
  let registry: TestRegistry | undefined;
  let digests: PinnedDigests = new Map();
  let configFile = '';
  const dirs: string[] = [];

  before(async () => {
    registry = await startRegistry({ mode: 'anonymous' });
    digests = await pushExampleImages(registry);
    const configDir = await newDir();
    configFile = join(configDir, 'digester.yaml');
    await writeFile(configFile, digesterConfig(registry.url));
  });

  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    await registry?.stop();
  });

  async function newDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'digester-cli-'));
    dirs.push(dir);
    return dir;
  }

  async function newTree(tree: Readonly<Record<string, string>> = CLI_TREE): Promise<string> {
    const dir = await newDir();
    await writeCliTree(dir, tree);
    return dir;
  }

  /** Asserts that exactly the expected image lines of each file changed, each by `@digest` after the image. */
  async function assertPinned(dir: string, pins = EXPECTED_PINS, tree = CLI_TREE): Promise<void> {
    for (const file of Object.keys(tree)) {
      const changed = changedLines(tree[file] ?? '', await readText(dir, file));
      const expected = new Map(
        pins
          .filter((pin) => pin.file === file)
          .map((pin) => {
            const old = (tree[file] ?? '').split('\n')[lineOf(file, pin.lineText, tree) - 1] ?? '';
            return [lineOf(file, pin.lineText, tree), [old, old.replace(pin.image, pinned(pin.image, digests))]] as const;
          }),
      );
      assert.deepEqual(changed, expected, `${file}: only its image lines must change, each by @digest`);
    }
  }

  test('resolve pins every image in place and leaves everything else byte for byte', async () => {
    const dir = await newTree();
    const before = await snapshotTree(dir);
    const run = await runCli(['resolve', '--config', configFile, '.'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    await assertPinned(dir);

    const after = await snapshotTree(dir);
    assert.deepEqual([...after.keys()], [...before.keys()], 'no file is created or deleted, and no temp file is left');
    for (const [path, { identity }] of before) {
      const now = after.get(path)?.identity;
      if (EXPECTED_PINS.some((pin) => pin.file === path)) {
        assert.equal(now?.mode, identity.mode, `${path} keeps its mode`);
      } else {
        assert.deepEqual(now, identity, `${path} has nothing to pin and must not be rewritten`);
      }
    }
    assert.equal(after.get(PRIVATE_FILE)?.identity.mode, 0o640);

    const pinnedLines = EXPECTED_PINS.map(
      (pin) => `${pin.file}:${lineOf(pin.file, pin.lineText)}: ${pin.resource} ${pin.field}: pinned \`${pinned(pin.image, digests)}\``,
    );
    assert.equal(run.stdout, pinnedLines.map((line) => `${line}\n`).join(''));
    assert.match(run.stderr, new RegExp(`warning: ${TEMPLATE_FILE}: malformed YAML at line \\d+, column \\d+: .*; left alone`));
    assert.match(
      run.stderr,
      /^digester: pinned 5 image\(s\) in 3 file\(s\), 1 already pinned, 0 skipped, 0 failed; left 1 file\(s\) alone that are not YAML or not UTF-8$/m,
    );

    // A second run finds everything pinned and rewrites nothing.
    const again = await runCli(['resolve', '--config', configFile, '.'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /pinned 0 image\(s\) in 0 file\(s\), 6 already pinned/);
    const third = await snapshotTree(dir);
    for (const [path, { identity }] of after) assert.deepEqual(third.get(path)?.identity, identity, `${path} rewritten on the second run`);
  });

  test('check lists each unpinned image with file:line and exits 1; after resolve it exits 0', async () => {
    const dir = await newTree();
    const before = await snapshotTree(dir);
    const run = await runCli(['check', '.'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    const expected = EXPECTED_PINS.map(
      (pin) => `${pin.file}:${lineOf(pin.file, pin.lineText)}: ${pin.resource} ${pin.field}: image \`${pin.image}\` is not pinned to a digest`,
    );
    assert.equal(run.stdout, expected.map((line) => `${line}\n`).join(''));
    assert.match(run.stderr, /checked 6 image\(s\) in 6 file\(s\): 5 not pinned, 1 pinned, 0 skipped, 0 invalid/);
    assert.deepEqual(await snapshotTree(dir), before, 'check never writes');

    const resolved = await runCli(['resolve', '--quiet', '--config', configFile, 'deploy', 'nested/deeper/pod.yaml'], { cwd: dir });
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.equal(resolved.stdout, '', '--quiet prints no per-image lines');
    const clean = await runCli(['check', '.'], { cwd: dir });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.equal(clean.stdout, '');
    assert.match(clean.stderr, /checked 6 image\(s\) in 6 file\(s\): 0 not pinned, 6 pinned/);
  });

  test('resolve - pins a stream from stdin to stdout, and check - accepts the result', async () => {
    const dir = await newDir();
    const input = CLI_TREE['deploy/web.yaml'] ?? '';
    const run = await runCli(['resolve', '--config', configFile, '-'], { cwd: dir, input });
    assert.equal(run.code, 0, run.stderr);
    const pins = EXPECTED_PINS.filter((pin) => pin.file === 'deploy/web.yaml');
    const expected = pins.reduce((text, pin) => text.replace(pin.lineText, pin.lineText.replace(pin.image, pinned(pin.image, digests))), input);
    assert.equal(run.stdout, expected);
    assert.match(run.stderr, /^<stdin>:15: Deployment\/web spec\.template\.spec\.initContainers\[0\]\.image: pinned /m);
    assert.match(run.stderr, /pinned 3 image\(s\) in 1 file\(s\)/);
    assert.deepEqual(await readdir(dir), [], 'nothing is written next to the working directory');

    const check = await runCli(['check', '-'], { cwd: dir, input: run.stdout });
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  test('--dry-run prints a unified diff that git apply turns into what resolve writes, and changes nothing', async () => {
    const dir = await newTree();
    const before = await snapshotTree(dir);
    const run = await runCli(['resolve', '--dry-run', '--config', configFile, '.'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await snapshotTree(dir), before, '--dry-run must not touch any file');
    const web = lineOf('deploy/web.yaml', 'image: "busybox:1.36"');
    assert.ok(run.stdout.startsWith(`--- a/deploy/web.yaml\n+++ b/deploy/web.yaml\n@@ -${web - 3},`), run.stdout);
    assert.match(run.stdout, /^-        image: nginx:1\.27   # the server$/m);
    assert.match(run.stdout, /^\+        image: nginx:1\.27@sha256:[0-9a-f]{64}   # the server$/m);
    assert.match(run.stderr, /would pin 5 image\(s\) in 3 file\(s\)/);
    // The per-image lines go to stderr: stdout is the patch alone.
    assert.doesNotMatch(run.stdout, /^deploy\/web\.yaml:/m);

    const patch = join(await newDir(), 'pins.patch');
    await writeFile(patch, run.stdout);
    await runCommand('git', ['-C', dir, 'apply', '--whitespace=nowarn', patch]);
    await assertPinned(dir);
  });

  test('--output json: one entry per image with file, line, resource, field, before, after and status', async () => {
    const dir = await newTree();
    const run = await runCli(['resolve', '--output', 'json', '--config', configFile, '.'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const entries = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    assert.equal(entries.length, EXPECTED_PINS.length + ALREADY_PINNED_COUNT);
    for (const entry of entries) {
      assert.deepEqual(Object.keys(entry), ['file', 'line', 'resource', 'field', 'before', 'after', 'status']);
    }
    const nginx = lineOf('deploy/web.yaml', 'image: nginx:1.27   # the server');
    assert.deepEqual(
      entries.find((entry) => entry['line'] === nginx),
      {
        file: 'deploy/web.yaml',
        line: nginx,
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
        field: 'spec.template.spec.containers[0].image',
        before: 'nginx:1.27',
        after: pinned('nginx:1.27', digests),
        status: 'pinned',
      },
    );
    assert.deepEqual(
      entries.map((entry) => entry['status']),
      ['pinned', 'pinned', 'already-pinned', 'pinned', 'pinned', 'pinned'],
    );
    await assertPinned(dir);
  });

  test('a file named through a symlink is pinned in its target, and the link stays a link', async () => {
    const tree = { 'deploy/worker.yml': CLI_TREE['deploy/worker.yml'] ?? '' };
    const dir = await newTree(tree);
    await symlink('deploy/worker.yml', join(dir, 'worker-link.yaml'));
    const run = await runCli(['resolve', '--config', configFile, 'worker-link.yaml'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.ok((await lstat(join(dir, 'worker-link.yaml'))).isSymbolicLink());
    await assertPinned(dir, EXPECTED_PINS.filter((pin) => pin.file === 'deploy/worker.yml'), tree);
  });

  test('an unknown tag fails its image with file:line and the cause, exit 1, and every other image is pinned', async () => {
    const tree = { ...CLI_TREE, 'deploy/web.yaml': (CLI_TREE['deploy/web.yaml'] ?? '').replace('nginx:1.27   #', 'nginx:9.99   #') };
    const dir = await newTree(tree);
    const run = await runCli(['resolve', '--config', configFile, '.'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    const line = lineOf('deploy/web.yaml', 'nginx:9.99', tree);
    assert.match(
      run.stdout,
      new RegExp(
        `^deploy/web\\.yaml:${line}: Deployment/web spec\\.template\\.spec\\.containers\\[0\\]\\.image: could not resolve \`nginx:9\\.99\` \\(docker\\.io/library/nginx\\): MANIFEST_UNKNOWN`,
        'm',
      ),
    );
    assert.match(run.stderr, /pinned 4 image\(s\) in 3 file\(s\), 1 already pinned, 0 skipped, 1 failed/);
    const others = EXPECTED_PINS.filter((pin) => pin.image !== 'nginx:1.27' || pin.file !== 'deploy/web.yaml');
    await assertPinned(dir, others, tree);
  });
});

// The run keeps to `concurrency` resolves at once across its files, and to as many connections:
// opened while the registry's ping is in flight, and reused by every request after.
describe('digester resolve keeps to its concurrency in connections', () => {
  test('opens at most `concurrency` connections to a registry for a run over several files', async () => {
    const registry = await startRegistry({ mode: 'anonymous' });
    const dir = await mkdtemp(join(tmpdir(), 'digester-cli-cap-'));
    try {
      const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
      await Promise.all(tags.map((tag) => registry.push('team/cli-cap', tag, 'oci-manifest')));
      const proxy = await startTcpFaultProxy(Number(registry.host.split(':')[1]), 0);
      try {
        const config = join(dir, 'digester.yaml');
        await writeFile(
          config,
          `apiVersion: fn.digester.dev/v1alpha1\nkind: Digester\nmetadata:\n  name: digester\nconcurrency: 4\nregistries:\n- host: cap.test\n  endpoint: http://${proxy.host}\n`,
        );
        for (const [file, slice] of [['a.yaml', tags.slice(0, 6)], ['b.yaml', tags.slice(6)]] as const) {
          const pods = slice.map((tag) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${tag}\nspec:\n  containers:\n  - name: app\n    image: cap.test/team/cli-cap:${tag}\n`);
          await writeFile(join(dir, file), pods.join('---\n'));
        }
        const run = await runCli(['resolve', '--config', config, '.'], { cwd: dir });
        assert.equal(run.code, 0, run.stderr);
        assert.equal((await readText(dir, 'a.yaml')).match(/@sha256:/g)?.length, 6);
        assert.equal((await readText(dir, 'b.yaml')).match(/@sha256:/g)?.length, 6);
        assert.ok(proxy.connections() <= 4, `${proxy.connections()} connections with concurrency 4`);
      } finally {
        await proxy.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await registry.stop();
    }
  });
});
