import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/example-workspace.js';
import { runInContainer } from './buildah.js';
import { buildImage, entrypointOf, IMAGE, RUNTIME_BASE } from './image-build.js';
import { runProcess } from './process-run.js';

// The image's size and start-up time, for the README's "Container image" section (timings
// belong here, not in the tests). Run: `npm run build && node dist/test/image/measure.js [runs]`.
// Needs root and buildah, like the image test.

const EMPTY_LIST = 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n';

async function main(runs: number): Promise<void> {
  const built = await buildImage();
  const { store, config } = built;
  const scratch = await mkdtemp(join(tmpdir(), 'digester-image-measure-'));
  const containers: string[] = [];
  try {
    const image = await store.check(['from', '--pull=never', IMAGE]);
    const base = await store.check(['from', '--pull=never', RUNTIME_BASE]);
    containers.push(image, base);
    const imageRoot = await store.check(['mount', image]);
    const baseRoot = await store.check(['mount', base]);
    const app = await treeBytes(join(imageRoot, 'app'));
    const compressed = await compressedLayers((args) => store.check(args), scratch);
    const entrypoint = entrypointOf(config);

    const rows: Array<[string, string]> = [
      ['build: assemble both stand-in base images', ms(built.basesMs)],
      ['build: `buildah bud` (npm install from the cache, tsc, esbuild, two stages)', ms(built.buildMs)],
      ['size: `buildah images`', await store.check(['images', '--format', '{{.Size}}', IMAGE])],
      ['size: image, uncompressed (files in the rootfs)', mib(await treeBytes(imageRoot))],
      ['size: of which the stand-in base (this machine\'s node and its libraries)', mib(await treeBytes(baseRoot))],
      ['size: of which digester (/app: package.json and the bundle)', kib(app)],
      ['size: image, gzip-compressed layers (a pull)', mib(compressed.reduce((sum, size) => sum + size, 0))],
      ['size: of which digester\'s layer (what a pull downloads on top of the base)', kib(compressed.at(-1) ?? 0)],
    ];
    const viaBuildah = await timeRuns(runs, () => runInContainer(store, image, entrypoint, { input: EMPTY_LIST }));
    const viaChroot = await timeRuns(runs, () => runProcess('/usr/sbin/chroot', ['--userspec=65532:65532', imageRoot, ...entrypoint], { input: EMPTY_LIST }));
    const onHost = await timeRuns(runs, () => runProcess(process.execPath, [join(REPO_ROOT, 'dist/fn/main.js')], { input: EMPTY_LIST }));
    rows.push(
      [`startup: empty ResourceList, \`buildah run\` (median of ${runs}, min–max)`, viaBuildah],
      [`startup: same, \`chroot\` into the mounted rootfs, no container runtime`, viaChroot],
      [`startup: same, node dist/fn/main.js on the host`, onHost],
    );
    process.stdout.write(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n\n| measure | value |\n| --- | --- |\n`);
    for (const [name, value] of rows) process.stdout.write(`| ${name} | ${value} |\n`);
  } finally {
    for (const container of containers) await store.run(['rm', container]);
    await store.remove();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Sizes of the image's layers as `buildah push` gzips them into an OCI layout, base layers first. */
async function compressedLayers(check: (args: readonly string[]) => Promise<string>, scratch: string): Promise<number[]> {
  const layout = join(scratch, 'layout');
  await check(['push', '--quiet', IMAGE, `oci:${layout}`]);
  const blob = (digest: string) => readFile(join(layout, 'blobs', ...digest.split(':')), 'utf8');
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifestDigest = index.manifests[0]?.digest;
  if (manifestDigest === undefined) throw new Error(`buildah push wrote no manifest to ${layout}`);
  const manifest = JSON.parse(await blob(manifestDigest)) as { layers: Array<{ size: number }> };
  return manifest.layers.map((layer) => layer.size);
}

async function timeRuns(runs: number, run: () => Promise<{ code: number | null }>): Promise<string> {
  const times: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = performance.now();
    const outcome = await run();
    times.push(performance.now() - started);
    if (outcome.code !== 0) throw new Error(`a run exited ${String(outcome.code)}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  return `${ms(median)} (${ms(times[0] ?? 0)} – ${ms(times.at(-1) ?? 0)})`;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

await main(Number(process.argv[2] ?? 11));
