import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DIGESTER_API_VERSION, DIGESTER_KIND } from '../src/config.js';

// Where kustomize looks for a legacy exec plugin, and the wrapper written there.
// kustomize (and the copy built into kubectl) searches these plugin roots in order
// and uses the first that exists (api/konfig DefaultAbsPluginHome):
//   $KUSTOMIZE_PLUGIN_HOME, $XDG_CONFIG_HOME/kustomize/plugin,
//   $HOME/.config/kustomize/plugin, $HOME/kustomize/plugin
// and loads ROOT/<apiVersion>/<lowercase kind>/<kind>
// (https://kubectl.docs.kubernetes.io/guides/extending_kustomize/exec_plugins/).

/** One plugin root kustomize may search, and the variable it comes from. */
export interface PluginRoot {
  readonly dir: string;
  /** `KUSTOMIZE_PLUGIN_HOME`, `XDG_CONFIG_HOME`, `HOME/.config` or `HOME`, for messages. */
  readonly from: string;
}

/** The plugin roots kustomize searches, in its order; unset and empty variables are left out. */
export function pluginRoots(env: NodeJS.ProcessEnv, home: string): PluginRoot[] {
  const roots: PluginRoot[] = [];
  const pluginHome = env['KUSTOMIZE_PLUGIN_HOME'];
  if (pluginHome !== undefined && pluginHome !== '') roots.push({ dir: pluginHome, from: 'KUSTOMIZE_PLUGIN_HOME' });
  const configHome = env['XDG_CONFIG_HOME'];
  if (configHome !== undefined && configHome !== '') {
    roots.push({ dir: join(configHome, 'kustomize', 'plugin'), from: 'XDG_CONFIG_HOME' });
  }
  roots.push({ dir: join(home, '.config', 'kustomize', 'plugin'), from: 'HOME/.config' });
  roots.push({ dir: join(home, 'kustomize', 'plugin'), from: 'HOME' });
  return roots;
}

/** The executable's path under a plugin root: `<root>/fn.digester.dev/v1alpha1/digester/Digester`. */
export function pluginPath(root: string): string {
  return join(root, ...DIGESTER_API_VERSION.split('/'), DIGESTER_KIND.toLowerCase(), DIGESTER_KIND);
}

/** The `#!/bin/sh` wrapper that runs `main.js kustomize-plugin` with a fixed node, whatever PATH kustomize runs with. */
export function wrapperScript(nodePath: string, entryPath: string): string {
  return [
    '#!/bin/sh',
    `# kustomize exec plugin for ${DIGESTER_API_VERSION} ${DIGESTER_KIND}, written by \`digester install-kustomize-plugin\`.`,
    `exec ${doubleQuote(nodePath)} ${doubleQuote(entryPath)} kustomize-plugin "$@"`,
    '',
  ].join('\n');
}

/** Quotes a word for sh: inside double quotes only `\`, `"`, `$` and a backquote are special. */
function doubleQuote(word: string): string {
  return `"${word.replace(/[\\"$`]/g, '\\$&')}"`;
}

/** What to install, and where to look. */
export interface InstallOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  /** Absolute path of the node binary the wrapper runs. */
  readonly nodePath: string;
  /** Absolute path of `dist/fn/main.js`. */
  readonly entryPath: string;
  /** Replace a different file already at the plugin path. */
  readonly force: boolean;
}

/** What an install did. */
export interface InstallOutcome {
  readonly path: string;
  readonly root: PluginRoot;
  /** `installed`: new file; `replaced`: a different file was overwritten (--force); `unchanged`: already up to date. */
  readonly action: 'installed' | 'replaced' | 'unchanged';
  /** The root kustomize used until `root` was created; its plugins are no longer found. */
  readonly shadowed: PluginRoot | undefined;
}

/** The plugin path holds a different file and --force was not given. */
export class PluginExistsError extends Error {
  readonly code = 'ERR_PLUGIN_EXISTS';
  constructor(readonly path: string) {
    super(`${path} already exists and is not this digester's wrapper; rerun with --force to replace it`);
    this.name = 'PluginExistsError';
  }
}

/**
 * Writes the wrapper into the first plugin root that is configured (not the first that exists):
 * once it exists, kustomize searches it before any later root, so the plugin is always found.
 * The file is written beside its target and renamed over it, so kustomize never runs half a file.
 */
export async function installPlugin(options: InstallOptions): Promise<InstallOutcome> {
  const roots = pluginRoots(options.env, options.home);
  const root = roots[0] as PluginRoot;
  const path = pluginPath(root.dir);
  const script = wrapperScript(options.nodePath, options.entryPath);
  const rootExisted = await exists(root.dir);
  const shadowed = rootExisted ? undefined : await firstExisting(roots.slice(1));

  const current = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (current === script) {
    await chmod(path, 0o755);
    return { path, root, action: 'unchanged', shadowed };
  }
  if (current !== undefined && !options.force) throw new PluginExistsError(path);

  await mkdir(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, script, { mode: 0o755 });
    await chmod(temporary, 0o755); // the umask may have cleared bits of the mode above
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { path, root, action: current === undefined ? 'installed' : 'replaced', shadowed };
}

async function firstExisting(roots: readonly PluginRoot[]): Promise<PluginRoot | undefined> {
  for (const root of roots) if (await exists(root.dir)) return root;
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
