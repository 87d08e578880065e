import { ConfigError, settingsFromEnv, type Settings } from '../settings.js';
import type { DigestSource } from '../resolve/index.js';
import { collectPullSecrets } from './pull-secrets.js';
import { readResourceList, type ResourceList } from './resource-list.js';
import { pinResources } from './pin.js';
import { exitCodeFor, type Result } from './results.js';
import { appendResultsEdit } from './results-text.js';
import { applyEdits, type Edit } from './splice.js';
import { AliasBudgetError, toPlainValue } from './yaml-value.js';

/** What the processor needs from its surroundings. */
export interface ProcessOptions {
  readonly env: NodeJS.ProcessEnv;
  /**
   * Builds the digest source once the settings are known (the registry client
   * in production). `pullSecrets` are docker config documents from the list's
   * imagePullSecrets Secrets.
   */
  readonly createSource: (
    settings: Settings,
    credentials: { readonly pullSecrets: readonly string[] },
  ) => DigestSource | Promise<DigestSource>;
  readonly log?: (message: string) => void;
  /**
   * Leaves the source open when done, for a process that exits as soon as the output is written
   * (fn/main.ts): the exit closes the pooled connections anyway, and closing them one by one first
   * (34 in the bench) took 5-7 ms of every run.
   */
  readonly keepSourceOpen?: boolean;
}

/** The processor's answer: the ResourceList text to write, and the exit code. */
export interface ProcessOutcome {
  readonly output: string;
  readonly exitCode: 0 | 1;
  readonly results: readonly Result[];
  /** How many image scalars were rewritten (0 on a second run: the function is idempotent). */
  readonly edits: number;
}

/**
 * Pins every image in a ResourceList. The output is the input text with only
 * the resolved image scalars extended by `@digest`, plus appended results.
 * Throws UnusableInputError when the input is not a ResourceList at all.
 */
export async function processResourceList(input: string, options: ProcessOptions): Promise<ProcessOutcome> {
  const list = readResourceList(input);
  let settings: Settings;
  try {
    const functionConfig = toPlainValue(list.document.tree, list.functionConfig);
    // The schemas (and zod) load only when there is a functionConfig to check.
    settings =
      functionConfig === null
        ? settingsFromEnv(options.env)
        : (await import('../config.js')).loadSettings(functionConfig, options.env);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof AliasBudgetError)) throw error;
    return finish(list, [], [{ message: error.message, severity: 'error' }]);
  }
  if (settings.mode === 'check') {
    // A validator: no registry is asked, the ResourceList goes out unchanged with the findings.
    const outcome = await pinResources(list, settings, undefined, options.log);
    return finish(list, [], outcome.results);
  }
  const pullSecrets = collectPullSecrets(list);
  let source: DigestSource;
  try {
    source = await options.createSource(settings, { pullSecrets: pullSecrets.documents });
  } catch (error) {
    // The registry client validates endpoints when it is built: a typo there is a config error.
    const reason = error instanceof Error ? error.message : String(error);
    return finish(list, [], [{ message: `invalid functionConfig.registries: ${reason}`, severity: 'error' }]);
  }
  try {
    const outcome = await pinResources(list, settings, source, options.log);
    return finish(list, outcome.edits, [...pullSecrets.problems, ...outcome.results]);
  } finally {
    if (options.keepSourceOpen !== true) await source.close?.();
  }
}

function finish(list: ResourceList, edits: readonly Edit[], results: readonly Result[]): ProcessOutcome {
  const { tree } = list.document;
  const resultsEdit = appendResultsEdit(tree, list.root, results);
  const all = resultsEdit === undefined ? edits : [...edits, resultsEdit];
  return { output: applyEdits(tree.source, all), exitCode: exitCodeFor(results), results, edits: edits.length };
}
