import {
  collectPullSecrets,
  processStream,
  readResourceStream,
  UnusableInputError,
  type ImageReport,
  type ResourceSet,
} from '../src/krm/index.js';
import type { DigestSource } from '../src/resolve/index.js';
import type { Settings } from '../src/settings.js';
import type { Input } from './cli-files.js';

// Runs the KRM engine over each input of `digester resolve` / `check`. The
// files are processed together against one shared source, so the run costs
// one request per unique image and keeps one concurrency limit and deadline.

/** What became of one input. */
export interface FileOutcome {
  readonly input: Input;
  /** The pinned text; the input's own text when nothing changed or the input was skipped. */
  readonly output: string;
  readonly reports: readonly ImageReport[];
  /** Why the input was left alone (not YAML, not UTF-8); reported as a warning. */
  readonly skipped?: string;
}

/** Docker config documents from imagePullSecrets, and why some Secrets could not be used. */
export interface InputPullSecrets {
  readonly documents: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Collects the imagePullSecrets Secrets each input holds for its own pods, as
 * the function does for a ResourceList. A Secret that cannot be read (say,
 * encrypted with SOPS) is a warning here, not an error: its credentials are
 * simply not used.
 */
export function collectInputPullSecrets(inputs: readonly Input[]): InputPullSecrets {
  const documents: string[] = [];
  const warnings: string[] = [];
  for (const input of inputs) {
    // Parsing is the cost; a stream that never says Secret holds none.
    if (input.unreadable !== undefined || !input.text.includes('Secret')) continue;
    let found;
    try {
      found = collectPullSecrets(readInput(input));
    } catch (error) {
      if (error instanceof UnusableInputError) continue; // reported when the input is processed
      throw error;
    }
    documents.push(...found.documents);
    for (const problem of found.problems) {
      const where = problem.resourceRef === undefined ? '' : ` ${problem.resourceRef.kind}/${problem.resourceRef.name}`;
      warnings.push(`${input.label}:${where} ${problem.message}; its credentials are not used`);
    }
  }
  return { documents, warnings };
}

const read = new WeakMap<Input, ResourceSet>();

/** An input read as a YAML stream, once however many steps need it. Throws UnusableInputError. */
export function readInput(input: Input): ResourceSet {
  let set = read.get(input);
  if (set === undefined) {
    set = readResourceStream(input.text, input.label);
    read.set(input, set);
  }
  return set;
}

/**
 * Pins (or, in check mode or without a source, checks) every input. All of
 * them start at once: each announces its images to the shared source before
 * any request completes, which lets it count progress over the whole run.
 */
export async function pinInputs(
  inputs: readonly Input[],
  settings: Settings,
  source: DigestSource | undefined,
  log?: (message: string) => void,
): Promise<FileOutcome[]> {
  return Promise.all(inputs.map((input) => pinInput(input, settings, source, log)));
}

async function pinInput(
  input: Input,
  settings: Settings,
  source: DigestSource | undefined,
  log: ((message: string) => void) | undefined,
): Promise<FileOutcome> {
  const untouched = { input, output: input.text, reports: [] };
  if (input.unreadable !== undefined) return { ...untouched, skipped: `${input.label}: ${input.unreadable}` };
  try {
    const outcome = await processStream(input.text, {
      settings,
      source,
      file: input.label,
      set: readInput(input),
      ...(log !== undefined && { log }),
    });
    return { input, output: outcome.output, reports: outcome.reports };
  } catch (error) {
    // A Helm template, or anything else that is not YAML, is not ours to touch.
    if (error instanceof UnusableInputError) return { ...untouched, skipped: error.message };
    throw error;
  }
}
