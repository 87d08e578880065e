import { ConfigError, settingsFor, type Settings } from '../settings.js';
import type { DigestSource } from '../resolve/index.js';
import { sameFunctionConfig, startBeforeParse, type HeadStart } from './head-start.js';
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
 * Throws UnusableInputError when the input is not a ResourceList at all. The registries the text
 * names are pinged before the parse (./head-start.ts); the parse decides whether that is kept.
 */
export async function processResourceList(input: string, options: ProcessOptions): Promise<ProcessOutcome> {
  const start = await startBeforeParse(input, options);
  // A head start that the parsed list does not confirm is closed: its pings were only a hint.
  const discard = (): void => void start?.source.close?.().catch(() => undefined);
  let list: ResourceList;
  try {
    list = readResourceList(input);
  } catch (error) {
    discard();
    throw error;
  }
  let settings: Settings;
  let kept: HeadStart | undefined;
  try {
    const functionConfig = toPlainValue(list.document.tree, list.functionConfig);
    kept = start !== undefined && sameFunctionConfig(start, functionConfig) ? start : undefined;
    settings = kept?.settings ?? (await settingsFor(functionConfig, options.env));
  } catch (error) {
    discard();
    if (!(error instanceof ConfigError || error instanceof AliasBudgetError)) throw error;
    return finish(list, [], [{ message: error.message, severity: 'error' }]);
  }
  if (settings.mode === 'check') {
    discard();
    // A validator: no registry is asked, the ResourceList goes out unchanged with the findings.
    const outcome = await pinResources(list, settings, undefined, options.log);
    return finish(list, [], outcome.results);
  }
  const pullSecrets = collectPullSecrets(list);
  // The head start's source was made without pull secrets: with some, the run needs its own.
  if (kept !== undefined && pullSecrets.documents.length > 0) kept = undefined;
  if (kept === undefined) discard();
  else options.log?.(`kept the pings sent to ${kept.registries.join(', ')} before the parse`);
  let source: DigestSource;
  try {
    source = kept?.source ?? (await options.createSource(settings, { pullSecrets: pullSecrets.documents }));
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
