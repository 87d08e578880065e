import { memoizeSource, passThrough, Slots, type DigestSource } from '../src/resolve/index.js';

// The CLI pins many files at once, each with its own resolveAll. These
// wrappers make them share one registry source: every image is resolved once
// (memoized), the whole run keeps to one concurrency limit, and progress is
// counted over the run's unique images rather than per file.

type Target = Parameters<DigestSource['resolveDigest']>[0];

/** How far the run has got: unique images resolved so far, of how many, and the registries still being asked. */
export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly registries: readonly string[];
}

/**
 * Wraps a source for a run over many files: memoized, at most `concurrency`
 * requests in flight across all files, and `onProgress` called whenever a
 * unique image is announced or settles.
 */
export function shareSource(source: DigestSource, concurrency: number, onProgress?: (progress: Progress) => void): DigestSource {
  return memoizeSource(countProgress(limitConcurrency(source, concurrency), onProgress));
}

function targetKey(target: Target): string {
  return `${target.registry}/${target.repository}:${target.reference}`;
}

/** Counts unique targets: announced by expect() (every file announces its images before any answer arrives), and settled. */
function countProgress(source: DigestSource, onProgress?: (progress: Progress) => void): DigestSource {
  const seen = new Set<string>();
  /** Unsettled targets, by key, with their registry. */
  const pending = new Map<string, string>();
  let done = 0;
  const report = (): void => onProgress?.({ done, total: seen.size, registries: [...new Set(pending.values())].sort() });
  const announce = (target: Target): boolean => {
    const key = targetKey(target);
    if (seen.has(key)) return false;
    seen.add(key);
    pending.set(key, target.registry);
    return true;
  };
  return {
    ...passThrough(source),
    expect(targets) {
      let added = false;
      for (const target of targets) added = announce(target) || added;
      if (added) report();
      source.expect?.(targets);
    },
    async resolveDigest(target, options) {
      announce(target);
      try {
        return await source.resolveDigest(target, options);
      } finally {
        // memoizeSource calls through once per target, so each one settles here once.
        pending.delete(targetKey(target));
        done++;
        report();
      }
    },
  };
}

/** At most `concurrency` resolveDigest calls in flight; a call still queued when its signal aborts never starts. */
function limitConcurrency(source: DigestSource, concurrency: number): DigestSource {
  const slots = new Slots(concurrency);
  return {
    // prepare() is outside the limit, as in resolveAll: a resolve waiting for its registry's token holds no slot.
    ...passThrough(source),
    async resolveDigest(target, options) {
      await slots.acquire(options?.signal);
      try {
        return await source.resolveDigest(target, options);
      } finally {
        slots.release();
      }
    },
  };
}
