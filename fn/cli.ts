import { UnusableInputError } from '../src/krm/index.js';
import { debugLog, EXIT, registrySource, writeTo } from './process-io.js';
import type { Settings } from '../src/settings.js';
import { helpText, loadCliSettings, parseCliArgs, UsageError, type CliCommand, type CliOptions } from './cli-args.js';
import { unifiedDiff } from './cli-diff.js';
import { describeFsError, InputPathError, listInputPaths, readInputs, STDIN_LABEL, writeFileAtomically, type Input } from './cli-files.js';
import { collectInputPullSecrets, pinInputs, readInput, type FileOutcome } from './cli-pin.js';
import { formatEntry, imageEntries, isProblem, ProgressLine, summaryLine, tally, type ImageEntry } from './cli-report.js';
import { shareSource } from './cli-source.js';

// `digester resolve PATH...` and `digester check PATH...`: the same engine as
// the KRM function, run over plain Kubernetes YAML files for CI. fn/main.ts
// dispatches here; this file sequences the steps and maps them to exit codes.

/** Runs a subcommand with its arguments (after the subcommand's name) and returns the exit code. */
export async function runCli(command: CliCommand, args: readonly string[]): Promise<number> {
  const log = debugLog(process.env);
  try {
    const options = parseCliArgs(command, args);
    if (options.help) {
      await writeTo(process.stdout, helpText(command));
      return EXIT.ok;
    }
    return await run(options, log);
  } catch (error) {
    if (error instanceof UsageError || error instanceof InputPathError) {
      process.stderr.write(`digester ${command}: ${error.message}\n`);
      return EXIT.unusableInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`digester ${command}: internal error: ${message}\n`);
    if (log !== undefined && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return EXIT.internal;
  }
}

async function run(options: CliOptions, log: ((message: string) => void) | undefined): Promise<number> {
  const warn = (message: string): void => {
    if (!options.quiet) process.stderr.write(`digester: warning: ${message}\n`);
  };
  const settings = await loadCliSettings(options, process.env);
  // Everything is read, and stdin checked, before any request is made or file written.
  const inputs = await readInputs(await listInputPaths(options.paths));
  const stdin = inputs.find((input) => input.target === undefined);
  if (stdin !== undefined) checkStdin(stdin);

  const outcomes =
    options.command === 'check'
      ? await pinInputs(inputs, settings, undefined, log)
      : await resolveInputs(inputs, settings, options, warn, log);
  for (const { skipped } of outcomes) {
    if (skipped !== undefined) warn(`${skipped}; left alone`);
  }

  const entries = imageEntries(outcomes);
  // stdout carries the one thing asked for: the stream, the diff, the JSON, or else the per-image lines.
  const stdoutTaken = options.dryRun || (options.command === 'resolve' && stdin !== undefined);
  if (options.output === 'json') await writeTo(process.stdout, `${JSON.stringify(entries, null, 2)}\n`);
  else await printEntries(entries, options, stdoutTaken ? process.stderr : process.stdout);

  let exitCode: number = entries.some((entry) => isProblem(entry)) ? EXIT.errorResults : EXIT.ok;
  if (options.command === 'resolve') {
    if (options.dryRun) {
      if (options.output === 'text') await printDiffs(outcomes);
    } else if (!(await writeOutcomes(outcomes))) {
      exitCode = EXIT.unusableInput;
    }
  }
  process.stderr.write(`${summaryLine(options.command, tally(outcomes, entries), options.dryRun)}\n`);
  return exitCode;
}

/** A stream on stdin was asked for by name: if it is not YAML, that is unusable input, not a file to skip. */
function checkStdin(stdin: Input): void {
  if (stdin.unreadable !== undefined) throw new UsageError(`${STDIN_LABEL}: ${stdin.unreadable}`);
  try {
    readInput(stdin);
  } catch (error) {
    if (error instanceof UnusableInputError) throw new UsageError(error.message);
    throw error;
  }
}

async function resolveInputs(
  inputs: readonly Input[],
  settings: Settings,
  options: CliOptions,
  warn: (message: string) => void,
  log: ((message: string) => void) | undefined,
): Promise<FileOutcome[]> {
  const pullSecrets = collectInputPullSecrets(inputs);
  for (const warning of pullSecrets.warnings) warn(warning);
  let registry;
  try {
    // shareSource keeps the whole run to `concurrency` resolves at once, so the connections per origin
    // registrySource allows (as many) are all it needs: no request waits for one.
    registry = await registrySource(settings, pullSecrets.documents, log);
  } catch (error) {
    // The client checks registry mappings when it is built: a typo there is a config error.
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${options.config === undefined ? '' : `--config ${options.config}: `}invalid registries: ${reason}`);
  }
  const progress = new ProgressLine(process.stderr, !options.quiet);
  const source = shareSource(registry, settings.concurrency, (state) => progress.update(state));
  try {
    return await pinInputs(inputs, settings, source, log);
  } finally {
    progress.clear();
    await source.close?.();
  }
}

async function printEntries(entries: readonly ImageEntry[], options: CliOptions, stream: NodeJS.WritableStream): Promise<void> {
  const shown = entries.filter((entry) => isProblem(entry) || (!options.quiet && entry.status === 'pinned'));
  if (shown.length > 0) await writeTo(stream, shown.map((entry) => `${formatEntry(entry)}\n`).join(''));
}

async function printDiffs(outcomes: readonly FileOutcome[]): Promise<void> {
  for (const { input, output } of outcomes) {
    // git's a/ and b/ prefixes, for paths relative to the working directory; others are shown as they are.
    const relative = input.target !== undefined && !input.label.startsWith('/');
    const labels = relative ? { before: `a/${input.label}`, after: `b/${input.label}` } : { before: input.label, after: input.label };
    const diff = unifiedDiff(input.text, output, labels);
    if (diff !== '') await writeTo(process.stdout, diff);
  }
}

/** Writes changed files back and the stream to stdout; false when a file could not be written. */
async function writeOutcomes(outcomes: readonly FileOutcome[]): Promise<boolean> {
  let ok = true;
  for (const { input, output } of outcomes) {
    if (input.target === undefined) {
      await writeTo(process.stdout, output);
    } else if (output !== input.text) {
      try {
        await writeFileAtomically(input.target, output);
      } catch (error) {
        process.stderr.write(`digester: cannot write ${input.label}: ${describeFsError(error)}\n`);
        ok = false;
      }
    }
  }
  return ok;
}
