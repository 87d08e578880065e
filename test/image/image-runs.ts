import assert from 'node:assert/strict';
import { chown, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pushExampleImages, type PinnedDigests } from '../support/example-images.js';
import { describeRun, type ToolRun } from '../support/example-tools.js';
import { readTree } from '../support/example-workspace.js';
import { oddResourceList, pinnedText, textBeforeResults, type OddImages } from '../support/odd-resource-list.js';
import { startRegistry, writeDockerLogin, type TestRegistry } from '../support/registry.js';
import { CA_BUNDLE } from './base-images.js';
import { runInContainer, type ContainerRun } from './buildah.js';
import { entrypointOf, IMAGE, packageFacts, settled, type BuiltImage } from './image-build.js';

// What the built image holds, and the function run through the image's own ENTRYPOINT by
// `buildah run`, with ResourceLists on stdin, against real registries on loopback, as the users
// kpt runs it as.

const EMPTY_LIST = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n';
const ODD_IMAGES: OddImages = { healthy: 'nginx:1.27', faulty: 'busybox:1.36', bystander: 'redis:7.4' };

/** Registers the tests of the image `getImage` builds. */
export function describeImageRuns(getImage: () => Promise<BuiltImage>): void {
  describe('container image', () => {
    let built: BuiltImage | undefined;
    let container = '';
    let registry: TestRegistry | undefined;
    let digests: PinnedDigests = new Map();
    const cleanups: Array<() => Promise<void>> = [];

    before(async () => {
      const [image, started] = await Promise.allSettled([getImage(), startRegistry({ mode: 'anonymous' })]);
      built = settled(image);
      registry = settled(started);
      if (built === undefined || registry === undefined) throw [image, started].find((outcome) => outcome.status === 'rejected')?.reason;
      container = await built.store.check(['from', '--pull=never', IMAGE]);
      digests = await pushExampleImages(registry);
    });

    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await registry?.stop();
      if (built !== undefined && container !== '') await built.store.run(['rm', container]);
    });

    function image(): BuiltImage {
      assert.ok(built, 'the image was not built');
      return built;
    }

    /** Runs the image's ENTRYPOINT (plus `args`) in the test container. */
    function runImage(options: ContainerRun, args: readonly string[] = []): Promise<ToolRun> {
      const { store, config } = image();
      return runInContainer(store, container, [...entrypointOf(config), ...args], options);
    }

    function odd(url: string): string {
      return oddResourceList(ODD_IMAGES, ['registries:', '- host: docker.io', `  endpoint: ${url}`]);
    }

    function oddPins(registryDigests: ReadonlyMap<string, string>): Map<string, string> {
      return new Map(Object.values(ODD_IMAGES).map((reference) => [reference, registryDigests.get(reference) ?? 'not pushed']));
    }

    test('the image runs as non-root through an exec-form ENTRYPOINT and carries the OCI labels of package.json', async () => {
      const { config } = image();
      const facts = await packageFacts();
      assert.equal(config.User, '65532:65532');
      assert.deepEqual(config.Entrypoint, ['/nodejs/bin/node', '/app/dist/fn/main.js']);
      assert.equal(config.Cmd, undefined, 'a CMD would be appended to the function arguments');
      assert.equal(config.WorkingDir, '/app', 'a working directory every user (kpt runs as nobody) can enter');
      const labels = config.Labels ?? {};
      assert.equal(labels['org.opencontainers.image.version'], facts.version, 'Dockerfile ARG VERSION must follow package.json');
      assert.equal(labels['org.opencontainers.image.licenses'], facts.license);
      assert.equal(labels['org.opencontainers.image.description'], facts.description);
      assert.match(labels['org.opencontainers.image.source'] ?? '', /^https:\/\/github\.com\//);
    });

    test('the image holds package.json and the bundle, and no node_modules, sources or tests', async () => {
      const { store } = image();
      const rootfs = await store.check(['mount', container]);
      try {
        // package.json, and the bundle: main.js, the two scripts with their code caches and esbuild's license files.
        const app = [...(await readTree(join(rootfs, 'app'))).keys()].sort();
        const bundle = ['digester', 'registry'].flatMap((name) => ['', '.LEGAL.txt', '.cache'].map((suffix) => `dist/fn/${name}.cjs${suffix}`));
        assert.deepEqual(app, ['dist/fn/main.js', ...bundle, 'package.json'].sort());

        const everything = (await readdir(rootfs, { recursive: true })).map((path) => `/${path}`);
        assert.deepEqual(everything.filter((path) => /node_modules|\.ts$|\.test\.js$/.test(path)), []);
        // From the base image (distroless has it; so does the stand-in): what SSL_CERT_FILE names.
        assert.ok(everything.includes(CA_BUNDLE), `${CA_BUNDLE} is missing`);
      } finally {
        await store.check(['umount', container]);
      }
    });

    test('an empty ResourceList comes back with the info result, and --version reads the copied package.json', async () => {
      const empty = await runImage({ input: EMPTY_LIST });
      assert.equal(empty.code, 0, describeRun('empty ResourceList', empty));
      assert.equal(empty.stdout, `${EMPTY_LIST}results:\n- message: resolved 0 image(s) (0 unique), skipped 0, failed 0\n  severity: info\n`);
      assert.equal(empty.stderr, '');

      const version = await runImage({}, ['--version']);
      assert.equal(version.stdout, `digester ${(await packageFacts()).version}\n`, describeRun('--version', version));
    });

    test('input that is not a ResourceList exits 2 through the image, with one line on stderr', async () => {
      const run = await runImage({ input: 'kind: Deployment\n' });
      assert.equal(run.code, 2, describeRun('kind: Deployment', run));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^digester: [^\n]+\n$/);
    });

    for (const [user, why] of [
      [undefined, "the image's USER 65532, as docker run and Kubernetes use it"],
      ['nobody', "kpt's default --user"],
      ['1000:1000', 'kpt --as-current-user, a uid the image does not know'],
    ] as const) {
      test(`as ${why}, the image pins a ResourceList and changes nothing else`, async () => {
        assert.ok(registry, 'the registry did not start');
        const input = odd(registry.url);
        // DEBUG=1 also says when a code cache is missing or rejected: the build stage's must be used.
        const run = await runImage({ ...(user !== undefined && { user }), input, env: { DEBUG: '1' } });
        assert.equal(run.code, 0, describeRun(`the image as ${user ?? 'its USER'}`, run));
        assert.equal(textBeforeResults(run.stdout), pinnedText(input, oddPins(digests)));
        assert.doesNotMatch(run.stderr, /code cache/);
      });
    }

    test('a docker config mounted as the README shows authenticates to a private registry, readable only by its owner', async () => {
      const privateRegistry = await startRegistry({ mode: 'basic' });
      cleanups.push(() => privateRegistry.stop());
      const privateDigests = new Map<string, string>();
      for (const [reference, repository, tag] of [
        ['nginx:1.27', 'library/nginx', '1.27'],
        ['busybox:1.36', 'library/busybox', '1.36'],
        ['redis:7.4', 'library/redis', '7.4'],
      ] as const) {
        privateDigests.set(reference, (await privateRegistry.push(repository, tag, 'oci-manifest')).digest);
      }
      // ~/.docker/config.json as docker login leaves it: mode 0600, owned by the user (uid 1000 here).
      const configFile = await writeDockerLogin(privateRegistry);
      cleanups.push(() => rm(dirname(configFile), { recursive: true, force: true }));
      await chown(configFile, 1000, 1000);
      const mount = { mounts: new Map([[configFile, '/docker/config.json']]), env: { DOCKER_CONFIG: '/docker' } };
      const input = odd(privateRegistry.url);

      // --as-current-user: the function runs with the file owner's uid and reads it.
      const owner = await runImage({ ...mount, user: '1000:1000', input });
      assert.equal(owner.code, 0, describeRun('the image as the config owner', owner));
      assert.equal(textBeforeResults(owner.stdout), pinnedText(input, oddPins(privateDigests)));
      assert.ok(!`${owner.stdout}${owner.stderr}`.includes(privateRegistry.password ?? '-'), 'the password was printed');

      // kpt's default user cannot read a 0600 file: every image fails, naming the file.
      const nobody = await runImage({ ...mount, user: 'nobody', input });
      assert.equal(nobody.code, 1, describeRun('the image as nobody', nobody));
      assert.match(nobody.stderr, /cannot read docker config \/docker\/config\.json: EACCES/);
      assert.match(nobody.stdout, /failed 3\n/);

      // Why not nonroot's ~/.docker: kpt never runs as nonroot, and its home is mode 0700.
      const home = { mounts: new Map([[configFile, '/home/nonroot/.docker/config.json']]), env: { DOCKER_CONFIG: '/home/nonroot/.docker' } };
      const inHome = await runImage({ ...home, user: '1000:1000', input });
      assert.equal(inHome.code, 1, describeRun('the image with the config under /home/nonroot', inHome));
      assert.match(inHome.stderr, /cannot read docker config \/home\/nonroot\/\.docker\/config\.json: EACCES/);
    });
  });
}
