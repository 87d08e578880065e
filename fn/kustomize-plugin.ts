import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import {
  collectPullSecrets,
  exitCodeFor,
  processStream,
  readResourceStream,
  readYamlDocument,
  UnusableInputError,
} from '../src/krm/index.js';
import { loadSettings } from '../src/config.js';
import type { DigestSource } from '../src/resolve/index.js';
import { debugLog, describeResult, EXIT, oneLine, registrySource } from './process-io.js';
import { readStdin } from './stdin.js';
import { writeStdout } from './stdout.js';
import { ConfigError, type Settings } from '../src/settings.js';
import { installPlugin, PluginExistsError } from './kustomize-plugin-install.js';

// digester as a kustomize legacy exec transformer plugin, the only kind of plugin
// `kubectl kustomize --enable-alpha-plugins` runs (it has no --enable-exec for KRM
// functions). kustomize writes the transformer's config to a temp file, runs
// `<plugin> <config file>` in the kustomization's directory with the resources as a
// YAML stream on stdin, and reads the stream back from stdout; a non-zero exit fails
// the build, with what the plugin wrote to stderr in kustomize's error
// (https://kubectl.docs.kubernetes.io/guides/extending_kustomize/exec_plugins/).

const PLUGIN_HELP = `Usage: digester kustomize-plugin CONFIG_FILE < resources.yaml > resources.yaml

Runs digester as a kustomize exec plugin: CONFIG_FILE is a fn.digester.dev/v1alpha1
Digester (skipPrefixes, registries, concurrency, timeout, deadline, mode), stdin a
multi-document YAML stream. Writes the stream back with each image pinned to its
digest and nothing else changed. kustomize runs this through the wrapper that
\`digester install-kustomize-plugin\` writes.

Exit codes: 0 all images pinned or skipped; 1 an image could not be pinned (one
line per problem on stderr); 2 unusable config or input; 3 internal error.
`;

const INSTALL_HELP = `Usage: digester install-kustomize-plugin [--force]

Installs the kustomize exec plugin for kind Digester (apiVersion
fn.digester.dev/v1alpha1) at
  $XDG_CONFIG_HOME/kustomize/plugin/fn.digester.dev/v1alpha1/digester/Digester
($XDG_CONFIG_HOME defaults to $HOME/.config; $KUSTOMIZE_PLUGIN_HOME, when set,
replaces $XDG_CONFIG_HOME/kustomize/plugin, as it does for kustomize). The file is a
sh wrapper running this node and this digester. Running it again is a no-op.

Options:
  --force       replace a different file at that path
  -h, --help    show this help
`;

/** `digester kustomize-plugin CONFIG_FILE`: pins the YAML stream on stdin with the settings of CONFIG_FILE. */
export async function runKustomizePlugin(args: readonly string[]): Promise<number> {
  if (args[0] === '-h' || args[0] === '--help') {
    process.stdout.write(PLUGIN_HELP);
    return EXIT.ok;
  }
  const [configFile, ...extra] = args;
  if (configFile === undefined || extra.length > 0) {
    // kustomize appends the words of argsOneLiner/argsFromFile; the Digester config has neither.
    const problem =
      configFile === undefined
        ? 'expected the config file as the only argument'
        : `unexpected argument(s) after the config file: ${extra.join(' ')}`;
    process.stderr.write(`digester kustomize-plugin: ${problem}; see digester kustomize-plugin --help\n`);
    return EXIT.unusableInput;
  }
  const log = debugLog(process.env);
  const debug = log !== undefined;
  try {
    const settings = loadSettings(readYamlDocument(await readConfig(configFile), configFile), process.env);
    const input = await readStdin();
    const set = readResourceStream(input);
    const pullSecrets = collectPullSecrets(set);
    // Left open at the end: main.ts exits once this returns, and the exit closes its connections.
    const source = settings.mode === 'check' ? undefined : await pluginRegistrySource(settings, pullSecrets.documents, log);
    const outcome = await processStream(input, { settings, source, set, ...(log !== undefined && { log }) });
    // Written even on failure, as the KRM function does; kustomize discards it when the exit code is not 0.
    await writeStdout(outcome.output);
    const results = [...pullSecrets.problems, ...outcome.results];
    for (const result of results) {
      if (result.severity === 'error' || debug) process.stderr.write(`digester: ${describeResult(result)}\n`);
    }
    return exitCodeFor(results);
  } catch (error) {
    if (error instanceof UnusableInputError || error instanceof ConfigError) {
      process.stderr.write(`digester: ${oneLine(error.message)}\n`);
      return EXIT.unusableInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`digester: internal error: ${oneLine(message)}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return EXIT.internal;
  }
}

/** `digester install-kustomize-plugin [--force]`: writes the plugin wrapper where kustomize looks for it. */
export async function installKustomizePlugin(args: readonly string[]): Promise<number> {
  let force = false;
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(INSTALL_HELP);
      return EXIT.ok;
    }
    if (arg !== '--force') {
      process.stderr.write(`digester install-kustomize-plugin: unknown argument ${JSON.stringify(arg)}; see --help\n`);
      return EXIT.unusableInput;
    }
    force = true;
  }
  try {
    // argv[1] is the script node runs (dist/fn/main.js, possibly through node_modules/.bin): the
    // module's own URL would name a bundle chunk.
    const entryPath = await realpath(process.argv[1] ?? '');
    const outcome = await installPlugin({ env: process.env, home: homedir(), nodePath: process.execPath, entryPath, force });
    const done = {
      installed: `installed the kustomize plugin at ${outcome.path}`,
      replaced: `replaced the file at ${outcome.path} with the kustomize plugin`,
      unchanged: `the kustomize plugin at ${outcome.path} is up to date`,
    }[outcome.action];
    process.stdout.write(`digester: ${done}\n`);
    if (outcome.shadowed !== undefined) {
      process.stderr.write(
        `digester: note: kustomize used the plugins in ${outcome.shadowed.dir} until now; it searches ${outcome.root.dir} ` +
          `(from $${outcome.root.from}) first and will no longer find them there\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    const message = error instanceof PluginExistsError ? error.message : `could not install the kustomize plugin: ${errorText(error)}`;
    process.stderr.write(`digester: ${message}\n`);
    return EXIT.errorResults;
  }
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the Digester config file ${file}: ${errorText(error)}`);
  }
}

async function pluginRegistrySource(
  settings: Settings,
  pullSecrets: readonly string[],
  log: ((message: string) => void) | undefined,
): Promise<DigestSource> {
  try {
    return await registrySource(settings, pullSecrets, log);
  } catch (error) {
    // The registry client validates endpoints when it is built: a typo there is a config error.
    throw new ConfigError(`invalid functionConfig.registries: ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
