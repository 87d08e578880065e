import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { describeRun, type ToolRun } from '../support/example-tools.js';
import { runProcess, type ProcessOptions } from './process-run.js';

// The image test builds and runs the Dockerfile with buildah, which needs no daemon. Every
// invocation gets its own storage under a temp dir (the vfs driver: plain directory copies, no
// overlay mounts), so tests never touch /var/lib/containers and clean up with one `rm -rf`.
// Builds and runs use chroot isolation: buildah's default (runc with new namespaces) is not
// permitted on this kind of machine, and `podman run` fails with setrlimit EPERM. Chroot isolation
// keeps the host's network namespace, which is what lets the function reach the test registry on
// 127.0.0.1, just as `kpt fn eval --network` runs functions with `--network host`.

/** buildah from the Debian package (`.ci/install` installs it). */
export const BUILDAH = '/usr/bin/buildah';

/** A buildah whose images and containers live in a temp dir of their own. */
export interface BuildahStore {
  /** The temp dir holding storage (`root/`) and run state (`runroot/`). */
  readonly dir: string;
  /** Runs `buildah <args>` against this store; resolves whatever the exit code. */
  run(args: readonly string[], options?: ProcessOptions): Promise<ToolRun>;
  /** Runs `buildah <args>` and resolves its trimmed stdout; a non-zero exit throws with both outputs. */
  check(args: readonly string[], options?: ProcessOptions): Promise<string>;
  /** Removes every container, then the whole temp dir. */
  remove(): Promise<void>;
}

/** Creates an empty store in a fresh temp dir. */
export async function createBuildahStore(): Promise<BuildahStore> {
  return openBuildahStore(await mkdtemp(join(tmpdir(), 'digester-buildah-')));
}

/** The store in `dir`, made by {@link createBuildahStore} (possibly in another process). */
export function openBuildahStore(dir: string): BuildahStore {
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs'];
  const run = (args: readonly string[], options: ProcessOptions = {}) => runProcess(BUILDAH, [...global, ...args], options);
  return {
    dir,
    run,
    async check(args, options) {
      const outcome = await run(args, options);
      if (outcome.code !== 0) throw new Error(describeRun(`buildah ${args.join(' ')}`, outcome));
      return outcome.stdout.trim();
    },
    async remove() {
      await run(['rm', '--all']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The parts of an OCI image config the tests look at. */
export const ImageConfig = z.looseObject({
  User: z.optional(z.string()),
  Entrypoint: z.optional(z.array(z.string())),
  Cmd: z.optional(z.array(z.string())),
  Env: z.optional(z.array(z.string())),
  WorkingDir: z.optional(z.string()),
  Labels: z.optional(z.record(z.string(), z.string())),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

const ImageInspection = z.looseObject({ OCIv1: z.looseObject({ config: z.optional(ImageConfig) }) });

/** Reads a local image's OCI config (`buildah inspect --type image`). */
export async function inspectImage(store: BuildahStore, image: string): Promise<ImageConfig> {
  const json: unknown = JSON.parse(await store.check(['inspect', '--type', 'image', image]));
  return ImageInspection.parse(json).OCIv1.config ?? {};
}

/** How to start a process in a container, mirroring the `docker run` flags kpt uses. */
export interface ContainerRun {
  /** `--user`: a name from the image's /etc/passwd or `uid:gid`; default: the image's USER. */
  readonly user?: string;
  /** `-e NAME=value`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Read-only bind mounts, `host path → container path` (kpt's `--mount type=bind,…`). */
  readonly mounts?: ReadonlyMap<string, string>;
  /** stdin, the ResourceList. */
  readonly input?: string;
}

/**
 * Runs `command` (the image's ENTRYPOINT, plus any arguments) in `container` with `buildah run`.
 * buildah appends `subprocess exited with status N` and `Error: exit status N` to stderr when the
 * command fails; those two lines are removed, so stderr is the function's own.
 */
export async function runInContainer(
  store: BuildahStore,
  container: string,
  command: readonly string[],
  options: ContainerRun = {},
): Promise<ToolRun> {
  const flags = ['--isolation', 'chroot'];
  if (options.user !== undefined) flags.push('--user', options.user);
  for (const [name, value] of Object.entries(options.env ?? {})) flags.push('--env', `${name}=${value}`);
  for (const [source, target] of options.mounts ?? []) flags.push('--volume', `${source}:${target}:ro`);
  const run = await store.run(['run', ...flags, container, '--', ...command], {
    ...(options.input !== undefined && { input: options.input }),
  });
  const stderr = run.stderr.replace(/^(?:subprocess exited with status \d+|Error: exit status \d+)\n/gm, '');
  return { ...run, stderr };
}
