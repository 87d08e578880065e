import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The examples hard-code relative exec paths to dist/fn/main.js (kpt resolves them against its
// working directory, kustomize 4.5.4 against a kustomization directory). A workspace reproduces
// the repository's layout in a temp dir, `examples/` copied and `dist` linked, so those paths
// work unmodified on copies the tests and the demo are free to change.

/** The repository root, from this file's place in `dist/test/support/`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A temp copy of the repository's `examples/` next to a `dist` link to the real build. */
export interface ExampleWorkspace {
  /** The temp dir; `examples/` and `dist` sit directly inside it. */
  readonly root: string;
  /** Absolute path of an example's copy, for example `example('plain')`. */
  example(name: string): string;
  /** Deletes the temp dir (the linked `dist` is left alone). */
  remove(): Promise<void>;
}

/** Copies `examples/` to a fresh temp dir and links `dist` beside it. */
export async function createExampleWorkspace(): Promise<ExampleWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'digester-examples-'));
  try {
    await cp(join(REPO_ROOT, 'examples'), join(root, 'examples'), { recursive: true });
    await symlink(join(REPO_ROOT, 'dist'), join(root, 'dist'), 'dir');
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    example: (name) => join(root, 'examples', name),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Every file under `dir`, by its path relative to `dir`, with its text. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/** Appends `text` to a file, after checking `key` is not already set in it (the example must not configure it itself). */
export async function appendSetting(file: string, key: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8');
  if (new RegExp(`^${key}:`, 'm').test(current)) {
    throw new Error(`${file} already sets \`${key}:\`; the tests and the demo add it themselves`);
  }
  await writeFile(file, `${current.endsWith('\n') ? current : `${current}\n`}${text}`);
}

/** Replaces the one occurrence of `from` in a file by `to`; throws when it does not occur exactly once. */
export async function replaceOnce(file: string, from: string, to: string): Promise<void> {
  const current = await readFile(file, 'utf8');
  const count = current.split(from).length - 1;
  if (count !== 1) throw new Error(`expected ${JSON.stringify(from)} once in ${file}, found it ${count} times`);
  await writeFile(file, current.replace(from, to));
}
