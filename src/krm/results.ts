import type { FileRef, Item, ResourceRef } from './resource-list.js';

/** A structured result, as the KRM functions spec defines it. */
export interface Result {
  readonly message: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly resourceRef?: ResourceRef;
  readonly field?: { readonly path: string };
  readonly file?: FileRef;
}

/** An error result about one field of one resource. */
export function fieldError(item: Item, path: string, message: string): Result {
  return {
    message,
    severity: 'error',
    resourceRef: item.ref,
    field: { path },
    ...(item.file !== undefined && { file: item.file }),
  };
}

/** Counts for the closing info result. */
export interface Tally {
  resolved: number;
  unique: number;
  alreadyPinned: number;
  skippedByPrefix: number;
  failed: number;
}

/** The one info result that ends every run, e.g. `resolved 12 image(s) (5 unique), skipped 3, failed 1`. */
export function summaryResult(tally: Tally): Result {
  const skipped = tally.alreadyPinned + tally.skippedByPrefix;
  const reasons: string[] = [];
  if (tally.alreadyPinned > 0) reasons.push(`${tally.alreadyPinned} already pinned`);
  if (tally.skippedByPrefix > 0) reasons.push(`${tally.skippedByPrefix} by skip prefix`);
  const detail = reasons.length > 0 ? ` (${reasons.join(', ')})` : '';
  return {
    message: `resolved ${tally.resolved} image(s) (${tally.unique} unique), skipped ${skipped}${detail}, failed ${tally.failed}`,
    severity: 'info',
  };
}

/** The process exit code the results call for: 1 when any result is an error. */
export function exitCodeFor(results: readonly Result[]): 0 | 1 {
  return results.some((result) => result.severity === 'error') ? 1 : 0;
}
