import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pinned, pushExampleImages, registriesBlock, type PinnedDigests } from '../support/example-images.js';
import { DIGESTER, describeRun, KUBECTL, requireExecutables, runTool, type ToolRun } from '../support/example-tools.js';
import { appendSetting, createExampleWorkspace, replaceOnce, type ExampleWorkspace } from '../support/example-workspace.js';
import { collectImages } from '../support/manifest-images.js';
import { checkPinnedFile } from '../support/pinned-lines.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

// kubectl's built-in kustomize runs only legacy exec plugins. The plugin is installed with
// `digester install-kustomize-plugin` into a temp XDG_CONFIG_HOME, and kubectl builds a temp copy of
// examples/kubectl-kustomize whose digester.yaml routes docker.io and ghcr.io to a local registry.

const PLUGIN = join('kustomize', 'plugin', 'fn.digester.dev', 'v1alpha1', 'digester', 'Digester');

describe('kubectl kustomize e2e (legacy exec plugin)', () => {
  let registry: TestRegistry | undefined;
  let digests: PinnedDigests = new Map();
  let configHome = '';
  const workspaces: ExampleWorkspace[] = [];

  /**
   * The environment kubectl and the installer run with: the temp XDG_CONFIG_HOME, no KUSTOMIZE_PLUGIN_HOME,
   * and TMPDIR inside it (kustomize leaves its temp copy of the plugin config behind when the plugin fails).
   */
  function pluginEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: configHome, TMPDIR: join(configHome, 'tmp') };
    delete env['KUSTOMIZE_PLUGIN_HOME'];
    return env;
  }

  before(async () => {
    await requireExecutables(KUBECTL, DIGESTER);
    configHome = await mkdtemp(join(tmpdir(), 'digester-xdg-'));
    await mkdir(join(configHome, 'tmp'));
    const install = await runTool(DIGESTER, ['install-kustomize-plugin'], { cwd: tmpdir(), env: pluginEnv() });
    assert.equal(install.code, 0, describeRun('digester install-kustomize-plugin', install));
    assert.equal(install.stdout, `digester: installed the kustomize plugin at ${join(configHome, PLUGIN)}\n`);
    registry = await startRegistry({ mode: 'anonymous' });
    digests = await pushExampleImages(registry);
  });

  after(async () => {
    await Promise.all(workspaces.map((workspace) => workspace.remove()));
    if (configHome !== '') await rm(configHome, { recursive: true, force: true });
    await registry?.stop();
  });

  /** A copy of the example routed to the local registry, and `unpinned/`: the overlay without its transformer. */
  async function prepareExample(): Promise<{ example: string; build: (dir: string, flags?: readonly string[]) => Promise<ToolRun> }> {
    assert.ok(registry, 'the registry did not start');
    const workspace = await createExampleWorkspace();
    workspaces.push(workspace);
    const example = workspace.example('kubectl-kustomize');
    await appendSetting(join(example, 'overlay', 'digester.yaml'), 'registries', registriesBlock(registry.url));
    await cp(join(example, 'overlay'), join(example, 'unpinned'), { recursive: true });
    await replaceOnce(join(example, 'unpinned', 'kustomization.yaml'), 'transformers:\n  - digester.yaml\n', '');
    // Built from an unrelated directory, as `kubectl kustomize DIR` is usually run.
    const build = (dir: string, flags: readonly string[] = ['--enable-alpha-plugins']) =>
      runTool(KUBECTL, ['kustomize', ...flags, join(example, dir)], { cwd: tmpdir(), env: pluginEnv() });
    return { example, build };
  }

  test('kubectl kustomize --enable-alpha-plugins pins every image and changes nothing else', async () => {
    const { build } = await prepareExample();

    const withPlugin = await build('overlay');
    assert.equal(withPlugin.code, 0, describeRun('kubectl kustomize overlay', withPlugin));
    const images = collectImages(withPlugin.stdout).map(({ resource, path, image }) => `${resource} ${path} ${image}`);
    assert.deepEqual(images, [
      `Deployment/prod-storefront spec.template.spec.containers[0].image ${pinned('nginx:1.27', digests)}`,
      `Deployment/prod-storefront spec.template.spec.initContainers[0].image ${pinned('ghcr.io/acme-shop/storefront-assets:2024.11.2', digests)}`,
      `CronJob/prod-catalogue-backup spec.jobTemplate.spec.template.spec.containers[0].image ${pinned('postgres:16.4', digests)}`,
      `CronJob/prod-catalogue-backup spec.jobTemplate.spec.template.spec.containers[1].image ${pinned('amazon/aws-cli:2.17.0', digests)}`,
    ]);

    // The same build without the transformer: every line but the four image lines must be identical
    // (namespace, name prefix, labels, the generated ConfigMap's hash, no leftover kustomize annotations).
    const withoutPlugin = await build('unpinned');
    assert.equal(withoutPlugin.code, 0, describeRun('kubectl kustomize unpinned', withoutPlugin));
    const check = checkPinnedFile('kubectl kustomize output', withoutPlugin.stdout, withPlugin.stdout, digests);
    assert.deepEqual(check.problems, [], `${check.problems.join('\n')}\n${describeRun('kubectl kustomize overlay', withPlugin)}`);
    assert.equal(check.pinnedLines, 4);
    assert.match(withPlugin.stdout, /^ {2}name: prod-storefront-nginx-[a-z0-9]{10}$/m, 'the generated ConfigMap kept its hash suffix');
  });

  test('kubectl kustomize with an unknown tag fails and shows the digester’s error', async () => {
    const { example, build } = await prepareExample();
    await replaceOnce(join(example, 'base', 'deployment.yaml'), 'image: nginx:1.27', 'image: nginx:1.99');

    const run = await build('overlay');
    assert.notEqual(run.code, 0, describeRun('kubectl kustomize overlay with nginx:1.99', run));
    assert.equal(run.stdout, '', 'kubectl printed manifests although the plugin failed');
    assert.match(
      run.stderr,
      /digester: Deployment\/prod-storefront spec\.template\.spec\.containers\[0\]\.image: could not resolve `nginx:1\.99` \(docker\.io\/library\/nginx\): MANIFEST_UNKNOWN/,
    );
    assert.equal(run.stderr.match(/digester: /g)?.length, 1, `only the unknown tag is an error\n${run.stderr}`);
    assert.match(run.stderr, /failure in plugin configured via .*exit status 1/);
  });

  test('kubectl kustomize with an invalid Digester config fails and names the field', async () => {
    const { example, build } = await prepareExample();
    await appendSetting(join(example, 'overlay', 'digester.yaml'), 'concurrency', 'concurrency: 0\n');

    const run = await build('overlay');
    assert.notEqual(run.code, 0, describeRun('kubectl kustomize overlay with concurrency: 0', run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /digester: invalid Digester functionConfig: functionConfig\.concurrency: /);
    assert.match(run.stderr, /exit status 2/);
  });

  test('kubectl kustomize without --enable-alpha-plugins refuses the transformer instead of skipping it', async () => {
    const { build } = await prepareExample();

    const run = await build('overlay', []);
    assert.notEqual(run.code, 0, describeRun('kubectl kustomize overlay (no flags)', run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /external plugins disabled; unable to load external plugin 'Digester'/);
  });
});
