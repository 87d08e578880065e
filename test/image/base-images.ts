import { access, chmod, chown, constants, copyFile, cp, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { runCommand } from '../support/command.js';
import type { BuildahStore } from './buildah.js';

// The Dockerfile's two base images cannot be pulled here (no internet), so the image test stands
// in for each with an image assembled from this machine's own node and npm, passed through the
// Dockerfile's ARGs exactly as a user passes a mirror. The test checks the Dockerfile and the
// function, not Google's or Docker's images; what differs is node's version (this machine's) and
// the files nothing uses (no tzdata, no os-release; node carries its own OpenSSL).
//
// NODE_IMAGE, gcr.io/distroless/nodejs24-debian13:nonroot, as github.com/GoogleContainerTools/distroless
// builds it (common/BUILD.bazel, nodejs/BUILD): node at /nodejs/bin/node as the entrypoint;
// /etc/passwd with root, nobody (65534, home /nonexistent) and nonroot (65532, home /home/nonroot,
// mode 0700); USER 65532; WORKDIR /home/nonroot; /tmp 1777; the CA bundle, named by SSL_CERT_FILE.
//
// BUILD_IMAGE, node:24-trixie-slim: node and npm under /usr/local, a shell, and the two coreutils
// the build's npm scripts call (rm, chmod); root.

/** Where distroless's nodejs images keep node; the Dockerfile's ENTRYPOINT depends on it. */
export const NODE_PATH = '/nodejs/bin/node';

/** The CA bundle distroless ships, and this machine's (Debian's ca-certificates). */
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host programs the build stage runs besides node and npm: `npm run` needs sh; the bundle script rm and chmod; npm's shebang env. */
const BUILD_TOOLS = ['/bin/sh', '/bin/rm', '/bin/chmod', '/usr/bin/env'];

/** `buildah config` flags of the NODE_IMAGE stand-in: distroless nodejs's entrypoint, user, workdir and env. */
const RUNTIME_CONFIG = [
  ...['--entrypoint', JSON.stringify([NODE_PATH]), '--user', '65532', '--workingdir', '/home/nonroot'],
  ...['--env', `PATH=${PATH}`, '--env', `SSL_CERT_FILE=${CA_BUNDLE}`],
];

/** `buildah config` flags of the BUILD_IMAGE stand-in. */
const BUILD_CONFIG = ['--user', '0', '--workingdir', '/', '--env', `PATH=${PATH}`];

/** Commits the stand-in for NODE_IMAGE as `name`. */
export async function assembleRuntimeBase(store: BuildahStore, name: string): Promise<void> {
  await assembleImage(store, name, RUNTIME_CONFIG, async (rootfs) => {
    await copyExecutable(rootfs, process.execPath, NODE_PATH);
    await copyInto(rootfs, CA_BUNDLE, CA_BUNDLE);
    await writeLines(join(rootfs, 'etc/passwd'), [
      'root:x:0:0:root:/root:/sbin/nologin',
      'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin',
      'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin',
    ]);
    await writeLines(join(rootfs, 'etc/group'), ['root:x:0:', 'nobody:x:65534:', 'tty:x:5:', 'staff:x:50:', 'nonroot:x:65532:']);
    await makeDir(rootfs, '/root', 0o700, 0);
    await makeDir(rootfs, '/home', 0o755, 0);
    await makeDir(rootfs, '/home/nonroot', 0o700, 65532);
    await makeDir(rootfs, '/tmp', 0o1777, 0);
  });
}

/** Commits the stand-in for BUILD_IMAGE as `name`. */
export async function assembleBuildBase(store: BuildahStore, name: string): Promise<void> {
  const npmRoot = dirname(dirname(await realpath(await findOnPath('npm'))));
  await assembleImage(store, name, BUILD_CONFIG, async (rootfs) => {
    await copyExecutable(rootfs, process.execPath, '/usr/local/bin/node');
    await cp(npmRoot, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    for (const tool of BUILD_TOOLS) await copyExecutable(rootfs, tool, tool);
    await copyInto(rootfs, CA_BUNDLE, CA_BUNDLE);
    await writeLines(join(rootfs, 'etc/passwd'), ['root:x:0:0:root:/root:/bin/sh']);
    await writeLines(join(rootfs, 'etc/group'), ['root:x:0:']);
    await makeDir(rootfs, '/root', 0o700, 0);
    await makeDir(rootfs, '/tmp', 0o1777, 0);
  });
}

/** Fills a scratch container's rootfs with `fill`, applies `buildah config` flags and commits it as `name`. */
async function assembleImage(
  store: BuildahStore,
  name: string,
  config: readonly string[],
  fill: (rootfs: string) => Promise<void>,
): Promise<void> {
  const container = await store.check(['from', 'scratch']);
  try {
    await fill(await store.check(['mount', container]));
    await store.check(['umount', container]);
    await store.check(['config', ...config, container]);
    await store.check(['commit', '--quiet', container, name]);
  } finally {
    await store.run(['rm', container]);
  }
}

/** Copies a host program to `target` in the rootfs, with the shared libraries `ldd` lists for it at their own paths. */
async function copyExecutable(rootfs: string, program: string, target: string): Promise<void> {
  const binary = await realpath(program);
  await copyInto(rootfs, binary, target);
  for (const library of await sharedLibraries(binary)) await copyInto(rootfs, library, library);
}

/** Absolute paths of the libraries `ldd` resolves for `binary`, the dynamic loader included. */
async function sharedLibraries(binary: string): Promise<string[]> {
  let output: string;
  try {
    output = (await runCommand('/usr/bin/ldd', [binary])).toString('utf8');
  } catch (error) {
    // A statically linked program needs nothing else.
    if (/not a dynamic executable/.test(String(error))) return [];
    throw error;
  }
  // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`;
  // linux-vdso has no file.
  return [...output.matchAll(/^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/gm)].map((match) => match[1] ?? '');
}

/** The first executable `name` on this process's PATH. */
async function findOnPath(name: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter((entry) => entry !== '')) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not in this directory; try the next.
    }
  }
  throw new Error(`${name} is not on PATH; the image test copies it into the build stage's base image`);
}

/** Copies a host file's content (symlinks followed, mode kept) to `target` inside the rootfs. */
async function copyInto(rootfs: string, source: string, target: string): Promise<void> {
  const destination = join(rootfs, target);
  await mkdir(dirname(destination), { recursive: true });
  await copyFile(source, destination);
}

async function writeLines(file: string, lines: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${lines.join('\n')}\n`);
}

async function makeDir(rootfs: string, path: string, mode: number, owner: number): Promise<void> {
  const directory = join(rootfs, path);
  await mkdir(directory, { recursive: true });
  // mkdir's mode is filtered by the umask; chmod is not.
  await chmod(directory, mode);
  await chown(directory, owner, owner);
}
