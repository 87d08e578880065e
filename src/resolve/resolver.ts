import { setMaxListeners } from 'node:events';
import { formatSeconds } from '../registry/duration.js';
import { formatName, manifestReference, type ImageReference } from '../reference/index.js';
import type { ManifestTarget, RegistryClient, RegistryClientOptions } from '../registry/client.js';
import { Slots } from './slots.js';

/** Anything that can turn a manifest target into a digest: the registry client, or a test double. */
export interface DigestSource {
  resolveDigest(target: ManifestTarget, options?: { signal?: AbortSignal }): Promise<string>;
  /**
   * Waits for work shared by many targets (a registry's ping and token) without rejecting; it runs
   * outside the concurrency limit, which then bounds the manifest requests alone. It gets no signal:
   * every target waits for it at once, and the resolver bounds that wait by its deadline itself.
   */
  prepare?(target: ManifestTarget): Promise<void>;
  /** A hint of every target about to be resolved, so a registry can be asked for all scopes at once. */
  expect?(targets: readonly ManifestTarget[]): void;
  /**
   * A hint that targets will be announced (expect()) a few at a time, and the first resolved meanwhile:
   * until the returned function is called, work that wants every target (a token batch) waits.
   */
  plan?(): () => void;
  /**
   * A hint, as soon as a registry's first image is found (or before the list is parsed, from its
   * text: then possibly for a registry nothing is resolved on): start what needs no target (the
   * ping, which opens a connection) while the caller is still finding the rest. Never throws; a
   * failure is met again by the resolves that follow.
   */
  warm?(registry: string): void;
  close?(): Promise<void>;
}

/** The outcome for one unique reference. */
export type Resolution =
  | { readonly ok: true; readonly digest: string }
  | { readonly ok: false; readonly error: ResolveError };

/** Why one reference could not be pinned; the cause is the registry's error. */
export class ResolveError extends Error {
  readonly code: string;
  constructor(image: string, reference: ImageReference, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`could not resolve \`${image}\` (${formatName(reference)}): ${reason}`, { cause });
    this.name = 'ResolveError';
    this.code = (cause as { code?: unknown } | undefined)?.code?.toString() ?? 'ERR_RESOLVE';
  }
}

/** The run's deadline ran out before this reference was resolved. */
export class DeadlineError extends Error {
  readonly code = 'ERR_TIMEOUT';
  constructor(deadlineMs: number) {
    super(`timed out after ${formatSeconds(deadlineMs)}`);
    this.name = 'DeadlineError';
  }
}

/** One unique reference to resolve, with the spelling it was first seen under. */
export interface ResolveTask {
  readonly key: string;
  readonly image: string;
  readonly reference: ImageReference;
}

/** How to run the resolutions. */
export interface ResolveOptions {
  readonly concurrency: number;
  /** The whole run's deadline; references still unresolved then fail with "timed out after Ns". */
  readonly deadlineMs?: number;
}

/** Resolutions started as a caller finds its tasks (see {@link startResolving}). */
export interface ResolveRun {
  /** Announces the task to the source and starts resolving it; a key added before is ignored. */
  add(task: ResolveTask): void;
  /** Once every task is added: each one's outcome, never rejecting. Later calls return the same. */
  finish(): Promise<Map<string, Resolution>>;
}

/**
 * Resolves every task once, at most `concurrency` at a time, never rejecting.
 * Results already in hand when the deadline passes are kept.
 */
export async function resolveAll(
  tasks: readonly ResolveTask[],
  source: DigestSource,
  options: ResolveOptions,
): Promise<Map<string, Resolution>> {
  // Every target is known: announced at once, so nothing has to wait for more.
  source.expect?.(tasks.map(toTarget));
  const run = begin(source, options, false);
  for (const task of tasks) run.add(task);
  return run.finish();
}

/**
 * Starts resolving before every task is known: each task added is announced to the source and
 * resolved at once, at most `concurrency` at a time, while the caller goes on finding the rest
 * (it must let the event loop run for requests to go out meanwhile). The source holds what wants
 * every target, such as a token registry's batched token request, until finish() is called. The
 * deadline runs from this call. Results already in hand when it passes are kept.
 */
export function startResolving(source: DigestSource, options: ResolveOptions): ResolveRun {
  return begin(source, options, true);
}

function begin(source: DigestSource, options: ResolveOptions, streaming: boolean): ResolveRun {
  const results = new Map<string, Resolution>();
  const closePlan = streaming ? source.plan?.() : undefined;
  const deadlineMs = options.deadlineMs ?? 0;
  // A ref'd timer, unlike AbortSignal.timeout: the process must wait for the
  // deadline even when a stalled request holds no socket open.
  const controller = options.deadlineMs === undefined ? undefined : new AbortController();
  const timer = controller === undefined ? undefined : setTimeout(() => controller.abort(new DeadlineError(deadlineMs)), deadlineMs);
  const deadline = controller?.signal;
  // Every request in flight listens to this one signal; more than Node's default 10 is expected, not a leak.
  if (deadline !== undefined) setMaxListeners(Math.max(10, options.concurrency * 4), deadline);
  // One promise for the whole run, so each task races it without adding a listener of its own.
  const expired = deadline === undefined ? undefined : rejectOnAbort(deadline, deadlineMs);
  expired?.catch(() => undefined);
  const slots = new Slots(options.concurrency);
  const run = async (task: ResolveTask, target: ManifestTarget): Promise<void> => {
    // A registry's ping and token are shared: waiting for them holds no slot, so a registry that is
    // ready gets every slot while another is still handing out tokens.
    // No signal: each task waiting here would add a listener to the deadline (hundreds at once, and
    // Node's MaxListenersExceededWarning on stderr); racing `expired` bounds the wait just the same.
    const prepared = source.prepare?.(target);
    if (prepared !== undefined) await (expired === undefined ? prepared : Promise.race([prepared, expired])).catch(() => undefined);
    await slots.acquire();
    try {
      results.set(task.key, await resolveOne(task, target, source, deadline, expired, deadlineMs));
    } finally {
      slots.release();
    }
  };
  const running = new Map<string, Promise<void>>();
  let finished: Promise<Map<string, Resolution>> | undefined;
  return {
    add(task) {
      if (running.has(task.key) || finished !== undefined) return;
      const target = toTarget(task);
      if (streaming) source.expect?.([target]);
      running.set(task.key, run(task, target));
    },
    finish() {
      closePlan?.();
      finished ??= Promise.all(running.values())
        .finally(() => clearTimeout(timer))
        .then(() => results);
      return finished;
    },
  };
}

