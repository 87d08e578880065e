import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pinned, pushExampleImages, registriesBlock, type PinnedDigests } from '../support/example-images.js';
import { DIGESTER, describeRun, KUSTOMIZE, requireExecutables, runTool, type ToolRun } from '../support/example-tools.js';
import { appendSetting, createExampleWorkspace, replaceOnce, type ExampleWorkspace } from '../support/example-workspace.js';
import { collectImages } from '../support/manifest-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

// kustomize 4.5.4 (the devDependency) runs the built function as an exec KRM transformer from
// a temp copy of examples/kustomize-overlay, the exec path left as the example writes it.

const BUILD_ARGS = ['build', '--enable-alpha-plugins', '--enable-exec'];

describe('kustomize e2e', () => {
  let registry: TestRegistry | undefined;
  let digests: PinnedDigests = new Map();
  const workspaces: ExampleWorkspace[] = [];

  before(async () => {
    await requireExecutables(KUSTOMIZE, DIGESTER);
    registry = await startRegistry({ mode: 'anonymous' });
    digests = await pushExampleImages(registry);
  });

  after(async () => {
    await Promise.all(workspaces.map((workspace) => workspace.remove()));
    await registry?.stop();
  });

  /** A copy of the overlay whose transformer config routes the registries to the local one. */
  async function prepareOverlay(): Promise<{ overlay: string; build: () => Promise<ToolRun> }> {
    assert.ok(registry, 'the registry did not start');
    const workspace = await createExampleWorkspace();
    workspaces.push(workspace);
    const overlay = join(workspace.example('kustomize-overlay'), 'overlay');
    await appendSetting(join(overlay, 'digester.yaml'), 'registries', registriesBlock(registry.url));
    // Built from an unrelated directory: the exec path must not depend on kustomize's working directory.
    return { overlay, build: () => runTool(KUSTOMIZE, [...BUILD_ARGS, overlay], { cwd: tmpdir() }) };
  }

  test('kustomize build pins every image of the overlay, after its images: override', async () => {
    const { build } = await prepareOverlay();

    const run = await build();
    assert.equal(run.code, 0, describeRun('kustomize build overlay', run));
    const images = collectImages(run.stdout).map(({ resource, path, image }) => `${resource} ${path} ${image}`);
    assert.deepEqual(images, [
      // The base says 6.7.0; the overlay's `images:` made it 6.7.1, and that is what got pinned.
      `Deployment/orders-api spec.template.spec.containers[0].image ${pinned('ghcr.io/stefanprodan/podinfo:6.7.1', digests)}`,
      `StatefulSet/orders-queue spec.template.spec.containers[0].image ${pinned('redis:7.4', digests)}`,
      `StatefulSet/orders-queue spec.template.spec.initContainers[0].image ${pinned('busybox:1.36', digests)}`,
    ]);
    assert.doesNotMatch(run.stdout, /podinfo:6\.7\.0/);
    assert.match(run.stdout, /^ {2}namespace: shop$/m, 'the overlay’s namespace was applied too');
  });

  test('kustomize build with an unknown tag fails and shows the function’s error', async () => {
    const { overlay, build } = await prepareOverlay();
    await replaceOnce(join(overlay, 'kustomization.yaml'), 'newTag: "6.7.1"', 'newTag: "6.9.9"');

    const run = await build();
    assert.notEqual(run.code, 0, describeRun('kustomize build overlay with podinfo:6.9.9', run));
    assert.match(
      run.stderr,
      /Deployment\/orders-api spec\.template\.spec\.containers\[0\]\.image: could not resolve `ghcr\.io\/stefanprodan\/podinfo:6\.9\.9` \(ghcr\.io\/stefanprodan\/podinfo\): MANIFEST_UNKNOWN/,
    );
    assert.equal(run.stdout, '', 'kustomize printed manifests although the transformer failed');
  });
});
