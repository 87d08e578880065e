import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digesterConfig, pushExampleImages, registriesBlock, type PinnedDigests } from '../support/example-images.js';
import { describeRun, KPT, requireExecutables, type ToolRun } from '../support/example-tools.js';
import { appendSetting, createExampleWorkspace, readTree, REPO_ROOT, type ExampleWorkspace } from '../support/example-workspace.js';
import { checkPinnedTree } from '../support/pinned-lines.js';
import { startRegistry, writeDockerLogin, type TestRegistry } from '../support/registry.js';
import { runInContainer } from './buildah.js';
import { installDockerShim, STORE_ENV } from './docker-shim.js';
import { entrypointOf, IMAGE, settled, type BuiltImage } from './image-build.js';
import { runProcess } from './process-run.js';

// The real kpt (/usr/bin/kpt) with the built image, three ways: `kpt fn source | image | kpt fn
// sink` (the image run directly by buildah), `kpt fn render` of examples/kpt-package-image whose
// Kptfile names the image, and `kpt fn eval --image` with the README's private-registry flags.
// The last two go through kpt's own `docker run` command line, which test/image/docker-shim.ts
// hands to buildah (there is no docker daemon here).

const EXAMPLE = 'kpt-package-image';

/** Registers the kpt tests of the image `getImage` builds. */
export function describeImageWithKpt(getImage: () => Promise<BuiltImage>): void {
  describe('container image with kpt', () => {
    let built: BuiltImage | undefined;
    let registry: TestRegistry | undefined;
    let privateRegistry: TestRegistry | undefined;
    let digests: PinnedDigests = new Map();
    let privateDigests: PinnedDigests = new Map();
    let kptEnv: NodeJS.ProcessEnv = {};
    const cleanups: Array<() => Promise<void>> = [];

    before(async () => {
      await requireExecutables(KPT);
      const outcomes = await Promise.allSettled([getImage(), startRegistry({ mode: 'anonymous' }), startRegistry({ mode: 'basic' })]);
      built = settled(outcomes[0]);
      registry = settled(outcomes[1]);
      privateRegistry = settled(outcomes[2]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed !== undefined || built === undefined || registry === undefined || privateRegistry === undefined) throw failed?.reason;
      // The Kptfile names the published image; the locally built one stands in for it.
      await built.store.check(['tag', IMAGE, await kptfileImage()]);
      const shim = await installDockerShim();
      cleanups.push(() => rm(shim, { recursive: true, force: true }));
      kptEnv = { ...process.env, PATH: `${shim}:${process.env['PATH'] ?? ''}`, [STORE_ENV]: built.store.dir };
      digests = await pushExampleImages(registry);
      privateDigests = await pushExampleImages(privateRegistry);
    });

    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await registry?.stop();
      await privateRegistry?.stop();
    });

    async function newWorkspace(): Promise<ExampleWorkspace> {
      const workspace = await createExampleWorkspace();
      cleanups.push(() => workspace.remove());
      return workspace;
    }

    function kpt(args: readonly string[], input?: string): Promise<ToolRun> {
      return runProcess(KPT, args, { env: kptEnv, ...(input !== undefined && { input }) });
    }

    /** examples/kpt-package-image copied, with the test registry added to its digester.yaml, and its files before any run. */
    async function preparePackage(): Promise<{ workspace: ExampleWorkspace; dir: string; original: Map<string, string> }> {
      assert.ok(registry, 'the registry did not start');
      const workspace = await newWorkspace();
      const dir = workspace.example(EXAMPLE);
      await appendSetting(join(dir, 'digester.yaml'), 'registries', registriesBlock(registry.url));
      return { workspace, dir, original: await readTree(dir) };
    }

    /**
     * Checks a run's files against the originals: image lines pinned, everything else unchanged. The
     * Kptfile's `image:` names the function, not a workload, and the README only shows image lines,
     * so both must come back exactly as they were.
     */
    function assertPinnedPackage(original: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): void {
      const unpinned = ['Kptfile', 'README.md'];
      for (const path of unpinned) assert.equal(after.get(path), original.get(path), `${path} changed`);
      const pinnable = (tree: ReadonlyMap<string, string>) => new Map([...tree].filter(([path]) => !unpinned.includes(path)));
      const check = checkPinnedTree(pinnable(original), pinnable(after), digests);
      assert.deepEqual(check.problems, [], 'files differ from the originals in more than appended digests');
      assert.equal(check.pinnedLines, 4, 'init container, podinfo, redis and its exporter');
    }

    test('kpt fn source | the image | kpt fn sink pins examples/kpt-package-image, changing only image lines', async () => {
      const { workspace, dir, original } = await preparePackage();
      // kpt fn source/sink carry KRM files only; the README stays behind.
      original.delete('README.md');

      const first = await pipeThroughImage(dir, join(workspace.root, 'pinned'));
      assert.match(first.stdout, /message: resolved 4 image\(s\) \(4 unique\), skipped 0, failed 0\n/);
      const pinnedTree = await readTree(join(workspace.root, 'pinned'));
      assertPinnedPackage(original, pinnedTree);

      const second = await pipeThroughImage(join(workspace.root, 'pinned'), join(workspace.root, 'again'));
      assert.match(second.stdout, /message: resolved 0 image\(s\) \(0 unique\), skipped 4 \(4 already pinned\), failed 0\n/);
      assert.deepEqual(await readTree(join(workspace.root, 'again')), pinnedTree, 'a second pass changed the pinned files');
    });

    /** `kpt fn source DIR --fn-config DIR/digester.yaml | <image> | kpt fn sink OUT`, asserting each step. */
    async function pipeThroughImage(dir: string, out: string): Promise<ToolRun> {
      assert.ok(built, 'the image was not built');
      const source = await kpt(['fn', 'source', dir, '--fn-config', join(dir, 'digester.yaml')]);
      assert.equal(source.code, 0, describeRun(`kpt fn source ${dir}`, source));
      const container = await built.store.check(['from', '--pull=never', IMAGE]);
      const run = await runInContainer(built.store, container, entrypointOf(built.config), { input: source.stdout });
      await built.store.check(['rm', container]);
      assert.equal(run.code, 0, describeRun('the image', run));
      const sink = await kpt(['fn', 'sink', out], run.stdout);
      assert.equal(sink.code, 0, describeRun('kpt fn sink', sink));
      return run;
    }

    test("kpt fn render --allow-network runs the Kptfile's image: and pins examples/kpt-package-image", async () => {
      const { dir, original } = await preparePackage();
      const image = await kptfileImage();
      const command = `kpt fn render ${EXAMPLE} --allow-network`;

      const run = await kpt(['fn', 'render', dir, '--allow-network']);
      assert.equal(run.code, 0, describeRun(command, run));
      assert.ok(run.stderr.includes(`[PASS] "${image}"`), describeRun(command, run));
      const pinnedTree = await readTree(dir);
      assertPinnedPackage(original, pinnedTree);

      const again = await kpt(['fn', 'render', dir, '--allow-network']);
      assert.equal(again.code, 0, describeRun(`second ${command}`, again));
      assert.deepEqual(await readTree(dir), pinnedTree, 'a second kpt fn render changed the pinned files');
    });

    test("kpt fn eval --image with the README's private-registry flags pins examples/plain from a basic-auth registry", async () => {
      assert.ok(privateRegistry, 'the private registry did not start');
      const workspace = await newWorkspace();
      const dir = workspace.example('plain');
      const fnConfig = join(workspace.root, 'digester-config.yaml');
      await writeFile(fnConfig, digesterConfig(privateRegistry.url));
      const dockerConfig = await writeDockerLogin(privateRegistry);
      cleanups.push(() => rm(dirname(dockerConfig), { recursive: true, force: true }));
      const original = await readTree(dir);

      // The README's command, with the locally built image and the test registry's config.
      const args = ['fn', 'eval', dir, '--image', IMAGE, '--network', '--as-current-user'];
      args.push('--mount', `type=bind,src=${dockerConfig},dst=/docker/config.json`, '--env', 'DOCKER_CONFIG=/docker');
      args.push('--fn-config', fnConfig);
      const run = await kpt(args);
      assert.equal(run.code, 0, describeRun(`kpt ${args.join(' ')}`, run));
      assert.ok(!`${run.stdout}${run.stderr}`.includes(privateRegistry.password ?? '-'), 'the password was printed');
      const check = checkPinnedTree(original, await readTree(dir), privateDigests);
      assert.deepEqual(check.problems, [], 'files differ from the originals in more than appended digests');
      assert.equal(check.pinnedLines, 5, 'image lines pinned in deployment.yaml and backup.yaml');
    });
  });
}

/** The `image:` of examples/kpt-package-image's Kptfile pipeline. */
async function kptfileImage(): Promise<string> {
  const kptfile = await readFile(join(REPO_ROOT, 'examples', EXAMPLE, 'Kptfile'), 'utf8');
  const image = /^\s*- image: (\S+)$/m.exec(kptfile)?.[1];
  if (image === undefined) throw new Error(`examples/${EXAMPLE}/Kptfile has no \`- image:\` mutator`);
  return image;
}
