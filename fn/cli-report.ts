import { lineLocator, type ImageReport, type ResourceRef } from '../src/krm/index.js';
import type { FileOutcome } from './cli-pin.js';
import type { Progress } from './cli-source.js';

// What `digester resolve` and `check` tell the user: one line (or JSON entry)
// per image, a progress line on a terminal, and a closing summary.

/** One image field, as `--output json` prints it. */
export interface ImageEntry {
  readonly file: string;
  /** 1-based line of the value; of the resource when the field holds no scalar (say, a mapping). */
  readonly line: number;
  readonly resource: ResourceRef;
  readonly field: string;
  /** The value as found; null when it is not a string. */
  readonly before: string | null;
  /** The value after the run (the same as before unless pinned). */
  readonly after: string | null;
  readonly status: ImageReport['status'];
  readonly message?: string;
}

/** The entries of every input, in input order and by line within each. */
export function imageEntries(outcomes: readonly FileOutcome[]): ImageEntry[] {
  const entries: ImageEntry[] = [];
  for (const { input, reports } of outcomes) {
    if (reports.length === 0) continue;
    const lineOf = lineLocator(input.text);
    const fileEntries: ImageEntry[] = [];
    for (const report of reports) {
      fileEntries.push({
        file: input.label,
        line: lineOf(report.offset),
        resource: report.item.ref,
        field: report.path,
        before: report.before ?? null,
        after: report.after ?? report.before ?? null,
        status: report.status,
        ...(report.message !== undefined && { message: report.message }),
      });
    }
    // The engine reports a resource's fields kind by kind (containers, then initContainers); readers want file order.
    entries.push(...fileEntries.sort((a, b) => a.line - b.line));
  }
  return entries;
}

/** Whether an entry is a problem: a failure, or in check mode an image not pinned. */
export function isProblem(entry: ImageEntry): boolean {
  return entry.status === 'failed' || entry.status === 'unpinned';
}

/** `deploy/web.yaml:17: Deployment/web spec.template.spec.containers[0].image: <what happened>`. */
export function formatEntry(entry: ImageEntry): string {
  const where = `${entry.file}:${entry.line}`;
  const what =
    entry.message ??
    (entry.status === 'pinned' ? `pinned \`${entry.after ?? ''}\`` : entry.status === 'skipped' ? 'skipped by prefix' : 'already pinned');
  return `${where}: ${entry.resource.kind}/${entry.resource.name} ${entry.field}: ${what}`;
}

/** Counts for the summary line. */
export interface Tally {
  readonly pinned: number;
  readonly alreadyPinned: number;
  readonly skipped: number;
  readonly unpinned: number;
  readonly failed: number;
  /** Inputs whose text changed (or would, in a dry run). */
  readonly filesChanged: number;
  /** Inputs that were processed (not left alone as unreadable). */
  readonly filesRead: number;
  readonly filesSkipped: number;
}

/** Counts what happened across the run. */
export function tally(outcomes: readonly FileOutcome[], entries: readonly ImageEntry[]): Tally {
  const count = (status: ImageEntry['status']): number => entries.filter((entry) => entry.status === status).length;
  const skippedFiles = outcomes.filter((outcome) => outcome.skipped !== undefined).length;
  return {
    pinned: count('pinned'),
    alreadyPinned: count('already-pinned'),
    skipped: count('skipped'),
    unpinned: count('unpinned'),
    failed: count('failed'),
    filesChanged: outcomes.filter((outcome) => outcome.output !== outcome.input.text).length,
    filesRead: outcomes.length - skippedFiles,
    filesSkipped: skippedFiles,
  };
}

/**
 * The closing line, e.g. `digester: pinned 12 image(s) in 3 file(s), 4 already pinned, 1 skipped, 0 failed`
 * or `digester: checked 20 image(s) in 5 file(s): 4 not pinned, 15 pinned, 1 skipped, 0 invalid`.
 */
export function summaryLine(command: 'resolve' | 'check', counts: Tally, dryRun: boolean): string {
  const leftAlone = counts.filesSkipped === 0 ? '' : `; left ${counts.filesSkipped} file(s) alone that are not YAML or not UTF-8`;
  if (command === 'check') {
    const checked = counts.unpinned + counts.alreadyPinned + counts.skipped + counts.failed;
    return (
      `digester: checked ${checked} image(s) in ${counts.filesRead} file(s): ${counts.unpinned} not pinned, ` +
      `${counts.alreadyPinned} pinned, ${counts.skipped} skipped, ${counts.failed} invalid${leftAlone}`
    );
  }
  return (
    `digester: ${dryRun ? 'would pin' : 'pinned'} ${counts.pinned} image(s) in ${counts.filesChanged} file(s), ` +
    `${counts.alreadyPinned} already pinned, ${counts.skipped} skipped, ${counts.failed} failed${leftAlone}`
  );
}

/** Progress is shown only for runs long enough to wonder about. */
const PROGRESS_MIN_IMAGES = 5;
const PROGRESS_INTERVAL_MS = 100;
const PROGRESS_REGISTRIES = 3;

/** A terminal stream, or anything shaped like one in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * `resolving 12/150 (docker.io, ghcr.io)`, rewritten in place with `\r` on a
 * terminal when more than five unique images need resolving; silent otherwise,
 * so CI logs get only the summary.
 */
export class ProgressLine {
  readonly #stream: ProgressStream;
  readonly #enabled: boolean;
  #shown = false;
  #lastAt = 0;

  constructor(stream: ProgressStream, enabled: boolean) {
    this.#stream = stream;
    this.#enabled = enabled && stream.isTTY === true;
  }

  /** Redraws the line, at most every 100 ms except for the last update. */
  update(progress: Progress): void {
    if (!this.#enabled || progress.total <= PROGRESS_MIN_IMAGES) return;
    const now = Date.now();
    if (progress.done < progress.total && this.#shown && now - this.#lastAt < PROGRESS_INTERVAL_MS) return;
    this.#lastAt = now;
    this.#shown = true;
    this.#stream.write(`\r\x1b[K${formatProgress(progress)}`);
  }

  /** Erases the line, so the summary starts on a clean one. */
  clear(): void {
    if (!this.#shown) return;
    this.#stream.write('\r\x1b[K');
    this.#shown = false;
  }
}

/** `resolving 12/150 (docker.io, ghcr.io, quay.io, +2 more)`. */
export function formatProgress(progress: Progress): string {
  const shown = progress.registries.slice(0, PROGRESS_REGISTRIES);
  const more = progress.registries.length - shown.length;
  const names = more > 0 ? [...shown, `+${more} more`] : shown;
  return `resolving ${progress.done}/${progress.total}${names.length === 0 ? '' : ` (${names.join(', ')})`}`;
}
