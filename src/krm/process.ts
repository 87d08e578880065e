import { ConfigError, settingsFromEnv, type Settings } from '../settings.js';
import { planImage, resolveAll, type DigestSource, type ImagePlan, type ResolveTask } from '../resolve/index.js';
import { collectPullSecrets } from './pull-secrets.js';
import { readResourceList, type ResourceList } from './resource-list.js';
import { exitCodeFor, fieldError, summaryResult, type Result, type Tally } from './results.js';
import { appendResultsEdit } from './results-text.js';
import { scanImages } from './scan.js';
import { appendToScalar, applyEdits, type Edit } from './splice.js';
import type { ScalarNode } from './yaml-tree.js';
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
    const functionConfig = toPlainValue(input, list.functionConfig);
    // The schemas (and zod) load only when there is a functionConfig to check.
    settings =
      functionConfig === null
        ? settingsFromEnv(options.env)
        : (await import('../config.js')).loadSettings(functionConfig, options.env);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof AliasBudgetError)) throw error;
    return finish(list, [], [{ message: error.message, severity: 'error' }]);
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
    return await pinImages(list, settings, source, pullSecrets.problems, options.log);
  } finally {
    await source.close?.();
  }
}

async function pinImages(
  list: ResourceList,
  settings: Settings,
  source: DigestSource,
  secretProblems: readonly Result[],
  log: ((message: string) => void) | undefined,
): Promise<ProcessOutcome> {
  const occurrences = scanImages(list);
  const tally: Tally = { resolved: 0, unique: 0, alreadyPinned: 0, skippedByPrefix: 0, failed: 0 };
  // Errors are collected per occurrence so they come out in document order.
  const errors: Array<Result | undefined> = [];
  const tasks = new Map<string, ResolveTask>();
  const keys: Array<string | undefined> = [];
  // Large lists repeat a few images many times: each distinct string is parsed once.
  const plans = new Map<string, ImagePlan>();

  occurrences.forEach((occurrence, position) => {
    if (!('image' in occurrence)) {
      errors[position] = fieldError(occurrence.item, occurrence.path, occurrence.problem);
      return;
    }
    let plan = plans.get(occurrence.image);
    if (plan === undefined) {
      plan = planImage(occurrence.image, settings.skipPrefixes);
      plans.set(occurrence.image, plan);
    }
    if (plan.action === 'keep-pinned') tally.alreadyPinned++;
    else if (plan.action === 'skip') tally.skippedByPrefix++;
    else if (plan.action === 'invalid') errors[position] = fieldError(occurrence.item, occurrence.path, plan.error.message);
    else {
      if (!tasks.has(plan.key)) tasks.set(plan.key, { key: plan.key, image: occurrence.image, reference: plan.reference });
      keys[position] = plan.key;
    }
  });

  log?.(`resolving ${tasks.size} unique image(s), ${settings.concurrency} at a time`);
  const resolutions = await resolveAll([...tasks.values()], source, {
    concurrency: settings.concurrency,
    deadlineMs: settings.deadlineMs,
  });
  const edits = new Map<ScalarNode, Edit>();
  const pinnedKeys = new Set<string>();
  occurrences.forEach((occurrence, position) => {
    const key = keys[position];
    const resolution = key === undefined ? undefined : resolutions.get(key);
    if (key === undefined || resolution === undefined || !('scalar' in occurrence)) return;
    if (!resolution.ok) {
      errors[position] = fieldError(occurrence.item, occurrence.path, resolution.error.message);
      return;
    }
    tally.resolved++;
    pinnedKeys.add(key);
    // One scalar reached through several aliases is edited once.
    if (!edits.has(occurrence.scalar)) {
      edits.set(occurrence.scalar, appendToScalar(list.document.source, occurrence.scalar, `@${resolution.digest}`));
    }
  });
  const results = errors.filter((result): result is Result => result !== undefined);
  tally.failed = results.length;
  tally.unique = pinnedKeys.size;
  return finish(list, [...edits.values()], [...secretProblems, ...results, summaryResult(tally)]);
}

function finish(list: ResourceList, edits: readonly Edit[], results: readonly Result[]): ProcessOutcome {
  const { source } = list.document;
  const resultsEdit = appendResultsEdit(source, list.root, results);
  const all = resultsEdit === undefined ? edits : [...edits, resultsEdit];
  return { output: applyEdits(source, all), exitCode: exitCodeFor(results), results, edits: edits.length };
}
