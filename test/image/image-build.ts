import { access, constants, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../support/command.js';
import { REPO_ROOT } from '../support/example-workspace.js';
import { assembleBuildBase, assembleRuntimeBase } from './base-images.js';
import { BUILDAH, createBuildahStore, inspectImage, type BuildahStore, type ImageConfig } from './buildah.js';

// Builds the repository's Dockerfile, default target, as a user would, with two substitutions
// made through what the Dockerfile and npm already offer: the base images through the BUILD_IMAGE
// and NODE_IMAGE build arguments (stand-ins assembled from this machine's node, base-images.ts),
// and the npm registry through npm's cache: `RUN npm install` sees a copy of this machine's npm
// cache at /root/.npm and an /root/.npmrc saying `offline=true`, both `buildah bud --volume`s,
// which exist only while RUN steps run and never reach a layer.

/** The stand-in for gcr.io/distroless/nodejs24-debian13:nonroot. */
export const RUNTIME_BASE = 'localhost/digester-test-runtime-base:node';
/** The stand-in for node:24-trixie-slim. */
export const BUILD_BASE = 'localhost/digester-test-build-base:node';
/** The image under test. */
export const IMAGE = 'localhost/digester:image-test';

/** A store holding the built image, and what building it took. */
export interface BuiltImage {
  readonly store: BuildahStore;
  readonly config: ImageConfig;
  /** Wall time of assembling the two base images, and of `buildah bud`. */
  readonly basesMs: number;
  readonly buildMs: number;
}

/** One build shared by every test in a file: `get` starts it or waits for it, `release` deletes the store. */
export interface SharedBuild {
  readonly get: () => Promise<BuiltImage>;
  readonly release: () => Promise<void>;
}

/** A {@link SharedBuild} that builds on first use. */
export function shareBuild(): SharedBuild {
  let building: Promise<BuiltImage> | undefined;
  return {
    get: () => (building ??= buildImage()),
    async release() {
      const built = await building?.catch(() => undefined);
      await built?.store.remove();
    },
  };
}

/** Assembles both base images and builds the Dockerfile into a new temp store. */
export async function buildImage(): Promise<BuiltImage> {
  try {
    await access(BUILDAH, constants.X_OK);
  } catch {
    throw new Error(`${BUILDAH} is missing: run .ci/install (it installs the buildah package); the image test needs it`);
  }
  const store = await createBuildahStore();
  try {
    let started = performance.now();
    await assembleRuntimeBase(store, RUNTIME_BASE);
    await assembleBuildBase(store, BUILD_BASE);
    const basesMs = performance.now() - started;
    const npmCache = join(store.dir, 'npm-cache');
    const npmrc = join(store.dir, 'npmrc');
    await copyNpmCache(npmCache);
    await writeFile(npmrc, 'offline=true\n');
    started = performance.now();
    const args = ['bud', '--isolation', 'chroot', '--pull=never'];
    args.push('--build-arg', `BUILD_IMAGE=${BUILD_BASE}`, '--build-arg', `NODE_IMAGE=${RUNTIME_BASE}`);
    args.push('--volume', `${npmCache}:/root/.npm`, '--volume', `${npmrc}:/root/.npmrc:ro`);
    args.push('--tag', IMAGE, '--file', join(REPO_ROOT, 'Dockerfile'), REPO_ROOT);
    const bud = await store.run(args, { timeoutMs: 600_000 });
    if (bud.code !== 0) {
      const hint = /ENOTCACHED/.test(bud.stderr + bud.stdout)
        ? "npm's cache lacks a package of package-lock.json: run .ci/install, whose npm install fills it.\n"
        : '';
      throw new Error(`${hint}buildah bud exited ${String(bud.code)}\n--- stdout\n${bud.stdout}\n--- stderr\n${bud.stderr}`);
    }
    const buildMs = performance.now() - started;
    return { store, config: await inspectImage(store, IMAGE), basesMs, buildMs };
  } catch (error) {
    await store.remove();
    throw error;
  }
}

/** Copies this machine's npm cache (`npm config get cache`) to `target`, so the build never writes to the real one. */
async function copyNpmCache(target: string): Promise<void> {
  const cache = (await runCommand('npm', ['config', 'get', 'cache'])).toString('utf8').trim();
  try {
    await access(join(cache, '_cacache'));
  } catch {
    throw new Error(`npm's cache ${cache} is empty: run .ci/install, whose npm install fills it; the image build installs from it`);
  }
  await cp(cache, target, { recursive: true, filter: (source) => !source.startsWith(join(cache, '_logs')) });
}

/** The image's ENTRYPOINT; throws unless it is exec form (a JSON array), as kpt needs. */
export function entrypointOf(config: ImageConfig): readonly string[] {
  const entrypoint = config.Entrypoint;
  if (entrypoint === undefined || entrypoint.length === 0) throw new Error('the image has no ENTRYPOINT');
  return entrypoint;
}

/** package.json's version, license and description, which the image's OCI labels must repeat. */
export async function packageFacts(): Promise<{ version: string; license: string; description: string }> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  return { version: String(pkg['version']), license: String(pkg['license']), description: String(pkg['description']) };
}

/** The value of a fulfilled outcome of `Promise.allSettled`, else undefined (so what did start can be stopped). */
export function settled<T>(outcome: PromiseSettledResult<T>): T | undefined {
  return outcome.status === 'fulfilled' ? outcome.value : undefined;
}
