import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { inspectImage, openBuildahStore, runInContainer, type ContainerRun } from './buildah.js';
import { entrypointOf } from './image-build.js';

// kpt runs container functions with the `docker` CLI, and there is no docker daemon here. This
// stand-in, put first on kpt's PATH, hands kpt's two commands to buildah on the image test's store:
//
//   docker version --format {{.Client.Version}}
//   docker run --rm -i --network host --user nobody --security-opt=no-new-privileges --pull missing
//              [--mount type=bind,source=S,target=T,readonly] [-e NAME=value] IMAGE
//
// (measured with kpt 1.0.0-beta.56). Any other command or flag exits 125 naming it, so a kpt
// that starts using something else fails the test instead of being half-emulated. What it cannot
// emulate: `--network none` (chroot isolation always shares the host's network; kpt asks for it
// when functions may not use the network, so the test always passes --allow-network/--network),
// and `no-new-privileges` (not enforced; the function never asks for privileges).

/** Env var naming the buildah store dir (from `createBuildahStore`) that holds the images. */
export const STORE_ENV = 'DIGESTER_IMAGE_TEST_STORE';

/** A docker version kpt accepts (it requires 20.10 or later). */
const DOCKER_VERSION = '28.0.0';

/** Writes an executable `docker` that runs this shim into a new temp dir, and returns the dir (to prepend to PATH). */
export async function installDockerShim(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'digester-docker-shim-'));
  const script = fileURLToPath(import.meta.url);
  await writeFile(join(dir, 'docker'), `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
  await chmod(join(dir, 'docker'), 0o755);
  return dir;
}

/** `docker run`'s arguments as kpt passes them. */
interface RunRequest extends ContainerRun {
  readonly image: string;
  readonly args: readonly string[];
}

class UnsupportedError extends Error {}

function parseRun(argv: readonly string[], env: NodeJS.ProcessEnv): RunRequest {
  let user: string | undefined;
  const variables: Record<string, string> = {};
  const mounts = new Map<string, string>();
  let index = 0;
  const value = (flag: string): string => {
    const next = argv[++index];
    if (next === undefined) throw new UnsupportedError(`${flag} needs a value`);
    return next;
  };
  for (; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('-')) break;
    if (arg === '--rm' || arg === '-i' || arg === '--security-opt=no-new-privileges') continue;
    if (arg === '--pull') {
      value(arg); // the image is in the store already, whatever the policy
    } else if (arg === '--network') {
      const network = value(arg);
      if (network !== 'host') throw new UnsupportedError(`--network ${network}: chroot isolation shares the host network`);
    } else if (arg === '--user') {
      user = value(arg);
    } else if (arg === '-e') {
      const [name = '', ...rest] = value(arg).split('=');
      const setting = rest.length > 0 ? rest.join('=') : env[name];
      if (setting !== undefined) variables[name] = setting;
    } else if (arg === '--mount') {
      const options = new Map(value(arg).split(',').map((part) => [part.split('=')[0] ?? '', part.split('=').slice(1).join('=')]));
      const source = options.get('source') ?? options.get('src');
      const target = options.get('target') ?? options.get('dst');
      if (options.get('type') !== 'bind' || source === undefined || target === undefined || !options.has('readonly')) {
        throw new UnsupportedError(`--mount ${argv[index] ?? ''}: only read-only bind mounts are emulated`);
      }
      mounts.set(source, target);
    } else {
      throw new UnsupportedError(`flag ${arg}`);
    }
  }
  const image = argv[index];
  if (image === undefined) throw new UnsupportedError('docker run without an image');
  return { image, args: argv.slice(index + 1), env: variables, mounts, ...(user !== undefined && { user }) };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'version') {
    process.stdout.write(`${DOCKER_VERSION}\n`);
    return 0;
  }
  if (argv[0] !== 'run') throw new UnsupportedError(`command ${argv[0] ?? '(none)'}`);
  const dir = process.env[STORE_ENV];
  if (dir === undefined) throw new UnsupportedError(`${STORE_ENV} is not set`);
  const request = parseRun(argv.slice(1), process.env);
  const store = openBuildahStore(dir);
  const container = await store.check(['from', '--pull=never', request.image]);
  try {
    const entrypoint = entrypointOf(await inspectImage(store, request.image));
    const run = await runInContainer(store, container, [...entrypoint, ...request.args], { ...request, input: await text(process.stdin) });
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    return run.code ?? 125;
  } finally {
    await store.run(['rm', container]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    const what = error instanceof UnsupportedError ? 'not emulated' : 'failed';
    process.stderr.write(`docker shim (test/image/docker-shim.ts): ${what}: ${(error as Error).message}\n`);
    process.exitCode = 125;
  }
}