function toTarget(task: ResolveTask): ManifestTarget {
  return { registry: task.reference.registry, repository: task.reference.repository, reference: manifestReference(task.reference) };
}

async function resolveOne(
  task: ResolveTask,
  target: ManifestTarget,
  source: DigestSource,
  deadline: AbortSignal | undefined,
  expired: Promise<never> | undefined,
  deadlineMs: number,
): Promise<Resolution> {
  const fail = (cause: unknown): Resolution => ({ ok: false, error: new ResolveError(task.image, task.reference, cause) });
  if (deadline?.aborted) return fail(new DeadlineError(deadlineMs));
  try {
    const pending = source.resolveDigest(target, deadline === undefined ? {} : { signal: deadline });
    pending.catch(() => undefined); // a request that loses the race may still fail later
    // The race guarantees the deadline even against a source that ignores the signal.
    const digest = expired === undefined ? await pending : await Promise.race([pending, expired]);
    return { ok: true, digest };
  } catch (error) {
    return fail(deadline?.aborted ? new DeadlineError(deadlineMs) : error);
  }
}

function rejectOnAbort(signal: AbortSignal, deadlineMs: number): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new DeadlineError(deadlineMs)), { once: true });
  });
}

/**
 * Wraps a source so each target is resolved once however many callers ask:
 * the CLI pins many files, and the same image in a hundred files costs one
 * request. Failures are kept too, so a missing tag is reported per file
 * without asking again.
 */
export function memoizeSource(source: DigestSource): DigestSource {
  const known = new Map<string, Promise<string>>();
  return {
    ...passThrough(source),
    resolveDigest(target, options) {
      const key = `${target.registry}/${target.repository}:${target.reference}`;
      let pending = known.get(key);
      if (pending === undefined) {
        pending = source.resolveDigest(target, options);
        known.set(key, pending);
        pending.catch(() => undefined);
      }
      return pending;
    },
  };
}

/**
 * Everything of `source` but resolveDigest, passed straight through: the base of a wrapper that
 * changes how digests are resolved, so no hint (expect, warm, prepare) or close is dropped on the way.
 */
export function passThrough(source: DigestSource): Omit<DigestSource, 'resolveDigest'> {
  return {
    expect: (targets) => source.expect?.(targets),
    plan: () => source.plan?.() ?? NO_PLAN,
    warm: (registry) => source.warm?.(registry),
    prepare: (target) => source.prepare?.(target) ?? Promise.resolve(),
    close: () => source.close?.() ?? Promise.resolve(),
  };
}

const NO_PLAN = (): void => undefined;

/**
 * Builds the registry-backed digest source the function uses by default. The
 * client (undici, zod) is imported on first use, so a run with nothing to
 * resolve starts as fast as node itself. Registry mappings are still checked
 * now: a typo in an endpoint is a configuration error, not a per-image one.
 */
export async function createRegistrySource(options: RegistryClientOptions): Promise<DigestSource> {
  if (options.registries !== undefined && options.registries.length > 0) {
    const { validateMapping } = await import('../registry/endpoint.js');
    for (const mapping of options.registries) validateMapping(mapping);
  }
  return new LazyRegistrySource(options);
}

class LazyRegistrySource implements DigestSource {
  readonly #options: RegistryClientOptions;
  #client: Promise<RegistryClient> | undefined;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
  }

  expect(targets: readonly ManifestTarget[]): void {
    if (targets.length > 0) void this.#load().then((client) => client.expect(targets), () => undefined);
  }

  warm(registry: string): void {
    void this.#load().then((client) => client.warm(registry), () => undefined);
  }

  plan(): () => void {
    // Registered on the client before any prepare() that follows reaches it: both wait for one load.
    const opened = this.#load().then((client) => client.plan(), () => NO_PLAN);
    return () => void opened.then((close) => close());
  }

  async prepare(target: ManifestTarget): Promise<void> {
    await (await this.#load()).prepare(target);
  }

  async resolveDigest(target: ManifestTarget, options?: { signal?: AbortSignal }): Promise<string> {
    return (await this.#load()).resolveDigest(target, options);
  }

  async close(): Promise<void> {
    if (this.#client !== undefined) await (await this.#client).close();
  }

  #load(): Promise<RegistryClient> {
    this.#client ??= import('../registry/client.js').then(({ RegistryClient }) => new RegistryClient(this.#options));
    return this.#client;
  }
}
