import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, open, readdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { readStdinBytes } from './stdin.js';

// Files for `digester resolve` and `check`: which ones a PATH names, reading
// them, and writing pinned ones back atomically with their mode kept.

/** Directories never walked into: VCS metadata, editors' and tools' caches, dependencies. */
const SKIPPED_DIRECTORY = (name: string): boolean => name.startsWith('.') || name === 'node_modules';
const YAML_FILE = /\.ya?ml$/i;
/** The display name of standard input. */
export const STDIN_LABEL = '<stdin>';

/** One input: a file on disk, or the stream on stdin. */
export interface Input {
  /** The path as shown to the user (relative to the working directory when inside it), or `<stdin>`. */
  readonly label: string;
  /** The file to replace when pinning (symlinks resolved); undefined for stdin. */
  readonly target: string | undefined;
  readonly text: string;
  /** Why the input cannot be processed (it is skipped with a warning), e.g. not UTF-8. */
  readonly unreadable?: string;
}

/** A PATH that does not exist or cannot be read: a usage error, found before anything is written. */
export class InputPathError extends Error {
  readonly code = 'ERR_INPUT_PATH';
  constructor(message: string) {
    super(message);
    this.name = 'InputPathError';
  }
}

/**
 * Expands the PATH arguments into files, in argument order with each
 * directory's files sorted: `*.yaml` and `*.yml` found by walking, skipping
 * hidden directories, `node_modules`, symlinked directories (no loops) and
 * Helm charts (directories holding a Chart.yaml);
 * a file named explicitly is taken whatever its extension. `-` is stdin.
 * A file reached twice (two arguments, or a symlink) is read once.
 */
export async function listInputPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push(path);
      continue;
    }
    const info = await stat(path).catch((error: unknown) => {
      throw new InputPathError(`${path}: ${describeFsError(error)}`);
    });
    if (info.isDirectory()) files.push(...(await walk(path)));
    else if (info.isFile()) files.push(path);
    else throw new InputPathError(`${path}: not a file or directory`);
  }
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const file of files) {
    const key = file === '-' ? file : await realpath(file);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(file);
  }
  return unique;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw new InputPathError(`${dir}: ${describeFsError(error)}`);
  });
  // A Helm chart's templates are not manifests until `helm template` renders them
  // (`image: "{{ .Values.image }}"`); pin the rendered stream with `resolve -` instead.
  if (entries.some((entry) => entry.name === 'Chart.yaml' && entry.isFile())) return [];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORY(entry.name)) files.push(...(await walk(path)));
    } else if (YAML_FILE.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path))))) {
      files.push(path);
    }
  }
  return files;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** Reads every input; a file that cannot be read is an InputPathError. Stdin is read at most once. */
export async function readInputs(paths: readonly string[]): Promise<Input[]> {
  const inputs: Input[] = [];
  for (const path of paths) {
    if (path === '-') {
      inputs.push(decode(STDIN_LABEL, undefined, await readStdinBytes()));
      continue;
    }
    const bytes = await readFile(path).catch((error: unknown) => {
      throw new InputPathError(`${path}: ${describeFsError(error)}`);
    });
    inputs.push(decode(displayPath(path), await realpath(path), bytes));
  }
  return inputs;
}

function decode(label: string, target: string | undefined, bytes: Buffer): Input {
  const text = bytes.toString('utf8');
  // Writing back text that did not round-trip would replace the bytes that are not UTF-8.
  const exact = Buffer.byteLength(text) === bytes.length && Buffer.from(text).equals(bytes);
  return exact ? { label, target, text } : { label, target, text, unreadable: 'not UTF-8 text' };
}

/** A path relative to the working directory when it lies inside it, else as given. */
export function displayPath(path: string): string {
  const fromCwd = relative(process.cwd(), path);
  if (fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd)) return fromCwd.split(sep).join('/');
  return path;
}

/**
 * Replaces a file's content atomically: the text goes to a temp file in the
 * same directory (so the rename cannot cross filesystems), which gets the
 * original's mode (and owner, where permitted) and is renamed over it.
 * Readers see the old file or the new one, never half of either.
 */
export async function writeFileAtomically(target: string, content: string): Promise<void> {
  const original = await lstat(target);
  const temp = join(dirname(target), `.${basename(target)}.digester-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // Only root may give a file away; for anyone else keeping the owner is already the case or impossible.
    // (chown before chmod: a chown clears setuid and setgid bits.)
    await chown(temp, original.uid, original.gid).catch(() => undefined);
    await chmod(temp, original.mode & 0o7777);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** `no such file or directory` rather than `ENOENT: no such file or directory, stat 'x'`. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
}
