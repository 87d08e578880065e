import { planImage, startResolving, type DigestSource, type ImagePlan, type ResolveRun, type ResolveTask } from '../resolve/index.js';
import type { Settings } from '../settings.js';
import type { Item } from './resource-list.js';
import { fieldError, summaryResult, type Result, type Tally } from './results.js';
import { scanImages, type ImageOccurrence, type ResourceSet } from './scan.js';
import { appendToScalar, type Edit } from './splice.js';
import type { NodeId, YamlTree } from './yaml-tree.js';

// The engine shared by the KRM function, the CLI and the kustomize plugin:
// find the image fields of a set of resources, resolve what needs resolving
// (or, in check mode, only report it), and return text edits plus results.

/**
 * Once a registry has been sent its ping, the scan lets the event loop run at least this often: its
 * connection's handshake, and the ping itself, need the loop to move on, and otherwise wait for the
 * whole scan (for 10,000 resources, about as long as a round trip or two).
 */
const EVENT_LOOP_EVERY_MS = 1;

/** What happened to one image field, for the CLI's reports. */
export interface ImageReport {
  readonly item: Item;
  readonly path: string;
  /** Offset of the value in the source (of the resource, for a value that is not a scalar), for line numbers. */
  readonly offset: number;
  readonly before: string | undefined;
  readonly after?: string | undefined;
  readonly status: 'pinned' | 'already-pinned' | 'skipped' | 'unpinned' | 'failed';
  readonly message?: string | undefined;
}

/** The edits to make, the results to report, and one report per image field. */
export interface PinOutcome {
  readonly edits: readonly Edit[];
  readonly results: readonly Result[];
  readonly reports: readonly ImageReport[];
}

/** How to run: `resolve` pins images; `check` resolves nothing and reports every image that is not pinned. */
export type PinMode = 'resolve' | 'check';

/** Pins (or checks) every image field of the resources. Never throws for a registry failure. */
export async function pinResources(
  set: ResourceSet,
  settings: Settings,
  source: DigestSource | undefined,
  log?: (message: string) => void,
): Promise<PinOutcome> {
  const { tree } = set.document;
  const tally: Tally = { resolved: 0, unique: 0, alreadyPinned: 0, skippedByPrefix: 0, failed: 0 };
  // Everything is collected per occurrence so it comes out in document order.
  const occurrences: ImageOccurrence[] = [];
  const reports: ImageReport[] = [];
  const tasks = new Map<string, ResolveTask>();
  const keys: Array<string | undefined> = [];
  // Large lists repeat a few images many times: each distinct string is parsed once.
  const plans = new Map<string, ImagePlan>();
  // The source to resolve with: none in check mode.
  const live = settings.mode === 'check' ? undefined : source;
  const check = live === undefined;
  const warmed = new Set<string>();
  let ranEventLoop = 0;
  // Started at the first image to resolve: each unique image is resolved as the scan finds it.
  let run: ResolveRun | undefined;

  try {
    for (const occurrence of scanImages(set)) {
      if (warmed.size > 0 && performance.now() - ranEventLoop >= EVENT_LOOP_EVERY_MS) {
        await nextTurn();
        ranEventLoop = performance.now();
      }
      const position = occurrences.push(occurrence) - 1;
      if (!('image' in occurrence)) {
        reports[position] = report(tree, occurrence, 'failed', occurrence.problem);
        continue;
      }
      let plan = plans.get(occurrence.image);
      if (plan === undefined) {
        plan = planImage(occurrence.image, settings.skipPrefixes);
        plans.set(occurrence.image, plan);
      }
      if (plan.action === 'keep-pinned') {
        tally.alreadyPinned++;
        reports[position] = report(tree, occurrence, 'already-pinned');
      } else if (plan.action === 'skip') {
        tally.skippedByPrefix++;
        reports[position] = report(tree, occurrence, 'skipped');
      } else if (plan.action === 'invalid') {
        reports[position] = report(tree, occurrence, 'failed', plan.error.message);
      } else if (live === undefined) {
        reports[position] = report(tree, occurrence, 'unpinned', `image \`${occurrence.image}\` is not pinned to a digest`);
      } else {
        keys[position] = plan.key;
        if (tasks.has(plan.key)) continue;
        const task: ResolveTask = { key: plan.key, image: occurrence.image, reference: plan.reference };
        tasks.set(plan.key, task);
        const { registry } = plan.reference;
        // The first image of a registry: its ping (a round trip) starts now and the scan goes on
        // meanwhile. A turn of the event loop lets the source start connecting; the turns taken
        // every EVENT_LOOP_EVERY_MS from now on let it finish and send the ping, then the requests
        // of the images found so far.
        const first = live.warm !== undefined && !warmed.has(registry);
        if (first) {
          warmed.add(registry);
          live.warm?.(registry);
        }
        run ??= startResolving(live, { concurrency: settings.concurrency, deadlineMs: settings.deadlineMs });
        run.add(task);
        if (first) {
          await nextTurn();
          ranEventLoop = performance.now();
        }
      }
    }
  } catch (error) {
    // Nothing is left waiting on a plan that will never be finished.
    void run?.finish();
    throw error;
  }

  const edits = new Map<NodeId, Edit>();
  if (run !== undefined) {
    log?.(`resolving ${tasks.size} unique image(s), ${settings.concurrency} at a time`);
    const resolutions = await run.finish();
    const pinnedKeys = new Set<string>();
    occurrences.forEach((occurrence, position) => {
      const key = keys[position];
      const resolution = key === undefined ? undefined : resolutions.get(key);
      if (key === undefined || resolution === undefined || !('scalar' in occurrence)) return;
      if (!resolution.ok) {
        reports[position] = report(tree, occurrence, 'failed', resolution.error.message);
        return;
      }
      tally.resolved++;
      pinnedKeys.add(key);
      const suffix = `@${resolution.digest}`;
      reports[position] = report(tree, occurrence, 'pinned', undefined, `${occurrence.image}${suffix}`);
      // One scalar reached through several aliases is edited once.
      if (!edits.has(occurrence.scalar)) edits.set(occurrence.scalar, appendToScalar(tree, occurrence.scalar, suffix));
    });
    tally.unique = pinnedKeys.size;
  }
  const results: Result[] = [];
  for (const report of reports) {
    if (report !== undefined && report.message !== undefined) results.push(fieldError(report.item, report.path, report.message));
  }
  tally.failed = results.length;
  return { edits: [...edits.values()], results: [...results, check ? checkSummary(tally, results.length) : summaryResult(tally)], reports };
}

/** One turn of the event loop: what is ready (a connection opened, a response) is handled. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One field's report, in one literal of one shape: spreading a shared base cost about 1 µs per field, cold. */
function report(tree: YamlTree, occurrence: ImageOccurrence, status: ImageReport['status'], message?: string, after?: string): ImageReport {
  const { item, path } = occurrence;
  // A field with no scalar to point at is located by its resource.
  const scalar = 'scalar' in occurrence;
  const offset = scalar ? tree.scalar(occurrence.scalar).valueStart : tree.startOf(item.node);
  const before = scalar ? occurrence.image : undefined;
  return { item, path, offset, before, status, message, after };
}

function checkSummary(tally: Tally, problems: number): Result {
  const pinned = tally.alreadyPinned;
  return {
    message: `checked ${pinned + tally.skippedByPrefix + problems} image(s): ${pinned} pinned, ${tally.skippedByPrefix} skipped, ${problems} not pinned or invalid`,
    severity: 'info',
  };
}
