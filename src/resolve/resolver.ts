import { formatName, manifestReference, type ImageReference } from '../reference/index.js';
import { RegistryClient, type ManifestTarget, type RegistryClientOptions } from '../registry/client.js';

/** Anything that can turn a manifest target into a digest: the registry client, or a test double. */
export interface DigestSource {
  resolveDigest(target: ManifestTarget): Promise<string>;
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

/** One unique reference to resolve, with the spelling it was first seen under. */
export interface ResolveTask {
  readonly key: string;
  readonly image: string;
  readonly reference: ImageReference;
}

/** Resolves every task once, at most `concurrency` at a time, never rejecting. */
export async function resolveAll(
  tasks: readonly ResolveTask[],
  source: DigestSource,
  concurrency: number,
): Promise<Map<string, Resolution>> {
  const results = new Map<string, Resolution>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let task = tasks[next++]; task !== undefined; task = tasks[next++]) {
      results.set(task.key, await resolveOne(task, source));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

async function resolveOne(task: ResolveTask, source: DigestSource): Promise<Resolution> {
  const target: ManifestTarget = {
    registry: task.reference.registry,
    repository: task.reference.repository,
    reference: manifestReference(task.reference),
  };
  try {
    return { ok: true, digest: await source.resolveDigest(target) };
  } catch (error) {
    return { ok: false, error: new ResolveError(task.image, task.reference, error) };
  }
}

/** Builds the registry-backed digest source the function uses by default. */
export function createRegistrySource(options: RegistryClientOptions): DigestSource {
  return new RegistryClient(options);
}
