import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digesterConfig, pushExampleImages, registriesBlock, type PinnedDigests } from '../support/example-images.js';
import { DIGESTER, describeRun, KPT, requireExecutables, runTool, type ToolRun } from '../support/example-tools.js';
import {
  appendSetting,
  createExampleWorkspace,
  readTree,
  replaceOnce,
  type ExampleWorkspace,
} from '../support/example-workspace.js';
import { checkPinnedTree } from '../support/pinned-lines.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

// The real kpt (/usr/bin/kpt) runs the built function on temp copies of examples/, against a
// local registry that Docker Hub and ghcr.io are routed to. kpt writes the files back itself,
// after its own YAML round trip, so these tests prove what users see on disk.

describe('kpt e2e', () => {
  let registry: TestRegistry | undefined;
  let digests: PinnedDigests = new Map();
  const workspaces: ExampleWorkspace[] = [];

  before(async () => {
    // A missing kpt fails the suite rather than skipping it.
    await requireExecutables(KPT, DIGESTER);
    registry = await startRegistry({ mode: 'anonymous' });
    digests = await pushExampleImages(registry);
  });

  after(async () => {
    await Promise.all(workspaces.map((workspace) => workspace.remove()));
    await registry?.stop();
  });

  async function newWorkspace(): Promise<ExampleWorkspace> {
    const workspace = await createExampleWorkspace();
    workspaces.push(workspace);
    return workspace;
  }

  function registryUrl(): string {
    assert.ok(registry, 'the registry did not start');
    return registry.url;
  }

  /** examples/plain with a Digester config outside the package, and the `kpt fn eval` that pins it. */
  async function preparePlain(): Promise<{ dir: string; evaluate: () => Promise<ToolRun>; command: string }> {
    const workspace = await newWorkspace();
    const dir = workspace.example('plain');
    const config = join(workspace.root, 'digester-config.yaml');
    await writeFile(config, digesterConfig(registryUrl()));
    const args = ['fn', 'eval', dir, '--exec', DIGESTER, '--fn-config', config];
    return { dir, evaluate: () => runTool(KPT, args, { cwd: workspace.root }), command: `kpt ${args.join(' ')}` };
  }

  /** examples/kpt-package with the registry mapping added to its own digester.yaml, rendered through its Kptfile. */
  async function prepareKptPackage(): Promise<{ dir: string; render: () => Promise<ToolRun> }> {
    const workspace = await newWorkspace();
    const dir = workspace.example('kpt-package');
    await appendSetting(join(dir, 'digester.yaml'), 'registries', registriesBlock(registryUrl()));
    // The documented command, from the repository root (here the workspace, which mirrors it):
    // the Kptfile's `exec: ./dist/fn/main.js` is resolved against kpt's working directory.
    const render = () => runTool(KPT, ['fn', 'render', 'examples/kpt-package', '--allow-exec'], { cwd: workspace.root });
    return { dir, render };
  }

  test('kpt fn eval --exec pins every image in examples/plain and changes nothing else', async () => {
    const { dir, evaluate, command } = await preparePlain();
    const original = await readTree(dir);

    const run = await evaluate();
    assert.equal(run.code, 0, describeRun(command, run));
    assert.match(run.stderr, /resolved 5 image\(s\) \(5 unique\), skipped 0, failed 0/);
    const pinnedTree = await readTree(dir);
    const check = checkPinnedTree(original, pinnedTree, digests);
    assert.deepEqual(check.problems, [], 'files differ from the originals in more than appended digests');
    assert.equal(check.pinnedLines, 5, 'image lines pinned in deployment.yaml and backup.yaml');

    const again = await evaluate();
    assert.equal(again.code, 0, describeRun(command, again));
    assert.deepEqual(await readTree(dir), pinnedTree, 'a second kpt fn eval changed the pinned files');
  });

  test('kpt fn render runs the Kptfile exec path and pins examples/kpt-package, comments intact', async () => {
    const { dir, render } = await prepareKptPackage();
    const original = await readTree(dir);

    const run = await render();
    assert.equal(run.code, 0, describeRun('kpt fn render examples/kpt-package --allow-exec', run));
    assert.match(run.stderr, /\[PASS\] "\.\/dist\/fn\/main\.js"/);
    assert.match(run.stderr, /resolved 4 image\(s\) \(4 unique\), skipped 1 \(1 by skip prefix\), failed 0/);
    const pinnedTree = await readTree(dir);
    const check = checkPinnedTree(original, pinnedTree, digests);
    assert.deepEqual(check.problems, [], 'files differ from the originals in more than appended digests');
    assert.equal(check.pinnedLines, 4, 'init container, two containers and the image volume');
    assert.match(pinnedTree.get('deployment.yaml') ?? '', /# the app itself\n/);

    const again = await render();
    assert.equal(again.code, 0, describeRun('second kpt fn render', again));
    assert.deepEqual(await readTree(dir), pinnedTree, 'a second kpt fn render changed the pinned files');
  });

  test('kpt fn render with an unknown tag fails, names the image and writes nothing', async () => {
    const { dir, render } = await prepareKptPackage();
    await replaceOnce(join(dir, 'deployment.yaml'), 'image: "nginx:1.27"', 'image: "nginx:1.99"');
    const original = await readTree(dir);

    const run = await render();
    assert.notEqual(run.code, 0, describeRun('kpt fn render with nginx:1.99', run));
    const output = run.stdout + run.stderr;
    assert.match(output, /could not resolve `nginx:1\.99` \(docker\.io\/library\/nginx\): MANIFEST_UNKNOWN/);
    assert.match(output, /failed 1/);
    assert.deepEqual(await readTree(dir), original, 'kpt wrote files although the function failed');
  });

  test('kpt fn eval with an unknown tag fails, names the image and writes nothing', async () => {
    const { dir, evaluate, command } = await preparePlain();
    await replaceOnce(join(dir, 'deployment.yaml'), 'image: redis:7.4', 'image: redis:7.99');
    const original = await readTree(dir);

    const run = await evaluate();
    assert.notEqual(run.code, 0, describeRun(command, run));
    const output = run.stdout + run.stderr;
    assert.match(output, /Deployment\/session-cache spec\.template\.spec\.containers\[0\]\.image/);
    assert.match(output, /could not resolve `redis:7\.99` \(docker\.io\/library\/redis\): MANIFEST_UNKNOWN/);
    assert.deepEqual(await readTree(dir), original, 'kpt wrote files although the function failed');
  });
});
