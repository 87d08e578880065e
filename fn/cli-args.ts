import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { load, YAMLException } from 'js-yaml';
import type { Settings } from '../src/settings.js';
import { describeFsError } from './cli-files.js';

// The command line of `digester resolve` and `digester check`, and the
// settings it adds up to: the --config file, the environment and the flags.

/** The two subcommands. */
export type CliCommand = 'resolve' | 'check';

/** A bad argument or an unusable --config: exit 2, one line on stderr. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The parsed command line. */
export interface CliOptions {
  readonly command: CliCommand;
  readonly paths: readonly string[];
  readonly config: string | undefined;
  readonly skipPrefixes: readonly string[];
  readonly output: 'text' | 'json';
  readonly quiet: boolean;
  readonly dryRun: boolean;
  readonly help: boolean;
}

const COMMON = `Options:
  --config FILE         a fn.digester.dev/v1alpha1 Digester config (skipPrefixes, registries, ...)
  --skip-prefix PREFIX  leave images starting with PREFIX alone (repeatable; added to the config's)
  --output text|json    text lines (default), or a JSON array with one entry per image on stdout
  -q, --quiet           print only problems and the summary
  -h, --help            show this help`;

const EXIT_CODES = `Exit codes: 0 ok; 1 an image failed to resolve or is not pinned; 2 usage error or unusable
input (bad flag or config, a PATH that does not exist; nothing is written); 3 internal error.`;

const HELP: Record<CliCommand, string> = {
  resolve: `Usage: digester resolve [options] PATH...

Pins the images of plain Kubernetes YAML in place: each PATH is a file, a
directory (searched recursively for *.yaml and *.yml, skipping hidden
directories and node_modules), or - for a stream on stdin written pinned to
stdout. Only image values change, byte for byte; files with nothing to pin are
not rewritten, others are replaced atomically with their mode kept. Documents
that are not Kubernetes resources and files that are not YAML are left alone.

${COMMON}
  --dry-run             print a unified diff instead of writing files

${EXIT_CODES}
`,
  check: `Usage: digester check [options] PATH...

Reports every image that is not pinned to a digest, as file:line, resource and
field path, and exits 1 if there is any. Makes no network requests. PATHs are
walked as for digester resolve; - reads stdin.

${COMMON}

${EXIT_CODES}
`,
};

/** The help text of a subcommand. */
export function helpText(command: CliCommand): string {
  return HELP[command];
}

/** Parses a subcommand's arguments; throws UsageError for anything it does not accept. */
export function parseCliArgs(command: CliCommand, args: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'skip-prefix': { type: 'string', multiple: true },
        output: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        ...(command === 'resolve' && { 'dry-run': { type: 'boolean' } }),
      },
    });
  } catch (error) {
    throw new UsageError(describeParseError(command, error));
  }
  const { values, positionals } = parsed;
  const output = values.output ?? 'text';
  const options: CliOptions = {
    command,
    paths: positionals,
    config: values.config,
    skipPrefixes: values['skip-prefix'] ?? [],
    output: output === 'json' ? 'json' : 'text',
    quiet: values.quiet === true,
    dryRun: 'dry-run' in values && values['dry-run'] === true,
    help: values.help === true,
  };
  if (options.help) return options;
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output ${JSON.stringify(output)}: use text or json`);
  if (options.paths.length === 0) throw new UsageError(`no PATH given: name files or directories (. for the current one), or - for stdin`);
  if (options.paths.filter((path) => path === '-').length > 1) throw new UsageError('- (stdin) can be given only once');
  if (options.skipPrefixes.some((prefix) => prefix === '')) throw new UsageError('--skip-prefix: the prefix must not be empty');
  if (command === 'resolve' && options.output === 'json' && !options.dryRun && options.paths.includes('-')) {
    throw new UsageError('--output json cannot be used with - : stdout carries the pinned stream (use --dry-run, or name files)');
  }
  return options;
}

function describeParseError(command: CliCommand, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  const hint = `; see digester ${command} --help`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? message}${hint}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${option ?? 'an option'} needs a value${hint}`;
  return `${message}${hint}`;
}

/**
 * The run's settings: the --config file (validated like a functionConfig),
 * SKIP_PREFIXES and DEBUG from the environment, then --skip-prefix. The
 * subcommand decides the mode, whatever the file says.
 */
export async function loadCliSettings(options: CliOptions, env: NodeJS.ProcessEnv): Promise<Settings> {
  const { ConfigError, loadSettings } = await import('../src/config.js');
  const config = options.config === undefined ? undefined : await readConfigFile(options.config);
  let settings: Settings;
  try {
    settings = loadSettings(config, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${options.config ?? ''}: ${error.message}`);
    throw error;
  }
  return { ...settings, skipPrefixes: [...settings.skipPrefixes, ...options.skipPrefixes], mode: options.command };
}

async function readConfigFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new UsageError(`--config ${path}: ${describeFsError(error)}`);
  });
  let config: unknown;
  try {
    config = load(text);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const at = error.mark === undefined ? '' : ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
    throw new UsageError(`--config ${path}: malformed YAML${at}: ${error.reason}`);
  }
  if (config === null || config === undefined) throw new UsageError(`--config ${path}: the file is empty`);
  return config;
}
